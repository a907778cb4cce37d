"""Reading the audit trail (administrators only); writing happens in `core.db.audit` inside each transaction.

The trail grows by every click, so it is read a page at a time by id: the newest ids
below a cursor are taken first and only then joined to the users, which keeps each page
fast at any size and lets an administrator walk back to the oldest entry.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core import db
from core.access import User, require
from core.rules import validate

PAGE_SIZE = 100
MAX_PAGE = 500


@dataclass(frozen=True)
class AuditPage:
    rows: pd.DataFrame
    older: int | None
    """The cursor for the next, older page (`before_id`), or None at the oldest entry."""


ABOUT_PATIENT = """
    (? IS NULL OR (entity = 'patient' AND entity_id = ?)
               OR json_extract_string(detail, '$.patient_id') = CAST(? AS VARCHAR)
               OR list_contains(CAST(json_extract(detail, '$.shown') AS BIGINT[]), ?))
"""
"""An entry about one patient: on their record, naming them in its details, or a list or search that showed them."""


def page(con, user: User, before_id: int | None = None, action: str | None = None, patient_id: int | None = None,
         limit: int = PAGE_SIZE) -> AuditPage:
    """The newest entries with an id below `before_id` (all when None), optionally of one action, about one patient."""
    user = require(con, user, {"admin"})
    limit = validate.whole_number(limit, "Entries per page", 1, MAX_PAGE)
    patient_id = validate.optional_record_id(patient_id, "That patient is not in the audit log")
    if before_id is not None:
        before_id = validate.whole_number(before_id, "Older than entry", 1, 2**63 - 1)
    if action is not None:
        action = validate.text(action, "Action", 100)
    with db.read(con) as cur:
        rows = cur.execute(
            """WITH newest AS (
                   SELECT * FROM audit_log WHERE (? IS NULL OR id < ?) AND (? IS NULL OR action = ?) AND """
            + ABOUT_PATIENT + """
                   ORDER BY id DESC LIMIT ?
               )
               SELECT n.id, n.occurred_at, coalesce(u.username, '') AS actor, n.action, n.entity, n.entity_id,
                      n.detail, a.username AS account
               FROM newest n LEFT JOIN users u ON u.id = n.actor_id
                    LEFT JOIN users a ON n.entity = 'user' AND a.id = n.entity_id
               ORDER BY n.id DESC""",
            [before_id, before_id, action, action, *[patient_id] * 4, limit + 1],
        ).df()
    more = len(rows) > limit
    rows = rows.head(limit)
    return AuditPage(rows, int(rows["id"].iloc[-1]) if more else None)


def patient_by_chart_number(con, user: User, chart_number: str) -> int | None:
    """The record number of the patient with this chart number, so the audit log can show who read that chart.

    The administrator learns only that the number exists and its record number, never the name; the lookup is
    itself audited, as a read of that patient."""
    user = require(con, user, {"admin"})
    chart_number = validate.text(chart_number, "Chart number", 40, required=True).strip()
    with db.transaction(con) as cur:
        row = cur.execute("SELECT id FROM patients WHERE lower(mrn) = lower(?)", [chart_number]).fetchone()
        if row is None:
            return None
        db.audit(cur, user.id, "patient_looked_up", "patient", row[0])
    return int(row[0])


def actions(con, user: User) -> list[str]:
    user = require(con, user, {"admin"})
    with db.read(con) as cur:
        return [row[0] for row in cur.execute("SELECT DISTINCT action FROM audit_log ORDER BY 1").fetchall()]
