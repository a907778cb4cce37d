"""The daily pages' rewritten queries give the old queries' answers on a demo cohort (issue 21): the board filters to
sessions in progress before it finds their latest reading, and the patient chooser of the Dosing page holds a
screenful of matches instead of every approved patient, and the Patients roster reads only the latest events for its
unsearched list."""

from datetime import timedelta

import pandas as pd
import pytest

from core import approvals, dosing_sessions, patients, worklist
from core.access import AccessDenied
from core.rules import validate
from core.rules.settings import DEFAULTS
from core.screening_form import validate_screening
from tests.core.test_dosing_sessions import CALM, THERAPIST, approved_patient, discharged, started
from tests.core.test_screening_and_approval import NOW, NURSE, PRESCRIBER, pending_screening, valid_raw
from tests.core.test_severe_events import SEVERE

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
    new = dosing_sessions.board(demo_store, NURSE, page_size=1000, now=now).rows
    assert len(old) >= 2 and session in set(new["session_id"])
    assert as_rows(new[old.columns]) == as_rows(old)
    for size in (1, 2):
        pages = [dosing_sessions.board(demo_store, NURSE, page=n, page_size=size, now=now) for n in range(1, 30)]
        assert {board.pages for board in pages} == {-(-len(old) // size)}
        paged = pd.concat([board.rows for board in pages[:pages[0].pages]])
        assert as_rows(paged[old.columns]) == as_rows(old)
        assert as_rows(pages[-1].rows) == as_rows(pages[pages[0].pages - 1].rows)  # past the end: the last page


def test_every_severe_session_is_named_whatever_its_page(demo_store):
    """The board shows a page; the banners above it name every session still watched after a severe blood pressure,
    and one whose later reading fell below the discharge limit is no longer named."""
    sessions = []
    for letter in "ABC":
        patient = approved_patient(demo_store, mrn=f"SEV-0{letter}", first_name="Kai", last_name=f"Severe{letter}")
        sessions.append(started(demo_store, patient, at=NOW - timedelta(minutes=len(sessions))))
    watched, settled, calm = sessions
    for session in (watched, settled):
        dosing_sessions.add_vitals(demo_store, NURSE, session, minutes_after_dose=15, **SEVERE,
                                   now=NOW + timedelta(minutes=16))
    dosing_sessions.add_vitals(demo_store, NURSE, settled, minutes_after_dose=20, **CALM,
                               now=NOW + timedelta(minutes=21))
    dosing_sessions.add_vitals(demo_store, NURSE, calm, minutes_after_dose=15, **CALM,
                               now=NOW + timedelta(minutes=16))
    board = dosing_sessions.board(demo_store, NURSE, page_size=1, now=NOW + timedelta(minutes=25))
    assert board.total >= 3 and watched not in set(board.rows["session_id"])
    assert list(board.severe["session_id"]) == [watched]
    assert list(board.severe["severe_systolic_bp"]) == [SEVERE["systolic_bp"]]


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


OLD_ROSTER_SQL = """
    WITH activity AS (
        SELECT patient_id, max(happened_at) AS last_activity FROM (
            SELECT patient_id, screened_at AS happened_at FROM screenings
            UNION ALL SELECT patient_id, signed_at FROM approvals
            UNION ALL SELECT patient_id, started_at FROM dosing_sessions
        ) GROUP BY patient_id
    ), shown AS (
        SELECT p.id, a.last_activity FROM patients p LEFT JOIN activity a ON a.patient_id = p.id
        WHERE """ + patients.ROSTER_FILTER + """
        ORDER BY a.last_activity DESC NULLS LAST, p.id DESC
        LIMIT ? OFFSET ?
    ), course AS (
        SELECT patient_id, count(*) AS sessions, max(started_at) AS last_session,
               bool_or(status = 'in_progress') AS in_progress
        FROM dosing_sessions WHERE patient_id IN (SELECT id FROM shown) GROUP BY patient_id
    )
    SELECT p.id, p.last_name || ', ' || p.first_name AS patient, p.mrn AS chart_number, p.date_of_birth,
           p.status, coalesce(c.sessions, 0) AS sessions, shown.last_activity,
           CASE
               WHEN p.status = 'screened' THEN 'prescriber approval'
               WHEN p.status <> 'approved' THEN ''
               WHEN c.in_progress THEN 'discharge from session ' || c.sessions
               WHEN c.sessions IS NULL THEN 'first dosing session'
               WHEN c.sessions < ? AND c.last_session >= ? THEN 'dosing session ' || (c.sessions + 1)
               ELSE 'follow-up'
           END AS next_activity
    FROM shown JOIN patients p ON p.id = shown.id
    LEFT JOIN course c ON c.patient_id = p.id
    ORDER BY shown.last_activity DESC NULLS LAST, p.id DESC
"""


def old_roster(con, search: str, status, page: int, page_size: int) -> list[tuple]:
    filters = [search] * 5 + [validate.as_date(search), status, status]
    recent = NOW - timedelta(days=patients.ACTIVE_COURSE_DAYS)
    return as_rows(con.cursor().execute(OLD_ROSTER_SQL, [*filters, page_size, (page - 1) * page_size,
                                                         DEFAULTS.planned_course_sessions, recent]).df())


@pytest.mark.parametrize("events_per_row", [1, 2, patients.EVENTS_PER_ROW])
@pytest.mark.parametrize("page_size", [7, 50])
def test_every_page_of_the_roster_is_the_old_one(demo_store, monkeypatch, events_per_row, page_size):
    """The unsearched list reads only each kind of event's latest few: with as few as one a row, where it often cannot
    fill the page and the full query answers, every page is still the old query's, in its order."""
    monkeypatch.setattr(patients, "EVENTS_PER_ROW", events_per_row)
    for status in (None, "approved", "screened", "declined", "ineligible"):
        first = patients.roster(demo_store, NURSE, status=status, page_size=page_size, now=NOW)
        assert first.total > 0
        for page in range(1, first.pages + 1):
            shown = patients.roster(demo_store, NURSE, status=status, page=page, page_size=page_size, now=NOW)
            assert as_rows(shown.rows) == old_roster(demo_store, "", status, page, page_size), (status, page)


@pytest.mark.parametrize("search", ["Demo", "alex", "DEMO-000012", "sample, ", "nobody"])
def test_a_searched_roster_is_the_old_one(demo_store, search):
    found = patients.roster(demo_store, NURSE, search=search, now=NOW)
    assert as_rows(found.rows) == old_roster(demo_store, search, None, 1, patients.PAGE_SIZE)


def test_the_roster_head_follows_a_patient_whose_many_sessions_are_the_latest_events(demo_store, monkeypatch):
    """One patient's sessions can be most of the latest events taken: the page is still every patient in order."""
    monkeypatch.setattr(patients, "EVENTS_PER_ROW", 1)
    patient = approved_patient(demo_store)
    for number in range(3):
        began = NOW + timedelta(days=3 * number + 1)
        discharged(demo_store, started(demo_store, patient, began), began=began)
    shown = patients.roster(demo_store, NURSE, page_size=7, now=NOW)
    assert shown.rows["id"].iloc[0] == patient
    assert as_rows(shown.rows) == old_roster(demo_store, "", None, 1, 7)


OLD_WAITING_SQL = """
    SELECT s.id AS screening_id, p.id AS patient_id, p.last_name || ', ' || p.first_name AS patient,
           p.mrn AS chart_number, s.decision, s.urgent, s.screened_at,
           CASE WHEN NOT s.urgent THEN ''
                WHEN EXISTS (SELECT 1 FROM safety_followups f JOIN safety_assessments a ON a.followup_id = f.id
                             WHERE f.screening_id = s.id) THEN 'recorded'
                ELSE 'to_record' END AS safety
    FROM screenings s JOIN patients p ON p.id = s.patient_id
    WHERE p.status = 'screened' AND s.decision IN ('eligible', 'needs_review')
      AND s.id = (SELECT max(s2.id) FROM screenings s2 WHERE s2.patient_id = p.id)
"""
OLD_IN_PROGRESS_SQL = """
    SELECT d.id AS session_id, d.patient_id, p.last_name || ', ' || p.first_name AS patient, p.mrn AS chart_number,
           d.session_number, d.route, d.started_at
    FROM dosing_sessions d
    JOIN patients p ON p.id = d.patient_id
    WHERE d.status = 'in_progress'
    ORDER BY d.started_at
"""


def waiting_now(con) -> None:
    """Besides the demo's: a re-screen waiting (its earlier screening must not show), an urgent one, and more waiting
    and running than Home shows."""
    twice = {"mrn": "WAIT-0001", "first_name": "Rowan", "last_name": "Twice"}
    first = pending_screening(con, **twice)
    later = NOW + timedelta(hours=1)
    patients.save_screening(con, NURSE, validate_screening(valid_raw(**twice), now=later), first.patient_id, now=later)
    pending_screening(con, mrn="WAIT-0002", first_name="Sasha", last_name="Urgent", phq9=[1, 1, 1, 1, 1, 1, 1, 1, 2])
    for letter in "ABCD":  # more waiting, and running, than Home shows
        pending_screening(con, mrn=f"WAIT-01{letter}", first_name="Extra", last_name=f"Waiting{letter.lower()}")
    for n, letter in enumerate("ABCDEFGHIJK"):
        patient = approved_patient(con, mrn=f"WAIT-02{letter}", first_name="Kai", last_name=f"Running{letter.lower()}")
        started(con, patient, NOW - timedelta(minutes=(n * 7) % 11))


def test_the_approval_queue_and_home_lists_are_the_old_ones(demo_store):
    waiting_now(demo_store)
    cur = demo_store.cursor()
    old_queue = as_rows(cur.execute("SELECT * FROM (" + OLD_WAITING_SQL + ") waiting" + approvals.QUEUE_ORDER).df())
    assert len(old_queue) > 10 and any(row[5] for row in old_queue)
    assert as_rows(approvals.queue(demo_store, PRESCRIBER)) == old_queue
    old_running = as_rows(cur.execute(OLD_IN_PROGRESS_SQL).df())
    assert len(old_running) > worklist.HOME_ROWS
    home = worklist.attention(demo_store, NURSE)
    assert as_rows(home.pending_approvals) == old_queue[:worklist.HOME_ROWS]
    earliest = sorted(old_running, key=lambda row: (row[6], row[0]))  # started, then session id
    assert as_rows(home.sessions_in_progress) == earliest[:worklist.HOME_ROWS]
    counts = worklist.attention_counts(demo_store, NURSE)
    assert (counts.pending_approvals, counts.sessions_in_progress) == (len(old_queue), len(old_running))
