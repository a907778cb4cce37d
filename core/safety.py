"""Same-day safety follow-ups: raised by an urgent screening, open until a clinician records the assessment.

An urgent flag that lives only in a save message is lost when the nurse looks away, so
saving an urgent screening raises a follow-up in the same transaction, and the Home
worklist shows it to nurses and prescribers until someone records who assessed the
patient, when, the outcome and a note.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from core import db
from core.access import STAFF, User, require
from core.rules import validate
from core.schema import SAFETY_OUTCOMES

CLINICIANS = frozenset({"nurse", "prescriber"})
OUTCOME_LABELS = {
    "safety_plan": "Assessed: no imminent risk, safety plan made with the patient",
    "urgent_referral": "Assessed: referred for urgent mental-health care",
    "emergency_care": "Sent to emergency care",
    "left_before_assessment": "Patient left before the assessment; escalated per clinic protocol",
}
MAX_NOTE = 5000
NO_FOLLOWUP = "That safety follow-up was not found"

OPEN_SQL = """
    SELECT f.id AS followup_id, p.id AS patient_id, p.last_name || ', ' || p.first_name AS patient,
           p.mrn AS chart_number, f.raised_at, u.display_name AS seen_by,
           CASE WHEN f.screening_id IS NOT NULL THEN 'screening' WHEN f.checkin_id IS NOT NULL THEN 'check-in'
                ELSE 'self-report' END AS occasion
    FROM safety_followups f
    JOIN patients p ON p.id = f.patient_id
    LEFT JOIN screenings s ON s.id = f.screening_id
    LEFT JOIN checkins c ON c.id = f.checkin_id
    LEFT JOIN users u ON u.id = coalesce(s.screened_by, c.recorded_by)
    WHERE NOT EXISTS (SELECT 1 FROM safety_assessments a WHERE a.followup_id = f.id)
    ORDER BY f.raised_at, f.id
"""


def raise_followup(cur, patient_id: int, now: datetime, *, screening_id: int | None = None,
                   checkin_id: int | None = None, self_report_id: int | None = None) -> int:
    """Open a follow-up inside the caller's transaction (that of the urgent screening, check-in or patient's
    self-report raising it)."""
    (followup_id,) = cur.execute(
        "INSERT INTO safety_followups (patient_id, screening_id, checkin_id, self_report_id, raised_at) "
        "VALUES (?, ?, ?, ?, ?) RETURNING id", [patient_id, screening_id, checkin_id, self_report_id, now],
    ).fetchone()
    return followup_id


def open_for(cur, screening_id: int) -> bool:
    """Whether this screening's same-day safety assessment is still to record (inside the caller's transaction)."""
    return bool(cur.execute(
        """SELECT 1 FROM safety_followups f WHERE f.screening_id = ?
           AND NOT EXISTS (SELECT 1 FROM safety_assessments a WHERE a.followup_id = f.id)""",
        [screening_id]).fetchall())


LISTED = 10
"""Home lists the oldest ten and says how many wait in all: a screenful, at any clinic size (issue 21)."""
OPEN_FIRST_SQL = OPEN_SQL + " LIMIT ?"
OPEN_COUNT_SQL = "SELECT count(*) FROM (" + OPEN_SQL + ")"


def open_followups(con, user: User, limit: int = LISTED) -> pd.DataFrame:
    """The oldest follow-ups still waiting for their assessment, oldest first."""
    user = require(con, user, CLINICIANS)
    limit = validate.whole_number(limit, "Rows", 1, 1000)
    with db.read(con) as cur:
        return cur.execute(OPEN_FIRST_SQL, [limit]).df()


def open_count(con, user: User) -> int:
    user = require(con, user, CLINICIANS)
    with db.read(con) as cur:
        return cur.execute(OPEN_COUNT_SQL).fetchone()[0]


@dataclass(frozen=True)
class FollowUp:
    followup_id: int
    screening_id: int | None
    checkin_id: int | None
    raised_at: datetime
    assessed_at: datetime | None
    outcome: str | None
    note: str | None
    assessed_by: str | None
    self_report_id: int | None


def for_patient(con, user: User, patient_id: int) -> list[FollowUp]:
    """A patient's follow-ups, newest first, each with its assessment once recorded, for the chart."""
    user = require(con, user, STAFF)
    patient_id = validate.record_id(patient_id, "That patient was not found")
    with db.read(con) as cur:
        rows = cur.execute(
            """SELECT f.id, f.screening_id, f.checkin_id, f.raised_at, a.assessed_at, a.outcome, a.note, u.display_name,
                      f.self_report_id
               FROM safety_followups f
               LEFT JOIN safety_assessments a ON a.followup_id = f.id
               LEFT JOIN users u ON u.id = a.assessed_by
               WHERE f.patient_id = ? ORDER BY f.raised_at DESC, f.id DESC""",
            [patient_id],
        ).fetchall()
    return [FollowUp(*row) for row in rows]


def record_assessment(con, user: User, followup_id: int, outcome: str | None, note: str | None,
                      now: datetime | None = None) -> None:
    """Record the assessment once; a second attempt names who recorded it first."""
    user = require(con, user, CLINICIANS)
    followup_id = validate.record_id(followup_id, NO_FOLLOWUP)
    if not isinstance(outcome, str) or outcome not in SAFETY_OUTCOMES:
        raise ValueError("Outcome: choose what happened")
    if not isinstance(note, str) or not note.strip():
        raise ValueError("Note is required: say what was assessed and decided")
    validate.text(note, "Note", MAX_NOTE)
    now = now or datetime.now()
    with db.transaction(con) as cur:
        row = cur.execute("SELECT patient_id FROM safety_followups WHERE id = ?", [followup_id]).fetchone()
        if row is None:
            raise ValueError(NO_FOLLOWUP)
        done = cur.execute(
            """SELECT u.display_name, a.assessed_at FROM safety_assessments a JOIN users u ON u.id = a.assessed_by
               WHERE a.followup_id = ?""", [followup_id]).fetchone()
        if done:
            raise ValueError(f"Already recorded by {done[0]} at {done[1]:%H:%M on %d %b %Y}; nothing was changed.")
        cur.execute(
            "INSERT INTO safety_assessments (followup_id, assessed_at, assessed_by, outcome, note) "
            "VALUES (?, ?, ?, ?, ?)",
            [followup_id, now, user.id, outcome, note],
        )
        db.audit(cur, user.id, "safety_assessment_recorded", "safety_followup", followup_id,
                 {"patient_id": row[0], "outcome": outcome})
