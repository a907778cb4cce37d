"""Issue 25.5 on the pages: a blood pressure whose pulse pressure is implausible is asked again (re-measure, then
tick the confirmation) on the screening, the pre-dose check and a reading in the session; the date read is said in
words beside each typed date, and an ambiguous one is refused there."""

from datetime import date, timedelta

from core.rules.vitals import pulse_pressure_problem
from tests.core.test_dosing_sessions import CALM
from tests.pages.conftest import all_text, form_key
from tests.pages.test_dosing_page import PAGE as DOSING
from tests.pages.test_dosing_page import (
    approved,  # noqa: F401 (a fixture)
    check,
    choose_patient,
    open_session,
    started_minutes_ago,
)
from tests.pages.test_screening_pages import click, fill, scr, stored

CONFIRM = "Re-measured: this blood pressure is right"


def test_the_date_read_is_shown_in_words_beside_each_typed_date(page):
    last = date.today() - timedelta(days=2)
    at = fill(page("pages/screening.py", "nurse"), date_of_birth="13/04/1990", last_use_date=last.isoformat())
    captions = [c.value for c in at.caption]
    assert "Read as 13 April 1990" in captions and f"Read as {last.day} {last:%B %Y}" in captions


def test_an_ambiguous_date_of_birth_is_refused_beside_the_field_with_both_readings(page):
    at = fill(page("pages/screening.py", "nurse"), date_of_birth="03/04/1990")
    assert any("03/04/1990 could be 3 April 1990 or 4 March 1990" in e.value.replace("\\", "") for e in at.error)
    at = click(at, "Save screening")
    assert stored(at, "SELECT count(*) FROM patients WHERE mrn = 'PAGE-0001'") == [(0,)]
    assert at.session_state[scr(at, "date_of_birth")] == "03/04/1990"  # kept as typed


def test_a_screening_300_over_20_asks_to_re_measure_and_saves_once_confirmed(page):
    at = fill(page("pages/screening.py", "nurse"), systolic_bp=300, diastolic_bp=20)
    assert CONFIRM in [c.label for c in at.checkbox]
    at = click(at, "Save screening")
    assert any("re-measure" in e.value.replace("\\", "") for e in at.error)
    assert stored(at, "SELECT count(*) FROM patients WHERE mrn = 'PAGE-0001'") == [(0,)]
    at.checkbox(key=scr(at, "bp_remeasured")).check()
    at = click(at.run(), "Save screening")
    assert stored(at, "SELECT count(*) FROM patients WHERE mrn = 'PAGE-0001'") == [(1,)]


def test_a_normal_screening_blood_pressure_asks_nothing(page):
    at = fill(page("pages/screening.py", "nurse"))
    assert CONFIRM not in [c.label for c in at.checkbox]


def test_a_pre_dose_check_asks_to_re_measure_and_goes_on_once_confirmed(page, approved, demo_store):  # noqa: F811
    demo_store.close()
    at = choose_patient(page(DOSING, "nurse"), approved)
    at = check(at, systolic_bp=95, diastolic_bp=88)
    assert any("re-measure" in e.value.replace("\\", "") for e in at.error)
    assert stored(at, "SELECT count(*) FROM gate_checks WHERE patient_id = ?", [approved]) == [(0,)]
    at.checkbox(key=form_key(at, "dosing_gate", "bp_remeasured")).check()
    at = click(at.run(), "Check before dosing")
    assert "Pre-dose check: **Go: dosing may start**" in all_text(at)


def test_a_reading_in_the_session_asks_to_re_measure_and_is_saved_once_confirmed(page, approved, demo_store):  # noqa: F811
    session = started_minutes_ago(demo_store, approved, 45)
    demo_store.close()
    at = open_session(page(DOSING, "nurse"), session)
    for field, value in {"minutes_after_dose": 40, **CALM, "systolic_bp": 240, "diastolic_bp": 80}.items():
        at.session_state[form_key(at, "dosing_reading", field)] = value
    at = click(at.run(), "Save the reading")
    assert pulse_pressure_problem(240, 80) and any("re-measure" in e.value.replace("\\", "") for e in at.error)
    assert stored(at, "SELECT count(*) FROM session_vitals WHERE session_id = ? AND phase = 'during'",
                  [session]) == [(0,)]
    at.checkbox(key=form_key(at, "dosing_reading", "bp_remeasured")).check()
    at = click(at, "Save the reading")  # in a form: the tick is sent with the submit
    assert "recorded as an adverse event" in all_text(at)
    assert stored(at, "SELECT count(*) FROM session_vitals WHERE session_id = ? AND phase = 'during'",
                  [session]) == [(1,)]
