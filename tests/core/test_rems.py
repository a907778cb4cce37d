"""Issue 22.2: the Spravato REMS Patient Monitoring Form of an intranasal session, through core and its rule."""

from datetime import date, timedelta

import pytest

from core import dosing_sessions, rems
from core.access import AccessDenied, User
from core.rules import rems as rule
from core.rules.settings import DEFAULTS
from tests.core.test_dosing_sessions import CALM, GO, NURSE, PRESCRIBER, THERAPIST, approved_patient, rows
from tests.core.test_screening_and_approval import NOW

VIEWER = User(5, "viewer", "Demo Stakeholder", "viewer")
LEFT = NOW + timedelta(minutes=125)
TYPED = {"provider_first_name": "Dana", "provider_last_name": "Moss", "provider_phone": "217-555-0100",
         "provider_email": "dana.moss@example.org", "setting_name": "Synthetic Clinic",
         "setting_address": "1 Example Road", "setting_city": "Springfield", "setting_state": "IL",
         "setting_zip": "62701", "lot_number": "LOT-42A", "ready_minutes": 95, "serious_adverse_event": False}


def intranasal(con, patient_id, minutes=(40, 110, 120), at=NOW, given=56):
    """An esketamine session: gate, 56 mg, readings at `minutes`, discharged 125 minutes after the dose."""
    check = dosing_sessions.check_gate(con, NURSE, patient_id, **GO, now=at)
    session = dosing_sessions.start(con, NURSE, patient_id, check.gate_check_id, route="intranasal", weight_kg=70,
                                    dose_mg=56, intention="Notice cravings without acting on them",
                                    craving_before=60, chair="Room 2", now=at)
    for minute in minutes:
        dosing_sessions.add_vitals(con, NURSE, session, minutes_after_dose=minute,
                                   **{**CALM, "systolic_bp": 150 if minute == 40 else 130},
                                   now=at + timedelta(minutes=121))
    dosing_sessions.discharge(con, NURSE, session, craving_after=30, respiratory_depression=False,
                              escort_present=True, left_with="Partner (synthetic)", no_driving_told=True,
                              delivered_mg=given, now=at + timedelta(minutes=125))
    return session


def audit_actions(con, session):
    return [r[0] for r in rows(con, "SELECT action FROM audit_log WHERE entity = 'rems_form' AND entity_id = ? "
                                    "ORDER BY id", [session])]


@pytest.mark.parametrize(("treated", "left", "words"), [
    (date(2026, 11, 21), 7, "7 days left"), (date(2026, 11, 20), 6, "6 days left"), (date(2026, 11, 15), 1,
                                                                                       "1 day left"),
    (date(2026, 11, 14), 0, "Due today"), (date(2026, 11, 13), -1, "OVERDUE by 1 day"),
    (date(2026, 11, 1), -13, "OVERDUE by 13 days")])
def test_the_form_is_due_7_calendar_days_after_the_session(treated, left, words):
    today = date(2026, 11, 21)
    assert rule.days_left(treated, today) == left and rule.due_words(left) == words
    assert rule.due_date(treated) == treated + timedelta(days=7)
    assert rule.due_date(treated, DEFAULTS.changed(rems_form_due_days=3)) == treated + timedelta(days=3)
    assert "within 7 days" in DEFAULTS.source("rems_form_due_days")


def test_the_40_minute_reading_is_the_nearest_within_the_window():
    assert rule.reading_at_40([(30, 120, 80), (42, 140, 85), (38, 141, 86)]) == (38, 141, 86)  # nearest, earlier
    assert rule.reading_at_40([(30, 120, 80), (46, 140, 85)]) is None
    assert rule.reading_at_40([(46, 140, 85)], DEFAULTS.changed(rems_reading_window_minutes=6)) == (46, 140, 85)


def test_missing_names_every_empty_field_in_words():
    values = {f.key: "x" for f in rule.FIELDS} | {"lot_number": None, "bp_40": None}
    assert rule.missing(values) == ["Lot number", "Blood pressure 40 minutes after administration"]
    with pytest.raises(ValueError, match="Still empty: Lot number; Blood pressure 40 minutes after administration"):
        rule.check_complete(values)


def test_the_session_fills_in_what_it_holds_with_its_sources(demo_store):
    patient = approved_patient(demo_store, medications=["benzodiazepine"])
    session = intranasal(demo_store, patient)
    form = rems.form(demo_store, NURSE, session, today=NOW.date())
    values = form.values
    assert form.status == "not_started" and (form.days_left, form.due_date) == (7, date(2026, 11, 28))
    assert (values["dose_mg"], values["total_minutes"], values["bp_40"], values["bp_before"], values["bp_end"]) == \
        (56, 125, [150, 82], [128, 80], [130, 82])
    assert (values["first_treatment"], values["benzodiazepines"], values["opioids"], values["sedation"],
            values["dissociation"], values["respiratory_depression"], values["vitals_ok_before"],
            values["vitals_ok_end"]) == (True, True, False, False, False, False, True, True)
    assert values["treatment_date"] == "2026-11-21"
    assert form.prefilled["bp_40"].source == "the reading at minute 40"
    assert form.prefilled["benzodiazepines"].source == "the screening of 21 Nov 2026 (current medications)"
    assert set(form.asked) == set(TYPED)
    assert set(form.missing) == {rule.BY_KEY[k].label for k in TYPED}


def test_completion_is_refused_without_a_lot_number_naming_it_and_keeping_the_draft(demo_store):
    session = intranasal(demo_store, approved_patient(demo_store))
    draft = {**TYPED, "lot_number": ""}
    saved = rems.save(demo_store, NURSE, session, draft, now=LEFT)
    with pytest.raises(ValueError, match="Still empty: Lot number$"):
        rems.complete(demo_store, NURSE, session, {**draft, "ready_minutes": 80}, opened=saved, now=LEFT)
    form = rems.form(demo_store, NURSE, session, today=NOW.date())
    assert form.status == "draft" and form.answers["ready_minutes"] == 95 and form.answers["lot_number"] is None
    assert form.answers["setting_name"] == "Synthetic Clinic"
    assert audit_actions(demo_store, session) == ["rems_form_saved"]


def test_completion_is_refused_without_the_40_minute_pressure_which_is_then_asked(demo_store):
    session = intranasal(demo_store, approved_patient(demo_store), minutes=(20, 110, 120))
    form = rems.form(demo_store, NURSE, session, today=NOW.date())
    assert "bp_40" in form.asked
    with pytest.raises(ValueError, match="Still empty: Blood pressure 40 minutes after administration$"):
        rems.complete(demo_store, NURSE, session, TYPED, now=LEFT)
    assert rows(demo_store, "SELECT count(*) FROM rems_forms WHERE session_id = ?", [session]) == [(0,)]
    assert audit_actions(demo_store, session) == []
    rems.complete(demo_store, NURSE, session, {**TYPED, "bp_40": (146, 88)}, now=LEFT)
    assert rems.form(demo_store, NURSE, session).values["bp_40"] == [146, 88]


@pytest.mark.parametrize(("key", "value", "words"), [
    ("bp_40", (80, 90), "Blood pressure 40 minutes after administration: Diastolic"),
    ("bp_40", (146, None), "Blood pressure 40 minutes after administration: enter both"),
    ("ready_minutes", "soon", "Without the 2-hour minimum, ready to leave after"),
    ("lot_number", "x" * 201, "Lot number is too long"),
    # found in Chromium (issue 22 review): each of these was saved, completed and submitted
    ("ready_minutes", 99999, "Without the 2-hour minimum, ready to leave after"),
    ("dose_mg", 5000, "Dose administered \\(mg\\): esketamine comes in 28 mg devices"),
    ("dose_mg", 12, "Dose administered \\(mg\\): esketamine comes in 28 mg devices"),
    ("provider_phone", "call me maybe", "Monitoring provider's telephone: type a telephone number"),
    ("provider_phone", "555-0100", "Monitoring provider's telephone: type a telephone number of at least 10"),
    ("provider_email", "not-an-email", "Monitoring provider's email: type an email address"),
    ("setting_state", "Narnia", "Healthcare setting's state: type the state's two-letter code"),
    ("setting_zip", "ABCDE", "Healthcare setting's ZIP code: type five digits"),
])
def test_a_bad_answer_is_refused_naming_the_field_and_nothing_is_stored(demo_store, key, value, words):
    session = intranasal(demo_store, approved_patient(demo_store), minutes=(20, 110, 120))
    with pytest.raises(ValueError, match=words):
        rems.save(demo_store, NURSE, session, {**TYPED, key: value}, now=LEFT)
    assert rows(demo_store, "SELECT count(*) FROM rems_forms WHERE session_id = ?", [session]) == [(0,)]


def test_a_real_dose_phone_state_and_zip_are_kept_as_typed(demo_store):
    session = intranasal(demo_store, approved_patient(demo_store), minutes=(20, 110, 120))
    rems.save(demo_store, NURSE, session, {**TYPED, "provider_phone": "+1 (217) 555-0100", "setting_state": "il",
                                           "setting_zip": "62701-1234"}, now=LEFT)
    answers = rems.form(demo_store, NURSE, session, today=LEFT.date()).answers
    assert (answers["provider_phone"], answers["setting_state"], answers["setting_zip"]) == (
        "+1 (217) 555-0100", "IL", "62701-1234")


def test_a_save_over_answers_saved_since_the_form_was_opened_is_refused_naming_who(demo_store):
    """Chromium review: a nurse and a prescriber on one form; the prescriber's later save silently replaced the
    nurse's answers (her telephone was lost) while her screen still showed them as saved."""
    session = intranasal(demo_store, approved_patient(demo_store))
    opened = rems.form(demo_store, NURSE, session, today=LEFT.date()).saved_at
    nurse_saved = rems.save(demo_store, NURSE, session, {**TYPED, "lot_number": "NURSE-LOT"}, opened=opened,
                            now=LEFT)
    with pytest.raises(rems.SavedMeanwhile, match="Demo Nurse saved this form at .*nothing of yours was saved"):
        rems.save(demo_store, PRESCRIBER, session, {"lot_number": "PRESC-LOT"}, opened=opened,
                  now=LEFT + timedelta(minutes=1))
    with pytest.raises(rems.SavedMeanwhile):
        rems.complete(demo_store, PRESCRIBER, session, TYPED, opened=opened, now=LEFT + timedelta(minutes=1))
    form = rems.form(demo_store, NURSE, session, today=LEFT.date())
    assert form.answers["lot_number"] == "NURSE-LOT" and form.answers["provider_phone"] == TYPED["provider_phone"]
    assert form.saved_at == nurse_saved and audit_actions(demo_store, session) == ["rems_form_saved"]
    rems.save(demo_store, PRESCRIBER, session, {**TYPED, "lot_number": "PRESC-LOT"}, opened=form.saved_at,
              now=LEFT + timedelta(minutes=2))
    assert rems.form(demo_store, NURSE, session, today=LEFT.date()).answers["lot_number"] == "PRESC-LOT"


def test_complete_then_submitted_records_who_and_when_each_audited(demo_store):
    session = intranasal(demo_store, approved_patient(demo_store))
    with pytest.raises(ValueError, match="Mark the form complete first"):
        rems.submit(demo_store, NURSE, session, now=LEFT)
    saved = rems.save(demo_store, NURSE, session, {"lot_number": "LOT-1"}, now=LEFT)
    rems.complete(demo_store, NURSE, session, TYPED, opened=saved, now=LEFT + timedelta(minutes=5))
    with pytest.raises(ValueError, match="already marked complete by Demo Nurse"):
        rems.save(demo_store, PRESCRIBER, session, TYPED, now=LEFT + timedelta(minutes=6))
    rems.submit(demo_store, PRESCRIBER, session, now=LEFT + timedelta(days=1))
    form = rems.form(demo_store, NURSE, session, today=NOW.date())
    assert (form.status, form.submitted_by, form.submitted_at, form.completed_by) == (
        "submitted", "Dr Demo Prescriber", LEFT + timedelta(days=1), "Demo Nurse")
    assert form.values["lot_number"] == "LOT-42A" and not form.missing
    with pytest.raises(ValueError, match="Already marked submitted by Dr Demo Prescriber"):
        rems.submit(demo_store, NURSE, session, now=LEFT + timedelta(days=2))
    assert audit_actions(demo_store, session) == ["rems_form_saved", "rems_form_completed", "rems_form_submitted"]
    details = rows(demo_store, "SELECT actor_id, detail FROM audit_log WHERE entity = 'rems_form' AND action = "
                               "'rems_form_submitted'")
    assert details[0][0] == PRESCRIBER.id and f'"session_id": {session}' in details[0][1]


def test_the_list_shows_forms_due_until_submitted_and_only_intranasal_sessions(demo_store):
    patient = approved_patient(demo_store)
    session = intranasal(demo_store, patient)
    listed = rems.due_forms(demo_store, NURSE, page=10**6, today=NOW.date() + timedelta(days=8))
    due = listed.rows  # the last page: the newest sessions, this one among them
    mine = due[due["session_id"] == session].iloc[0]
    assert (mine["days_left"], mine["due"], mine["status"]) == (-1, "OVERDUE by 1 day", "not_started")
    assert set(rows(demo_store, "SELECT route FROM dosing_sessions WHERE id IN (SELECT unnest(?))",
                    [list(due["session_id"].astype(int))])) == {("intranasal",)}
    assert list(due["due_date"]) == sorted(due["due_date"]) and len(due) <= rems.DUE_PAGE_SIZE
    first = rems.due_forms(demo_store, NURSE, today=NOW.date() + timedelta(days=8)).rows
    assert first["days_left"].iloc[0] == first["days_left"].min() < 0  # the longest overdue at the top
    treated = rows(demo_store, "SELECT CAST(started_at AS DATE) FROM dosing_sessions WHERE route = 'intranasal' "
                               "AND status <> 'in_progress'")
    assert listed.overdue == sum(rule.days_left(t, NOW.date() + timedelta(days=8)) < 0 for (t,) in treated)
    rems.complete(demo_store, NURSE, session, TYPED, now=LEFT)
    rems.submit(demo_store, NURSE, session, now=LEFT)
    assert session not in set(rems.due_forms(demo_store, NURSE, page=10**6, today=NOW.date()).rows["session_id"])


def test_an_iv_session_or_one_in_progress_has_no_form(demo_store):
    (iv,) = rows(demo_store, "SELECT id FROM dosing_sessions WHERE route = 'iv' AND status = 'discharged' LIMIT 1")[0]
    with pytest.raises(ValueError, match="intranasal"):
        rems.form(demo_store, NURSE, iv)
    with pytest.raises(ValueError, match="intranasal"):
        rems.submit(demo_store, NURSE, iv)


@pytest.mark.parametrize("who", [VIEWER, THERAPIST, User(1, "admin", "Demo Administrator", "admin")])
def test_only_nurses_and_prescribers_reach_the_form(demo_store, who):
    session = intranasal(demo_store, approved_patient(demo_store))
    for call in (lambda: rems.due_forms(demo_store, who), lambda: rems.form(demo_store, who, session),
                 lambda: rems.save(demo_store, who, session, TYPED), lambda: rems.complete(demo_store, who, session,
                                                                                           TYPED),
                 lambda: rems.submit(demo_store, who, session), lambda: rems.record_view(demo_store, who, session)):
        with pytest.raises(AccessDenied):
            call()
    assert rows(demo_store, "SELECT count(*) FROM rems_forms") == [(0,)]


def test_opening_a_form_is_an_audited_read_of_the_patient(demo_store):
    patient = approved_patient(demo_store)
    session = intranasal(demo_store, patient)
    rems.record_view(demo_store, NURSE, session)
    assert rows(demo_store, "SELECT entity, entity_id, detail FROM audit_log WHERE action = 'rems_form_viewed'") == [
        ("patient", patient, f'{{"session_id": {session}}}')]


def test_a_new_form_offers_the_clinic_details_of_the_last_one_saved(demo_store):
    first = intranasal(demo_store, approved_patient(demo_store))
    rems.save(demo_store, NURSE, first, TYPED, now=LEFT)
    second = intranasal(demo_store, approved_patient(demo_store, first_name="Sasha", mrn="NEW-0002"))
    offered = rems.form(demo_store, NURSE, second).answers
    assert offered == {k: TYPED[k] for k in rems.SETTING_FIELDS}
