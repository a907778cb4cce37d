"""Patients and their screenings: saving a screening whole, finding probable duplicates, the roster and chart.

A screening is saved in one transaction with the patient (new or linked), the decision
exactly as `core.rules.eligibility.evaluate` made it, each instrument score as an assessment
and the audit rows; if any part fails nothing is stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from core import db, drafts, safety
from core.access import STAFF, User, require
from core.rules import eligibility, identity, validate
from core.rules.settings import Settings, resolve
from core.schema import PATIENT_STATUSES
from core.screening_form import Identity, ScreeningInput
from core.screenings import answers_json, reasons_json

SCREENERS = frozenset({"nurse", "prescriber"})
NO_CHART = "That patient's chart is not available"
NO_RESCREEN = "The patient to re-screen was not found"
PAGE_SIZE_MAX = 10_000
"""More rows than any clinic's roster shows on one page; past it a number is a slip, not a page."""


def _screening(screening) -> ScreeningInput:
    """The checked form (core.screening_form.validate_screening makes one); anything else was never checked."""
    if not isinstance(screening, ScreeningInput):
        raise ValueError("The screening form was not checked; check it and save again")
    return screening


@dataclass(frozen=True)
class SavedScreening:
    patient_id: int
    screening_id: int
    decision: eligibility.Decision
    patient: str
    """"Last, First" as stored, so the confirmation names the patient the screening was saved on."""


class DuplicatesFound(ValueError):
    """Probable duplicates the nurse has not yet seen and ruled out; nothing was saved.

    A name and birth-date match may be a different person; a chart number match is never
    given to a second patient (`same_chart_number`). Each row says whether the person typed
    is that patient on two identifiers (`same_person`, core.rules.identity): only then may
    the typed answers move to that chart; otherwise the number is corrected, or that patient
    is re-screened on an empty form.
    """

    def __init__(self, duplicates: list[dict]):
        self.duplicates = duplicates
        super().__init__("A patient with the same name and date of birth, or the same chart number, already exists")


IDENTITY_FIELDS = ("first_name", "last_name", "date_of_birth", "sex", "mrn")
IDENTITY_SQL = "SELECT " + ", ".join(IDENTITY_FIELDS) + " FROM patients WHERE id = ?"
DUPLICATES_SQL = """
    SELECT id, last_name || ', ' || first_name AS patient, first_name, last_name, date_of_birth, mrn AS chart_number,
           status,
           lower(trim(mrn)) = lower(trim(?)) AS same_chart_number
    FROM patients
    WHERE id IS DISTINCT FROM ?
      AND ((lower(trim(first_name)) = lower(trim(?)) AND lower(trim(last_name)) = lower(trim(?))
            AND date_of_birth = ?)
           OR lower(trim(mrn)) = lower(trim(?)))
    ORDER BY id
"""


def probable_duplicates(con, user: User, screening: ScreeningInput) -> pd.DataFrame:
    """Patients with the same name and date of birth, or the same chart number."""
    user = require(con, user, SCREENERS)
    screening = _screening(screening)
    with db.read(con) as cur:
        found = cur.execute(DUPLICATES_SQL, _duplicate_params(screening.identity, None)).df()
    return _with_same_person(found, screening.identity)


def _duplicate_params(who: Identity, patient_id: int | None) -> list:
    return [who.mrn, patient_id, who.first_name, who.last_name, who.date_of_birth, who.mrn]


def _with_same_person(found: pd.DataFrame, who: Identity) -> pd.DataFrame:
    typed = identity.Person(who.first_name, who.last_name, who.date_of_birth)
    stored = found[["first_name", "last_name", "date_of_birth"]].itertuples(index=False)
    return found.assign(same_person=[identity.same_person(typed, identity.Person(*row)) for row in stored])


class NotSamePerson(ValueError):
    """The person typed is not the chart's patient on two identifiers: nothing typed may be filed there.

    `mrn` is the chart's number, so the form can say which chart it did not go to."""

    def __init__(self, message: str, mrn: str):
        super().__init__(message)
        self.mrn = mrn


def confirm_same_person(con, user: User, patient_id: int, typed: identity.Person) -> Chart:
    """The chart as it is now, if it is the person typed; else `NotSamePerson`, and nothing may move there.

    Called before any form changes hands (a duplicate re-screened, a draft resumed), because
    the chart may have been corrected since the form was drawn. The chart read for the check
    is returned, so the form that moves to it shows exactly what was checked.
    """
    user = require(con, user, SCREENERS)
    patient_id = validate.record_id(patient_id, NO_CHART)
    if not isinstance(typed, identity.Person):
        raise ValueError("The name and date of birth typed did not arrive; type them again")
    record = chart(con, user, patient_id)
    stored = identity.Person(*(record.patient[k] for k in ("first_name", "last_name", "date_of_birth")))
    different = identity.differences(typed, stored)
    if different:
        raise NotSamePerson(f"The {' and the '.join(different)} typed differ from that patient's chart, so this is "
                            "someone else: nothing typed was moved to that chart.", record.patient["mrn"])
    return record


class ChartChanged(ValueError):
    """Someone changed the chart's identity after this re-screen opened it; nothing was saved.

    `fields` are the identity fields changed since; `same_person` says whether the chart still
    names the person the re-screen was opened for (name and date of birth, core.rules.identity).
    If not, the answers typed must not be filed there; if so, the form should show the chart as
    it is now before anything is saved, so that a save never undoes the other person's correction.
    """

    def __init__(self, fields: tuple[str, ...], same_person: bool):
        self.fields, self.same_person = fields, same_person
        super().__init__("The chart's identity was changed by someone else after this re-screen was opened; "
                         "nothing was saved")


def changed_since(opened_as: dict | None, stored: dict) -> tuple[str, ...]:
    """The identity fields whose stored value differs from what the chart held when a re-screen was opened."""
    return tuple(f for f in IDENTITY_FIELDS if f in (opened_as or {}) and str(opened_as[f]) != str(stored[f]))


def save_screening(con, user: User, screening: ScreeningInput, patient_id: int | None = None, *,
                   draft_id: int | None = None, update_identity: bool = False,
                   acknowledged_duplicates: frozenset[int] = frozenset(), opened_as: dict | None = None,
                   now: datetime | None = None) -> SavedScreening:
    """Save a new patient's screening, or a re-screen when `patient_id` is given.

    The decision must rest on the identity the chart holds: a re-screen whose identity
    differs from the stored one is refused unless `update_identity` says the change is
    deliberate, and then the patient row is corrected in the same transaction. Probable
    duplicates are looked up inside the transaction; any the nurse has not ruled out
    (`acknowledged_duplicates`, by patient id) refuse the save. The draft it came from is
    removed, and an urgent decision opens a same-day safety follow-up, all or nothing.

    `opened_as` is the chart's identity as the re-screen found it when it was opened (any of
    IDENTITY_FIELDS); if the chart no longer holds it, someone else corrected it meanwhile and
    the save is refused with `ChartChanged`, checked in the transaction that would write.
    """
    user = require(con, user, SCREENERS)
    now = now or datetime.now()
    screening = _screening(screening)
    patient_id = validate.optional_record_id(patient_id, NO_RESCREEN)
    draft_id = validate.optional_record_id(draft_id, drafts.GONE)
    update_identity = validate.yes_no(update_identity, "Correct identity details")
    acknowledged_duplicates = validate.record_ids(acknowledged_duplicates, "A patient ruled out as a duplicate "
                                                                           "was not found; check the list again")
    if opened_as is not None and not isinstance(opened_as, dict):
        raise ValueError("The chart as it was opened is not known; open the re-screen again")
    decision = eligibility.evaluate(screening.intake)
    status = "ineligible" if decision.status == "ineligible" else "screened"
    who = screening.identity
    substance = screening.details["primary_substance"]
    with db.transaction(con) as cur:
        if draft_id is not None:  # first: a form saved or discarded elsewhere is stale, whatever it holds
            drafts.remove(cur, user, draft_id, "draft_saved")
        if patient_id is not None:
            _check_chart(cur, user, patient_id, who, update_identity, opened_as)
        if patient_id is None or update_identity:
            found = _with_same_person(cur.execute(DUPLICATES_SQL, _duplicate_params(who, patient_id)).df(), who)
            unseen = found[~found["id"].isin(acknowledged_duplicates)]
            if not unseen.empty:
                raise DuplicatesFound(found.to_dict("records"))
            if found["same_chart_number"].any():
                raise ValueError(f"Chart number {who.mrn} already belongs to another patient: re-screen that "
                                 "patient, or correct the chart number. Nothing was saved.")
        if patient_id is None:
            (patient_id,) = cur.execute(
                """INSERT INTO patients (mrn, first_name, last_name, date_of_birth, sex, phone, emergency_contact,
                                         primary_substance, status, created_at, created_by)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
                [who.mrn, who.first_name, who.last_name, who.date_of_birth, who.sex, who.phone,
                 who.emergency_contact, substance, status, now, user.id],
            ).fetchone()
            db.audit(cur, user.id, "patient_created", "patient", patient_id)
        else:
            # No RETURNING here: DuckDB 2.0 rejects UPDATE ... RETURNING on a row other tables reference.
            cur.execute(
                """UPDATE patients SET first_name = ?, last_name = ?, date_of_birth = ?, sex = ?, mrn = ?, phone = ?,
                                       emergency_contact = ?, primary_substance = ?, status = ? WHERE id = ?""",
                [who.first_name, who.last_name, who.date_of_birth, who.sex, who.mrn, who.phone,
                 who.emergency_contact, substance, status, patient_id],
            )
        (screening_id,) = cur.execute(
            """INSERT INTO screenings (patient_id, screened_at, screened_by, answers, systolic_bp, diastolic_bp,
                                       decision, urgent, reasons, rules_version)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
            [patient_id, now, user.id, answers_json(screening.intake, screening.details),
             screening.intake["systolic_bp"], screening.intake["diastolic_bp"], decision.status, decision.urgent,
             reasons_json(decision), decision.rules_version],
        ).fetchone()
        scores = {**decision.scores, **screening.scores}
        answers = {**screening.intake, "auditc": screening.details.get("auditc")}
        for instrument_id, result in scores.items():
            cur.execute(
                """INSERT INTO assessments (patient_id, instrument, taken_at, total, band, flags, answers,
                                            screening_id, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [patient_id, instrument_id, now, result.total, result.band, json.dumps(sorted(result.flags)),
                 json.dumps(answers[instrument_id], sort_keys=True), screening_id, user.id],
            )
        if decision.urgent:
            safety.raise_followup(cur, patient_id, now, screening_id=screening_id)
        db.audit(cur, user.id, "screening_saved", "screening", screening_id,
                 {"patient_id": patient_id, "decision": decision.status, "urgent": decision.urgent,
                  "rules_version": decision.rules_version, "seal": db.seal(cur, "screenings", screening_id)})
    return SavedScreening(patient_id, screening_id, decision, f"{who.last_name}, {who.first_name}")


def _check_chart(cur, user: User, patient_id: int, who: Identity, update_identity: bool,
                 opened_as: dict | None) -> None:
    """A re-screen is written only on the chart it was opened for, as it was then, and changes its identity only
    on purpose (then audited); one read of the chart's row, inside the writing transaction."""
    row = cur.execute(IDENTITY_SQL, [patient_id]).fetchone()
    if row is None:
        raise ValueError(NO_RESCREEN)
    stored = dict(zip(IDENTITY_FIELDS, row, strict=True))
    changed_meanwhile = changed_since(opened_as, stored)
    if changed_meanwhile:
        opened = identity.Person(opened_as.get("first_name"), opened_as.get("last_name"),
                                 opened_as.get("date_of_birth"))
        now = identity.Person(stored["first_name"], stored["last_name"], stored["date_of_birth"])
        raise ChartChanged(changed_meanwhile, identity.same_person(opened, now))
    changed = [f for f in IDENTITY_FIELDS if getattr(who, f) != stored[f]]
    if changed and not update_identity:
        raise ValueError("The name, date of birth, sex or chart number differ from the patient's chart. Tick "
                         "\"Correct identity details\" to change them on purpose, or undo the change.")
    if changed:
        db.audit(cur, user.id, "patient_identity_changed", "patient", patient_id, {"fields": changed})


ROSTER_FILTER = """
    (? = '' OR contains(lower(p.first_name || ' ' || p.last_name), lower(?))
           OR contains(lower(p.last_name || ', ' || p.first_name), lower(?))
           OR contains(lower(p.last_name || ' ' || p.first_name), lower(?)) OR contains(lower(p.mrn), lower(?))
           OR p.date_of_birth = ?)
    AND (? IS NULL OR p.status = ?)
"""
ROSTER_COUNT_SQL = "SELECT count(*) FROM patients p WHERE " + ROSTER_FILTER
ROSTER_PAGE = """, course AS (
        SELECT patient_id, count(*) AS sessions, max(started_at) AS last_session,
               bool_or(status = 'in_progress') AS in_progress
        FROM dosing_sessions WHERE patient_id IN (SELECT id FROM shown) GROUP BY patient_id
    )
    SELECT p.id, p.last_name || ', ' || p.first_name AS patient, p.mrn AS chart_number, p.date_of_birth,
           p.status, coalesce(c.sessions, 0) AS sessions, shown.last_activity,
           CASE
               WHEN p.status = 'screened' THEN 'prescriber approval'
               WHEN p.status <> 'approved' THEN ''
               WHEN c.in_progress THEN 'discharge from session ' || c.sessions
               WHEN c.sessions IS NULL THEN 'first dosing session'
               WHEN c.sessions < ? AND c.last_session >= ? THEN 'dosing session ' || (c.sessions + 1)
               ELSE 'follow-up'
           END AS next_activity
    FROM shown JOIN patients p ON p.id = shown.id
    LEFT JOIN course c ON c.patient_id = p.id
    ORDER BY shown.last_activity DESC NULLS LAST, p.id DESC
"""
"""The page's rows from `shown` (the page's patient ids and their last activity, in order): what they still need."""
ROSTER_SQL = """
    WITH matched AS (
        SELECT p.id FROM patients p WHERE """ + ROSTER_FILTER + """
    ), activity AS (
        SELECT m.id AS patient_id, max(e.happened_at) AS last_activity FROM matched m JOIN (
            SELECT patient_id, screened_at AS happened_at FROM screenings
            UNION ALL SELECT patient_id, signed_at FROM approvals
            UNION ALL SELECT patient_id, started_at FROM dosing_sessions
        ) e ON e.patient_id = m.id GROUP BY m.id
    ), shown AS (
        SELECT m.id, a.last_activity FROM matched m LEFT JOIN activity a ON a.patient_id = m.id
        ORDER BY a.last_activity DESC NULLS LAST, m.id DESC
        LIMIT ? OFFSET ?
    )""" + ROSTER_PAGE
"""Any page of any search: the last activity of the matching patients only (a name searched is a few patients)."""
ROSTER_RECENT_SQL = """
    WITH screened AS (
        SELECT patient_id, screened_at AS happened_at FROM screenings ORDER BY happened_at DESC LIMIT ?
    ), signed AS (
        SELECT patient_id, signed_at AS happened_at FROM approvals ORDER BY happened_at DESC LIMIT ?
    ), dosed AS (
        SELECT patient_id, started_at AS happened_at FROM dosing_sessions ORDER BY happened_at DESC LIMIT ?
    ), floor AS (
        SELECT greatest((SELECT CASE WHEN count(*) = ? THEN min(happened_at) END FROM screened),
                        (SELECT CASE WHEN count(*) = ? THEN min(happened_at) END FROM signed),
                        (SELECT CASE WHEN count(*) = ? THEN min(happened_at) END FROM dosed)) AS happened_at
    ), activity AS (
        SELECT patient_id, max(happened_at) AS last_activity
        FROM (SELECT * FROM screened UNION ALL SELECT * FROM signed UNION ALL SELECT * FROM dosed)
        GROUP BY patient_id
    ), shown AS (
        SELECT p.id, a.last_activity FROM activity a JOIN patients p ON p.id = a.patient_id CROSS JOIN floor f
        WHERE (f.happened_at IS NULL OR a.last_activity > f.happened_at) AND (? IS NULL OR p.status = ?)
        ORDER BY a.last_activity DESC, p.id DESC
        LIMIT ? OFFSET ?
    )""" + ROSTER_PAGE
"""The unsearched list, most recent first, from each kind of event's latest few only, so its cost does not grow with
the clinic. Every event later than each kind's last one taken (the floor) was taken, so a patient whose last activity
is after the floor has it right, and anyone else's is at or before the floor: the patients after the floor, in order,
are the list's head. `roster` uses them when they fill the page (or are every patient), and ROSTER_SQL otherwise."""
EVENTS_PER_ROW = 4
"""Events of each kind taken per patient the page needs (a patient has one screening, one decision and a few sessions
in the weeks around their last one): enough to fill the page nearly always, and when not, the full query answers."""
PAGE_SIZE = 50
ACTIVE_COURSE_DAYS = 14


@dataclass(frozen=True)
class RosterPage:
    rows: pd.DataFrame
    total: int
    page: int
    """1-based; a page past the end is the last page."""
    pages: int


def roster(con, user: User, search: str = "", status: str | None = None, page: int = 1, page_size: int = PAGE_SIZE,
           now: datetime | None = None, settings: Settings | None = None) -> RosterPage:
    """One page of patients, most recent activity first, matching a name, chart number or date of birth."""
    user = require(con, user, STAFF)
    now = now or datetime.now()
    planned_sessions = resolve(settings).planned_course_sessions
    term = " ".join(search.split()) if isinstance(search, str) else ""
    status = status if isinstance(status, str) and status in PATIENT_STATUSES else None
    page = validate.whole_number(page, "Page")
    page_size = validate.whole_number(page_size, "Patients per page", 1, PAGE_SIZE_MAX)
    filters = [term, term, term, term, term, validate.as_date(term), status, status]
    with db.read(con) as cur:
        (total,) = cur.execute(ROSTER_COUNT_SQL, filters).fetchone()
        pages = max(1, -(-total // page_size))
        page = min(max(1, page), pages)
        offset = (page - 1) * page_size
        course = [planned_sessions, now - timedelta(days=ACTIVE_COURSE_DAYS)]
        rows = None
        if not term:
            taken = EVENTS_PER_ROW * (offset + page_size)
            rows = cur.execute(ROSTER_RECENT_SQL, [taken] * 6 + [status, status, page_size, offset, *course]).df()
            if len(rows) < page_size and offset + len(rows) < total:
                rows = None
        if rows is None:
            rows = cur.execute(ROSTER_SQL, [*filters, page_size, offset, *course]).df()
    return RosterPage(rows, total, page, pages)


def record_search(con, user: User, search: str, shown: list[int], total: int) -> None:
    """A search of identified records is audited once per search: the records it showed by id (never the words
    typed, which may be a name) and how many matched."""
    user = require(con, user, STAFF)
    shown = validate.record_ids(shown, "The patients shown are not known; search again")
    total = validate.whole_number(total, "Patients found", 0)
    kind = "date of birth" if validate.as_date(search) else "name or chart number"
    with db.transaction(con) as cur:
        db.audit(cur, user.id, "patients_searched", "patient", None,
                 {"by": kind, "matches": total, "shown": list(shown)})


def record_view(con, user: User, patient_id: int, opened_on: str = "Patients") -> None:
    """Opening a chart, or a patient's page on `opened_on`, is a read of identified data: audited once per
    opening, not per redraw."""
    user = require(con, user, STAFF)
    patient_id = validate.record_id(patient_id, NO_CHART)
    where = validate.text(opened_on, "Opened on", 80, required=True)
    with db.transaction(con) as cur:
        if not cur.execute("SELECT 1 FROM patients WHERE id = ?", [patient_id]).fetchall():
            raise ValueError(NO_CHART)
        db.audit(cur, user.id, "chart_viewed", "patient", patient_id, {"opened_on": where})


def record_list(con, user: User, listed: str, shown: list[int]) -> None:
    """A page listing patients by name is a read of each one shown: audited once per visit of the page, naming
    the list and the records it showed by id (their number is the list's size)."""
    user = require(con, user, STAFF)
    ids = list(validate.record_ids(shown, "A patient record shown is not a record number"))
    where = validate.text(listed, "List", 80, required=True)
    with db.transaction(con) as cur:
        db.audit(cur, user.id, "patients_listed", "patient", None, {"list": where, "shown": ids})


@dataclass(frozen=True)
class Chart:
    patient: dict
    screenings: pd.DataFrame
    approvals: pd.DataFrame
    sessions: pd.DataFrame
    assessments: pd.DataFrame
    identity_changes: list[tuple[datetime, str, list[str]]]
    """Deliberate corrections of name, birth date, sex or chart number: when, by whom, which fields."""


def chart(con, user: User, patient_id: int) -> Chart:
    user = require(con, user, STAFF)
    patient_id = validate.record_id(patient_id, "No such patient")
    with db.read(con) as cur:
        row = cur.execute(
            """SELECT id, first_name, last_name, date_of_birth, sex, mrn, phone, emergency_contact,
                      primary_substance, status FROM patients WHERE id = ?""", [patient_id]).fetchone()
        if row is None:
            raise ValueError("No such patient")
        names = ("id", "first_name", "last_name", "date_of_birth", "sex", "mrn", "phone", "emergency_contact",
                 "primary_substance", "status")
        screenings = cur.execute(
            """SELECT s.id, s.screened_at, s.decision, s.urgent, s.reasons, s.answers, s.rules_version, s.systolic_bp,
                      s.diastolic_bp, u.display_name AS screened_by
               FROM screenings s LEFT JOIN users u ON u.id = s.screened_by
               WHERE s.patient_id = ? ORDER BY s.screened_at DESC, s.id DESC""", [patient_id]).df()
        approvals = cur.execute(
            """SELECT a.signed_at, a.decision, a.note, u.display_name AS prescriber, a.screening_id
               FROM approvals a LEFT JOIN users u ON u.id = a.prescriber_id
               WHERE a.patient_id = ? ORDER BY a.signed_at DESC""", [patient_id]).df()
        sessions = cur.execute(
            """SELECT d.session_number, d.started_at, d.route, coalesce(g.mg, d.dose_mg) AS dose_mg,
                      coalesce(g.mg_per_kg, d.mg_per_kg) AS mg_per_kg,
                      CASE WHEN g.id IS NULL THEN 'planned' ELSE 'given' END AS dose, d.dose_mg AS planned_mg,
                      d.status, d.craving_before, d.craving_after
               FROM dosing_sessions d LEFT JOIN doses_given g ON g.id = d.id
               WHERE d.patient_id = ? ORDER BY d.session_number""", [patient_id]).df()
        assessments = cur.execute(
            """SELECT taken_at, instrument, total, band FROM assessments
               WHERE patient_id = ? AND total IS NOT NULL ORDER BY taken_at""", [patient_id]).df()
        changes = cur.execute(
            """SELECT a.occurred_at, coalesce(u.display_name, ''), a.detail FROM audit_log a
               LEFT JOIN users u ON u.id = a.actor_id
               WHERE a.action = 'patient_identity_changed' AND a.entity = 'patient' AND a.entity_id = ?
               ORDER BY a.id""", [patient_id]).fetchall()
    identity_changes = [(at, who, json.loads(detail)["fields"]) for at, who, detail in changes]
    return Chart(dict(zip(names, row, strict=True)), screenings, approvals, sessions, assessments, identity_changes)
