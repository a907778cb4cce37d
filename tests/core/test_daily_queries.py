"""The daily pages' rewritten queries give the old queries' answers on a demo cohort (issue 21): the board filters to
sessions in progress before it finds their latest reading, and the patient chooser of the Dosing page holds a
screenful of matches instead of every approved patient."""

from datetime import timedelta

import pandas as pd
import pytest

from core import dosing_sessions
from core.access import AccessDenied
from core.rules.settings import DEFAULTS
from tests.core.test_dosing_sessions import CALM, THERAPIST, approved_patient, started
from tests.core.test_screening_and_approval import NOW, NURSE

OLD_BOARD_SQL = """SELECT d.id AS session_id, d.patient_id, p.last_name || ', ' || p.first_name AS patient,
                      sd.chair, d.route, d.started_at,
                      date_diff('minute', d.started_at, ?::TIMESTAMP) AS minutes_since_dose,
                      last.systolic_bp, last.diastolic_bp, last.minutes_after_dose AS last_reading_minute,
                      (SELECT count(*) FROM adverse_events e WHERE e.session_id = d.id) AS adverse_events
               FROM dosing_sessions d JOIN patients p ON p.id = d.patient_id
               LEFT JOIN session_details sd ON sd.session_id = d.id
               LEFT JOIN LATERAL (SELECT v.systolic_bp, v.diastolic_bp, v.minutes_after_dose FROM session_vitals v
                                  WHERE v.session_id = d.id ORDER BY v.taken_at DESC, v.id DESC LIMIT 1) last ON TRUE
               WHERE d.status = 'in_progress' ORDER BY d.started_at, d.id"""
OLD_READY_SQL = """SELECT p.id AS patient_id, p.last_name || ', ' || p.first_name AS patient, p.mrn AS chart_number,
                      (SELECT count(*) FROM dosing_sessions d WHERE d.patient_id = p.id) + 1 AS session_number
               FROM patients p
               WHERE p.status = 'approved'
                 AND NOT EXISTS (SELECT 1 FROM dosing_sessions d WHERE d.patient_id = p.id
                                 AND d.status = 'in_progress')
               ORDER BY p.last_name, p.first_name, p.id"""


def as_rows(frame) -> list[tuple]:
    return [tuple(None if pd.isna(v) else v for v in row) for row in frame.itertuples(index=False)]


def test_the_board_is_the_old_board_with_readings_and_events(demo_store):
    patient = approved_patient(demo_store)
    session = started(demo_store, patient, at=NOW)
    for minute in (15, 30):
        dosing_sessions.add_vitals(demo_store, NURSE, session, minutes_after_dose=minute, **CALM,
                                   now=NOW + timedelta(minutes=minute + 1))
    dosing_sessions.add_adverse_event(demo_store, NURSE, session, code="nausea_vomiting", severity="mild",
                                      action_taken="Anti-emetic given", description="",
                                      now=NOW + timedelta(minutes=31))
    now = NOW + timedelta(minutes=40)
    old = demo_store.execute(OLD_BOARD_SQL, [now]).df()
    new = dosing_sessions.board(demo_store, NURSE, now=now)
    assert len(old) >= 2 and session in set(new["session_id"])
    assert as_rows(new[old.columns]) == as_rows(old)


def test_the_chooser_is_the_old_list_a_screenful_at_a_time(demo_store):
    old = demo_store.execute(OLD_READY_SQL).df()
    assert len(old) > dosing_sessions.READY_SHOWN
    first = dosing_sessions.ready_patients(demo_store, NURSE)
    assert first.total == len(old)
    assert as_rows(first.rows[old.columns]) == as_rows(old.head(dosing_sessions.READY_SHOWN))
    one = old.iloc[len(old) // 2]
    for term in (one["chart_number"], one["patient"], one["patient"].split(", ")[0].upper()):
        found = dosing_sessions.ready_patients(demo_store, NURSE, term)
        assert one["patient_id"] in set(found.rows["patient_id"]) and len(found.rows) <= dosing_sessions.READY_SHOWN
        expected = old[old["patient"].str.lower().str.contains(term.lower(), regex=False)
                       | (old["chart_number"] == term)]
        assert found.total == len(expected)
        assert as_rows(found.rows[old.columns]) == as_rows(expected.head(dosing_sessions.READY_SHOWN))


def test_a_chosen_patient_stays_among_the_choices_while_a_session_can_start(demo_store):
    old = demo_store.execute(OLD_READY_SQL).df()
    last = int(old["patient_id"].iloc[-1])
    shown = dosing_sessions.ready_patients(demo_store, NURSE, also=last)
    assert int(shown.rows["patient_id"].iloc[0]) == last and len(shown.rows) == dosing_sessions.READY_SHOWN + 1
    started(demo_store, last)
    assert last not in set(dosing_sessions.ready_patients(demo_store, NURSE, also=last).rows["patient_id"])


def test_the_chooser_is_for_the_dosing_team_and_refuses_a_bad_choice(demo_store):
    with pytest.raises(AccessDenied):
        dosing_sessions.ready_patients(demo_store, THERAPIST)
    with pytest.raises(ValueError, match="patient was not found"):
        dosing_sessions.ready_patients(demo_store, NURSE, also="someone")


def test_the_chooser_tells_namesakes_apart_and_says_when_the_course_is_done(demo_store):
    """Chromium review: three 'Mockwell, Morgan' differed only by chart number, which patients do not know; and 117
    patients past their planned course were offered as 'session 7' with no word of it; a double space found no one."""
    old = demo_store.execute(OLD_READY_SQL).df()
    one = old.iloc[len(old) // 3]
    found = dosing_sessions.ready_patients(demo_store, NURSE, "  " + one["patient"].replace(", ", ",   ") + " ")
    row = found.rows[found.rows["patient_id"] == one["patient_id"]].iloc[0]
    (born,) = demo_store.execute("SELECT date_of_birth FROM patients WHERE id = ?", [int(one["patient_id"])]).fetchone()
    assert row["date_of_birth"].date() == born
    planned = DEFAULTS.planned_course_sessions
    past = old[old["session_number"] > planned]
    assert len(past) and len(old[old["session_number"] <= planned])
    for patient in (past.iloc[0], old[old["session_number"] <= planned].iloc[0]):
        shown = dosing_sessions.ready_patients(demo_store, NURSE, patient["chart_number"]).rows.iloc[0]
        assert bool(shown["after_course"]) == (patient["session_number"] > planned)
