"""Integration-therapy notes: the therapist's signed record of the session that follows a dosing session.

Every cited trial paired ketamine with psychotherapy, so each note is tied to the dosing
session it follows (one note per session) and shown beside the intention the patient set
before that dose. The therapist signs by re-entering the password; a signed note is the
record and is not edited: a later correction is an addendum kept beside it (core/addenda.py). The note's time
follows the session's discharge (core/rules/integration.py): the form offers the booked integration session, or the
discharge, and core refuses a time inside the dosing session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from core import addenda, db, drafts, users
from core.access import STAFF, User, require
from core.rules import integration, validate

WRITERS = frozenset({"therapist"})
MAX_TEXT = 4000
COUNTED = ("in_progress", "discharged", "stopped")
CHOOSE_SESSION = "Dosing session: choose the session this integration session follows"


@dataclass(frozen=True)
class Note:
    id: int
    session_id: int
    met_at: datetime
    themes: str
    reflections: str
    plan: str
    signed_by: str
    signed_at: datetime
    addenda: pd.DataFrame
    """Added after signing, oldest first: added_at, added_by, reason, text."""


NO_NOTE = "That integration note was not found"


def sessions(con, user: User, patient_id: int, now: datetime | None = None) -> pd.DataFrame:
    """The patient's dosing sessions, newest first, each with its intention, booking, note (if written), the moment
    it ended (ended_at, its discharge; empty while in progress) and the time a new note's form offers (offered_at,
    after discharge: `integration.offered_time`)."""
    require(con, user, STAFF)
    now = now or datetime.now()
    patient_id = validate.record_id(patient_id, "That patient was not found")
    with db.read(con) as cur:
        listed = cur.execute(
            """SELECT d.id AS session_id, d.session_number, d.started_at, d.route, d.status, s.intention,
                      b.scheduled_for AS booked_for, n.id AS note_id, d.discharged_at AS ended_at
               FROM dosing_sessions d
               LEFT JOIN session_details s ON s.session_id = d.id
               LEFT JOIN therapy_bookings b ON b.session_id = d.id
               LEFT JOIN integration_notes n ON n.session_id = d.id
               WHERE d.patient_id = ? ORDER BY d.started_at DESC, d.id DESC""", [patient_id]).df()
    listed["offered_at"] = pd.Series(
        [None if pd.isna(ended) else integration.offered_time(ended, None if pd.isna(booked) else booked, now)
         for ended, booked in zip(listed["ended_at"], listed["booked_for"], strict=True)], dtype="datetime64[us]")
    return listed


def note_for(con, user: User, session_id: int) -> Note | None:
    require(con, user, STAFF)
    session_id = validate.record_id(session_id, "That session was not found")
    with db.read(con) as cur:
        row = cur.execute(
            """SELECT n.id, n.session_id, n.met_at, n.themes, n.reflections, n.plan, u.display_name, n.signed_at
               FROM integration_notes n JOIN users u ON u.id = n.signed_by WHERE n.session_id = ?""",
            [session_id]).fetchone()
        return Note(*row, addenda.listed(cur, addenda.NOTE, row[0])) if row else None


def write(con, user: User, patient_id: int, session_id: int | None, *, met_at, themes, reflections, plan, password: str,
          draft_id: int | None = None, now: datetime | None = None) -> int:
    """Store and sign the note in one step, its draft leaving with it; a second note for the same dosing session
    names the first."""
    user = require(con, user, WRITERS)
    now = now or datetime.now()
    session_id = validate.record_id(session_id, CHOOSE_SESSION)
    draft_id = validate.optional_record_id(draft_id, drafts.GONE)
    themes = _required(themes, "Themes")
    reflections = _required(reflections, "The patient's reflections")
    plan = _required(plan, "Plan until the next session")
    if not isinstance(met_at, datetime):
        raise ValueError(f"{integration.FIELD}: enter when you met the patient")
    if not users.verify_password(con, user, password):
        raise ValueError("Password is not right; the note was not signed or saved.")
    with db.transaction(con) as cur:
        row = cur.execute("SELECT patient_id, discharged_at, status FROM dosing_sessions WHERE id = ?",
                          [session_id]).fetchone()
        if row is None or row[0] != patient_id or row[2] not in COUNTED:
            raise ValueError(CHOOSE_SESSION)
        if row[1] is None:
            raise ValueError("Dosing session: this session is still in progress; the integration note follows "
                             "discharge")
        met_at = integration.note_time(met_at, row[1], now)
        written = cur.execute(
            "SELECT u.display_name, n.signed_at FROM integration_notes n JOIN users u ON u.id = n.signed_by "
            "WHERE n.session_id = ?", [session_id]).fetchone()
        if written:
            raise ValueError(f"A note for this session was already signed by {written[0]} at "
                             f"{written[1]:%H:%M on %d %b %Y}; nothing was saved.")
        (note_id,) = cur.execute(
            """INSERT INTO integration_notes (patient_id, session_id, met_at, themes, reflections, plan, signed_by,
                                              signed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
            [row[0], session_id, met_at, themes, reflections, plan, user.id, now]).fetchone()
        if draft_id is not None:
            drafts.remove(cur, user, draft_id, "draft_used")
        db.audit(cur, user.id, "integration_note_signed", "integration_note", note_id,
                 {"patient_id": row[0], "session_id": session_id, "seal": db.seal(cur, "integration_notes", note_id)})
    return note_id


def _required(value, field: str) -> str:
    return validate.text(value, field, MAX_TEXT, required=True)


def add_addendum(con, user: User, note_id: int, reason, text, now: datetime | None = None) -> int:
    """A correction or a later word added beside a signed note, which never changes: like a signed dosing session's
    addenda, by the note's writers (therapists), with a reason, in one transaction with its audit row."""
    user = require(con, user, WRITERS)
    now = now or datetime.now()
    note_id = validate.record_id(note_id, NO_NOTE)
    reason, text = addenda.checked(reason, text)
    with db.transaction(con) as cur:
        row = cur.execute("SELECT patient_id, session_id FROM integration_notes WHERE id = ?", [note_id]).fetchone()
        if row is None:
            raise ValueError(NO_NOTE)
        return addenda.append(cur, addenda.NOTE, user, note_id, reason, text, now,
                              {"patient_id": row[0], "session_id": row[1]})
