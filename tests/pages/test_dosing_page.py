"""The dosing-session page: pre-dose check and dose, readings, discharge, signature, as nurse and prescriber."""

import re
from datetime import datetime, timedelta

import pytest

from core import approvals, dosing_sessions
from tests.core.test_dosing_sessions import CALM, GO, discharged
from tests.core.test_screening_and_approval import NURSE, PRESCRIBER, PRESCRIBER_PASSWORD, pending_screening
from tests.pages.conftest import DEMO_USERS, all_text, form_key
from tests.pages.test_screening_pages import click, stored

PAGE = "pages/dosing.py"


@pytest.fixture
def approved(demo_store):
    """An approved patient with no session yet (the page's database is the same file, closed for it)."""
    saved = pending_screening(demo_store, mrn="DOSE-0001", last_name="Dosetest")
    approvals.decide(demo_store, PRESCRIBER, saved.screening_id, "approved", "Suitable", PRESCRIBER_PASSWORD,
                     now=datetime.now())
    return saved.patient_id


def gate_key(at, field):
    return form_key(at, "dosing_gate", field)


def choose_patient(at, patient_id):
    """Find the patient by chart number, as a nurse does, then choose them."""
    from ui.store import clinic

    (chart_number,) = clinic().con.execute("SELECT mrn FROM patients WHERE id = ?", [patient_id]).fetchone()
    at.text_input(key=form_key(at, "dosing_pick", "search")).input(chart_number)
    at = at.run()
    at.selectbox(key=form_key(at, "dosing_pick", "patient")).set_value(patient_id)
    return at.run()


def check(at, **changes):
    for field, value in {**GO, **changes}.items():
        at.session_state[gate_key(at, field)] = value
    return click(at.run(), "Check before dosing")


def give_dose(at, **changes):
    values = {"route": "iv", "weight_kg": 70.0, "dose_mg": 35.0, "craving_before": 60,
              "intention": "Notice cravings without acting", "chair": "Room 2", **changes}
    for field, value in values.items():
        at.session_state[gate_key(at, field)] = value
    return click(at.run(), "Record the dose and start the clock")


def test_a_therapist_cannot_open_the_page(page):
    at = page(PAGE, "therapist")
    assert "cannot open Dosing session" in at.error[0].value


def test_a_nurse_checks_doses_and_sees_the_clock(page, approved, demo_store):
    demo_store.close()
    at = choose_patient(page(PAGE, "nurse"), approved)
    at = check(at)
    assert "Pre-dose check: **Go: dosing may start**" in all_text(at)
    at = give_dose(at)
    assert not at.exception
    text = all_text(at)
    assert "Dose recorded: the monitoring clock has started." in text
    assert "0.50 mg/kg" in text and "next reading due at minute 15" in text
    assert stored(at, "SELECT status, nurse_id FROM dosing_sessions WHERE patient_id = ?", [approved]) == [
        ("in_progress", NURSE.id)]


def test_an_unapproved_patient_is_not_offered(page, demo_store):
    waiting = pending_screening(demo_store, mrn="WAIT-0001").patient_id
    demo_store.close()
    at = page(PAGE, "nurse")
    assert waiting not in at.selectbox(key=form_key(at, "dosing_pick", "patient")).options


def test_a_hold_is_refused_to_a_nurse_alone_and_started_with_a_prescribers_cosignature(page, approved, demo_store):
    demo_store.close()
    at = check(choose_patient(page(PAGE, "nurse"), approved), systolic_bp=150, diastolic_bp=85)
    assert "Hold: dosing needs a prescriber's override" in all_text(at)
    at = give_dose(at)
    assert "override with a written reason is needed" in all_text(at)
    assert stored(at, "SELECT count(*) FROM dosing_sessions WHERE patient_id = ?", [approved]) == [(0,)]
    at.session_state[gate_key(at, "override_reason")] = "Repeat BP 136/84 after rest"
    at.session_state[gate_key(at, "cosigner")] = "prescriber"
    at.session_state[gate_key(at, "cosigner_password")] = PRESCRIBER_PASSWORD
    at = give_dose(at)
    assert stored(at, "SELECT override_reason, prescriber_id FROM dosing_sessions WHERE patient_id = ?",
                  [approved]) == [("Repeat BP 136/84 after rest", PRESCRIBER.id)]


def test_a_refused_check_offers_no_dose(page, approved, demo_store):
    demo_store.close()
    at = check(choose_patient(page(PAGE, "nurse"), approved), escort_confirmed=False)
    assert "Refused: no dosing today" in all_text(at)
    assert not any(b.label == "Record the dose and start the clock" for b in at.button)
    assert stored(at, "SELECT status FROM gate_checks WHERE patient_id = ?", [approved]) == [("refused",)]


def started_minutes_ago(demo_store, patient_id, minutes):
    """A session dosed `minutes` ago, through core, so the page can be used at that point of the clock."""
    began = datetime.now() - timedelta(minutes=minutes)
    gate = dosing_sessions.check_gate(demo_store, NURSE, patient_id, **GO, now=began)
    return dosing_sessions.start(demo_store, NURSE, patient_id, gate.gate_check_id, route="iv", weight_kg=70,
                                 dose_mg=35, intention="Stay present", craving_before=60, now=began)


def open_session(at, session_id):
    at.session_state["chosen~dosing_session"] = session_id
    return at.run()


def test_a_session_is_read_discharged_signed_and_corrected_by_addendum(page, approved, demo_store):
    session = started_minutes_ago(demo_store, approved, 130)
    demo_store.close()
    at = open_session(page(PAGE, "nurse"), session)
    for reading in ({"minutes_after_dose": 110, **CALM, "systolic_bp": 136}, {"minutes_after_dose": 125, **CALM}):
        for field, value in reading.items():
            at.session_state[form_key(at, "dosing_reading", field)] = value
        at = click(at.run(), "Save the reading")
        assert "Reading saved." in all_text(at)
    for field, value in {"respiratory_depression": False, "escort_present": True, "craving_after": 20,
                         "left_with": "Partner", "no_driving_told": True}.items():
        at.session_state[form_key(at, "dosing_discharge", field)] = value
    at = at.run()
    assert "Ready for discharge." in all_text(at)
    at = click(at, "Discharge the patient")
    assert "Discharged." in all_text(at) and "Waiting for the prescriber's signature." in all_text(at)

    at.session_state["user"] = DEMO_USERS["prescriber"]
    at = at.run()
    at.session_state[form_key(at, "dosing_sign", "password")] = PRESCRIBER_PASSWORD
    at = click(at.run(), "Sign the session")
    assert "Session signed." in all_text(at)
    assert not any(b.label == "Save the reading" for b in at.button)
    at.session_state[form_key(at, "dosing_addendum", "reason")] = "Weight misread"
    at.session_state[form_key(at, "dosing_addendum", "text")] = "Weight was 72 kg"
    at = click(at.run(), "Add the addendum")
    assert "Weight was 72 kg" in all_text(at)
    assert stored(at, "SELECT weight_kg FROM dosing_sessions WHERE id = ?", [session]) == [(70.0,)]


def test_the_integration_session_is_booked_at_discharge_once(page, approved, demo_store):
    session = started_minutes_ago(demo_store, approved, 130)
    discharged(demo_store, session, began=datetime.now() - timedelta(minutes=130))
    demo_store.close()
    at = open_session(page(PAGE, "nurse"), session)
    assert "Book the integration-therapy session" in [s.value for s in at.subheader]
    at = click(at, "Book the session")
    assert "Integration session\\: choose the day and the time" in all_text(at)
    tomorrow = datetime.now().date() + timedelta(days=1)
    at.session_state[form_key(at, "dosing_book", "day")] = tomorrow
    at.session_state[form_key(at, "dosing_book", "time")] = datetime(2026, 1, 1, 14, 30).time()
    at = click(at.run(), "Book the session")
    assert f"Integration-therapy session booked for {tomorrow:%d %b %Y}, 14:30" in all_text(at)
    assert "Book the integration-therapy session" not in [s.value for s in at.subheader]
    assert stored(at, "SELECT count(*) FROM therapy_bookings WHERE session_id = ?", [session]) == [(1,)]


def test_discharge_before_120_minutes_is_refused_with_the_reason(page, approved, demo_store):
    session = started_minutes_ago(demo_store, approved, 30)
    dosing_sessions.add_vitals(demo_store, NURSE, session, minutes_after_dose=25, **CALM)
    demo_store.close()
    at = open_session(page(PAGE, "nurse"), session)
    for field, value in {"respiratory_depression": False, "escort_present": True, "craving_after": 20,
                         "left_with": "Partner", "no_driving_told": True}.items():
        at.session_state[form_key(at, "dosing_discharge", field)] = value
    at = click(at.run(), "Discharge the patient")
    assert "Not ready for discharge\\: Monitored 30 min since dosing began" in all_text(at)
    assert stored(at, "SELECT status FROM dosing_sessions WHERE id = ?", [session]) == [("in_progress",)]


def test_a_severe_reading_becomes_an_adverse_event_on_screen(page, approved, demo_store):
    session = started_minutes_ago(demo_store, approved, 45)
    demo_store.close()
    at = open_session(page(PAGE, "nurse"), session)
    for field, value in {"minutes_after_dose": 40, **CALM, "systolic_bp": 186, "diastolic_bp": 104}.items():
        at.session_state[form_key(at, "dosing_reading", field)] = value
    at = click(at.run(), "Save the reading")
    text = all_text(at)
    assert "recorded as an adverse event; inform the prescriber now" in text
    assert at.table[1].value["Event"].tolist() == ["Severe high blood pressure"]


def test_the_board_and_the_to_sign_list_show_together(page, approved, demo_store):
    began = datetime.now() - timedelta(minutes=130)
    session = started_minutes_ago(demo_store, approved, 130)
    dosing_sessions.stop(demo_store, NURSE, session, "patient_request", delivered_mg=20,
                         now=began + timedelta(minutes=20))
    discharged(demo_store, session, began, given=None)
    other = pending_screening(demo_store, mrn="DOSE-0002", last_name="Running")
    approvals.decide(demo_store, PRESCRIBER, other.screening_id, "approved", "Suitable", PRESCRIBER_PASSWORD,
                     now=datetime.now())
    started_minutes_ago(demo_store, other.patient_id, 130)
    demo_store.close()
    at = page(PAGE, "prescriber")
    assert not at.exception
    assert "Waiting for the prescriber's signature" in [s.value for s in at.subheader]
    patients_shown = [set(df.value["Patient"]) for df in at.dataframe]
    assert any("Running, Robin" in shown for shown in patients_shown)
    assert any("Dosetest, Robin" in shown for shown in patients_shown)


def test_a_reading_without_blood_pressure_is_refused_in_words_not_a_crash(page, approved, demo_store):
    session = started_minutes_ago(demo_store, approved, 30)
    demo_store.close()
    at = open_session(page(PAGE, "nurse"), session)
    at.session_state[form_key(at, "dosing_reading", "minutes_after_dose")] = 20
    at = click(at.run(), "Save the reading")
    assert not at.exception
    assert any("Blood pressure is required for every reading" in e.value for e in at.error)
    assert at.session_state[form_key(at, "dosing_reading", "minutes_after_dose")] == 20  # kept


def test_stopping_dosing_keeps_the_patient_monitored_until_discharge(page, approved, demo_store):
    session = started_minutes_ago(demo_store, approved, 30)
    demo_store.close()
    at = open_session(page(PAGE, "nurse"), session)
    at.session_state[form_key(at, "dosing_stop", "reason")] = "adverse_event"
    at.session_state[form_key(at, "dosing_stop", "delivered_mg")] = 20.0
    at = click(at.run(), "Stop dosing")
    text = all_text(at)
    assert "Dosing stopped early: Because of an adverse event." in text
    assert "20 mg given" in text
    assert any(b.label == "Save the reading" for b in at.button)
    assert any(b.label == "Discharge the patient" for b in at.button)
    assert not any(b.label == "Stop dosing" for b in at.button)


def test_a_stop_without_the_dose_given_is_refused_naming_it_and_keeps_what_was_typed(page, approved, demo_store):
    """Issue 25.4: the dose actually given has no default at a stop; asked for, it is refused in words."""
    session = started_minutes_ago(demo_store, approved, 30)
    demo_store.close()
    at = open_session(page(PAGE, "nurse"), session)
    at.session_state[form_key(at, "dosing_stop", "reason")] = "patient_request"
    at = click(at.run(), "Stop dosing")
    assert any("Dose actually given (mg) is required" in e.value.replace("\\", "") for e in at.error)
    assert at.session_state[form_key(at, "dosing_stop", "reason")] == "patient_request"
    assert any(b.label == "Stop dosing" for b in at.button)
    assert stored(at, "SELECT stop_reason FROM session_details WHERE session_id = ?", [session]) == [(None,)]


def test_the_pre_dose_form_is_a_draft_kept_for_its_author_only_and_used_up_by_the_dose(page, approved, demo_store):
    """Chosen: a draft belongs to the account that typed it. Another nurse or the prescriber does not see it
    (they would be answering for measurements they did not take); its author gets it back after a reload."""
    demo_store.close()
    at = choose_patient(page(PAGE, "nurse"), approved)
    for field, value in {"systolic_bp": 128, "diastolic_bp": 80, "intention": "Notice cravings"}.items():
        at.session_state[gate_key(at, field)] = value
    at.run()
    assert stored(at, "SELECT kind, patient_id FROM drafts WHERE user_id = ?", [NURSE.id]) == [("dosing", approved)]

    prescriber = page(PAGE, "prescriber")
    assert not any(b.label.startswith("Resume the pre-dose form") for b in prescriber.button)

    again = page(PAGE, "nurse")  # a reload: a new session, nothing typed in it
    again = click(again, next(b.label for b in again.button if b.label.startswith("Resume the pre-dose form of "
                                                                                    "Dosetest, Robin")))
    assert again.session_state[gate_key(again, "systolic_bp")] == 128
    assert again.session_state[gate_key(again, "intention")] == "Notice cravings"
    again = check(again)
    again = give_dose(again)
    assert "Dose recorded" in all_text(again)
    assert stored(again, "SELECT count(*) FROM drafts WHERE user_id = ?", [NURSE.id]) == [(0,)]


def test_the_board_says_how_late_a_reading_is(page, approved, demo_store):
    started_minutes_ago(demo_store, approved, 40)
    demo_store.close()
    at = page(PAGE, "nurse")
    board = next(df.value for df in at.dataframe if "Next reading" in df.value.columns)
    row = board[board["Patient"] == "Dosetest, Robin"].iloc[0]
    assert row["Next reading"] in ("OVERDUE by 25 min", "OVERDUE by 26 min")  # due at minute 15


def test_a_severe_banner_says_when_its_reading_is_overdue(page, approved, demo_store):
    """Found in Chromium: a banner read "next reading at minute 45" an hour after it; only the row said OVERDUE."""
    session = started_minutes_ago(demo_store, approved, 70)
    dosing_sessions.add_vitals(demo_store, NURSE, session, minutes_after_dose=40,
                               **{**CALM, "systolic_bp": 186, "diastolic_bp": 112})
    demo_store.close()
    banner = next(e.value for e in page(PAGE, "nurse").error if "Dosetest, Robin" in e.value)
    assert "severe blood pressure **186/112** at minute 40" in banner
    assert re.search(r"next reading was due at minute 45: \*\*OVERDUE by (25|26) min\*\*", banner), banner


def test_an_ended_session_is_reopened_from_the_chart_for_an_addendum_or_a_booking(page):
    """Seen in review: once signed, a session left the Dosing page for good: no addendum a day later, and an
    integration session never booked could not be booked."""
    at = page("pages/patients.py", "prescriber")
    session, patient = stored(at, """SELECT id, patient_id FROM dosing_sessions WHERE status = 'discharged'
                                     ORDER BY started_at DESC LIMIT 1""")[0]
    at.session_state["chosen~patients"] = patient
    at = at.run()
    at = next(b for b in at.button if b.key == f"open_session_{session}").click().run()
    assert [t.value for t in at.title] == ["Dosing session"]
    assert at.session_state["chosen~dosing_session"] == session
    assert any(b.label in ("Sign the session", "Add the addendum") for b in at.button)
    therapist = page("pages/patients.py", "therapist")
    therapist.session_state["chosen~patients"] = patient
    assert not [b for b in therapist.run().button if (b.key or "").startswith("open_session_")]


def test_a_booking_s_confirmation_never_shows_on_the_next_session(page):
    """Seen in review: after booking one patient's session, opening another's unbooked session showed 'Integration-
    therapy session booked for ...' under its empty booking form."""
    at = page(PAGE, "nurse")
    (first,), (second,) = stored(at, """
        SELECT d.id FROM dosing_sessions d LEFT JOIN therapy_bookings b ON b.session_id = d.id
        WHERE d.status = 'discharged' AND b.id IS NULL ORDER BY d.started_at DESC, d.id LIMIT 2""")
    at = open_session(at, first)
    tomorrow = datetime.now().date() + timedelta(days=1)
    at.session_state[form_key(at, "dosing_book", "day")] = tomorrow
    at.session_state[form_key(at, "dosing_book", "time")] = datetime(2026, 1, 1, 14, 30).time()
    at = click(at.run(), "Book the session")
    assert [s.value for s in at.success if "booked for" in s.value]  # said where the nurse is looking
    at = open_session(at, second)
    assert "Book the integration-therapy session" in [s.value for s in at.subheader]
    assert "booked for" not in all_text(at)


def test_a_pre_dose_check_with_several_problems_names_them_all_in_one_refusal(page, approved, demo_store):
    """Issue 25.11: the pre-dose form reported one problem per click."""
    demo_store.close()
    at = choose_patient(page(PAGE, "nurse"), approved)
    at = check(at, heart_rate=400, spo2=20, fasting_confirmed=None, escort_confirmed=None)
    message = next(e.value for e in at.error if "Heart rate" in e.value).replace("\\", "")
    for words in ("Heart rate", "SpO2", "Fasting confirmed: answer yes or no", "Escort or driver confirmed"):
        assert words in message, words
    assert stored(at, "SELECT count(*) FROM gate_checks WHERE patient_id = ?", [approved]) == [(0,)]


MAIN_AT_1024 = 1024 - 300 - 2 * 24
"""The main area beside the sidebar (300 px) at 1,024 px, with the side margins of 1.5rem set below 1,400 px."""
ROW_MARKER = 40


def test_every_column_of_the_board_fits_beside_the_sidebar_at_1024_px(page, approved, demo_store):
    """Issue 25.14: the board's columns were cut at 1,280 and 1,024 px (headers 'Chair or roo', 'Minutes sinc')."""
    import json

    started_minutes_ago(demo_store, approved, 40)
    demo_store.close()
    at = page(PAGE, "nurse")
    board = next(df for df in at.dataframe if "Next reading" in df.value.columns)
    widths = {name: config.get("width") for name, config in json.loads(board.proto.columns).items()}
    widths = {name: w for name, w in widths.items() if name in board.value.columns}
    assert all(isinstance(w, int) for w in widths.values()) and len(widths) == len(board.value.columns), widths
    assert sum(widths.values()) + ROW_MARKER <= MAIN_AT_1024, widths


def test_a_new_search_lets_go_of_the_patient_chosen_before(page, approved, demo_store):
    """Chromium review: after choosing one patient and typing their systolic, a search for the next patient kept the
    first one chosen, their form and the typed 131 below a search box naming someone else."""
    other = pending_screening(demo_store, mrn="DOSE-0002", last_name="Nextpatient")
    approvals.decide(demo_store, PRESCRIBER, other.screening_id, "approved", "Suitable", PRESCRIBER_PASSWORD,
                     now=datetime.now())
    demo_store.close()
    at = choose_patient(page(PAGE, "nurse"), approved)
    at.session_state[gate_key(at, "systolic_bp")] = 131
    at = at.run()
    at.text_input(key=form_key(at, "dosing_pick", "search")).input("DOSE-0002")
    at = at.run()
    chooser = at.selectbox(key=form_key(at, "dosing_pick", "patient"))
    assert chooser.value is None and [o.split(" · ")[0] for o in chooser.options] == ["Nextpatient, Robin"]
    assert not any(b.label == "Check before dosing" for b in at.button)
