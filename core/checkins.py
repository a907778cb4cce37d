"""Follow-up check-ins: the scales taken at a visit and the use days since the last one, saved as one record.

Without these the outcomes have nothing to measure for patients entered through the app.
A check-in stores each scale as an assessment (so the chart and the outcomes read one
table), the days of the use log, and, when the answers call for it, a same-day safety
follow-up, all in one transaction. A use day is one row per patient and day: recording it
again is a correction, which needs a reason and keeps what it replaced.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

from core import db, drafts, safety
from core.access import STAFF, User, require
from core.rules import followup, instruments, validate
from core.rules.settings import Settings

RECORDERS = frozenset({"therapist", "nurse", "prescriber"})
EVERY_VISIT = ("phq9", "gad7", "craving_vas", "pacs")
"""Taken at every check-in (the PACS only when alcohol is the primary substance: `every_visit`); the PCL-5 (when due)
and the C-SSRS repeat are taken when the clinician gives them."""
DRINKING_ONLY = ("pacs",)
"""The Penn Alcohol Craving Scale asks about drinking: for anyone else its answers would be read as their craving."""
OPTIONAL = ("pcl5", "cssrs")
LOG_WINDOW_DAYS = 28
"""The use log offered at a visit starts the day after the last recorded day, but never more than four weeks back:
recall further back is not reliable enough to type in at a visit. A new patient's baseline before the screening is
asked for on purpose ("Start the log on"), as Timeline Followback does."""
MAX_NOTE = 2000
NO_PATIENT = "That patient was not found"


@dataclass(frozen=True)
class Context:
    """What the check-in form needs to know about the patient before anything is typed."""

    patient_id: int
    patient: str
    sex: str
    primary_substance: str
    screened_on: date
    provisional_ptsd: bool
    """Provisional PTSD at the latest screening: the PCL-5 is then offered at every visit."""
    pcl5_due: bool
    pcl5_last: date | None
    log_from: date
    log_earliest: date
    """The first day the log may hold: the baseline before the screening (`baseline_log_days`)."""
    recorded: dict[date, dict]
    """Use days already recorded from `log_from` to today: day -> {used, drinks, other_used}."""


class SameDayCheckin(ValueError):
    """Another check-in of this patient is already saved for the visit's day: two people (or two tabs) recording one
    visit would leave two sets of scores, so the second waits for a clinician to say it is a second visit."""


@dataclass(frozen=True)
class Saved:
    checkin_id: int
    followup_raised: bool
    days_added: int
    days_corrected: int


def context(con, user: User, patient_id: int, today: date | None = None,
            settings: Settings | None = None) -> Context:
    user = require(con, user, STAFF)
    today = today or date.today()
    with db.read(con) as cur:
        return context_in(cur, patient_id, today, settings)


def context_in(cur, patient_id: int, today: date, settings: Settings | None) -> Context:
    """`context` inside the caller's read or transaction; the caller has checked who may ask."""
    patient_id = validate.record_id(patient_id, NO_PATIENT)
    row = cur.execute(
        """SELECT p.last_name || ', ' || p.first_name, p.sex, p.primary_substance,
                  (SELECT min(s.screened_at) FROM screenings s WHERE s.patient_id = p.id)
           FROM patients p WHERE p.id = ?""", [patient_id]).fetchone()
    if row is None:
        raise ValueError(NO_PATIENT)
    name, sex, substance, first_screened = row
    if first_screened is None:
        raise ValueError(f"{name} has not been screened; a check-in follows screening")
    pcl5_last, screening_flags = cur.execute(
        """SELECT (SELECT max(taken_at) FROM assessments WHERE patient_id = ? AND instrument = 'pcl5'),
                  (SELECT a.flags FROM assessments a JOIN screenings s ON s.id = a.screening_id
                   WHERE a.patient_id = ? AND a.instrument = 'pcl5' ORDER BY s.screened_at DESC, a.id DESC LIMIT 1)""",
        [patient_id, patient_id]).fetchone()
    provisional = "provisional_ptsd" in json.loads(screening_flags or "[]")
    pcl5_on = pcl5_last.date() if pcl5_last else None
    (last_day,) = cur.execute("SELECT max(day) FROM substance_use_days WHERE patient_id = ?", [patient_id]).fetchone()
    start = (last_day + timedelta(days=1)) if last_day else first_screened.date()
    log_from = min(today, max(start, today - timedelta(days=LOG_WINDOW_DAYS - 1), first_screened.date()))
    recorded = {
        day: {"used": used, "drinks": drinks, "other_used": other}
        for day, used, drinks, other in cur.execute(
            "SELECT day, used, drinks, other_used FROM substance_use_days WHERE patient_id = ? AND day >= ?",
            [patient_id, log_from]).fetchall()
    }
    return Context(patient_id, name, sex, substance, first_screened.date(), provisional,
                   followup.pcl5_due(pcl5_on, provisional, today, settings), pcl5_on, log_from,
                   followup.baseline_start(first_screened.date(), settings), recorded)


def record(con, user: User, patient_id: int, *, visit_at, answers: dict, use_days: list[dict],
           correction_reason: str = "", note: str = "", draft_id: int | None = None, second_same_day: bool = False,
           now: datetime | None = None, settings: Settings | None = None) -> Saved:
    """Save a check-in: its scales, its use days and any safety follow-up, whole or not at all.

    `answers` maps an instrument id to its answers (a list in item order; the C-SSRS dict); an optional scale left
    entirely blank is not taken. `use_days` holds dicts with day, used, drinks and other_used. `second_same_day`
    confirms a second check-in on a day that already has one (SameDayCheckin otherwise).
    """
    user = require(con, user, RECORDERS)
    now = now or datetime.now()
    draft_id = validate.optional_record_id(draft_id, drafts.GONE)
    with db.read(con) as cur:
        ctx = context_in(cur, patient_id, now.date(), settings)
    if not isinstance(second_same_day, bool):
        raise ValueError("Second check-in the same day: tick the box or leave it empty")
    checked = validate.every({  # every problem named in one refusal (issue 25.11)
        "visit_at": lambda: _visit_time(visit_at, ctx, now),
        "scales": lambda: _scores(answers, ctx, settings),
        "use_days": lambda: checked_days(use_days, ctx, now.date(), settings),
        "note": lambda: validate.text(note, "Note", MAX_NOTE),
        "correction_reason": lambda: validate.text(correction_reason, "Reason for the correction", 500),
    })
    visit_at, scores, days = checked["visit_at"], checked["scales"], checked["use_days"]
    note, correction_reason = checked["note"], checked["correction_reason"]
    with db.transaction(con) as cur:
        if not second_same_day:
            _refuse_same_day(cur, patient_id, ctx.patient, visit_at)
        checkin_id, added, corrected = store(cur, user, patient_id, visit_at, scores, days, correction_reason,
                                             note, now)
        reasons = followup.safety_reasons(scores.get("phq9", (None,))[0],
                                          scores["cssrs"][0].band if "cssrs" in scores else None)
        if reasons:
            safety.raise_followup(cur, patient_id, now, checkin_id=checkin_id)
        if draft_id is not None:
            drafts.remove(cur, user, draft_id, "draft_used")
        db.audit(cur, user.id, "checkin_saved", "checkin", checkin_id,
                 {"patient_id": patient_id, "instruments": sorted(scores), "days_added": added,
                  "days_corrected": corrected, "safety_followup": bool(reasons)})
    return Saved(checkin_id, bool(reasons), added, corrected)


def store(cur, user: User, patient_id: int, visit_at: datetime, scores: dict, days: list[followup.UseDay],
          correction_reason: str, note: str, now: datetime) -> tuple[int, int, int]:
    """Write checked scales and use days as one check-in inside the caller's transaction: (check-in id, days added,
    days corrected). A patient's accepted self-report is stored this way too (core/self_report.py), so it reaches the
    chart and the outcomes as a check-in's answers do, under the same correction rules."""
    (checkin_id,) = cur.execute(
        "INSERT INTO checkins (patient_id, visit_at, recorded_by, recorded_at, note) VALUES (?, ?, ?, ?, ?) "
        "RETURNING id", [patient_id, visit_at, user.id, now, note or None]).fetchone()
    for instrument_id, (result, given) in scores.items():
        (assessment_id,) = cur.execute(
            """INSERT INTO assessments (patient_id, instrument, taken_at, total, band, flags, answers, recorded_by)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
            [patient_id, instrument_id, visit_at, result.total, result.band, json.dumps(sorted(result.flags)),
             json.dumps(given, sort_keys=True), user.id]).fetchone()
        cur.execute("INSERT INTO checkin_assessments VALUES (?, ?)", [checkin_id, assessment_id])
    added, corrected = _store_days(cur, user, patient_id, days, correction_reason, now)
    return checkin_id, added, corrected


def _refuse_same_day(cur, patient_id: int, patient: str, visit_at: datetime) -> None:
    """Checked inside the saving transaction, so two saves of one visit at the same moment cannot both pass it."""
    earlier = cur.execute(
        """SELECT u.display_name, c.visit_at FROM checkins c LEFT JOIN users u ON u.id = c.recorded_by
           WHERE c.patient_id = ? AND CAST(c.visit_at AS DATE) = ? ORDER BY c.recorded_at DESC LIMIT 1""",
        [patient_id, visit_at.date()]).fetchone()
    if earlier is not None:
        who, at = earlier
        raise SameDayCheckin(
            f"A check-in of this patient for {visit_at:%d %b %Y} was already saved by {who or 'another user'} at "
            f"{at:%H:%M}. Nothing was saved. If this is the same visit, open the chart to see it; if the patient was "
            "seen a second time today, tick \"A second check-in the same day\" and save again.")


def correct_day(con, user: User, patient_id: int, *, day, used, drinks, other_used, reason: str,
                now: datetime | None = None, settings: Settings | None = None) -> str:
    """One use day corrected, or a missing one added, between visits ("added" or "corrected"): a patient who phones
    about a day should not need a whole check-in, scales included. Checked as a check-in's days are."""
    user = require(con, user, RECORDERS)
    now = now or datetime.now()
    reason = validate.text(reason, "Reason for the correction", 500)
    if not reason.strip():
        raise ValueError("Reason for the correction: say why the day is corrected or added now")
    if other_used is None:
        raise ValueError("Another substance that day: choose No or Yes (a correction replaces the whole day)")
    with db.read(con) as cur:
        ctx = context_in(cur, patient_id, now.date(), settings)
    (checked,) = checked_days([{"day": day, "used": used, "drinks": drinks, "other_used": other_used}], ctx, now.date(),
                       settings)
    with db.transaction(con) as cur:
        added, corrected = _store_days(cur, user, patient_id, [checked], reason, now)
        if not (added or corrected):
            raise ValueError(f"Day {checked.day:%d %b %Y} already holds these values; nothing was changed")
        if added:
            db.audit(cur, user.id, "use_day_added", "patient", patient_id,
                     {"patient_id": patient_id, "day": checked.day.isoformat(), "reason": reason})
    return "added" if added else "corrected"


def _visit_time(visit_at, ctx: Context, now: datetime) -> datetime:
    if not isinstance(visit_at, datetime):
        raise ValueError("Visit date and time: enter when the patient was seen")
    if visit_at > now + timedelta(minutes=1):
        raise ValueError("Visit date and time is in the future; enter when the patient was seen")
    if visit_at.date() < ctx.screened_on:
        raise ValueError(f"Visit date is before the patient's screening on {ctx.screened_on:%d %b %Y}")
    return visit_at


def _scores(answers: dict, ctx: Context, settings: Settings | None) -> dict:
    """Every scale scored, or every half-answered or missing one refused by name; blank optional scales are left
    out."""
    if not isinstance(answers, dict):
        raise ValueError("Scales: the answers did not arrive as a form; fill the scales in again")
    unknown = set(answers) - set(EVERY_VISIT) - set(OPTIONAL)
    if unknown:
        raise ValueError(f"Not a check-in scale: {', '.join(sorted(map(str, unknown)))}")
    checks = {}
    asked = every_visit(ctx.primary_substance)
    for instrument_id in EVERY_VISIT + OPTIONAL:
        given = answers.get(instrument_id)
        blank = given is None or (isinstance(given, dict) and not given) or (
            isinstance(given, list) and all(a is None for a in given))
        if instrument_id in DRINKING_ONLY and instrument_id not in asked and not blank:
            checks[instrument_id] = functools.partial(_not_asked, instrument_id)
            continue
        if blank and instrument_id not in asked:
            continue
        checks[instrument_id] = functools.partial(_score, instrument_id, given, blank, ctx, settings)
    try:
        return validate.every(checks)
    except validate.FieldErrors as e:
        raise ValueError(str(e)) from None


def _not_asked(instrument_id: str) -> None:
    raise ValueError(f"{instrument_name(instrument_id)}: asked only when alcohol is the primary substance")


def _score(instrument_id: str, given, blank: bool, ctx: Context, settings: Settings | None) -> tuple:
    if blank:
        raise ValueError(f"{instrument_name(instrument_id)}: not answered; it is taken at every check-in")
    if instrument_id == "pcl5" and not ctx.pcl5_due:
        raise ValueError("PCL-5: not due at this visit")
    if instrument_id == "cssrs":
        given = instruments.cssrs_answers(given)
    return instruments.score(instrument_id, given, sex=ctx.sex, settings=settings), given


def every_visit(primary_substance: str) -> tuple[str, ...]:
    """The scales taken at every check-in of a patient with this primary substance, in the order they are asked."""
    if primary_substance == "alcohol":
        return EVERY_VISIT
    return tuple(i for i in EVERY_VISIT if i not in DRINKING_ONLY)


def instrument_name(instrument_id: str) -> str:
    return instruments.get(instrument_id).name


def checked_days(use_days: list[dict], ctx: Context, today: date,
                 settings: Settings | None) -> list[followup.UseDay]:
    """Use days checked, every bad one named (a check-in's, a correction's, an accepted self-report's)."""
    if not isinstance(use_days, (list, tuple)) or not all(isinstance(entry, dict) for entry in use_days):
        raise ValueError("Use log: the days did not arrive as a list of days; fill the log in again")
    checked, seen, problems = [], set(), []
    for entry in use_days:
        try:
            day = followup.use_day(entry.get("day"), entry.get("used"), entry.get("drinks"), entry.get("other_used"),
                                   today=today, earliest=ctx.screened_on,
                                   counts_drinks=ctx.primary_substance == "alcohol", settings=settings)
        except ValueError as e:
            problems.append(str(e))  # every bad day named, not only the first
            continue
        if day.day in seen:
            problems.append(f"Day {day.day:%d %b %Y} is listed twice")
        seen.add(day.day)
        checked.append(day)
    if problems:
        raise ValueError("; ".join(problems))
    return checked


def _store_days(cur, user: User, patient_id: int, days: list[followup.UseDay], reason: str,
                now: datetime) -> tuple[int, int]:
    """Insert new days; a day already recorded with other values is corrected (reason required), never duplicated."""
    added = corrected = 0
    for d in days:
        old = cur.execute("SELECT used, drinks, other_used FROM substance_use_days WHERE patient_id = ? AND day = ?",
                          [patient_id, d.day]).fetchone()
        new = {"used": d.used, "drinks": d.drinks, "other_used": d.other_used}
        if old is None:
            cur.execute("INSERT INTO substance_use_days (patient_id, day, used, drinks, other_used, recorded_by, "
                        "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [patient_id, d.day, d.used, d.drinks, d.other_used, user.id, now])
            added += 1
            continue
        before = dict(zip(("used", "drinks", "other_used"), old, strict=True))
        if before == new or (not before["used"] and {**before, "drinks": None} == new):
            continue  # a count kept on a day without use is no count (older rows hold 0 there)
        if not reason.strip():
            raise ValueError(f"Day {d.day:%d %b %Y} was already recorded{_by_whom(cur, patient_id, d.day, before)}; "
                             "give a reason for the correction")
        cur.execute("UPDATE substance_use_days SET used = ?, drinks = ?, other_used = ?, recorded_by = ?, "
                    "recorded_at = ? WHERE patient_id = ? AND day = ?",
                    [d.used, d.drinks, d.other_used, user.id, now, patient_id, d.day])
        (correction_id,) = cur.execute(
            "INSERT INTO use_day_corrections (patient_id, day, before, after, reason, corrected_by, corrected_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [patient_id, d.day, json.dumps(before), json.dumps(new), reason, user.id, now]).fetchone()
        db.audit(cur, user.id, "use_day_corrected", "use_day_correction", correction_id,
                 {"patient_id": patient_id, "day": d.day.isoformat()})
        corrected += 1
    return added, corrected


def _by_whom(cur, patient_id: int, day: date, before: dict) -> str:
    """' as used (3 drinks) by Demo Nurse at 08:15 on 30 Nov': what someone else may have saved meanwhile."""
    who, at = cur.execute(
        """SELECT u.display_name, d.recorded_at FROM substance_use_days d LEFT JOIN users u ON u.id = d.recorded_by
           WHERE d.patient_id = ? AND d.day = ?""", [patient_id, day]).fetchone()
    what = "used" if before["used"] else "no use"
    if before["used"] and before["drinks"] is not None:
        what += f" ({before['drinks']:g} drinks)"
    return f" as {what}" + (f" by {who}" if who else "") + (f" at {at:%H:%M on %d %b}" if at else "")


def use_log(con, user: User, patient_id: int, start: date, end: date) -> pd.DataFrame:
    """The recorded days from `start` to `end`: day, used, drinks, other_used."""
    require(con, user, STAFF)
    patient_id = validate.record_id(patient_id, NO_PATIENT)
    start, end = validate.calendar_date(start, "From"), validate.calendar_date(end, "To")
    with db.read(con) as cur:
        return cur.execute(
            """SELECT day, used, drinks, other_used FROM substance_use_days
               WHERE patient_id = ? AND day BETWEEN ? AND ? ORDER BY day""", [patient_id, start, end]).df()
