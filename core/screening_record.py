"""One screening as a clinician reads it: who, what was answered, every score and reason, and its safety follow-up.

The prescriber's decision view and the patient's chart show the same record, so it is
read in one place, for staff only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from core import db, safety
from core.access import STAFF, User, require
from core.rules import validate
from core.rules.reasons import Reason
from core.safety import FollowUp
from core.screenings import intake_from_answers, reasons_from_json


@dataclass(frozen=True)
class Score:
    instrument: str
    total: int | None
    band: str | None
    flags: tuple[str, ...]


@dataclass(frozen=True)
class Comment:
    author: str
    added_at: datetime
    text: str


@dataclass(frozen=True)
class ScreeningRecord:
    screening_id: int
    patient_id: int
    patient: str
    chart_number: str
    date_of_birth: date
    sex: str
    screened_at: datetime
    screened_by: str | None
    result: str
    """The screening's result (eligible / needs_review / ineligible), not the prescriber's choice."""
    urgent: bool
    reasons: list[Reason]
    intake: dict
    details: dict
    scores: list[Score]
    rules_version: str
    safety: FollowUp | None
    """The same-day safety follow-up this screening raised, with its assessment once recorded."""
    comments: list[Comment]
    """Prescribers' notes added after the decision (typed for a decision someone else signed first)."""


def load(con, user: User, screening_id: int) -> ScreeningRecord:
    user = require(con, user, STAFF)
    screening_id = validate.record_id(screening_id, "That screening was not found")
    with db.read(con) as cur:
        row = cur.execute(
            """SELECT s.id, p.id, p.last_name || ', ' || p.first_name, p.mrn, p.date_of_birth, p.sex, s.screened_at,
                      u.display_name, s.decision, s.urgent, s.reasons, s.answers, s.rules_version
               FROM screenings s JOIN patients p ON p.id = s.patient_id LEFT JOIN users u ON u.id = s.screened_by
               WHERE s.id = ?""", [screening_id]).fetchone()
        if row is None:
            raise ValueError("That screening was not found")
        scores = cur.execute(
            "SELECT instrument, total, band, flags FROM assessments WHERE screening_id = ? ORDER BY id",
            [screening_id]).fetchall()
        comments = cur.execute(
            "SELECT u.display_name, c.added_at, c.text FROM screening_comments c JOIN users u ON u.id = c.added_by "
            "WHERE c.screening_id = ? ORDER BY c.added_at, c.id", [screening_id]).fetchall()
    return ScreeningRecord(*row[:10], reasons_from_json(row[10]), intake_from_answers(row[11]),
                           json.loads(row[11])["details"],
                           [Score(i, total, band, tuple(json.loads(flags))) for i, total, band, flags in scores],
                           row[12], _followup(con, user, row[1], screening_id), [Comment(*c) for c in comments])


def _followup(con, user: User, patient_id: int, screening_id: int) -> safety.FollowUp | None:
    return next((f for f in safety.for_patient(con, user, patient_id) if f.screening_id == screening_id), None)
