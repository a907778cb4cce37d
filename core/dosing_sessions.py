"""A dosing session from the pre-dose gate to the prescriber's signature, each step one audited transaction.

The rules decide (`core.rules.dosing`, `core.rules.vitals`); this module gathers what they
need from the store, refuses what they refuse, and records what happened: every gate check
(a refused one too), the dose, each reading at its minute mark, adverse events (a severe
blood pressure records its own), a stop or a discharge, the signature, and addenda after it.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from core import addenda, db, drafts, patients, severe_events, users
from core.access import STAFF, User, require
from core.rules import dosing, validate, vitals
from core.rules.reasons import Reason
from core.rules.settings import Settings, resolve
from core.schema import ADVERSE_EVENTS, DISSOCIATION, SEVERITIES, STOP_REASONS

DOSING_TEAM = frozenset({"nurse", "prescriber"})
PRESCRIBERS = frozenset({"prescriber"})
GATE_VALID_FOR = timedelta(minutes=60)
"""A gate check stands for the hour after it; an older one is checked again before dosing."""
MAX_TEXT = 2000
BOOKING_HORIZON = timedelta(days=60)
MIN_OVERRIDE_REASON = 10
"""An override is the prescriber's written reason to go ahead despite a rule; 'x' is not one."""
NO_PATIENT = "That patient was not found"
NO_SESSION = "That session was not found"
NOT_THIS_GATE = "The pre-dose check on screen is not this patient's; check again before dosing"


@dataclass(frozen=True)
class Dosable:
    """What the pre-dose form needs to know about an approved patient."""

    patient_id: int
    patient: str
    session_number: int
    hours_since_last_session: float | None
    last_weight_kg: float | None
    escort_at_screening: bool | None
    refused_today: datetime | None
    """When a pre-dose check refused this patient today, if one did: a later 'go' should not hide it."""
    last_session: dosing.LastSession | None
    """How the last session ended, for the gate: one stopped early or with a severe event holds until reviewed."""
    last_session_id: int | None
    """That session's id, which a prescriber's review names."""


class AlreadyDosed(ValueError):
    """Someone else dosed the patient first (two screens, one patient): the session they started is named, so the
    page can keep what this nurse typed beside the refusal and offer that session."""

    def __init__(self, session_id: int, message: str):
        super().__init__(message)
        self.session_id = session_id


@dataclass(frozen=True)
class GateCheck:
    gate_check_id: int
    result: dosing.GateResult


@dataclass(frozen=True)
class Override:
    """A prescriber's written reason to go ahead despite a hold or a dose outside the usual band.

    `username`/`password` are a co-signature typed on the nurse's screen; a prescriber signed in on
    their own screen leaves them empty.
    """

    reason: str
    username: str = ""
    password: str = ""


READY_SHOWN = 20
"""The patient chooser holds a screenful of matches: a clinic of any size is searched, never scrolled (issue 21: a
list of every approved patient sent 81,302 options at 100,000 patients)."""
NOT_RUNNING = "p.id NOT IN (SELECT patient_id FROM dosing_sessions WHERE status = 'in_progress')"
READY_WHERE = "(" + patients.ROSTER_FILTER + ") AND " + NOT_RUNNING
READY_COUNT_SQL = "SELECT count(*) FROM patients p WHERE " + READY_WHERE
READY_SHOWN_SQL = """
    WITH shown AS (
        SELECT p.id, p.last_name, p.first_name, p.mrn, p.date_of_birth FROM patients p WHERE {where}
        ORDER BY p.last_name, p.first_name, p.id LIMIT ?
    )
    SELECT s.id AS patient_id, s.last_name || ', ' || s.first_name AS patient, s.mrn AS chart_number,
           (SELECT count(*) FROM dosing_sessions d WHERE d.patient_id = s.id) + 1 AS session_number, s.date_of_birth
    FROM shown s ORDER BY s.last_name, s.first_name, s.id"""
"""Counts of sessions for the shown patients only, after the filter and the limit."""
READY_SQL = READY_SHOWN_SQL.format(where=READY_WHERE)
READY_AMONG_SQL = READY_SHOWN_SQL.format(where="p.id IN (SELECT unnest(?::BIGINT[])) AND p.status = 'approved' AND "
                                         + NOT_RUNNING)


@dataclass(frozen=True)
class Ready:
    """A screenful of approved patients a session can be started for, and how many match in all."""

    rows: pd.DataFrame
    total: int


def ready_patients(con, user: User, search: str = "", also: int | None = None, limit: int = READY_SHOWN,
                   settings: Settings | None = None) -> Ready:
    """Approved patients with no session in progress matching a name, chart number or date of birth, by name, each
    with their date of birth (two patients may share a name) and whether their next session comes after the planned
    course; `also` (the patient already chosen, as a resumed draft's) is among them while a session can still be
    started for it."""
    require(con, user, DOSING_TEAM)
    term = " ".join(search.split()) if isinstance(search, str) else ""
    limit = validate.whole_number(limit, "Patients shown", 1, READY_SHOWN)
    chosen = None if also is None else validate.record_id(also, NO_PATIENT)
    filters = [term, term, term, term, term, validate.as_date(term), "approved", "approved"]
    with db.read(con) as cur:
        (total,) = cur.execute(READY_COUNT_SQL, filters).fetchone()
        rows = cur.execute(READY_SQL, [*filters, limit]).df()
        if chosen is not None and chosen not in set(rows["patient_id"]):
            rows = pd.concat([cur.execute(READY_AMONG_SQL, [[chosen], 1]).df(), rows], ignore_index=True)
    after_course = rows["session_number"] > resolve(settings).planned_course_sessions
    return Ready(rows.assign(after_course=after_course), int(total))


def ready_among(con, user: User, patient_ids: list[int]) -> dict[int, str]:
    """The names of those of `patient_ids` a session can still be started for (the user's unfinished pre-dose
    forms), by id."""
    require(con, user, DOSING_TEAM)
    ids = validate.record_ids(patient_ids, NO_PATIENT)
    if not ids:  # no unfinished form, the usual case: nothing to read
        return {}
    with db.read(con) as cur:
        rows = cur.execute(READY_AMONG_SQL, [ids, len(ids)]).fetchall()
    return {int(r[0]): r[1] for r in rows}


def dosable(con, user: User, patient_id: int, now: datetime | None = None) -> Dosable:
    """The next session of an approved patient; any other status cannot be dosed."""
    require(con, user, DOSING_TEAM)
    now = now or datetime.now()
    with db.read(con) as cur:
        return _dosable(cur, patient_id, now)


def _dosable(cur, patient_id: int, now: datetime) -> Dosable:
    patient_id = validate.record_id(patient_id, NO_PATIENT)
    row = cur.execute(
        """SELECT p.last_name || ', ' || p.first_name, p.status,
                  (SELECT count(*) FROM dosing_sessions d WHERE d.patient_id = p.id),
                  (SELECT max(coalesce(d.discharged_at, d.started_at)) FROM dosing_sessions d
                   WHERE d.patient_id = p.id),
                  (SELECT d.weight_kg FROM dosing_sessions d WHERE d.patient_id = p.id
                   ORDER BY d.started_at DESC LIMIT 1),
                  (SELECT json_extract(s.answers, '$.details.escort_available')::BOOLEAN FROM screenings s
                   WHERE s.patient_id = p.id ORDER BY s.id DESC LIMIT 1)
           FROM patients p WHERE p.id = ?""", [patient_id]).fetchone()
    if row is None:
        raise ValueError(NO_PATIENT)
    name, status, sessions, last_end, last_weight, escort = row
    if status != "approved":
        raise ValueError(f"{name} is not approved for treatment, so cannot be dosed")
    running = cur.execute("SELECT id, started_at, nurse_id FROM dosing_sessions WHERE patient_id = ? AND "
                          "status = 'in_progress' ORDER BY id LIMIT 1", [patient_id]).fetchone()
    if running is not None:
        session_id, started_at, nurse_id = running
        (by,) = cur.execute(  # whoever recorded the dose (a prescriber leaves nurse_id empty)
            """SELECT coalesce((SELECT u.display_name FROM audit_log a JOIN users u ON u.id = a.actor_id
                                WHERE a.action = 'session_started' AND a.entity_id = ? LIMIT 1),
                               (SELECT display_name FROM users WHERE id = ?))""", [session_id, nurse_id]).fetchone()
        raise AlreadyDosed(session_id, f"{name} already has a dosing session in progress: dosed at "
                                       f"{started_at:%H:%M} by {by or 'another user'}. Open it from today's board")
    since = None if last_end is None else round((now - last_end).total_seconds() / 3600, 1)
    (refused,) = cur.execute("""SELECT max(checked_at) FROM gate_checks WHERE patient_id = ? AND status = 'refused'
                                AND checked_at::DATE = ?::DATE""", [patient_id, now]).fetchone()
    last_id, last = severe_events.last_session(cur, patient_id) or (None, None)
    return Dosable(patient_id, name, sessions + 1, since, last_weight, escort, refused, last, last_id)


def check_gate(con, user: User, patient_id: int, *, systolic_bp, diastolic_bp, heart_rate, spo2,
               hours_since_last_use, fasting_confirmed, escort_confirmed, bp_remeasured=False,
               now: datetime | None = None, settings: Settings | None = None) -> GateCheck:
    """Apply the pre-dose gate and store the check whatever it says (a refusal is part of the record)."""
    user = require(con, user, DOSING_TEAM)
    now = now or datetime.now()
    s = resolve(settings)
    inputs = {"systolic_bp": systolic_bp, "diastolic_bp": diastolic_bp, "heart_rate": heart_rate, "spo2": spo2,
              "hours_since_last_use": hours_since_last_use, "fasting_confirmed": fasting_confirmed,
              "escort_confirmed": escort_confirmed, "bp_remeasured": bp_remeasured}
    with db.transaction(con) as cur:
        patient = _dosable(cur, patient_id, now)
        result = dosing.pre_dose_gate(**inputs, hours_since_last_session=patient.hours_since_last_session,
                                      last_session=patient.last_session, settings=s)
        inputs["hours_since_last_session"] = patient.hours_since_last_session
        (gate_id,) = cur.execute(
            """INSERT INTO gate_checks (patient_id, checked_at, checked_by, inputs, status, reasons, rules_version)
               VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id""",
            [patient_id, now, user.id, json.dumps(inputs), result.status, _reasons_json(result.reasons),
             s.rules_version]).fetchone()
        db.audit(cur, user.id, "gate_checked", "gate_check", gate_id, {"patient_id": patient_id,
                                                                       "status": result.status})
    return GateCheck(gate_id, result)


def start(con, user: User, patient_id: int, gate_check_id: int, *, route, weight_kg, dose_mg, intention,
          craving_before, chair: str = "", override: Override | None = None, draft_id: int | None = None,
          now: datetime | None = None, settings: Settings | None = None) -> int:
    """Record the dose given, on a gate check of the last hour that did not refuse; returns the session id.

    A hold, or a dose outside the route's usual band, needs a prescriber's override with a
    written reason; a refused gate or a dose above the hard maximum cannot be overridden.
    """
    user = require(con, user, DOSING_TEAM)
    now = now or datetime.now()
    s = resolve(settings)
    intention = validate.text(intention, "Intention set with the patient", MAX_TEXT, required=True)
    chair = validate.text(chair or "", "Chair or room", 60)
    craving = validate.whole_number(craving_before, "Craving before dosing (0-100)", 0, 100)
    gate_check_id = validate.record_id(gate_check_id, NOT_THIS_GATE)
    draft_id = validate.optional_record_id(draft_id, drafts.GONE)
    if override is not None and not isinstance(override, Override):
        raise ValueError("Override: the prescriber's override did not arrive as one; give it again")
    with db.transaction(con) as cur:
        patient = _dosable(cur, patient_id, now)
        gate = cur.execute("SELECT patient_id, checked_at, status, inputs, reasons FROM gate_checks WHERE id = ?",
                           [gate_check_id]).fetchone()
        if gate is None or gate[0] != patient_id:
            raise ValueError(NOT_THIS_GATE)
        if now - gate[1] > GATE_VALID_FOR:
            raise ValueError("The pre-dose check is more than an hour old; check again before dosing")
        if cur.execute("SELECT 1 FROM session_details WHERE gate_check_id = ?", [gate_check_id]).fetchall():
            raise ValueError("This pre-dose check has already started a session")
        if gate[2] == "refused":
            raise ValueError("The pre-dose check refused dosing; a refusal cannot be overridden")
        if any(r["code"] == dosing.REVIEW_NEEDED for r in json.loads(gate[4])):
            raise ValueError("The pre-dose check held the dose for a prescriber's review of the last session, which "
                             "a dose override does not replace: once a prescriber has recorded the review, check "
                             "again before dosing")
        dose = dosing.check_dose(route, dose_mg, weight_kg, first_session=patient.session_number == 1, settings=s)
        if dose.status == "refused":
            raise ValueError("Dose: " + "; ".join(r.message for r in dose.reasons))
        needs = [why for why, needed in (("the pre-dose hold", gate[2] == "hold"),
                                         ("the dose outside the usual band", dose.status == "override_needed"))
                 if needed]
        overrider = _overrider(con, user, override, needs)
        session_id = cur.execute("SELECT nextval('sessions_id_seq')").fetchone()[0]
        cur.execute(
            """INSERT INTO dosing_sessions (id, patient_id, session_number, route, dose_mg, weight_kg, mg_per_kg,
                   started_at, status, craving_before, nurse_id, prescriber_id, override_reason, rules_version)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'in_progress', ?, ?, ?, ?, ?)""",
            [session_id, patient_id, patient.session_number, route, dose.dose_mg, dose.weight_kg, dose.mg_per_kg,
             now, craving, user.id if user.role == "nurse" else None, overrider.id if overrider else None,
             override.reason if overrider else None, s.rules_version])
        cur.execute("""INSERT INTO session_details (session_id, gate_check_id, chair, intention, override_by)
                       VALUES (?, ?, ?, ?, ?)""",
                    [session_id, gate_check_id, chair.strip() or None, intention, overrider.id if overrider else None])
        pre = json.loads(gate[3])
        cur.execute(
            """INSERT INTO session_vitals (session_id, taken_at, phase, minutes_after_dose, systolic_bp,
                   diastolic_bp, heart_rate, spo2) VALUES (?, ?, 'pre', NULL, ?, ?, ?, ?)""",
            [session_id, gate[1], pre["systolic_bp"], pre["diastolic_bp"], pre["heart_rate"], pre["spo2"]])
        if draft_id is not None:
            drafts.remove(cur, user, draft_id, "draft_used")
        db.audit(cur, user.id, "session_started", "dosing_session", session_id,
                 {"patient_id": patient_id, "override_by": overrider.id if overrider else None,
                  "seal": db.seal(cur, "dosing_sessions", session_id)})
    return session_id


def _overrider(con, user: User, override: Override | None, needs: list[str]) -> User | None:
    """The prescriber who takes responsibility for going ahead, or None when nothing needs an override."""
    if not needs:
        return None
    what = " and ".join(needs)
    if override is None or not validate.text(override.reason, "Override reason", MAX_TEXT).strip():
        raise ValueError(f"A prescriber's override with a written reason is needed for {what}")
    if len(override.reason.strip()) < MIN_OVERRIDE_REASON:
        raise ValueError(f"Override reason: say why in a sentence (at least {MIN_OVERRIDE_REASON} characters)")
    if override.username or override.password:
        signer = users.countersigner(con, override.username, override.password)
        if signer is None:
            raise ValueError("Prescriber's co-signature: the username or password is not right")
    elif user.role == "prescriber":
        signer = user
    else:
        raise ValueError(f"Only a prescriber can override {what}: ask one to co-sign with their own username "
                         "and password")
    if signer.role != "prescriber":  # the same words as a wrong password: a co-signature box is no password check
        raise ValueError("Prescriber's co-signature: the username or password is not right")
    return signer


@dataclass(frozen=True)
class Reading:
    session_id: int
    warnings: tuple[Reason, ...]
    adverse_events: tuple[str, ...]


def add_vitals(con, user: User, session_id: int, *, minutes_after_dose, systolic_bp, diastolic_bp, heart_rate,
               spo2, respiratory_rate=None, moaa_s=None, dissociation=None, bp_remeasured=False,
               now: datetime | None = None, settings: Settings | None = None) -> Reading:
    """One reading at its minute mark after the dose; a severe blood pressure records its own adverse event."""
    user = require(con, user, DOSING_TEAM)
    now = now or datetime.now()
    s = resolve(settings)
    minute = validate.whole_number(minutes_after_dose, "Minutes after the dose", 0, 24 * 60)
    if systolic_bp is None or diastolic_bp is None:
        raise ValueError("Blood pressure is required for every reading: enter the systolic and the diastolic")
    sedation = None if moaa_s is None else validate.whole_number(moaa_s, "Sedation (MOAA/S)", 0, 5)
    dissociated = None if dissociation is None else validate.choice(dissociation, "Dissociation", DISSOCIATION)
    with db.transaction(con) as cur:
        session = _open_session(cur, session_id)
        taken_at = session["started_at"] + timedelta(minutes=minute)
        if taken_at > now:
            raise ValueError(f"Minutes after the dose: minute {minute} has not come yet (the dose was "
                             f"{int((now - session['started_at']).total_seconds() // 60)} minutes ago)")
        check = vitals.check_vitals(systolic_bp=systolic_bp, diastolic_bp=diastolic_bp, heart_rate=heart_rate,
                                    spo2=spo2, respiratory_rate=respiratory_rate, bp_remeasured=bp_remeasured,
                                    settings=s)
        if cur.execute("SELECT 1 FROM session_vitals WHERE session_id = ? AND minutes_after_dose = ?",
                       [session_id, minute]).fetchall():
            raise ValueError(f"Minutes after the dose: a reading at minute {minute} is already recorded")
        (vitals_id,) = cur.execute(
            """INSERT INTO session_vitals (session_id, taken_at, phase, minutes_after_dose, systolic_bp, diastolic_bp,
                   heart_rate, spo2, respiratory_rate, moaa_s, dissociation)
               VALUES (?, ?, 'during', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
            [session_id, taken_at, minute, systolic_bp, diastolic_bp, heart_rate, spo2, respiratory_rate, sedation,
             dissociated]).fetchone()
        for code in check.adverse_events:
            _adverse_event(cur, user, session, code, f"BP {systolic_bp}/{diastolic_bp} at minute {minute}",
                           "severe", "recorded automatically from the reading; the prescriber is to be told now",
                           taken_at)
        db.audit(cur, user.id, "vitals_recorded", "session_vitals", vitals_id,
                 {"patient_id": session["patient_id"], "session_id": session_id})
    return Reading(session_id, check.warnings, check.adverse_events)


def add_adverse_event(con, user: User, session_id: int, *, code, severity, action_taken, description="",
                      now: datetime | None = None) -> None:
    user = require(con, user, DOSING_TEAM)
    now = now or datetime.now()
    code = validate.choice(code, "Adverse event", ADVERSE_EVENTS)
    severity = validate.choice(severity, "Severity", SEVERITIES)
    action = validate.text(action_taken, "Action taken", MAX_TEXT, required=True)
    description = validate.text(description or "", "Description", MAX_TEXT)
    if code == "other" and not description.strip():
        raise ValueError("Description is required for another adverse event")
    with db.transaction(con) as cur:
        session = _open_session(cur, session_id)
        _adverse_event(cur, user, session, code, description or None, severity, action, now)


def _adverse_event(cur, user: User, session: dict, code: str, description: str | None, severity: str,
                   action: str, at: datetime) -> None:
    (event_id,) = cur.execute(
        """INSERT INTO adverse_events (patient_id, session_id, code, description, recorded_at, recorded_by)
           VALUES (?, ?, ?, ?, ?, ?) RETURNING id""",
        [session["patient_id"], session["id"], code, description, at, user.id]).fetchone()
    cur.execute("INSERT INTO adverse_event_details VALUES (?, ?, ?)", [event_id, severity, action])
    db.audit(cur, user.id, "adverse_event_recorded", "adverse_event", event_id,
             {"patient_id": session["patient_id"], "session_id": session["id"], "code": code})


def stop(con, user: User, session_id: int, reason, note: str = "", *, delivered_mg,
         now: datetime | None = None) -> None:
    """Stop dosing early (the dose interrupted, at the patient's request, for an adverse event), with the dose
    actually given by then, which has no default: the planned dose was not given. Monitoring goes on: the session
    ends at discharge, recorded then as stopped early."""
    user = require(con, user, DOSING_TEAM)
    now = now or datetime.now()
    reason = validate.choice(reason, "Reason for stopping", STOP_REASONS)
    note = validate.text(note or "", "Note", MAX_TEXT)
    with db.transaction(con) as cur:
        session = _open_session(cur, session_id)
        _details(cur, session_id)
        if cur.execute("SELECT stop_reason FROM session_details WHERE session_id = ?", [session_id]).fetchone()[0]:
            raise ValueError("Dosing was already stopped for this session")
        given = _record_given(cur, user, session, delivered_mg, now)
        cur.execute("UPDATE session_details SET stop_reason = ?, stop_note = ? WHERE session_id = ?",
                    [reason, note.strip() or None, session_id])
        db.audit(cur, user.id, "session_stopped", "dosing_session", session_id,
                 {"patient_id": session["patient_id"], "reason": reason, "delivered_mg": given.mg,
                  "seal": db.seal(cur, "doses_given", session_id)})


def _record_given(cur, user: User, session: dict, delivered_mg, now: datetime) -> dosing.DoseGiven:
    """Checked against the planned dose and stored with its mg/kg from the session's weight; sealed by the caller's
    audit row."""
    planned, weight = cur.execute("SELECT dose_mg, weight_kg FROM dosing_sessions WHERE id = ?",
                                  [session["id"]]).fetchone()
    given = dosing.dose_given(delivered_mg, planned_mg=planned, weight_kg=weight)
    cur.execute("INSERT INTO doses_given (id, mg, mg_per_kg, recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?)",
                [session["id"], given.mg, given.mg_per_kg, now, user.id])
    return given


def discharge_readiness(con, user: User, session_id: int, *, respiratory_depression, escort_present,
                        now: datetime | None = None, settings: Settings | None = None) -> dosing.DischargeResult:
    """What `discharge_check` says from the stored readings: the last and the one before, sedation, dissociation."""
    require(con, user, DOSING_TEAM)
    now = now or datetime.now()
    with db.read(con) as cur:
        session = _open_session(cur, session_id)
        return _readiness(cur, session, respiratory_depression, escort_present, now, settings)


def _readiness(cur, session: dict, respiratory_depression, escort_present, now, settings) -> dosing.DischargeResult:
    readings = cur.execute(
        """SELECT systolic_bp, diastolic_bp, moaa_s, dissociation FROM session_vitals WHERE session_id = ?
           ORDER BY taken_at DESC, id DESC LIMIT 2""", [session["id"]]).fetchall()
    last = readings[0]
    previous = readings[1] if len(readings) > 1 else (None, None, None, None)
    if last[2] is None or last[3] is None:
        raise ValueError("The last reading has no sedation (MOAA/S) or dissociation score: add a reading with both "
                         "before discharge")
    return dosing.discharge_check(
        minutes_monitored=int((now - session["started_at"]).total_seconds() // 60), systolic_bp=last[0],
        diastolic_bp=last[1], previous_systolic_bp=previous[0], previous_diastolic_bp=previous[1], moaa_s=last[2],
        dissociation=last[3], respiratory_depression=respiratory_depression, escort_present=escort_present,
        settings=settings)


def discharge(con, user: User, session_id: int, *, craving_after, respiratory_depression, escort_present, left_with,
              no_driving_told, delivered_mg=None, now: datetime | None = None,
              settings: Settings | None = None) -> None:
    """Discharge when the rules say ready, recording who the patient left with, the no-driving instruction and the
    dose actually given (unless dosing was stopped early, when it was recorded at the stop and ends as stopped)."""
    user = require(con, user, DOSING_TEAM)
    now = now or datetime.now()
    craving = validate.whole_number(craving_after, "Craving after the session (0-100)", 0, 100)
    left_with = validate.text(left_with, "Left with (the person taking the patient home)", 200, required=True)
    if validate.yes_no(no_driving_told, "No-driving instruction given") is not True:
        raise ValueError("Tell the patient: no driving until the next day, after sleep; then tick that it was given")
    with db.transaction(con) as cur:
        session = _open_session(cur, session_id)
        ready = _readiness(cur, session, respiratory_depression, escort_present, now, settings)
        if ready.status != "ready":
            raise ValueError("Not ready for discharge: " + "; ".join(r.message for r in ready.reasons))
        _details(cur, session_id)
        stopped = cur.execute("SELECT stop_reason FROM session_details WHERE session_id = ?",
                              [session_id]).fetchone()[0]
        at_stop = cur.execute("SELECT mg FROM doses_given WHERE id = ?", [session_id]).fetchone()
        if at_stop is not None and delivered_mg is not None:
            raise ValueError(f"{dosing.GIVEN_FIELD}: recorded when dosing stopped ({at_stop[0]:g} mg); correct it "
                             "with an addendum after signing")
        given = {} if at_stop is not None else {
            "delivered_mg": _record_given(cur, user, session, delivered_mg, now).mg,
            "seal": db.seal(cur, "doses_given", session_id)}
        cur.execute("UPDATE dosing_sessions SET status = ?, discharged_at = ?, craving_after = ? WHERE id = ?",
                    ["stopped" if stopped else "discharged", now, craving, session_id])
        cur.execute("UPDATE session_details SET left_with = ?, no_driving_told = TRUE WHERE session_id = ?",
                    [left_with.strip(), session_id])
        db.audit(cur, user.id, "session_discharged", "dosing_session", session_id,
                 {"patient_id": session["patient_id"], **given})


def book_integration(con, user: User, session_id: int, scheduled_for, now: datetime | None = None) -> None:
    """Book the integration-therapy session that follows this dosing session (every cited trial paired ketamine with
    psychotherapy); one booking per session, offered at discharge."""
    user = require(con, user, DOSING_TEAM)
    now = now or datetime.now()
    session_id = validate.record_id(session_id, NO_SESSION)
    if not isinstance(scheduled_for, datetime):
        raise ValueError("Integration session: choose the day and the time")
    if scheduled_for <= now:
        raise ValueError("Integration session: choose a time after now")
    if scheduled_for > now + BOOKING_HORIZON:
        raise ValueError(f"Integration session: book within {BOOKING_HORIZON.days} days")
    with db.transaction(con) as cur:
        row = cur.execute("SELECT patient_id, status FROM dosing_sessions WHERE id = ?", [session_id]).fetchone()
        if row is None:
            raise ValueError(NO_SESSION)
        if row[1] == "in_progress":
            raise ValueError("Book the integration session at discharge; this session is still in progress")
        booked = cur.execute(
            "SELECT b.scheduled_for, u.display_name FROM therapy_bookings b JOIN users u ON u.id = b.booked_by "
            "WHERE b.session_id = ?", [session_id]).fetchone()
        if booked:
            raise ValueError(f"Already booked for {booked[0]:%d %b %Y %H:%M} by {booked[1]}; nothing was changed.")
        (booking_id,) = cur.execute(
            "INSERT INTO therapy_bookings (patient_id, session_id, scheduled_for, booked_by, booked_at) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id", [row[0], session_id, scheduled_for, user.id, now]).fetchone()
        db.audit(cur, user.id, "integration_session_booked", "dosing_session", session_id,
                 {"patient_id": row[0], "booking_id": booking_id})


def sign(con, user: User, session_id: int, password: str, now: datetime | None = None) -> None:
    """The prescriber's signature, with the password re-entered; a signed session is read-only."""
    user = require(con, user, PRESCRIBERS)
    now = now or datetime.now()
    session_id = validate.record_id(session_id, NO_SESSION)
    if not users.verify_password(con, user, password):
        raise ValueError("Password is not right; the session was not signed.")
    with db.transaction(con) as cur:
        row = cur.execute("SELECT d.status, d.patient_id, s.signed_at FROM dosing_sessions d "
                          "LEFT JOIN session_details s ON s.session_id = d.id WHERE d.id = ?", [session_id]).fetchone()
        if row is None:
            raise ValueError(NO_SESSION)
        if row[0] == "in_progress":
            raise ValueError("A session is signed after discharge or stop; it is still in progress")
        if row[2] is not None:
            raise ValueError("This session is already signed; add an addendum to correct it")
        _details(cur, session_id)
        cur.execute("UPDATE session_details SET signed_by = ?, signed_at = ? WHERE session_id = ?",
                    [user.id, now, session_id])
        db.audit(cur, user.id, "session_signed", "dosing_session", session_id, {"patient_id": row[1]})


def add_addendum(con, user: User, session_id: int, reason, text, now: datetime | None = None) -> None:
    """A correction to a signed session: kept beside the original, which never changes."""
    user = require(con, user, DOSING_TEAM)
    now = now or datetime.now()
    reason = validate.text(reason, "Reason for the addendum", 500, required=True)
    text = validate.text(text, "Addendum", MAX_TEXT, required=True)
    session_id = validate.record_id(session_id, NO_SESSION)
    with db.transaction(con) as cur:
        row = cur.execute("SELECT d.patient_id, s.signed_at FROM dosing_sessions d "
                          "LEFT JOIN session_details s ON s.session_id = d.id WHERE d.id = ?", [session_id]).fetchone()
        if row is None or row[1] is None:
            raise ValueError("An addendum is added to a signed session; correct an unsigned one directly")
        addenda.append(cur, addenda.SESSION, user, session_id, reason.strip(), text.strip(), now,
                       {"patient_id": row[0]})


BOARD_SQL = """
    WITH running AS (
        SELECT id, patient_id, route, started_at FROM dosing_sessions WHERE status = 'in_progress'
    ), readings AS MATERIALIZED (
        SELECT v.session_id, v.taken_at, v.id, v.minutes_after_dose, v.systolic_bp, v.diastolic_bp
        FROM session_vitals v JOIN running r ON r.id = v.session_id
    ), shown AS (
        SELECT id FROM running ORDER BY started_at, id LIMIT ? OFFSET ?
    ), listed AS (
        SELECT r.*, r.id IN (SELECT id FROM shown) AS on_page FROM running r
        WHERE r.id IN (SELECT id FROM shown)
           OR r.id IN (SELECT session_id FROM readings WHERE minutes_after_dose IS NOT NULL
                                                        AND (systolic_bp >= ? OR diastolic_bp >= ?))
    ), latest AS (
        SELECT session_id, systolic_bp, diastolic_bp, minutes_after_dose FROM readings
        WHERE session_id IN (SELECT id FROM listed)
        QUALIFY row_number() OVER (PARTITION BY session_id ORDER BY taken_at DESC, id DESC) = 1
    ), during AS (
        SELECT session_id, list([minutes_after_dose, systolic_bp, diastolic_bp] ORDER BY taken_at, id) AS taken
        FROM readings WHERE minutes_after_dose IS NOT NULL AND session_id IN (SELECT id FROM listed) GROUP BY 1
    ), events AS (
        SELECT e.session_id, count(*) AS n FROM adverse_events e JOIN listed r ON r.id = e.session_id GROUP BY 1
    )
    SELECT r.id AS session_id, r.patient_id, p.last_name || ', ' || p.first_name AS patient, sd.chair, r.route,
           r.started_at, date_diff('minute', r.started_at, ?::TIMESTAMP) AS minutes_since_dose,
           latest.systolic_bp, latest.diastolic_bp, latest.minutes_after_dose AS last_reading_minute,
           coalesce(events.n, 0) AS adverse_events, r.on_page, coalesce(during.taken, []) AS taken
    FROM listed r JOIN patients p ON p.id = r.patient_id
    LEFT JOIN session_details sd ON sd.session_id = r.id
    LEFT JOIN latest ON latest.session_id = r.id
    LEFT JOIN events ON events.session_id = r.id
    LEFT JOIN during ON during.session_id = r.id
    ORDER BY r.started_at, r.id"""
"""In one pass over the readings of the sessions in progress (never those of every session ever held; issue 21: the
board's latest reading was computed over 2.4 million readings at 100,000 patients): the page's sessions and any other
with a severe reading since its dose, each with its latest reading, its readings since the dose for the rule's
schedule (minute, systolic, diastolic), its events, and whether it is on the page. `dosing.severe_watch` then says
which of the severe ones are still watched; the others' later readings fell below the discharge limit."""
BOARD_COUNT_SQL = "SELECT count(*) FROM dosing_sessions WHERE status = 'in_progress'"
BOARD_PAGE_SIZE = 25
"""A screenful of the board: a clinic with hundreds of sessions running draws, and works out the schedule of, 25.
Every session under a severe blood pressure is in `Board.severe`, named in a banner above the board whatever its
page."""


@dataclass(frozen=True)
class Board:
    rows: pd.DataFrame
    """One page of the sessions in progress, longest running first, each with its latest reading, events and when the
    next reading is due."""
    severe: pd.DataFrame
    """Every session in progress still watched after a severe blood pressure, on any page, in the same columns."""
    total: int
    page: int
    """1-based; a page past the end is the last page."""
    pages: int


def board(con, user: User, page: int = 1, page_size: int = BOARD_PAGE_SIZE, now: datetime | None = None,
          settings: Settings | None = None) -> Board:
    """The sessions in progress a page at a time, and every one under a severe blood pressure (the rule's schedule:
    every 5 minutes after a severe blood pressure, shown with that reading)."""
    require(con, user, DOSING_TEAM)
    page = validate.whole_number(page, "Page")
    page_size = validate.whole_number(page_size, "Sessions per page", 1, 1000)
    now = now or datetime.now()
    limits = resolve(settings)
    with db.read(con) as cur:
        (total,) = cur.execute(BOARD_COUNT_SQL).fetchone()
        pages = max(1, -(-total // page_size))
        page = min(max(1, page), pages)
        listed = cur.execute(BOARD_SQL, [page_size, (page - 1) * page_size, limits.severe_systolic_at,
                                         limits.severe_diastolic_at, now]).df()
    listed = _with_schedule(listed, limits)
    severe = listed[listed["severe_minute"].notna()]
    rows = listed[listed.pop("on_page")].reset_index(drop=True)
    return Board(rows, severe.drop(columns="on_page").reset_index(drop=True), total, page, pages)


def _with_schedule(running: pd.DataFrame, settings: Settings):
    """Each session's next reading, whether it is overdue, and the severe reading it is watched after (if any), from
    its readings since the dose (`taken`, which it replaces)."""
    taken = running.pop("taken")
    due = [dosing.next_reading(r.route, [dosing.Taken(*map(int, reading)) for reading in since_dose],
                               max(0, r.minutes_since_dose), settings)
           for r, since_dose in zip(running.itertuples(), taken, strict=True)]
    return running.assign(
        next_reading_minute=pd.Series([d.minute for d in due], index=running.index, dtype="Int64"),
        next_reading_overdue=pd.Series([d.overdue for d in due], index=running.index, dtype="boolean"),
        **{column: pd.Series([getattr(d.severe, field) if d.severe else None for d in due], index=running.index,
                             dtype="Int64")
           for column, field in (("severe_systolic_bp", "systolic_bp"), ("severe_diastolic_bp", "diastolic_bp"),
                                 ("severe_minute", "minute"))})


def next_reading(record: SessionRecord, now: datetime | None = None,
                 settings: Settings | None = None) -> dosing.NextReading:
    """When the session on screen needs its next reading, from its stored readings (the board's schedule)."""
    now = now or datetime.now()
    during = record.readings.dropna(subset=["minutes_after_dose"])
    taken = [dosing.Taken(int(r.minutes_after_dose), int(r.systolic_bp), int(r.diastolic_bp))
             for r in during.itertuples()]
    minutes = max(0, int((now - record.started_at).total_seconds() // 60))
    return dosing.next_reading(record.route, taken, minutes, settings)


@dataclass(frozen=True)
class SessionRecord:
    session_id: int
    patient_id: int
    patient: str
    chart_number: str
    session_number: int
    route: str
    dose_mg: float
    weight_kg: float
    mg_per_kg: float
    given_mg: float | None
    """The dose actually given, recorded at a stop or at discharge; None while the session is in progress."""
    given_mg_per_kg: float | None
    started_at: datetime
    status: str
    craving_before: int | None
    craving_after: int | None
    chair: str | None
    intention: str | None
    override_reason: str | None
    stop_reason: str | None
    stop_note: str | None
    ended_at: datetime | None
    left_with: str | None
    no_driving_told: bool | None
    override_by: str | None
    signed_by: str | None
    signed_at: datetime | None
    gate_status: str | None
    gate_reasons: list[dict]
    booked_for: datetime | None
    readings: pd.DataFrame
    events: pd.DataFrame
    addenda: pd.DataFrame


def record(con, user: User, session_id: int) -> SessionRecord:
    """One session as the nurse and the prescriber read it (and the rest of the team on the chart), readings and
    events included."""
    require(con, user, STAFF)
    session_id = validate.record_id(session_id, NO_SESSION)
    with db.read(con) as cur:
        row = cur.execute(
            """SELECT d.id, d.patient_id, p.last_name || ', ' || p.first_name, p.mrn, d.session_number, d.route,
                      d.dose_mg, d.weight_kg, d.mg_per_kg, dg.mg, dg.mg_per_kg, d.started_at, d.status,
                      d.craving_before,
                      d.craving_after, s.chair, s.intention, d.override_reason, s.stop_reason, s.stop_note,
                      d.discharged_at, s.left_with, s.no_driving_told, o.display_name, u.display_name, s.signed_at,
                      g.status, coalesce(g.reasons, '[]'), b.scheduled_for
               FROM dosing_sessions d JOIN patients p ON p.id = d.patient_id
               LEFT JOIN session_details s ON s.session_id = d.id LEFT JOIN users u ON u.id = s.signed_by
               LEFT JOIN users o ON o.id = s.override_by LEFT JOIN gate_checks g ON g.id = s.gate_check_id
               LEFT JOIN therapy_bookings b ON b.session_id = d.id LEFT JOIN doses_given dg ON dg.id = d.id
               WHERE d.id = ?""", [session_id]).fetchone()
        if row is None:
            raise ValueError(NO_SESSION)
        readings = cur.execute(
            """SELECT phase, minutes_after_dose, taken_at, systolic_bp, diastolic_bp, heart_rate, spo2,
                      respiratory_rate, moaa_s, dissociation
               FROM session_vitals WHERE session_id = ? ORDER BY taken_at, id""", [session_id]).df()
        events = cur.execute(
            """SELECT e.recorded_at, e.code, d.severity, d.action_taken, e.description
               FROM adverse_events e LEFT JOIN adverse_event_details d ON d.adverse_event_id = e.id
               WHERE e.session_id = ? ORDER BY e.recorded_at, e.id""", [session_id]).df()
        added = addenda.listed(cur, addenda.SESSION, session_id)
    return SessionRecord(*row[:-2], json.loads(row[-2]), row[-1], readings, events, added)


def record_view(con, user: User, session_id: int) -> None:
    """A dosing session opened (from the board, the list to sign or a chart) is a read of that patient's record:
    audited once per opening."""
    user = require(con, user, DOSING_TEAM)
    session_id = validate.record_id(session_id, "That dosing session is not available")
    with db.transaction(con) as cur:
        row = cur.execute("SELECT patient_id FROM dosing_sessions WHERE id = ?", [session_id]).fetchone()
        if row is None:
            raise ValueError("That dosing session is not available")
        db.audit(cur, user.id, "dosing_session_viewed", "patient", row[0], {"session_id": session_id})


AWAITING_SIGNATURE_SQL = """
    SELECT d.id AS session_id, d.patient_id, p.last_name || ', ' || p.first_name AS patient,
           p.mrn AS chart_number, d.session_number, d.route, d.status, d.discharged_at AS ended_at
    FROM dosing_sessions d JOIN patients p ON p.id = d.patient_id
    JOIN session_details s ON s.session_id = d.id
    WHERE d.status <> 'in_progress' AND s.signed_at IS NULL
    ORDER BY d.discharged_at, d.id
"""


def awaiting_signature(con, user: User) -> pd.DataFrame:
    """Sessions ended (discharged or stopped) and not yet signed, oldest first: the prescriber's to-sign list."""
    require(con, user, DOSING_TEAM)
    with db.read(con) as cur:
        return cur.execute(AWAITING_SIGNATURE_SQL).df()


def _open_session(cur, session_id: int) -> dict:
    session_id = validate.record_id(session_id, NO_SESSION)
    row = cur.execute("SELECT id, patient_id, status, started_at, route FROM dosing_sessions WHERE id = ?",
                      [session_id]).fetchone()
    if row is None:
        raise ValueError(NO_SESSION)
    session = dict(zip(("id", "patient_id", "status", "started_at", "route"), row, strict=True))
    if session["status"] != "in_progress":
        raise ValueError("This session has ended; nothing more can be added except an addendum after signing")
    return session


def _details(cur, session_id: int) -> None:
    """Sessions from before the session record existed (the demo's) get their details row on first change."""
    if not cur.execute("SELECT 1 FROM session_details WHERE session_id = ?", [session_id]).fetchall():
        raise ValueError("This session was recorded before signatures existed and cannot be changed here")


def _reasons_json(reasons: list[Reason]) -> str:
    return json.dumps([dataclasses.asdict(r) for r in reasons], ensure_ascii=False)
