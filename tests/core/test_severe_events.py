"""Issue 25 items 2 and 3 through core: a severe reading tightens the board's schedule and waits on the prescriber's
Home until acknowledged; a session stopped early or with a severe adverse event holds the next dose until a
prescriber records a review. Both are prescriber actions, refused to a nurse in core, each with its audit row."""

from datetime import timedelta

import pandas as pd
import pytest

from core import dosing_sessions, severe_events
from core.access import AccessDenied
from core.dosing_sessions import Override
from core.rules import dosing
from tests.core.test_dosing_sessions import CALM, approved_patient, discharged, rows, started
from tests.core.test_screening_and_approval import NOW, NURSE, PRESCRIBER

SEVERE = {**CALM, "systolic_bp": 186, "diastolic_bp": 112}
NEXT_DAY = NOW + timedelta(hours=51)
"""Past the 48 hours from a discharge at about two hours after the dose."""


def severe_at_32(con):
    patient = approved_patient(con)
    session = started(con, patient)
    dosing_sessions.add_vitals(con, NURSE, session, minutes_after_dose=32, **SEVERE, now=NOW + timedelta(minutes=32))
    return patient, session


def board_row(con, session, minutes):
    board = dosing_sessions.board(con, NURSE, now=NOW + timedelta(minutes=minutes))
    row = board.rows.set_index("session_id").loc[session]
    assert (session in set(board.severe["session_id"])) == (not pd.isna(row["severe_minute"]))
    return row


def audit_actions(con, action):
    return rows(con, "SELECT actor_id, entity, entity_id, detail FROM audit_log WHERE action = ? ORDER BY id",
                [action])


# Item 2: the board, the clock and the prescriber's Home.

def test_the_board_shows_the_severe_reading_and_the_next_reading_due_in_five_minutes(demo_store):
    _, session = severe_at_32(demo_store)
    row = board_row(demo_store, session, 33)
    assert (row.next_reading_minute, bool(row.next_reading_overdue)) == (37, False)
    assert (row.severe_systolic_bp, row.severe_diastolic_bp, row.severe_minute) == (186, 112, 32)
    assert bool(board_row(demo_store, session, 38).next_reading_overdue)


def test_the_board_returns_to_every_15_minutes_once_the_pressure_is_below_the_discharge_limit(demo_store):
    _, session = severe_at_32(demo_store)
    dosing_sessions.add_vitals(demo_store, NURSE, session, minutes_after_dose=37,
                               **{**CALM, "systolic_bp": 165, "diastolic_bp": 95}, now=NOW + timedelta(minutes=37))
    assert board_row(demo_store, session, 38).next_reading_minute == 42
    dosing_sessions.add_vitals(demo_store, NURSE, session, minutes_after_dose=42, **CALM,
                               now=NOW + timedelta(minutes=42))
    row = board_row(demo_store, session, 43)
    assert row.next_reading_minute == 57 and pd.isna(row.severe_minute)


def test_the_session_clock_follows_the_same_schedule(demo_store):
    _, session = severe_at_32(demo_store)
    record = dosing_sessions.record(demo_store, NURSE, session)
    due = dosing_sessions.next_reading(record, NOW + timedelta(minutes=33))
    assert due == dosing.NextReading(37, False, dosing.Taken(32, 186, 112))


def test_a_severe_reading_waits_on_the_prescribers_list_until_acknowledged(demo_store):
    patient, session = severe_at_32(demo_store)
    dosing_sessions.add_adverse_event(demo_store, NURSE, session, code="headache", severity="mild",
                                      action_taken="Water and rest", now=NOW + timedelta(minutes=34))
    waiting = severe_events.open_events(demo_store, PRESCRIBER)
    (event,) = waiting[waiting["session_id"] == session].itertuples()
    assert (event.patient_id, event.code, event.description) == (
        patient, "severe_hypertension", "BP 186/112 at minute 32")
    assert event.session_in_progress

    severe_events.acknowledge(demo_store, PRESCRIBER, event.event_id, now=NOW + timedelta(minutes=35))
    assert session not in set(severe_events.open_events(demo_store, PRESCRIBER)["session_id"])
    assert rows(demo_store, "SELECT acknowledged_by, acknowledged_at FROM adverse_event_acknowledgements "
                            "WHERE adverse_event_id = ?", [event.event_id]) == [(PRESCRIBER.id,
                                                                                NOW + timedelta(minutes=35))]
    (audit,) = audit_actions(demo_store, "severe_event_acknowledged")
    assert audit[:3] == (PRESCRIBER.id, "adverse_event", event.event_id) and f'"patient_id": {patient}' in audit[3]


def test_a_severe_event_recorded_by_hand_is_listed_too(demo_store):
    patient = approved_patient(demo_store)
    session = started(demo_store, patient)
    dosing_sessions.add_adverse_event(demo_store, NURSE, session, code="respiratory_depression", severity="severe",
                                      action_taken="Jaw thrust, oxygen", now=NOW + timedelta(minutes=20))
    waiting = severe_events.open_events(demo_store, PRESCRIBER)
    assert list(waiting[waiting["session_id"] == session]["code"]) == ["respiratory_depression"]


def test_a_nurse_can_neither_list_nor_acknowledge_and_nothing_is_written(demo_store):
    _, session = severe_at_32(demo_store)
    waiting = severe_events.open_events(demo_store, PRESCRIBER)
    event_id = int(waiting[waiting["session_id"] == session]["event_id"].iloc[0])
    with pytest.raises(AccessDenied):
        severe_events.open_events(demo_store, NURSE)
    with pytest.raises(AccessDenied):
        severe_events.acknowledge(demo_store, NURSE, event_id)
    assert rows(demo_store, "SELECT count(*) FROM adverse_event_acknowledgements") == [(0,)]
    assert audit_actions(demo_store, "severe_event_acknowledged") == []


def test_an_event_is_acknowledged_once_and_only_a_severe_one(demo_store):
    _, session = severe_at_32(demo_store)
    dosing_sessions.add_adverse_event(demo_store, NURSE, session, code="headache", severity="moderate",
                                      action_taken="Paracetamol", now=NOW + timedelta(minutes=34))
    (severe_id,) = rows(demo_store, "SELECT id FROM adverse_events WHERE session_id = ? AND code = "
                                    "'severe_hypertension'", [session])[0]
    (mild_id,) = rows(demo_store, "SELECT id FROM adverse_events WHERE session_id = ? AND code = 'headache'",
                      [session])[0]
    severe_events.acknowledge(demo_store, PRESCRIBER, severe_id, now=NOW + timedelta(minutes=35))
    with pytest.raises(ValueError, match="already acknowledged by Dr Demo Prescriber"):
        severe_events.acknowledge(demo_store, PRESCRIBER, severe_id, now=NOW + timedelta(minutes=36))
    with pytest.raises(ValueError, match="not a severe adverse event"):
        severe_events.acknowledge(demo_store, PRESCRIBER, mild_id)
    with pytest.raises(ValueError, match="not found"):
        severe_events.acknowledge(demo_store, PRESCRIBER, 10**9)
    assert len(audit_actions(demo_store, "severe_event_acknowledged")) == 1


# Item 3: the next dose knows how the last one ended.

def gate(con, patient, at=NEXT_DAY, **changes):
    return dosing_sessions.check_gate(con, NURSE, patient, **{**GO_NEXT, **changes}, now=at)


GO_NEXT = {"systolic_bp": 128, "diastolic_bp": 80, "heart_rate": 72, "spo2": 98, "hours_since_last_use": 48,
           "fasting_confirmed": True, "escort_confirmed": True}


def dose(con, patient, check, user=NURSE, override=None, at=NEXT_DAY):
    return dosing_sessions.start(con, user, patient, check.gate_check_id, route="iv", weight_kg=70, dose_mg=35,
                                 intention="Notice cravings", craving_before=50, override=override, now=at)


def test_a_severe_event_holds_the_next_dose_naming_it_until_a_prescriber_reviews(demo_store):
    patient, session = severe_at_32(demo_store)
    discharged(demo_store, session)
    assert dosing_sessions.dosable(demo_store, NURSE, patient, now=NEXT_DAY).last_session.severe_events == (
        "Severe high blood pressure, BP 186/112 at minute 32",)

    held = gate(demo_store, patient)
    assert held.result.status == "hold"
    (reason,) = held.result.reasons
    assert reason.code == dosing.REVIEW_NEEDED and "BP 186/112 at minute 32" in reason.message
    stored = rows(demo_store, "SELECT status, reasons FROM gate_checks WHERE id = ?", [held.gate_check_id])[0]
    assert stored[0] == "hold" and "186/112" in stored[1]
    with pytest.raises(ValueError, match="review"):  # no dose override clears it: only the review does
        dose(demo_store, patient, held, user=PRESCRIBER, override=Override("Patient well today, BP settled"))

    with pytest.raises(AccessDenied):
        severe_events.record_review(demo_store, NURSE, session, "Reviewed, fine", now=NEXT_DAY)
    assert audit_actions(demo_store, "session_reviewed") == []
    assert gate(demo_store, patient).result.status == "hold"

    severe_events.record_review(demo_store, PRESCRIBER, session, "BP settled within 10 min; next dose 0.4 mg/kg",
                                now=NEXT_DAY)
    (audit,) = audit_actions(demo_store, "session_reviewed")
    assert audit[:3] == (PRESCRIBER.id, "dosing_session", session) and f'"patient_id": {patient}' in audit[3]
    assert rows(demo_store, "SELECT reviewed_by, note FROM session_reviews WHERE session_id = ?", [session]) == [
        (PRESCRIBER.id, "BP settled within 10 min; next dose 0.4 mg/kg")]
    again = gate(demo_store, patient)
    assert again.result.status == "go"
    assert dose(demo_store, patient, again) > session


def test_a_session_stopped_early_holds_the_next_dose_until_reviewed(demo_store):
    patient = approved_patient(demo_store)
    session = started(demo_store, patient)
    dosing_sessions.stop(demo_store, NURSE, session, "patient_request", "Felt overwhelmed", delivered_mg=20,
                         now=NOW + timedelta(minutes=10))
    discharged(demo_store, session, given=None)
    (reason,) = gate(demo_store, patient).result.reasons
    assert reason.code == dosing.REVIEW_NEEDED and "stopped early (At the patient's request)" in reason.message
    severe_events.record_review(demo_store, PRESCRIBER, session, "Discussed; continue with support",
                                now=NEXT_DAY)
    assert gate(demo_store, patient).result.status == "go"


def test_a_normal_session_gives_only_the_usual_interval_hold(demo_store):
    patient = approved_patient(demo_store)
    session = started(demo_store, patient)
    discharged(demo_store, session)
    assert dosing_sessions.dosable(demo_store, NURSE, patient, now=NEXT_DAY).last_session.severe_events == ()
    early = gate(demo_store, patient, at=NOW + timedelta(hours=30))  # within 48 h of the discharge
    assert [r.code for r in early.result.reasons] == ["too_soon"]
    assert gate(demo_store, patient).result.status == "go"
    with pytest.raises(ValueError, match="needs no review"):
        severe_events.record_review(demo_store, PRESCRIBER, session, "Nothing to review", now=NEXT_DAY)


def test_a_review_is_refused_while_the_session_runs_twice_or_without_a_note(demo_store):
    patient, session = severe_at_32(demo_store)
    with pytest.raises(ValueError, match="still in progress"):
        severe_events.record_review(demo_store, PRESCRIBER, session, "Too early", now=NOW + timedelta(minutes=40))
    discharged(demo_store, session)
    with pytest.raises(ValueError, match="Review note"):
        severe_events.record_review(demo_store, PRESCRIBER, session, "  ", now=NEXT_DAY)
    severe_events.record_review(demo_store, PRESCRIBER, session, "Reviewed with the nurse", now=NEXT_DAY)
    with pytest.raises(ValueError, match="already reviewed by Dr Demo Prescriber"):
        severe_events.record_review(demo_store, PRESCRIBER, session, "Again", now=NEXT_DAY)
    assert len(audit_actions(demo_store, "session_reviewed")) == 1
    assert gate(demo_store, patient).result.status == "go"


def test_events_of_sessions_still_running_come_first_then_the_oldest(demo_store):
    """A prescriber reads a chair where the patient still is before an event of a session that has ended."""
    _, ended = severe_at_32(demo_store)
    discharged(demo_store, ended)
    later = approved_patient(demo_store, mrn="SEV-0002", last_name="Runningtest")
    running = started(demo_store, later, at=NOW + timedelta(hours=1))
    dosing_sessions.add_vitals(demo_store, NURSE, running, minutes_after_dose=5, **SEVERE,
                               now=NOW + timedelta(hours=1, minutes=5))
    listed = [s for s in severe_events.open_events(demo_store, PRESCRIBER)["session_id"] if s in (ended, running)]
    assert listed == [running, ended]
