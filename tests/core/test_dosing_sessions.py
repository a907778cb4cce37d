"""A dosing session through core: gate, dose, readings, adverse events, discharge, signature, addenda."""

from datetime import timedelta

import pytest

from core import approvals, dosing_sessions
from core.access import AccessDenied, User
from core.dosing_sessions import Override
from tests.core.test_screening_and_approval import NOW, NURSE, PRESCRIBER, PRESCRIBER_PASSWORD, pending_screening

THERAPIST = User(4, "therapist", "Demo Therapist", "therapist")
GO = {"systolic_bp": 128, "diastolic_bp": 80, "heart_rate": 72, "spo2": 98, "hours_since_last_use": 48,
      "fasting_confirmed": True, "escort_confirmed": True}
CALM = {"systolic_bp": 130, "diastolic_bp": 82, "heart_rate": 74, "spo2": 98, "respiratory_rate": 14,
        "moaa_s": 5, "dissociation": "none"}


def approved_patient(con, **changes) -> int:
    saved = pending_screening(con, **changes)
    approvals.decide(con, PRESCRIBER, saved.screening_id, "approved", "Suitable", PRESCRIBER_PASSWORD, now=NOW)
    return saved.patient_id


def rows(con, sql, params=()):
    return con.execute(sql, list(params)).fetchall()


def started(con, patient_id, at=NOW, **gate):
    check = dosing_sessions.check_gate(con, NURSE, patient_id, **{**GO, **gate}, now=at)
    session_id = dosing_sessions.start(con, NURSE, patient_id, check.gate_check_id, route="iv", weight_kg=70,
                                       dose_mg=35, intention="Notice cravings without acting on them",
                                       craving_before=60, chair="Room 2", now=at)
    return session_id


def discharged(con, session, began=NOW, given=35):
    """Two settled readings, then discharge just after the two hours; `given` is None after a stop, which recorded
    the dose given."""
    for minute, systolic in ((110, 134), (120, 130)):
        dosing_sessions.add_vitals(con, NURSE, session, minutes_after_dose=minute, **{**CALM, "systolic_bp": systolic},
                                   now=began + timedelta(minutes=121))
    dosing_sessions.discharge(con, NURSE, session, craving_after=30, respiratory_depression=False,
                              escort_present=True, left_with="Partner (synthetic)", no_driving_told=True,
                              delivered_mg=given,
                              now=began + timedelta(minutes=125))


def test_a_full_session_is_stored_with_its_readings_events_signature_and_audit(demo_store):
    patient = approved_patient(demo_store)
    assert dosing_sessions.dosable(demo_store, NURSE, patient, now=NOW).session_number == 1
    session = started(demo_store, patient)
    for minute, reading in ((15, CALM), (30, CALM), (40, {**CALM, "systolic_bp": 184, "diastolic_bp": 104}),
                            (60, CALM), (90, CALM), (120, {**CALM, "systolic_bp": 126})):
        result = dosing_sessions.add_vitals(demo_store, NURSE, session, minutes_after_dose=minute, **reading,
                                            now=NOW + timedelta(minutes=121))
    assert result.adverse_events == ()
    dosing_sessions.add_adverse_event(demo_store, NURSE, session, code="nausea_vomiting", severity="mild",
                                      action_taken="Ondansetron per protocol", now=NOW + timedelta(minutes=50))
    dosing_sessions.discharge(demo_store, NURSE, session, craving_after=30, respiratory_depression=False,
                              escort_present=True, left_with="Partner (synthetic)", no_driving_told=True,
                              delivered_mg=35, now=NOW + timedelta(minutes=125))
    dosing_sessions.sign(demo_store, PRESCRIBER, session, PRESCRIBER_PASSWORD, now=NOW + timedelta(minutes=130))

    assert rows(demo_store, "SELECT status, craving_before, craving_after, mg_per_kg FROM dosing_sessions WHERE id = ?",
                [session]) == [("discharged", 60, 30, 0.5)]
    assert rows(demo_store, "SELECT count(*) FROM session_vitals WHERE session_id = ?", [session]) == [(7,)]
    events = rows(demo_store, """SELECT e.code, d.severity FROM adverse_events e
                                 JOIN adverse_event_details d ON d.adverse_event_id = e.id
                                 WHERE e.session_id = ? ORDER BY e.id""", [session])
    assert events == [("severe_hypertension", "severe"), ("nausea_vomiting", "mild")]
    assert rows(demo_store, "SELECT chair, left_with, no_driving_told, signed_by IS NOT NULL FROM session_details "
                            "WHERE session_id = ?", [session]) == [("Room 2", "Partner (synthetic)", True, True)]
    actions = [r[0] for r in rows(demo_store, "SELECT action FROM audit_log WHERE id > (SELECT max(id) FROM audit_log "
                                              "WHERE action = 'screening_approved') ORDER BY id")]
    assert actions[:2] == ["gate_checked", "session_started"]
    assert actions.count("vitals_recorded") == 6 and actions.count("adverse_event_recorded") == 2
    assert actions[-2:] == ["session_discharged", "session_signed"]


@pytest.mark.parametrize(("gate", "code", "status"), [
    ({"systolic_bp": 141}, "bp_elevated", "hold"), ({"diastolic_bp": 91}, "bp_elevated", "hold"),
    ({"systolic_bp": 180}, "bp_severe", "refused"), ({"diastolic_bp": 110, "systolic_bp": 150}, "bp_severe", "refused"),
    ({"spo2": 91}, "low_spo2", "hold"), ({"heart_rate": 49}, "heart_rate", "hold"),
    ({"heart_rate": 111}, "heart_rate", "hold"), ({"hours_since_last_use": 23.9}, "recent_use", "hold"),
    ({"fasting_confirmed": False}, "not_fasting", "hold"), ({"escort_confirmed": False}, "no_escort", "refused"),
])
def test_each_gate_reason_holds_or_refuses_and_every_check_is_stored(demo_store, gate, code, status):
    patient = approved_patient(demo_store)
    check = dosing_sessions.check_gate(demo_store, NURSE, patient, **{**GO, **gate}, now=NOW)
    assert check.result.status == status and [r.code for r in check.result.reasons] == [code]
    assert rows(demo_store, "SELECT status FROM gate_checks WHERE id = ?", [check.gate_check_id]) == [(status,)]


def test_a_hold_needs_a_prescriber_and_a_reason(demo_store):
    patient = approved_patient(demo_store)
    hold = dosing_sessions.check_gate(demo_store, NURSE, patient, **{**GO, "systolic_bp": 150}, now=NOW)
    dose = {"route": "iv", "weight_kg": 70, "dose_mg": 35, "intention": "Stay present", "craving_before": 50,
            "now": NOW}
    with pytest.raises(ValueError, match="override with a written reason is needed for the pre-dose hold"):
        dosing_sessions.start(demo_store, NURSE, patient, hold.gate_check_id, **dose)
    with pytest.raises(ValueError, match="Only a prescriber can override"):
        dosing_sessions.start(demo_store, NURSE, patient, hold.gate_check_id, override=Override("BP settles"), **dose)
    with pytest.raises(ValueError, match="co-signature: the username or password is not right"):
        dosing_sessions.start(demo_store, NURSE, patient, hold.gate_check_id,
                              override=Override("BP settles", "prescriber", "wrong"), **dose)
    with pytest.raises(ValueError, match="co-signature: the username or password is not right"):
        dosing_sessions.start(demo_store, NURSE, patient, hold.gate_check_id,
                              override=Override("BP settles", "nurse", "demo-nurse-2026"), **dose)
    with pytest.raises(ValueError, match="written reason"):
        dosing_sessions.start(demo_store, PRESCRIBER, patient, hold.gate_check_id, override=Override("  "), **dose)
    with pytest.raises(ValueError, match="say why in a sentence"):
        dosing_sessions.start(demo_store, PRESCRIBER, patient, hold.gate_check_id, override=Override("x"), **dose)
    assert rows(demo_store, "SELECT count(*) FROM dosing_sessions WHERE patient_id = ?", [patient]) == [(0,)]
    session = dosing_sessions.start(demo_store, NURSE, patient, hold.gate_check_id,
                                    override=Override("Repeat BP 138/88 after rest", "prescriber",
                                                      PRESCRIBER_PASSWORD), **dose)
    assert rows(demo_store, "SELECT d.prescriber_id, d.override_reason, s.override_by FROM dosing_sessions d "
                            "JOIN session_details s ON s.session_id = d.id WHERE d.id = ?", [session]) == [
        (PRESCRIBER.id, "Repeat BP 138/88 after rest", PRESCRIBER.id)]


def test_a_refused_gate_cannot_be_overridden(demo_store):
    patient = approved_patient(demo_store)
    refused = dosing_sessions.check_gate(demo_store, PRESCRIBER, patient, **{**GO, "escort_confirmed": False}, now=NOW)
    with pytest.raises(ValueError, match="a refusal cannot be overridden"):
        dosing_sessions.start(demo_store, PRESCRIBER, patient, refused.gate_check_id, route="iv", weight_kg=70,
                              dose_mg=35, intention="x", craving_before=50, override=Override("I accept"), now=NOW)


def test_an_unapproved_patient_cannot_be_dosed(demo_store):
    waiting = pending_screening(demo_store).patient_id
    with pytest.raises(ValueError, match="is not approved for treatment"):
        dosing_sessions.check_gate(demo_store, NURSE, waiting, **GO, now=NOW)
    assert rows(demo_store, "SELECT count(*) FROM gate_checks WHERE patient_id = ?", [waiting]) == [(0,)]


def test_discharge_is_impossible_before_120_minutes(demo_store):
    patient = approved_patient(demo_store)
    session = started(demo_store, patient)
    dosing_sessions.add_vitals(demo_store, NURSE, session, minutes_after_dose=110, **CALM,
                               now=NOW + timedelta(minutes=119))
    with pytest.raises(ValueError, match="Not ready for discharge: Monitored 119 min"):
        dosing_sessions.discharge(demo_store, NURSE, session, craving_after=20, respiratory_depression=False,
                                  escort_present=True, left_with="Friend", no_driving_told=True,
                                  delivered_mg=35, now=NOW + timedelta(minutes=119))
    assert rows(demo_store, "SELECT status FROM dosing_sessions WHERE id = ?", [session]) == [("in_progress",)]


def test_a_second_session_within_48_hours_is_held(demo_store):
    patient = approved_patient(demo_store)
    session = started(demo_store, patient)
    dosing_sessions.stop(demo_store, NURSE, session, "patient_request", delivered_mg=20,
                         now=NOW + timedelta(minutes=20))
    discharged(demo_store, session, given=None)
    assert dosing_sessions.dosable(demo_store, NURSE, patient, now=NOW + timedelta(hours=30)).session_number == 2
    check = dosing_sessions.check_gate(demo_store, NURSE, patient, **GO, now=NOW + timedelta(hours=47))
    # the session was stopped early, so it also holds for a prescriber's review (issue 25.3)
    assert check.result.status == "hold" and [r.code for r in check.result.reasons] == ["too_soon",
                                                                                        "last_session_review"]


def test_a_signed_session_is_read_only_and_corrected_by_an_addendum(demo_store):
    patient = approved_patient(demo_store)
    session = started(demo_store, patient)
    with pytest.raises(ValueError, match="still in progress"):
        dosing_sessions.sign(demo_store, PRESCRIBER, session, PRESCRIBER_PASSWORD, now=NOW)
    with pytest.raises(ValueError, match="add to a signed session|added to a signed session"):
        dosing_sessions.add_addendum(demo_store, NURSE, session, "typo", "weight 70 kg", now=NOW)
    dosing_sessions.stop(demo_store, NURSE, session, "adverse_event", "Vomiting", delivered_mg=20,
                         now=NOW + timedelta(minutes=25))
    with pytest.raises(ValueError, match="still in progress"):  # stopped dosing: still monitored until discharge
        dosing_sessions.sign(demo_store, PRESCRIBER, session, PRESCRIBER_PASSWORD, now=NOW + timedelta(minutes=30))
    with pytest.raises(ValueError, match="already stopped"):
        dosing_sessions.stop(demo_store, NURSE, session, "patient_request", delivered_mg=20,
                             now=NOW + timedelta(minutes=31))
    discharged(demo_store, session, given=None)
    assert rows(demo_store, "SELECT status FROM dosing_sessions WHERE id = ?", [session]) == [("stopped",)]
    dosing_sessions.sign(demo_store, PRESCRIBER, session, PRESCRIBER_PASSWORD, now=NOW + timedelta(minutes=130))
    with pytest.raises(ValueError, match="has ended"):
        dosing_sessions.add_vitals(demo_store, NURSE, session, minutes_after_dose=20, **CALM,
                                   now=NOW + timedelta(minutes=140))
    with pytest.raises(ValueError, match="already signed"):
        dosing_sessions.sign(demo_store, PRESCRIBER, session, PRESCRIBER_PASSWORD, now=NOW + timedelta(minutes=140))
    dosing_sessions.add_addendum(demo_store, NURSE, session, "Weight misread", "Weight was 72 kg",
                                 now=NOW + timedelta(minutes=145))
    assert rows(demo_store, "SELECT reason, text FROM session_addenda WHERE session_id = ?", [session]) == [
        ("Weight misread", "Weight was 72 kg")]
    assert rows(demo_store, "SELECT weight_kg FROM dosing_sessions WHERE id = ?", [session]) == [(70.0,)]


@pytest.mark.parametrize(("reading", "message"), [
    ({"systolic_bp": 20}, "Systolic blood pressure"), ({"spo2": 130}, "SpO2"),
    ({"systolic_bp": 120, "diastolic_bp": 130}, "must be lower than the systolic"),
    ({"minutes_after_dose": 90}, "minute 90 has not come yet"), ({"minutes_after_dose": 15}, "already recorded"),
    ({"moaa_s": 6}, "Sedation"), ({"dissociation": "a lot"}, "Dissociation"),
    ({"systolic_bp": None, "diastolic_bp": None}, "Blood pressure is required"),
    ({"minutes_after_dose": None}, "Minutes after the dose is required"),
])
def test_bad_readings_are_refused_with_the_field_named_and_nothing_stored(demo_store, reading, message):
    patient = approved_patient(demo_store)
    session = started(demo_store, patient)
    dosing_sessions.add_vitals(demo_store, NURSE, session, minutes_after_dose=15, **CALM,
                               now=NOW + timedelta(minutes=16))
    before = rows(demo_store, "SELECT count(*) FROM session_vitals")
    with pytest.raises(ValueError, match=message):
        dosing_sessions.add_vitals(demo_store, NURSE, session, **{"minutes_after_dose": 30, **CALM, **reading},
                                   now=NOW + timedelta(minutes=31))
    assert rows(demo_store, "SELECT count(*) FROM session_vitals") == before


@pytest.mark.parametrize(("dose", "message"), [
    ({"weight_kg": 400}, "Weight"), ({"weight_kg": 22}, "Weight"), ({"dose_mg": 0}, "Dose"),
    ({"dose_mg": 71}, "Dose: "), ({"route": "intranasal", "dose_mg": 60}, "override"),
    ({"intention": " "}, "Intention set with the patient is required"), ({"craving_before": 101}, "Craving"),
])
def test_bad_doses_are_refused_and_nothing_is_stored(demo_store, dose, message):
    patient = approved_patient(demo_store)
    check = dosing_sessions.check_gate(demo_store, NURSE, patient, **GO, now=NOW)
    given = {"route": "iv", "weight_kg": 70, "dose_mg": 35, "intention": "Stay present", "craving_before": 50,
             **dose}
    with pytest.raises(ValueError, match=message):
        dosing_sessions.start(demo_store, NURSE, patient, check.gate_check_id, **given, now=NOW)
    assert rows(demo_store, "SELECT count(*) FROM dosing_sessions WHERE patient_id = ?", [patient]) == [(0,)]


def test_a_gate_check_older_than_an_hour_or_of_another_patient_does_not_start_a_session(demo_store):
    patient, other = approved_patient(demo_store), approved_patient(demo_store, mrn="NEW-0002", last_name="Other")
    check = dosing_sessions.check_gate(demo_store, NURSE, patient, **GO, now=NOW)
    dose = {"route": "iv", "weight_kg": 70, "dose_mg": 35, "intention": "Stay present", "craving_before": 50}
    with pytest.raises(ValueError, match="not this patient's"):
        dosing_sessions.start(demo_store, NURSE, other, check.gate_check_id, **dose, now=NOW)
    with pytest.raises(ValueError, match="more than an hour old"):
        dosing_sessions.start(demo_store, NURSE, patient, check.gate_check_id, **dose, now=NOW + timedelta(minutes=61))


def test_the_board_shows_sessions_in_progress_and_not_after_discharge(demo_store):
    patient = approved_patient(demo_store)
    session = started(demo_store, patient)
    dosing_sessions.add_vitals(demo_store, NURSE, session, minutes_after_dose=15, **CALM,
                               now=NOW + timedelta(minutes=16))
    board = dosing_sessions.board(demo_store, NURSE, now=NOW + timedelta(minutes=20))
    row = board.rows.set_index("session_id").loc[session]
    assert (row["chair"], row["minutes_since_dose"], row["systolic_bp"], row["last_reading_minute"]) == (
        "Room 2", 20, 130, 15)
    dosing_sessions.stop(demo_store, NURSE, session, "dose_interrupted", delivered_mg=20,
                         now=NOW + timedelta(minutes=25))
    assert session in set(dosing_sessions.board(demo_store, NURSE).rows["session_id"])  # still watched
    discharged(demo_store, session, given=None)
    assert session not in set(dosing_sessions.board(demo_store, NURSE).rows["session_id"])


def test_only_nurses_and_prescribers_record_sessions(demo_store):
    patient = approved_patient(demo_store)
    with pytest.raises(AccessDenied):
        dosing_sessions.check_gate(demo_store, THERAPIST, patient, **GO, now=NOW)
    with pytest.raises(AccessDenied):
        dosing_sessions.board(demo_store, THERAPIST)


def test_the_record_reads_back_what_was_entered_and_ready_patients_exclude_one_in_progress(demo_store):
    patient = approved_patient(demo_store)
    assert patient in set(dosing_sessions.ready_patients(demo_store, NURSE, "O'Testcase").rows["patient_id"])
    session = started(demo_store, patient)
    assert patient not in set(dosing_sessions.ready_patients(demo_store, NURSE, "O'Testcase").rows["patient_id"])
    dosing_sessions.add_vitals(demo_store, NURSE, session, minutes_after_dose=15, **CALM,
                               now=NOW + timedelta(minutes=16))
    record = dosing_sessions.record(demo_store, NURSE, session)
    assert (record.patient, record.route, record.mg_per_kg, record.chair, record.status) == (
        "O'Testcase, Robin", "iv", 0.5, "Room 2", "in_progress")
    assert list(record.readings["phase"]) == ["pre", "during"] and record.events.empty


def test_ended_unsigned_sessions_wait_for_the_prescriber(demo_store):
    patient = approved_patient(demo_store)
    session = started(demo_store, patient)
    assert session not in set(dosing_sessions.awaiting_signature(demo_store, PRESCRIBER)["session_id"])
    dosing_sessions.stop(demo_store, NURSE, session, "patient_request", delivered_mg=20,
                         now=NOW + timedelta(minutes=10))
    assert session not in set(dosing_sessions.awaiting_signature(demo_store, PRESCRIBER)["session_id"])
    discharged(demo_store, session, given=None)
    assert session in set(dosing_sessions.awaiting_signature(demo_store, PRESCRIBER)["session_id"])
    dosing_sessions.sign(demo_store, PRESCRIBER, session, PRESCRIBER_PASSWORD, now=NOW + timedelta(minutes=130))
    assert session not in set(dosing_sessions.awaiting_signature(demo_store, PRESCRIBER)["session_id"])


def test_a_refusal_earlier_today_is_remembered_after_a_later_go(demo_store):
    patient = approved_patient(demo_store)
    dosing_sessions.check_gate(demo_store, NURSE, patient, **{**GO, "escort_confirmed": False}, now=NOW)
    dosing_sessions.check_gate(demo_store, NURSE, patient, **GO, now=NOW + timedelta(minutes=5))
    assert dosing_sessions.dosable(demo_store, NURSE, patient, now=NOW + timedelta(minutes=6)).refused_today == NOW
    assert dosing_sessions.dosable(demo_store, NURSE, patient, now=NOW + timedelta(days=1)).refused_today is None


def test_a_second_dose_for_a_patient_in_a_session_is_refused_naming_who_dosed_and_when(demo_store):
    """Issue 25.9: the second nurse is told who dosed the patient and at what time, and which session it is."""
    patient = approved_patient(demo_store)
    session = started(demo_store, patient)
    with pytest.raises(dosing_sessions.AlreadyDosed,
                       match=f"already has a dosing session in progress: dosed at {NOW:%H:%M} by Demo Nurse") as e:
        dosing_sessions.check_gate(demo_store, NURSE, patient, **GO, now=NOW + timedelta(minutes=5))
    assert e.value.session_id == session
