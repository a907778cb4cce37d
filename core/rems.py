"""The Spravato REMS Patient Monitoring Form of each intranasal dosing session: read, saved, completed, submitted.

What the session's record already holds (the patient, the screening's current medications, the dose given, the
readings, the events, the pre-dose and discharge checks) is read from the record every time the form is opened, with
where it came from, so the form cannot disagree with the chart; only the rest is typed, kept here as the form's
draft. At completion the whole form as completed is stored with it, so what was filed never changes afterwards.
Nurses and prescribers file it; every write is one transaction with its audit row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

from core import db
from core.access import User, require
from core.rules import rems, validate
from core.rules.dosing import ADVERSE_EVENT_WORDS
from core.rules.settings import Settings, resolve

REMS_TEAM = frozenset({"nurse", "prescriber"})
NO_FORM = "That session has no REMS form: the form is filed for intranasal (esketamine) sessions only"
SETTING_FIELDS = ("setting_name", "setting_address", "setting_city", "setting_state", "setting_zip")
"""The clinic's own details, offered on a new form from the last one saved (they change only if the clinic moves)."""

SESSION_SQL = """
    SELECT d.id, d.patient_id, p.last_name || ', ' || p.first_name, p.first_name, p.last_name, p.mrn,
           p.date_of_birth, p.sex, d.session_number, d.route, d.status, d.started_at, d.discharged_at, dg.mg,
           s.left_with, g.reasons, g.checked_at,
           (SELECT count(*) FROM dosing_sessions e WHERE e.patient_id = d.patient_id AND e.route = 'intranasal'
            AND (e.started_at < d.started_at OR (e.started_at = d.started_at AND e.id < d.id)))
    FROM dosing_sessions d JOIN patients p ON p.id = d.patient_id
    LEFT JOIN doses_given dg ON dg.id = d.id
    LEFT JOIN session_details s ON s.session_id = d.id
    LEFT JOIN gate_checks g ON g.id = s.gate_check_id
    WHERE d.id = ?
"""
SCREENING_SQL = """
    SELECT json_extract(answers, '$.intake.medications')::VARCHAR, screened_at FROM screenings
    WHERE patient_id = ? AND screened_at <= ? ORDER BY screened_at DESC, id DESC LIMIT 1
"""
READINGS_SQL = """
    SELECT phase, minutes_after_dose, taken_at, systolic_bp, diastolic_bp, moaa_s, dissociation
    FROM session_vitals WHERE session_id = ? ORDER BY taken_at, id
"""
EVENTS_SQL = """
    SELECT e.code, d.severity, e.description FROM adverse_events e
    LEFT JOIN adverse_event_details d ON d.adverse_event_id = e.id
    WHERE e.session_id = ? ORDER BY e.recorded_at, e.id
"""
FORM_SQL = """
    SELECT f.answers, f.status, su.display_name, f.saved_at, f.completed_form, cu.display_name, f.completed_at,
           bu.display_name, f.submitted_at
    FROM rems_forms f JOIN users su ON su.id = f.saved_by
    LEFT JOIN users cu ON cu.id = f.completed_by LEFT JOIN users bu ON bu.id = f.submitted_by
    WHERE f.session_id = ?
"""
LAST_SAVED_SQL = "SELECT answers FROM rems_forms ORDER BY saved_at DESC, session_id DESC LIMIT 1"
STATUS_SQL = """
    SELECT f.status, u.display_name, coalesce(f.submitted_at, f.completed_at) FROM rems_forms f
    JOIN users u ON u.id = coalesce(f.submitted_by, f.completed_by) WHERE f.session_id = ?
"""
SAVE_SQL = """
    INSERT INTO rems_forms (session_id, answers, status, saved_by, saved_at) VALUES (?, ?, 'draft', ?, ?)
    ON CONFLICT (session_id) DO UPDATE SET answers = excluded.answers, saved_by = excluded.saved_by,
                                           saved_at = excluded.saved_at
"""
COMPLETE_SQL = """
    UPDATE rems_forms SET status = 'complete', completed_form = ?, completed_by = ?, completed_at = ?
    WHERE session_id = ?
"""
SUBMIT_SQL = "UPDATE rems_forms SET status = 'submitted', submitted_by = ?, submitted_at = ? WHERE session_id = ?"
DUE_FROM = """
    FROM dosing_sessions d JOIN patients p ON p.id = d.patient_id
    LEFT JOIN rems_forms f ON f.session_id = d.id
    WHERE d.route = 'intranasal' AND d.status <> 'in_progress' AND (f.status IS NULL OR f.status <> 'submitted')
"""
DUE_SQL = """
    SELECT d.id AS session_id, d.patient_id, p.last_name || ', ' || p.first_name AS patient, p.mrn AS chart_number,
           d.session_number, d.started_at, coalesce(f.status, 'not_started') AS status
""" + DUE_FROM + " ORDER BY d.started_at, d.id LIMIT ? OFFSET ?"
DUE_COUNT_SQL = "SELECT count(*), count(*) FILTER (WHERE CAST(d.started_at AS DATE) < ?) " + DUE_FROM
DUE_PAGE_SIZE = 25
"""Forms a page of the list: a screenful, whatever the clinic's size (issue 21)."""
PATIENT_OF_SQL = "SELECT patient_id, route FROM dosing_sessions WHERE id = ?"
SAVED_SQL = """SELECT f.saved_at, u.display_name FROM rems_forms f JOIN users u ON u.id = f.saved_by
               WHERE f.session_id = ?"""

STATUS_WORDS = {"not_started": "Not started", "draft": "Draft saved", "complete": "Complete, to submit",
                "submitted": "Submitted"}


@dataclass(frozen=True)
class Prefilled:
    value: object
    source: str
    """Where in the record the value came from, in words, shown beside it."""


@dataclass(frozen=True)
class Form:
    session_id: int
    patient_id: int
    patient: str
    chart_number: str
    session_number: int
    treatment_date: date
    status: str
    """"not_started" | "draft" | "complete" | "submitted"."""
    prefilled: dict[str, Prefilled]
    answers: dict
    """The typed answers as saved (the draft), or the clinic's details offered from the last form on a new one."""
    completed: dict | None
    """The whole form as it was completed; None until then."""
    events: tuple[str, ...]
    """The session's adverse events in words, beside the question about a serious one."""
    due_date: date
    days_left: int
    saved_by: str | None
    saved_at: datetime | None
    completed_by: str | None
    completed_at: datetime | None
    submitted_by: str | None
    submitted_at: datetime | None

    @property
    def asked(self) -> tuple[str, ...]:
        """The fields the record does not hold, typed on the form, in the form's order."""
        return tuple(f.key for f in rems.FIELDS if f.key not in self.prefilled)

    @property
    def values(self) -> dict:
        """Every field's value: as completed, or the record's and the typed draft's together."""
        if self.completed is not None:
            return dict(self.completed)
        return {**{k: self.answers.get(k) for k in self.asked}, **{k: p.value for k, p in self.prefilled.items()}}

    @property
    def missing(self) -> list[str]:
        return rems.missing(self.values)

    @property
    def editable(self) -> bool:
        return self.status in ("not_started", "draft")


@dataclass(frozen=True)
class DuePage:
    rows: pd.DataFrame
    total: int
    overdue: int
    page: int
    """1-based; a page past the end is the last page."""
    pages: int


def due_forms(con, user: User, page: int = 1, today: date | None = None,
              settings: Settings | None = None) -> DuePage:
    """One page of the forms not yet submitted, of every ended intranasal session, the soonest due first (so the
    overdue come first, the longest overdue at the top), each with its days left; and how many are due and overdue."""
    require(con, user, REMS_TEAM)
    today = today or date.today()
    page = validate.whole_number(page, "Page")
    with db.read(con) as cur:
        total, overdue = cur.execute(DUE_COUNT_SQL, [rems.on_time_from(today, settings)]).fetchone()
        pages = max(1, -(-total // DUE_PAGE_SIZE))
        page = min(max(1, page), pages)
        rows = cur.execute(DUE_SQL, [DUE_PAGE_SIZE, (page - 1) * DUE_PAGE_SIZE]).df()
    treated = [t.date() for t in rows["started_at"]]
    left = [rems.days_left(t, today, settings) for t in treated]
    rows = rows.assign(treatment_date=treated, due_date=[rems.due_date(t, settings) for t in treated],
                       days_left=pd.Series(left, index=rows.index, dtype="Int64"),
                       due=[rems.due_words(n) for n in left])
    return DuePage(rows.drop(columns=["started_at"]), int(total), int(overdue), page, pages)


def form(con, user: User, session_id: int, today: date | None = None, settings: Settings | None = None) -> Form:
    """One session's form: the record's fields filled in with their sources, the typed answers, the status."""
    require(con, user, REMS_TEAM)
    today = today or date.today()
    session_id = validate.record_id(session_id, NO_FORM)
    with db.read(con) as cur:
        return _form(cur, session_id, today, settings)


def _form(cur, session_id: int, today: date, settings: Settings | None) -> Form:
    row = cur.execute(SESSION_SQL, [session_id]).fetchone()
    if row is None or row[9] != "intranasal":
        raise ValueError(NO_FORM)
    if row[10] == "in_progress":
        raise ValueError("This session is still in progress: its REMS form is filled in once the patient has left")
    screening = cur.execute(SCREENING_SQL, [row[1], row[11]]).fetchone()
    readings = cur.execute(READINGS_SQL, [session_id]).fetchall()
    events = cur.execute(EVENTS_SQL, [session_id]).fetchall()
    stored = cur.execute(FORM_SQL, [session_id]).fetchone()
    if stored is None:
        last = cur.execute(LAST_SAVED_SQL).fetchone()
        offered = {k: v for k, v in json.loads(last[0]).items() if k in SETTING_FIELDS} if last else {}
        stored = (json.dumps(offered), "not_started", None, None, None, None, None, None, None)
    treated = row[11].date()
    return Form(session_id, row[1], row[2], row[5], row[8], treated, stored[1],
                _prefilled(row, screening, readings, events, settings), json.loads(stored[0]),
                None if stored[4] is None else json.loads(stored[4]), tuple(_event_words(e) for e in events),
                rems.due_date(treated, settings), rems.days_left(treated, today, settings), *stored[2:4],
                *stored[5:7], *stored[7:9])


def _prefilled(row, screening, readings, events, settings: Settings | None) -> dict[str, Prefilled]:
    """Each field the record answers, with its source; a field the record cannot answer is left to be typed."""
    (_, _, _, first, last, _, born, sex, _, _, _, started, ended, given, left_with, gate_reasons, gate_at,
     earlier) = row
    s = resolve(settings)
    chart = "the patient's chart"
    found = {
        "patient_name": Prefilled(f"{first} {last}", chart),
        "date_of_birth": Prefilled(born.isoformat(), chart),
        "sex": Prefilled(sex.capitalize(), chart),
        "first_treatment": Prefilled(earlier == 0, "the patient's dosing sessions: " + (
            "no earlier intranasal session" if earlier == 0 else f"{earlier} earlier intranasal session"
            + ("" if earlier == 1 else "s"))),
        "treatment_date": Prefilled(started.date().isoformat(), f"the dosing session (dose at {started:%H:%M})"),
    }
    if screening is not None and screening[0] is not None:
        taking = set(json.loads(screening[0]))
        source = f"the screening of {screening[1]:%d %b %Y} (current medications)"
        found |= {key: Prefilled(item in taking, source) for key, item in rems.MEDICATIONS.items()}
    if given is not None:
        found["dose_mg"] = Prefilled(given, "the dose actually given, recorded at the stop or the discharge")
    if ended is not None:
        found["total_minutes"] = Prefilled(int((ended - started).total_seconds() // 60),
                                           f"the session: dose at {started:%H:%M}, patient left at {ended:%H:%M}")
    if gate_reasons is not None:
        codes = {r["code"] for r in json.loads(gate_reasons)}
        found["vitals_ok_before"] = Prefilled(rems.vitals_ok_before(codes), f"the pre-dose check at {gate_at:%H:%M}")
    if left_with is not None:
        found["vitals_ok_end"] = Prefilled(True, "the discharge check the session passed before the patient left")
    before = [r for r in readings if r[0] == "pre"]
    if before:
        found["bp_before"] = Prefilled([before[0][3], before[0][4]], f"the pre-dose reading at {before[0][2]:%H:%M}")
    during = [r for r in readings if r[1] is not None]
    at_40 = rems.reading_at_40([(r[1], r[3], r[4]) for r in during], s)
    if at_40 is not None:
        found["bp_40"] = Prefilled([at_40[1], at_40[2]], f"the reading at minute {at_40[0]}")
    if ended is not None:
        last_reading = [r for r in readings if r[0] != "pre" and r[2] <= ended]
        if last_reading:
            minute = last_reading[-1][1]
            found["bp_end"] = Prefilled([last_reading[-1][3], last_reading[-1][4]], "the last reading" + (
                f", at minute {minute}" if minute is not None else ""))
        sedation = rems.sedated([r[5] for r in readings if r[5] is not None])
        if sedation is not None:
            found["sedation"] = Prefilled(sedation, "the session's readings (sedation scale, MOAA/S)")
        dissociation = rems.dissociated([r[6] for r in readings if r[6] is not None])
        if dissociation is not None:
            found["dissociation"] = Prefilled(dissociation, "the session's readings (dissociation)")
        found["respiratory_depression"] = Prefilled(any(e[0] == "respiratory_depression" for e in events),
                                                    "the session's adverse events")
    return found


def _event_words(event) -> str:
    code, severity, description = event
    return (ADVERSE_EVENT_WORDS.get(code, code) + (f" ({severity})" if severity else "")
            + (f": {description}" if description else ""))


def _typed(form_now: Form, answers: dict) -> dict:
    """The typed answers as stored, each checked and named when refused. A value for a field the record holds is
    dropped, not stored: the record is the form's source for it (it may have been recorded since the form was drawn)."""
    if not isinstance(answers, dict):
        raise ValueError("The REMS form's answers did not arrive as a form; type them again")
    errors = []
    typed = {}
    for key, value in answers.items():
        try:
            cleaned = rems.clean(key, value)
        except ValueError as e:
            errors.append(str(e))
            continue
        if key in form_now.asked:
            typed[key] = cleaned
    if errors:
        raise ValueError("Nothing was saved. Please correct: " + "; ".join(errors))
    return typed


def _editable(cur, session_id: int) -> None:
    row = cur.execute(STATUS_SQL, [session_id]).fetchone()
    if row is not None:
        status, by, at = row
        raise ValueError(f"This form was already marked {status} by {by} on {at:%d %b %Y at %H:%M}; nothing was "
                         "changed")


class SavedMeanwhile(ValueError):
    """Someone saved the form after this screen opened it: saving over their answers unseen would lose them (two
    people on one form in the Chromium review: the second save silently emptied the first one's telephone)."""

    def __init__(self, by: str, at: datetime):
        super().__init__(f"{by} saved this form at {at:%H:%M on %d %b %Y}, after you opened it: nothing of yours was "
                         "saved. What you typed is still on screen, beside their answers where they differ")
        self.saved_at = at


def _unchanged(cur, session_id: int, opened: datetime | None) -> None:
    """Refuses a save over a version the user has not seen: `opened` is when the version on their screen was saved
    (None for a form no one had saved)."""
    row = cur.execute(SAVED_SQL, [session_id]).fetchone()
    if row is not None and row[0] != opened:
        raise SavedMeanwhile(row[1], row[0])


def _before_saving(cur, session_id: int, answers: dict, opened: datetime | None, now: datetime,
                   settings: Settings | None) -> tuple[Form, dict]:
    """The form as stored now and the typed answers checked, once it is known that this screen may save over it."""
    current = _form(cur, session_id, now.date(), settings)
    _editable(cur, session_id)
    _unchanged(cur, session_id, opened)
    return current, _typed(current, answers)


def save(con, user: User, session_id: int, answers: dict, opened: datetime | None = None,
         now: datetime | None = None, settings: Settings | None = None) -> datetime:
    """Keep the typed answers as the form's draft (any field may still be empty): audited. `opened` is when the
    draft on the user's screen was saved (None when none was); returns when this one was, for the next save."""
    user = require(con, user, REMS_TEAM)
    now = now or datetime.now()
    session_id = validate.record_id(session_id, NO_FORM)
    with db.transaction(con) as cur:
        current, typed = _before_saving(cur, session_id, answers, opened, now, settings)
        cur.execute(SAVE_SQL, [session_id, json.dumps(typed, sort_keys=True), user.id, now])
        db.audit(cur, user.id, "rems_form_saved", "rems_form", session_id,
                 {"patient_id": current.patient_id, "session_id": session_id})
    return now


def complete(con, user: User, session_id: int, answers: dict, opened: datetime | None = None,
             now: datetime | None = None, settings: Settings | None = None) -> None:
    """Save the typed answers and mark the form complete, keeping the whole form as completed; refused, naming every
    field still empty, with nothing stored."""
    user = require(con, user, REMS_TEAM)
    now = now or datetime.now()
    session_id = validate.record_id(session_id, NO_FORM)
    with db.transaction(con) as cur:
        current, typed = _before_saving(cur, session_id, answers, opened, now, settings)
        values = {**{k: typed.get(k) for k in current.asked}, **{k: p.value for k, p in current.prefilled.items()}}
        rems.check_complete(values)
        cur.execute(SAVE_SQL, [session_id, json.dumps(typed, sort_keys=True), user.id, now])
        cur.execute(COMPLETE_SQL, [json.dumps(values, sort_keys=True), user.id, now, session_id])
        db.audit(cur, user.id, "rems_form_completed", "rems_form", session_id,
                 {"patient_id": current.patient_id, "session_id": session_id})


def submit(con, user: User, session_id: int, now: datetime | None = None) -> None:
    """Record that the completed form was sent to the REMS (online or by fax), who sent it and when: audited."""
    user = require(con, user, REMS_TEAM)
    now = now or datetime.now()
    session_id = validate.record_id(session_id, NO_FORM)
    with db.transaction(con) as cur:
        session = cur.execute(PATIENT_OF_SQL, [session_id]).fetchone()
        if session is None or session[1] != "intranasal":
            raise ValueError(NO_FORM)
        row = cur.execute(STATUS_SQL, [session_id]).fetchone()
        if row is None or row[0] == "draft":
            raise ValueError("Mark the form complete first: a form is submitted once every field is filled in")
        if row[0] == "submitted":
            raise ValueError(f"Already marked submitted by {row[1]} on {row[2]:%d %b %Y at %H:%M}; nothing was "
                             "changed")
        cur.execute(SUBMIT_SQL, [user.id, now, session_id])
        db.audit(cur, user.id, "rems_form_submitted", "rems_form", session_id,
                 {"patient_id": session[0], "session_id": session_id})


def record_view(con, user: User, session_id: int) -> None:
    """A form opened is a read of that patient's record: audited once per opening."""
    user = require(con, user, REMS_TEAM)
    session_id = validate.record_id(session_id, NO_FORM)
    with db.transaction(con) as cur:
        row = cur.execute(PATIENT_OF_SQL, [session_id]).fetchone()
        if row is None or row[1] != "intranasal":
            raise ValueError(NO_FORM)
        db.audit(cur, user.id, "rems_form_viewed", "patient", row[0], {"session_id": session_id})
