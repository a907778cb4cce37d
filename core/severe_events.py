"""What a prescriber must know after a severe adverse event, and must decide before the next dose.

A severe event (any adverse event recorded as severe, a severe blood pressure's own among them) waits on the
prescriber's Home until one acknowledges it: the nurse who saw 186/112 at minute 32 is no longer the only one who
knows. A session stopped early or with a severe event holds the patient's next pre-dose check until a prescriber
records a review of it (`core.rules.dosing.pre_dose_gate`). Both are prescriber actions, checked here against the
account as stored, each written in one transaction with its audit row.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from core import db
from core.access import User, require
from core.rules import dosing, validate

PRESCRIBERS = frozenset({"prescriber"})
NO_EVENT = "That adverse event was not found"
NO_SESSION = "That session was not found"
MAX_NOTE = 2000
LISTED = 50
"""Home lists at most this many open events; the count says how many more wait."""

SEVERE_SQL = """
    SELECT e.id AS event_id, e.patient_id, p.last_name || ', ' || p.first_name AS patient, p.mrn AS chart_number,
           e.session_id, d.session_number, d.status = 'in_progress' AS session_in_progress, sd.chair, e.code,
           e.description, det.action_taken, e.recorded_at, u.display_name AS recorded_by
    FROM adverse_events e
    JOIN adverse_event_details det ON det.adverse_event_id = e.id AND det.severity = 'severe'
    JOIN patients p ON p.id = e.patient_id
    LEFT JOIN dosing_sessions d ON d.id = e.session_id
    LEFT JOIN session_details sd ON sd.session_id = e.session_id
    LEFT JOIN users u ON u.id = e.recorded_by
    WHERE NOT EXISTS (SELECT 1 FROM adverse_event_acknowledgements a WHERE a.adverse_event_id = e.id)
"""
"""Severe means recorded as severe: every event the app records carries a severity (a severe blood pressure's is
severe by itself); events written in bulk without one (the synthetic demo's history) are not listed."""
OPEN_COUNT_SQL = "SELECT count(*) FROM (" + SEVERE_SQL + ")"
OPEN_EVENTS_SQL = SEVERE_SQL + " ORDER BY session_in_progress DESC NULLS LAST, e.recorded_at, e.id LIMIT ?"


def open_events(con, user: User, limit: int = LISTED) -> pd.DataFrame:
    """Severe adverse events no prescriber has acknowledged yet: those of sessions still running first (the patient is
    in the chair now), then the oldest first."""
    require(con, user, PRESCRIBERS)
    limit = validate.whole_number(limit, "Rows", 1, 1000)
    with db.read(con) as cur:
        return cur.execute(OPEN_EVENTS_SQL, [limit]).df()


def open_count(con, user: User) -> int:
    require(con, user, PRESCRIBERS)
    with db.read(con) as cur:
        return cur.execute(OPEN_COUNT_SQL).fetchone()[0]


def acknowledge(con, user: User, event_id: int, now: datetime | None = None) -> None:
    """The prescriber has seen this severe event; it leaves every prescriber's list. Refused, naming who, when
    another prescriber acknowledged it first."""
    user = require(con, user, PRESCRIBERS)
    now = now or datetime.now()
    event_id = validate.record_id(event_id, NO_EVENT)
    with db.transaction(con) as cur:
        row = cur.execute(
            """SELECT e.patient_id, e.session_id, det.severity FROM adverse_events e
               LEFT JOIN adverse_event_details det ON det.adverse_event_id = e.id WHERE e.id = ?""",
            [event_id]).fetchone()
        if row is None:
            raise ValueError(NO_EVENT)
        if row[2] != "severe":
            raise ValueError("This is not a severe adverse event; only severe ones wait for acknowledgement")
        earlier = cur.execute(
            """SELECT u.display_name, a.acknowledged_at FROM adverse_event_acknowledgements a
               JOIN users u ON u.id = a.acknowledged_by WHERE a.adverse_event_id = ?""", [event_id]).fetchone()
        if earlier:
            raise ValueError(f"This event was already acknowledged by {earlier[0]} at "
                             f"{earlier[1]:%H:%M on %d %b %Y}; nothing was changed.")
        cur.execute("INSERT INTO adverse_event_acknowledgements VALUES (?, ?, ?)", [event_id, user.id, now])
        db.audit(cur, user.id, "severe_event_acknowledged", "adverse_event", event_id,
                 {"patient_id": row[0], "session_id": row[1]})


def last_session(cur, patient_id: int) -> tuple[int, dosing.LastSession] | None:
    """The patient's last ended dosing session, its id and how the pre-dose gate reads it: stopped early or not, its
    severe events in words, and whether a prescriber has reviewed it. None before a first session."""
    row = cur.execute(
        """SELECT d.id, d.session_number, d.discharged_at, d.status, sd.stop_reason,
                  EXISTS (SELECT 1 FROM session_reviews r WHERE r.session_id = d.id)
           FROM dosing_sessions d LEFT JOIN session_details sd ON sd.session_id = d.id
           WHERE d.patient_id = ? AND d.status <> 'in_progress'
           ORDER BY d.started_at DESC, d.id DESC LIMIT 1""", [patient_id]).fetchone()
    if row is None:
        return None
    session_id, number, ended, status, stop_reason, reviewed = row
    return session_id, dosing.LastSession(number, ended, _stopped(status, stop_reason),
                                          _severe_events(cur, session_id), reviewed)


def _stopped(status: str, stop_reason: str | None) -> str | None:
    if status != "stopped":
        return None
    return dosing.STOP_REASON_WORDS.get(stop_reason, "reason not recorded")


def _severe_events(cur, session_id: int) -> tuple[str, ...]:
    events = cur.execute(
        """SELECT e.code, e.description FROM adverse_events e
           JOIN adverse_event_details det ON det.adverse_event_id = e.id AND det.severity = 'severe'
           WHERE e.session_id = ? ORDER BY e.recorded_at, e.id""", [session_id]).fetchall()
    return tuple(dosing.ADVERSE_EVENT_WORDS[code] + (f", {text}" if text else "") for code, text in events)


def record_review(con, user: User, session_id: int, note, now: datetime | None = None) -> None:
    """A prescriber's review of a session stopped early or with a severe adverse event, which lifts the hold it put
    on the patient's next pre-dose check. The note says what was decided; it is required."""
    user = require(con, user, PRESCRIBERS)
    now = now or datetime.now()
    note = validate.text(note, "Review note", MAX_NOTE, required=True)
    if not note.strip():
        raise ValueError("Review note: say what you reviewed and decided")
    session_id = validate.record_id(session_id, NO_SESSION)
    with db.transaction(con) as cur:
        row = cur.execute("SELECT patient_id, status FROM dosing_sessions WHERE id = ?", [session_id]).fetchone()
        if row is None:
            raise ValueError(NO_SESSION)
        if row[1] == "in_progress":
            raise ValueError("This session is still in progress; review it once the patient has been discharged")
        earlier = cur.execute(
            """SELECT u.display_name, r.reviewed_at FROM session_reviews r JOIN users u ON u.id = r.reviewed_by
               WHERE r.session_id = ?""", [session_id]).fetchone()
        if earlier:
            raise ValueError(f"This session was already reviewed by {earlier[0]} at "
                             f"{earlier[1]:%H:%M on %d %b %Y}; nothing was changed.")
        stop_reason = cur.execute("SELECT stop_reason FROM session_details WHERE session_id = ?",
                                  [session_id]).fetchone()
        if _stopped(row[1], stop_reason[0] if stop_reason else None) is None and not _severe_events(cur, session_id):
            raise ValueError("This session was neither stopped early nor had a severe adverse event, so it needs no "
                             "review before the next dose")
        cur.execute("INSERT INTO session_reviews VALUES (?, ?, ?, ?)", [session_id, user.id, now, note.strip()])
        db.audit(cur, user.id, "session_reviewed", "dosing_session", session_id, {"patient_id": row[0]})
