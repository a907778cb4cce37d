"""Prescriber approval: the queue, and a decision signed by re-entering the password.

Re-entering the password is the electronic signature: it proves the prescriber at the
keyboard is the one signed in. An ineligible screening can never be approved, and only
a patient's latest screening, not yet decided, can be signed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from core import db, safety, screening_record, users
from core.access import User, require
from core.rules import validate
from core.screening_record import ScreeningRecord

PRESCRIBERS = frozenset({"prescriber"})
MAX_NOTE = 5000
DECISIONS = ("approved", "declined")

WAITING_SQL = """
    WITH waiting AS (
        SELECT id, last_name, first_name, mrn FROM patients WHERE status = 'screened'
    ), latest AS (
        SELECT s.patient_id, max(s.id) AS id FROM screenings s SEMI JOIN waiting w ON w.id = s.patient_id
        GROUP BY s.patient_id
    )
    SELECT s.id AS screening_id, p.id AS patient_id, p.last_name || ', ' || p.first_name AS patient,
           p.mrn AS chart_number, s.decision, s.urgent, s.screened_at,
           CASE WHEN NOT s.urgent THEN ''
                WHEN EXISTS (SELECT 1 FROM safety_followups f JOIN safety_assessments a ON a.followup_id = f.id
                             WHERE f.screening_id = s.id) THEN 'recorded'
                ELSE 'to_record' END AS safety
    FROM latest l JOIN screenings s ON s.id = l.id JOIN waiting p ON p.id = l.patient_id
    WHERE s.decision IN ('eligible', 'needs_review')
"""
"""Each patient still waiting (status 'screened') with their latest screening, when it can be approved. The waiting
patients are found first and only their screenings read, so the queue costs what is waiting, not the clinic's size."""
QUEUE_ORDER = " ORDER BY safety = 'to_record' DESC, urgent DESC, screened_at, screening_id"
"""A same-day safety assessment still to record first (action today), then those urgent at screening whose assessment
is recorded, then the rest; oldest first within each."""
QUEUE_SQL = "SELECT * FROM (" + WAITING_SQL + ") waiting" + QUEUE_ORDER
QUEUE_PAGE_SQL = QUEUE_SQL + " LIMIT ? OFFSET ?"
WAITING_COUNTS_SQL = "SELECT count(*), count(*) FILTER (WHERE safety = 'to_record') FROM (" + WAITING_SQL + ")"
QUEUE_PAGE_SIZE = 25
"""A screenful: the queue's table and its chooser hold one page, however many wait."""


@dataclass(frozen=True)
class QueuePage:
    rows: pd.DataFrame
    total: int
    urgent: int
    """Waiting with a same-day safety assessment still to record, on every page (the banner counts them all)."""
    page: int
    """1-based; a page past the end is the last page."""
    pages: int


def queue(con, user: User) -> pd.DataFrame:
    """Screenings waiting for a prescriber: those needing a same-day safety assessment first, then oldest first."""
    user = require(con, user, PRESCRIBERS)
    with db.read(con) as cur:
        return cur.execute(QUEUE_SQL).df()


def queue_page(con, user: User, page: int = 1, page_size: int = QUEUE_PAGE_SIZE) -> QueuePage:
    """One page of the queue, in its order (same-day safety assessments first, then oldest first)."""
    user = require(con, user, PRESCRIBERS)
    page = validate.whole_number(page, "Page")
    page_size = validate.whole_number(page_size, "Screenings per page", 1, 1_000)
    with db.read(con) as cur:
        total, urgent = cur.execute(WAITING_COUNTS_SQL).fetchone()
        pages = max(1, -(-total // page_size))
        page = min(max(1, page), pages)
        rows = cur.execute(QUEUE_PAGE_SQL, [page_size, (page - 1) * page_size]).df()
    return QueuePage(rows, total, urgent, page, pages)


def for_decision(con, user: User, screening_id: int) -> ScreeningRecord:
    """Everything a prescriber decides on, for one screening, read in one go."""
    user = require(con, user, PRESCRIBERS)
    return screening_record.load(con, user, screening_id)


NOT_AVAILABLE = "That screening is not available"


def record_view(con, user: User, screening_id: int) -> None:
    """A screening opened in the approval queue is a read of that patient's record: audited once per opening."""
    user = require(con, user, PRESCRIBERS)
    screening_id = validate.record_id(screening_id, NOT_AVAILABLE)
    with db.transaction(con) as cur:
        row = cur.execute("SELECT patient_id FROM screenings WHERE id = ?", [screening_id]).fetchone()
        if row is None:
            raise ValueError(NOT_AVAILABLE)
        db.audit(cur, user.id, "screening_viewed", "patient", row[0], {"screening_id": screening_id})


class AlreadyDecided(ValueError):
    """Another prescriber signed first: the page keeps this one's note, which can still join the record."""


def add_comment(con, user: User, screening_id: int, text, now: datetime | None = None) -> str:
    """A prescriber's note on a screening someone else decided first (typed for a decision that was refused), kept
    beside the record instead of lost; returns the patient's name as stored. The audit row names the screening,
    never the note."""
    user = require(con, user, PRESCRIBERS)
    screening_id = validate.record_id(screening_id, "That screening was not found")
    if text is None or (isinstance(text, str) and not text.strip()):
        raise ValueError("Comment is required: write the note to add")
    text = validate.text(text, "Comment", MAX_NOTE)
    with db.transaction(con) as cur:
        row = cur.execute("SELECT s.patient_id, p.last_name || ', ' || p.first_name FROM screenings s "
                          "JOIN patients p ON p.id = s.patient_id WHERE s.id = ?", [screening_id]).fetchone()
        if row is None:
            raise ValueError("That screening was not found")
        if not cur.execute("SELECT 1 FROM approvals WHERE screening_id = ?", [screening_id]).fetchone():
            raise ValueError("This screening is not decided yet: write your note with your decision")
        (comment_id,) = cur.execute(
            "INSERT INTO screening_comments (screening_id, added_at, added_by, text) VALUES (?, ?, ?, ?) "
            "RETURNING id", [screening_id, now or datetime.now(), user.id, text]).fetchone()
        db.audit(cur, user.id, "screening_comment_added", "screening_comment", comment_id,
                 {"patient_id": row[0], "screening_id": screening_id})
    return row[1]


def decide(con, user: User, screening_id: int, decision: str, note: str, password: str,
           now: datetime | None = None) -> str:
    """Sign the decision; returns the patient's name as stored ("Last, First") for the confirmation."""
    user = require(con, user, PRESCRIBERS)
    screening_id = validate.record_id(screening_id, "That screening was not found")
    if not isinstance(decision, str) or decision not in DECISIONS:
        raise ValueError("Decision: choose Approve or Decline")
    if not isinstance(note, str) or not note.strip():
        raise ValueError("Note is required: say why, in a sentence")
    validate.text(note, "Note", MAX_NOTE)
    if not users.verify_password(con, user, password):
        raise ValueError("Password is not right; the decision was not signed.")
    now = now or datetime.now()
    with db.transaction(con) as cur:
        row = cur.execute(
            """SELECT s.patient_id, s.decision, p.status,
                      s.id = (SELECT max(id) FROM screenings WHERE patient_id = s.patient_id),
                      p.last_name || ', ' || p.first_name
               FROM screenings s JOIN patients p ON p.id = s.patient_id WHERE s.id = ?""",
            [screening_id],
        ).fetchone()
        if row is None:
            raise ValueError("That screening was not found")
        patient_id, screening_decision, status, latest, patient = row
        if screening_decision == "ineligible" and decision == "approved":
            raise ValueError("An ineligible screening cannot be approved")
        decided = cur.execute(
            """SELECT u.display_name, a.signed_at, a.decision
               FROM approvals a LEFT JOIN users u ON u.id = a.prescriber_id
               WHERE a.screening_id = ? ORDER BY a.id DESC LIMIT 1""", [screening_id]).fetchone()
        if decided:
            raise AlreadyDecided(f"This screening has already been decided: {decided[2]} by {decided[0]} at "
                             f"{decided[1]:%H:%M on %d %b %Y}. Nothing was signed.")
        if not latest or status != "screened":
            raise ValueError("This screening was replaced by a newer one; nothing was signed.")
        if decision == "approved" and safety.open_for(cur, screening_id):
            raise ValueError("The same-day safety assessment is not recorded yet: record it on Home before "
                             "approving. Nothing was signed.")
        (approval_id,) = cur.execute(
            "INSERT INTO approvals (screening_id, patient_id, prescriber_id, decision, note, signed_at) "
            "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            [screening_id, patient_id, user.id, decision, note, now],
        ).fetchone()
        cur.execute("UPDATE patients SET status = ? WHERE id = ?", [decision, patient_id])
        db.audit(cur, user.id, f"screening_{decision}", "screening", screening_id,
                 {"patient_id": patient_id, "approval_id": approval_id, "seal": db.seal(cur, "approvals", approval_id)})
    return patient
