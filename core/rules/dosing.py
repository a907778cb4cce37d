"""Dosing-session safety rules: the dose check, the pre-dose gate and the discharge check.

Each returns a status plus every reason that fired, with the severity equal to the status
that reason forces, so the page can show all of them and the worst decides. mg/kg is
always computed here from dose and weight, never typed, so it cannot disagree with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.rules import validate, vitals
from core.rules.reasons import Reason, worst
from core.rules.settings import Settings, resolve

ROUTES = {
    "iv": "IV infusion",
    "im": "Intramuscular",
    "intranasal": "Intranasal (esketamine)",
    "oral": "Oral lozenge / sublingual",
}
DISSOCIATION = ("none", "mild", "moderate", "severe")
MOAA_S_ALERT = 5
MG_PER_KG_DECIMALS = 4
"""mg/kg is compared after rounding, so 56 mg / 70 kg is exactly at the 0.8 edge, not a float hair over it."""

ADVERSE_EVENT_WORDS = {"severe_hypertension": "Severe high blood pressure", "nausea_vomiting": "Nausea or vomiting",
                       "dizziness": "Dizziness", "headache": "Headache", "anxiety": "Anxiety",
                       "respiratory_depression": "Respiratory depression", "other": "Other"}
STOP_REASON_WORDS = {"dose_interrupted": "Dose interrupted", "patient_request": "At the patient's request",
                     "adverse_event": "Because of an adverse event"}
"""In rules, not only on screen: the pre-dose gate names the last session's event in its stored reason."""

REVIEW_NEEDED = "last_session_review"
REVIEW_SOURCE = ("clinic protocol (issue 25): a session stopped early or with a severe adverse event is reviewed by a "
                 "prescriber before the next dose, so the next dose is decided knowing how the last one ended")
ESCORT_SOURCE = "clinic protocol: someone must drive the patient home (esketamine REMS: no driving until the next day)"
FASTING_SOURCE = "clinic pre-dose protocol (no food 2 h, no liquids 30 min)"


@dataclass(frozen=True)
class DoseCheck:
    route: str
    dose_mg: float
    weight_kg: float
    mg_per_kg: float
    status: str
    """"ok" | "override_needed" | "refused"."""
    reasons: list[Reason]


@dataclass(frozen=True)
class GateResult:
    status: str
    """"go" | "hold" | "refused"; a hold may be overridden by a prescriber with a reason."""
    reasons: list[Reason]


@dataclass(frozen=True)
class LastSession:
    """How the patient's last dosing session ended, as the next pre-dose check needs to know it."""

    number: int
    ended_at: datetime | None
    stopped: str | None
    """Why dosing was stopped early, in words; None when it was not."""
    severe_events: tuple[str, ...]
    """Each severe adverse event of that session, in words with its reading where it has one."""
    reviewed: bool
    """Whether a prescriber has recorded a review of that session."""


@dataclass(frozen=True)
class DischargeResult:
    status: str
    """"ready" | "not_ready"."""
    reasons: list[Reason]


def check_dose(route: str, dose_mg, weight_kg, first_session: bool, settings: Settings | None = None) -> DoseCheck:
    s = resolve(settings)
    validate.choice(route, "Route", ROUTES)
    dose = validate.positive_number(dose_mg, "Dose (mg)")
    weight = vitals.plausible("weight_kg", weight_kg)
    validate.yes_no(first_session, "First session")
    mg_per_kg = round(dose / weight, MG_PER_KG_DECIMALS)
    if route == "intranasal":
        reasons = _intranasal_reasons(dose, first_session, s)
    else:
        reasons = _weight_based_reasons(route, mg_per_kg, s)
    status = worst(reasons, ("refused", "override_needed"), "ok")
    return DoseCheck(route, dose, weight, mg_per_kg, status, reasons)


def _weight_based_reasons(route: str, mg_per_kg: float, s: Settings) -> list[Reason]:
    band = getattr(s, f"dose_{route}")
    source = s.source(f"dose_{route}")
    name = ROUTES[route]
    if mg_per_kg > band.maximum:
        return [Reason("above_maximum", "refused",
                       f"{name} dose {mg_per_kg:g} mg/kg is above the hard maximum of {band.maximum:g} mg/kg",
                       source)]
    if not band.low <= mg_per_kg <= band.high:
        return [Reason("outside_band", "override_needed",
                       f"{name} dose {mg_per_kg:g} mg/kg is outside the usual band "
                       f"{band.low:g}-{band.high:g} mg/kg: a prescriber override with a reason is needed",
                       source)]
    return []


def _intranasal_reasons(dose: float, first_session: bool, s: Settings) -> list[Reason]:
    allowed = s.intranasal_doses_mg
    source = s.source("intranasal_doses_mg")
    listed = "/".join(str(d) for d in allowed)
    if dose > max(allowed):
        return [Reason("above_maximum", "refused",
                       f"Intranasal dose {dose:g} mg is above the maximum of {max(allowed)} mg", source)]
    if dose not in allowed:
        return [Reason("not_a_device_dose", "override_needed",
                       f"Intranasal dose {dose:g} mg is not one of {listed} mg: a prescriber override is needed",
                       source)]
    if first_session and dose != s.intranasal_first_session_mg:
        return [Reason("first_session_dose", "override_needed",
                       f"First intranasal session is {s.intranasal_first_session_mg} mg; {dose:g} mg needs "
                       "a prescriber override", s.source("intranasal_first_session_mg"))]
    return []


GIVEN_FIELD = "Dose actually given (mg)"


@dataclass(frozen=True)
class DoseGiven:
    mg: float
    mg_per_kg: float
    """From the session's weight, as the planned dose's is, so the two compare like for like."""


def dose_given(given_mg, planned_mg: float, weight_kg: float) -> DoseGiven:
    """The dose actually delivered, recorded at a stop or at discharge (issue 25.4: an infusion stopped early still
    said the planned mg). More than the plan cannot have been given from the prepared dose; none given is no session."""
    given = validate.positive_number(given_mg, GIVEN_FIELD)
    if given > planned_mg:
        raise ValueError(f"{GIVEN_FIELD}: {given:g} mg is more than the {planned_mg:g} mg planned; enter what was "
                         "actually given")
    return DoseGiven(given, round(given / weight_kg, MG_PER_KG_DECIMALS))


def pre_dose_gate(
    *,
    systolic_bp,
    diastolic_bp,
    heart_rate,
    spo2,
    hours_since_last_use,
    fasting_confirmed,
    escort_confirmed,
    hours_since_last_session=None,
    last_session: LastSession | None = None,
    bp_remeasured: bool = False,
    settings: Settings | None = None,
) -> GateResult:
    """hours_since_last_session and last_session are None for a patient's first session; bp_remeasured confirms a
    blood pressure whose pulse pressure asked for a second measurement. A last session stopped early or with a
    severe adverse event holds the dose, naming what happened, until a prescriber has reviewed it: the interval
    alone would offer the next dose as if that session had ended like any other."""
    s = resolve(settings)
    checked = validate.every({
        "blood_pressure": lambda: vitals.remeasured_pressure(systolic_bp, diastolic_bp, bp_remeasured, s),
        "heart_rate": lambda: vitals.plausible("heart_rate", heart_rate),
        "spo2": lambda: vitals.plausible("spo2", spo2),
        "hours_since_last_use": lambda: validate.number(hours_since_last_use, "Hours since last use", low=0),
        "fasting_confirmed": lambda: validate.yes_no(fasting_confirmed, "Fasting confirmed"),
        "escort_confirmed": lambda: validate.yes_no(escort_confirmed, "Escort or driver confirmed"),
        "hours_since_last_session": lambda: (
            None if hours_since_last_session is None
            else validate.number(hours_since_last_session, "Hours since last session", low=0)),
    })
    (sbp, dbp), hr, sat = checked["blood_pressure"], checked["heart_rate"], checked["spo2"]
    since_use, fasting, escort = (checked[k] for k in ("hours_since_last_use", "fasting_confirmed",
                                                       "escort_confirmed"))
    since_session = checked["hours_since_last_session"]

    reasons = []
    if sbp >= s.refuse_systolic_at or dbp >= s.refuse_diastolic_at:
        reasons.append(Reason("bp_severe", "refused",
                              f"BP {sbp}/{dbp} is at or above {s.refuse_systolic_at}/{s.refuse_diastolic_at}",
                              s.source("refuse_systolic_at")))
    elif sbp > s.hold_systolic_above or dbp > s.hold_diastolic_above:
        reasons.append(Reason("bp_elevated", "hold",
                              f"BP {sbp}/{dbp} is above {s.hold_systolic_above}/{s.hold_diastolic_above}",
                              s.source("hold_systolic_above")))
    if sat < s.hold_spo2_below:
        reasons.append(Reason("low_spo2", "hold", f"SpO2 {sat} % is below {s.hold_spo2_below} %",
                              s.source("hold_spo2_below")))
    if hr < s.hold_heart_rate_below or hr > s.hold_heart_rate_above:
        reasons.append(Reason("heart_rate", "hold",
                              f"Heart rate {hr} is outside {s.hold_heart_rate_below}-{s.hold_heart_rate_above}",
                              s.source("hold_heart_rate_below")))
    if since_use < s.min_hours_since_use:
        reasons.append(Reason("recent_use", "hold",
                              f"Last use of the primary substance {since_use:g} h ago "
                              f"(under {s.min_hours_since_use} h)",
                              s.source("min_hours_since_use")))
    if not fasting:
        reasons.append(Reason("not_fasting", "hold", "Fasting (no food 2 h, no liquids 30 min) not confirmed",
                              FASTING_SOURCE))
    if not escort:
        reasons.append(Reason("no_escort", "refused", "No escort or driver confirmed to take the patient home",
                              ESCORT_SOURCE))
    if since_session is not None and since_session < s.min_hours_between_sessions:
        reasons.append(Reason("too_soon", "hold",
                              f"Last dosing session {since_session:g} h ago (minimum {s.min_hours_between_sessions} h)",
                              s.source("min_hours_between_sessions")))
    review = review_needed(last_session)
    if review is not None:
        reasons.append(review)
    return GateResult(worst(reasons, ("refused", "hold"), "go"), reasons)


def review_needed(last: LastSession | None) -> Reason | None:
    """Why the last session must still be reviewed by a prescriber before the next dose (stopped early, a severe
    event), naming what happened; None before a first session, once reviewed, or when it ended like any other."""
    if last is None or last.reviewed:
        return None
    parts = ([f"was stopped early ({last.stopped})"] if last.stopped else []) + (
        [("had a severe adverse event: " if len(last.severe_events) == 1 else "had severe adverse events: ")
         + "; ".join(last.severe_events)] if last.severe_events else [])
    if not parts:
        return None
    ended = "" if last.ended_at is None else f" (ended {last.ended_at:%d %b %Y})"
    return Reason(REVIEW_NEEDED, "hold",
                  f"Session {last.number}{ended} {' and '.join(parts)}. A prescriber must record a review of that "
                  "session before the next dose", REVIEW_SOURCE)


def discharge_check(
    *,
    minutes_monitored,
    systolic_bp,
    diastolic_bp,
    moaa_s,
    dissociation,
    respiratory_depression,
    escort_present,
    previous_systolic_bp,
    previous_diastolic_bp,
    settings: Settings | None = None,
) -> DischargeResult:
    """The previous BP is the reading before the last one, to tell whether BP is still rising; a rise holds
    discharge only once the last reading has left the normal range (a setting), as 120/78 then 124/80 is no concern.

    It is a required argument so a caller cannot forget it and pass a rising pressure as
    ready; None (both values) means the last reading is the patient's first.
    """
    s = resolve(settings)
    minutes = validate.number(minutes_monitored, "Minutes monitored since dosing began", low=0)
    sbp, dbp = vitals.blood_pressure(systolic_bp, diastolic_bp)
    sedation = validate.whole_number(moaa_s, "Sedation (MOAA/S)", 0, 5)
    dissociated = validate.choice(dissociation, "Dissociation", DISSOCIATION)
    respiratory = validate.yes_no(respiratory_depression, "Respiratory depression")
    escort = validate.yes_no(escort_present, "Escort present")

    reasons = []
    if minutes < s.discharge_min_minutes:
        reasons.append(Reason("monitoring_time", "not_ready",
                              f"Monitored {minutes:g} min since dosing began; at least {s.discharge_min_minutes} "
                              "min are required", s.source("discharge_min_minutes")))
    if sbp >= s.discharge_systolic_below or dbp >= s.discharge_diastolic_below:
        reasons.append(Reason("bp_high", "not_ready",
                              f"Last BP {sbp}/{dbp} is not below {s.discharge_systolic_below}/"
                              f"{s.discharge_diastolic_below}", s.source("discharge_systolic_below")))
    if previous_systolic_bp is not None or previous_diastolic_bp is not None:
        prev_sbp, prev_dbp = vitals.blood_pressure(previous_systolic_bp, previous_diastolic_bp)
        above_normal = sbp >= s.discharge_rise_systolic_from or dbp >= s.discharge_rise_diastolic_from
        if above_normal and (sbp > prev_sbp or dbp > prev_dbp):
            reasons.append(Reason("bp_rising", "not_ready",
                                  f"BP is still rising ({prev_sbp}/{prev_dbp} then {sbp}/{dbp}) and is no longer "
                                  f"below {s.discharge_rise_systolic_from}/{s.discharge_rise_diastolic_from}; "
                                  "recheck later", s.source("discharge_rise_systolic_from")))
    if sedation != MOAA_S_ALERT:
        reasons.append(Reason("sedation", "not_ready",
                              f"MOAA/S is {sedation}; discharge needs {MOAA_S_ALERT} (fully alert)",
                              s.source("discharge_min_minutes")))
    if dissociated != "none":
        reasons.append(Reason("dissociation", "not_ready", f"Dissociation not resolved ({dissociated})",
                              s.source("discharge_min_minutes")))
    if respiratory:
        reasons.append(Reason("respiratory_depression", "not_ready", "Respiratory depression present",
                              s.source("discharge_min_minutes")))
    if not escort:
        reasons.append(Reason("no_escort", "not_ready", "No escort present to take the patient home",
                              ESCORT_SOURCE))
    return DischargeResult(worst(reasons, ("not_ready",), "ready"), reasons)


@dataclass(frozen=True)
class Taken:
    """A reading during the session: its minute after the dose and its blood pressure."""

    minute: int
    systolic_bp: int
    diastolic_bp: int


@dataclass(frozen=True)
class NextReading:
    minute: int
    """Minutes after the dose when the next reading is due."""
    overdue: bool
    severe: Taken | None = None
    """The severe reading that keeps monitoring tight, while it does; None on the usual schedule."""


def next_reading(route: str, readings, minutes_since_dose, settings: Settings | None = None) -> NextReading:
    """When the next vital signs are due, counted from the last reading taken: every `reading_every_minutes` (the
    intranasal route also at its 40-minute peak), or every `severe_reading_every_minutes` from a severe blood pressure
    until a reading falls below the discharge limit; overdue once that minute has passed. `readings` are `Taken`."""
    s = resolve(settings)
    validate.choice(route, "Route", ROUTES)
    now = validate.number(minutes_since_dose, "Minutes since the dose", low=0)
    taken = sorted((_checked(r) for r in readings), key=lambda r: r.minute)
    last = taken[-1].minute if taken else 0
    severe = severe_watch(taken, s)
    due = last + (s.severe_reading_every_minutes if severe else s.reading_every_minutes)
    if route == "intranasal" and last < s.intranasal_reading_minute:
        due = min(due, s.intranasal_reading_minute)
    return NextReading(due, now > due, severe)


def severe_watch(readings: list[Taken], settings: Settings | None = None) -> Taken | None:
    """The latest severe reading while monitoring stays tight after it: from a blood pressure at or above the severe
    limit until a later one is below the discharge limit (both numbers below it). `readings` in minute order."""
    s = resolve(settings)
    watched = None
    for r in readings:
        if r.systolic_bp >= s.severe_systolic_at or r.diastolic_bp >= s.severe_diastolic_at:
            watched = r
        elif r.systolic_bp < s.discharge_systolic_below and r.diastolic_bp < s.discharge_diastolic_below:
            watched = None
    return watched


def _checked(reading: Taken) -> Taken:
    if not isinstance(reading, Taken):
        raise ValueError(f"A reading needs its minute and its blood pressure; got {reading!r}")
    systolic, diastolic = vitals.blood_pressure(reading.systolic_bp, reading.diastolic_bp)
    return Taken(validate.whole_number(reading.minute, "Minute of a reading", 0), systolic, diastolic)
