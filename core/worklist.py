"""What needs attention today, for the home page. Names are returned only to staff roles."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core import db
from core.access import EVERYONE, STAFF, User, require
from core.approvals import QUEUE_SQL as PENDING_APPROVALS_SQL
from core.dosing_sessions import AWAITING_SIGNATURE_SQL
from core.rules import validate

IN_PROGRESS_FIRST_SQL = """
    WITH first AS (
        SELECT id, patient_id, session_number, route, started_at FROM dosing_sessions
        WHERE status = 'in_progress' ORDER BY started_at, id LIMIT ?
    )
    SELECT d.id AS session_id, d.patient_id, p.last_name || ', ' || p.first_name AS patient, p.mrn AS chart_number,
           d.session_number, d.route, d.started_at
    FROM first d JOIN patients p ON p.id = d.patient_id
    ORDER BY d.started_at, d.id
"""
"""The first sessions in progress, earliest first: found before their patients are joined, so a clinic with hundreds
running pays for ten."""
IN_PROGRESS_COUNT_SQL = "SELECT count(*) FROM dosing_sessions WHERE status = 'in_progress'"


@dataclass(frozen=True)
class Attention:
    pending_approvals: pd.DataFrame
    sessions_in_progress: pd.DataFrame


@dataclass(frozen=True)
class AttentionCounts:
    pending_approvals: int
    sessions_in_progress: int


HOME_ROWS = 10
"""Home is a worklist: the first rows of each list, in the queue's order; the full lists have their own pages."""


def attention(con, user: User, rows: int = HOME_ROWS) -> Attention:
    user = require(con, user, STAFF)
    rows = validate.whole_number(rows, "Rows", 1, 1000)
    with db.read(con) as cur:
        pending = cur.execute(PENDING_FIRST_SQL, [rows]).df()
        in_progress = cur.execute(IN_PROGRESS_FIRST_SQL, [rows]).df()
    return Attention(pending, in_progress)


PENDING_COUNT_SQL = "SELECT count(*) FROM (" + PENDING_APPROVALS_SQL + ")"
PENDING_FIRST_SQL = PENDING_APPROVALS_SQL + " LIMIT ?"
TO_SIGN_COUNT_SQL = "SELECT count(*) FROM (" + AWAITING_SIGNATURE_SQL + ")"
TO_SIGN_FIRST_SQL = AWAITING_SIGNATURE_SQL + " LIMIT ?"
"""Each list's SQL whole, from the fixed queries above: only the row count is a parameter."""


def attention_counts(con, user: User) -> AttentionCounts:
    """Counts only: safe for every role, the de-identified viewer included."""
    require(con, user, EVERYONE)
    with db.read(con) as cur:
        (pending,) = cur.execute(PENDING_COUNT_SQL).fetchone()
        (in_progress,) = cur.execute(IN_PROGRESS_COUNT_SQL).fetchone()
    return AttentionCounts(pending, in_progress)


@dataclass(frozen=True)
class ToSign:
    rows: pd.DataFrame
    """The oldest first, at most the rows asked for."""
    total: int


def to_sign(con, user: User, rows: int = HOME_ROWS) -> ToSign:
    """The ended sessions waiting for a prescriber's signature, for the prescriber's Home (the Dosing page lists
    them all)."""
    user = require(con, user, {"prescriber"})
    rows = validate.whole_number(rows, "Rows", 1, 1000)
    with db.read(con) as cur:
        (total,) = cur.execute(TO_SIGN_COUNT_SQL).fetchone()
        return ToSign(cur.execute(TO_SIGN_FIRST_SQL, [rows]).df(), total)
