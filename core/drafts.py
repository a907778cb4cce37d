"""Unfinished forms kept on the server, per user, so a reload, a lost connection or a sign-out loses nothing.

A browser reload starts a new Streamlit session with nothing in it; a screening of sixty
answers must survive that. A draft belongs to the account that typed it and is never
shown to anyone else; saving the record it was for (in the same transaction) or
discarding it removes it. Drafts are working copies, not clinical records, so removing
one deletes the row; the audit trail keeps who created, resumed and removed it.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time

from core import db
from core.access import User, require
from core.rules import validate
from core.schema import DRAFT_KINDS

WRITERS = {"screening": frozenset({"nurse", "prescriber"}), "dosing": frozenset({"nurse", "prescriber"}),
           "checkin": frozenset({"therapist", "nurse", "prescriber"}), "integration_note": frozenset({"therapist"})}
ANY_WRITER = frozenset().union(*WRITERS.values())
MAX_CONTENT_CHARS = 200_000
CONFLICT_RETRIES = 3
"""The same user on two screens may autosave one draft at the same moment; the later write simply tries again."""
GONE = "That unfinished form was saved or discarded on another screen; nothing was saved from this one."


@dataclass(frozen=True)
class Draft:
    id: int
    kind: str
    patient_id: int | None
    content: dict
    started_at: datetime
    updated_at: datetime


def save(con, user: User, kind: str, content: dict, draft_id: int | None = None, patient_id: int | None = None,
         now: datetime | None = None) -> int:
    """Create the user's draft, or replace the content of one they own; returns its id."""
    user = _writer(con, user, kind)
    draft_id = validate.optional_record_id(draft_id, GONE)
    patient_id = validate.optional_record_id(patient_id, "That patient was not found")
    if not isinstance(content, dict):
        raise ValueError("A draft holds a form's fields; nothing else can be kept")
    encoded = encode(content)
    if len(encoded) > MAX_CONTENT_CHARS:
        raise ValueError("The form is too large to keep as a draft")
    now = now or datetime.now()
    for _ in range(CONFLICT_RETRIES - 1):
        with contextlib.suppress(db.Conflict):
            return _save(con, user, kind, encoded, draft_id, patient_id, now)
    return _save(con, user, kind, encoded, draft_id, patient_id, now)


def _save(con, user: User, kind: str, encoded: str, draft_id: int | None, patient_id: int | None,
          now: datetime) -> int:
    with db.transaction(con) as cur:
        if draft_id is None:
            (draft_id,) = cur.execute(
                "INSERT INTO drafts (user_id, kind, patient_id, content, started_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                [user.id, kind, patient_id, encoded, now, now],
            ).fetchone()
            db.audit(cur, user.id, "draft_created", "draft", draft_id, {"kind": kind, "patient_id": patient_id})
        else:
            _owned(cur, user, draft_id)
            cur.execute("UPDATE drafts SET content = ?, patient_id = ?, updated_at = ? WHERE id = ?",
                        [encoded, patient_id, now, draft_id])
            db.audit(cur, user.id, "draft_updated", "draft", draft_id, {"kind": kind})
    return draft_id


def mine(con, user: User, kind: str) -> list[Draft]:
    """The user's own drafts of this kind, newest first."""
    user = _writer(con, user, kind)
    with db.read(con) as cur:
        rows = cur.execute(
            "SELECT id, kind, patient_id, content, started_at, updated_at FROM drafts "
            "WHERE user_id = ? AND kind = ? ORDER BY updated_at DESC, id DESC",
            [user.id, kind],
        ).fetchall()
    return [Draft(r[0], r[1], r[2], decode(r[3]), r[4], r[5]) for r in rows]


def resume(con, user: User, draft_id: int) -> Draft:
    """One of the user's own drafts, to fill a form with again; audited as a read of patient data."""
    user = require(con, user, ANY_WRITER)
    with db.transaction(con) as cur:
        _owned(cur, user, draft_id)
        row = cur.execute("SELECT id, kind, patient_id, content, started_at, updated_at FROM drafts WHERE id = ?",
                          [draft_id]).fetchone()
        db.audit(cur, user.id, "draft_resumed", "draft", draft_id, {"kind": row[1]})
    return Draft(row[0], row[1], row[2], decode(row[3]), row[4], row[5])


def discard(con, user: User, draft_id: int) -> None:
    user = require(con, user, ANY_WRITER)
    with db.transaction(con) as cur:
        remove(cur, user, draft_id, "draft_discarded")


def remove(cur, user: User, draft_id: int, action: str) -> None:
    """Delete one of the user's drafts inside the caller's transaction (the record it was for is being saved)."""
    _owned(cur, user, draft_id)
    cur.execute("DELETE FROM drafts WHERE id = ?", [draft_id])
    db.audit(cur, user.id, action, "draft", draft_id)


def _owned(cur, user: User, draft_id: int) -> None:
    draft_id = validate.record_id(draft_id, GONE)
    row = cur.execute("SELECT user_id FROM drafts WHERE id = ?", [draft_id]).fetchone()
    if row is None or row[0] != user.id:
        raise ValueError(GONE)


def _writer(con, user: User, kind: str) -> User:
    """The account, if it may keep drafts at all and this kind in particular."""
    user = require(con, user, ANY_WRITER)
    if not isinstance(kind, str) or kind not in DRAFT_KINDS:
        raise ValueError(f"Unknown kind of draft: {kind!r}")
    return require(con, user, WRITERS[kind])


_TAGS = {"$date": date.fromisoformat, "$time": time.fromisoformat, "$datetime": datetime.fromisoformat}


def encode(content: dict) -> str:
    """JSON with dates and times tagged, so a form comes back with the same types its widgets hold."""
    def tagged(value):
        if isinstance(value, datetime):
            return {"$datetime": value.isoformat()}
        if isinstance(value, date):
            return {"$date": value.isoformat()}
        if isinstance(value, time):
            return {"$time": value.isoformat()}
        if isinstance(value, (set, frozenset, tuple)):
            return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
        raise ValueError(f"A draft cannot hold a value of type {type(value).__name__}")

    try:
        return json.dumps(content, default=tagged, sort_keys=True, ensure_ascii=False)
    except (TypeError, RecursionError):  # keys of mixed kinds cannot be sorted; a form nested in itself has no end
        raise ValueError("A draft cannot hold this form's fields as they are") from None


def decode(text: str) -> dict:
    def untag(obj: dict):
        if len(obj) == 1:
            (tag, value), = obj.items()
            if tag in _TAGS:
                return _TAGS[tag](value)
        return obj

    return json.loads(text, object_hook=untag)
