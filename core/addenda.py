"""Addenda: a correction or a later word added beside a signed record, which itself never changes.

A signed record is what the clinician signed; changing it in place would leave the file saying something they did
not sign. So a later correction is a row of its own, with who added it, when and why, written in one transaction with
its audit row. Dosing sessions and integration notes take them through this module, whose `Kind` names the table,
the signed record's column and the audit action, so a further kind of signed record needs only a table and a `Kind`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from core import db
from core.access import User
from core.rules import validate

MAX_REASON = 500
MAX_TEXT = 2000


@dataclass(frozen=True)
class Kind:
    """Where one kind of signed record keeps its addenda. Every name is a constant of the code, never user input:
    they are put into the SQL text, the values always go in as parameters."""

    table: str
    record_column: str
    action: str
    entity: str


SESSION = Kind("session_addenda", "session_id", "session_addendum_added", "session_addendum")
NOTE = Kind("note_addenda", "note_id", "integration_note_addendum_added", "integration_note_addendum")


def checked(reason, text) -> tuple[str, str]:
    """The reason and the addendum, each required and named when missing or too long, both checked before any write."""
    checks = validate.every({
        "reason": lambda: validate.text(reason, "Reason for the addendum", MAX_REASON, required=True).strip(),
        "text": lambda: validate.text(text, "Addendum", MAX_TEXT, required=True).strip(),
    })
    return checks["reason"], checks["text"]


def append(cur, kind: Kind, user: User, record_id: int, reason: str, text: str, now: datetime,
           detail: dict) -> int:
    """Add one addendum inside the caller's transaction (a cursor from `db.transaction`), with its audit row; the
    reason and the text already `checked`. `detail` holds ids for the audit row, never the text."""
    (addendum_id,) = cur.execute(
        f"INSERT INTO {kind.table} ({kind.record_column}, added_at, added_by, reason, text) VALUES (?, ?, ?, ?, ?) "
        "RETURNING id", [record_id, now, user.id, reason, text]).fetchone()
    db.audit(cur, user.id, kind.action, kind.entity, addendum_id, {**detail, kind.record_column: record_id})
    return addendum_id


def listed(cur, kind: Kind, record_id: int) -> pd.DataFrame:
    """A record's addenda, oldest first: added_at, added_by (a name), reason, text."""
    return cur.execute(
        f"""SELECT a.added_at, u.display_name AS added_by, a.reason, a.text FROM {kind.table} a
            JOIN users u ON u.id = a.added_by WHERE a.{kind.record_column} = ? ORDER BY a.id""", [record_id]).df()
