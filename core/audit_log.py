"""Reading the audit trail (administrators only); writing happens in `core.db.audit` inside each transaction.

The trail grows by every click, so it is read a page at a time by id: the newest ids
below a cursor that match the filters are taken first and only then joined to the users
and patients, which keeps each page fast at any size and lets an administrator walk back
to the oldest entry. An entry about a patient carries the patient's chart number (the
clinic's own identifier, which the administrator looks patients up by), never a name.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta

import pandas as pd

from core import db
from core.access import User, require
from core.rules import validate

PAGE_SIZE = 100
MAX_PAGE = 500
EXPORT_MAX = 100_000
"""Entries one CSV export may hold: a year of a busy clinic's trail; more is narrowed by date rather than built in
the server's memory for one download."""
AUTOSAVES = ("draft_updated", "self_report_draft_kept")
"""Actions written by a form's autosave while someone types (a patient's self-report too): many per form, and left
out unless asked for."""
NOT_FOUND = "That patient is not in the audit log"
ACCOUNT_NOT_FOUND = "That account is not in the audit log"


@dataclass(frozen=True)
class AuditPage:
    rows: pd.DataFrame
    older: int | None
    """The cursor for the next, older page (`before_id`), or None at the oldest entry."""


@dataclass(frozen=True)
class Filters:
    """What the administrator narrowed the trail to, checked; stored as it is in the export's own audit row (ids,
    codes and dates, never a chart number or a name)."""
    action: str | None
    account_id: int | None
    patient_id: int | None
    start: date | None
    end: date | None
    autosaves: bool


def filters(action=None, account_id=None, patient_id=None, start=None, end=None, autosaves=False) -> Filters:
    """The filters checked, each refusal naming its field as the page labels it; a reversed date range is refused
    rather than read as no entries."""
    if action is not None:
        action = validate.text(action, "Action", 100)
    account_id = validate.optional_record_id(account_id, ACCOUNT_NOT_FOUND)
    patient_id = validate.optional_record_id(patient_id, NOT_FOUND)
    start, end = validate.optional_date(start, "From"), validate.optional_date(end, "To")
    if start is not None and end is not None and end < start:
        raise ValueError(f"To: {_words(end)} is before the From date, {_words(start)}; the range runs from the "
                         "earlier day to the later one")
    return Filters(action, account_id, patient_id, start, end, validate.yes_no(autosaves, "Show autosaves"))


def _words(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


MATCHING = """
    SELECT * FROM audit_log
    WHERE ($before IS NULL OR id < $before)
      AND ($action IS NULL OR action = $action)
      AND ($autosaves OR $action IS NOT NULL OR NOT list_contains($autosave_actions, action))
      AND ($account IS NULL OR actor_id = $account OR (entity = 'user' AND entity_id = $account))
      AND ($start IS NULL OR occurred_at >= $start)
      AND ($after_end IS NULL OR occurred_at < $after_end)
      AND ($patient IS NULL OR (entity = 'patient' AND entity_id = $patient)
           OR json_extract_string(detail, '$.patient_id') = CAST($patient AS VARCHAR)
           OR list_contains(CAST(json_extract(detail, '$.shown') AS BIGINT[]), $patient))
"""
"""The entries that match the filters. An entry about one patient is on their record, names them in its details, or
is a list or search that showed them; an entry about an account was made by it or on it (a lock, a role change).
An autosave shows when asked for, or when it is the action chosen."""

WITH_NAMES = """
    SELECT n.id, n.occurred_at, coalesce(u.username, '') AS actor, u.display_name AS actor_name, n.action,
           n.entity, n.entity_id, n.detail, a.username AS account, p.id AS patient_id, p.mrn AS chart_number
    FROM matching n LEFT JOIN users u ON u.id = n.actor_id
         LEFT JOIN users a ON n.entity = 'user' AND a.id = n.entity_id
         LEFT JOIN patients p ON p.id = CASE WHEN n.entity = 'patient' THEN n.entity_id
                      ELSE TRY_CAST(json_extract_string(n.detail, '$.patient_id') AS BIGINT) END
    ORDER BY n.id DESC
"""
"""The matching entries with who acted, the account acted on, and the patient the entry is on (its record, or the
patient its details name) by chart number."""
PAGE_SQL = "WITH matching AS (" + MATCHING + " ORDER BY id DESC LIMIT $limit) " + WITH_NAMES
ENTRY_SQL = "WITH matching AS (SELECT * FROM audit_log WHERE id = $id) " + WITH_NAMES
EXPORT_COUNT_SQL = "SELECT count(*) FROM (" + MATCHING + ")"
EXPORT_SQL = "WITH matching AS (" + MATCHING + ") " + WITH_NAMES
"""Each query whole, from the fixed fragments above: every value a filter brings is a named parameter."""


def _parameters(chosen: Filters, before_id: int | None = None) -> dict:
    return {"before": before_id, "action": chosen.action, "autosaves": chosen.autosaves,
            "autosave_actions": list(AUTOSAVES), "account": chosen.account_id, "patient": chosen.patient_id,
            "start": chosen.start, "after_end": chosen.end + timedelta(days=1) if chosen.end else None}


def page(con, user: User, before_id: int | None = None, action: str | None = None, patient_id: int | None = None,
         limit: int = PAGE_SIZE, *, account_id: int | None = None, start: date | None = None,
         end: date | None = None, autosaves: bool = False) -> AuditPage:
    """The newest matching entries with an id below `before_id` (all when None): of one action, by or about one
    account, about one patient, on the days from `start` to `end` (both included); autosaves only when asked."""
    user = require(con, user, {"admin"})
    limit = validate.whole_number(limit, "Entries per page", 1, MAX_PAGE)
    chosen = filters(action, account_id, patient_id, start, end, autosaves)
    if before_id is not None:
        before_id = validate.whole_number(before_id, "Older than entry", 1, 2**63 - 1)
    with db.read(con) as cur:
        rows = cur.execute(PAGE_SQL, {**_parameters(chosen, before_id), "limit": limit + 1}).df()
    more = len(rows) > limit
    rows = rows.head(limit)
    return AuditPage(rows, int(rows["id"].iloc[-1]) if more else None)


def entry(con, user: User, entry_id: int) -> dict | None:
    """One entry with every field, for the administrator who asked to see it in full; None when there is none."""
    user = require(con, user, {"admin"})
    entry_id = validate.whole_number(entry_id, "Entry", 1, 2**63 - 1)
    with db.read(con) as cur:
        rows = cur.execute(ENTRY_SQL, {"id": entry_id}).df()
    return None if rows.empty else rows.iloc[0].to_dict()


def export(con, user: User, action: str | None = None, patient_id: int | None = None, *,
           account_id: int | None = None, start: date | None = None, end: date | None = None,
           autosaves: bool = False) -> pd.DataFrame:
    """Every entry matching the filters, newest first, for the administrator's CSV file; the one way the trail (chart
    numbers included) leaves the app, so it is audited with the filters and the number of rows, in the same
    transaction that read them. More than EXPORT_MAX entries are refused, nothing written."""
    user = require(con, user, {"admin"})
    chosen = filters(action, account_id, patient_id, start, end, autosaves)
    parameters = _parameters(chosen)
    with db.transaction(con) as cur:
        (found,) = cur.execute(EXPORT_COUNT_SQL, parameters).fetchone()
        if found > EXPORT_MAX:
            raise ValueError(f"The export holds at most {EXPORT_MAX:,} entries and these filters match {found:,}: "
                             "narrow them (the dates, an account or an action) and export each part")
        rows = cur.execute(EXPORT_SQL, parameters).df()
        recorded = {**asdict(chosen), "start": chosen.start and chosen.start.isoformat(),
                    "end": chosen.end and chosen.end.isoformat(), "rows": len(rows)}
        db.audit(cur, user.id, "audit_exported", "database", None, recorded)
    return rows


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
    """The actions the trail holds, for the Action filter's choices."""
    user = require(con, user, {"admin"})
    with db.read(con) as cur:
        return [row[0] for row in cur.execute("SELECT DISTINCT action FROM audit_log ORDER BY 1").fetchall()]
