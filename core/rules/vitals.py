"""Vital signs: what is physically plausible (refused otherwise) and what is clinically notable (warned).

Plausibility limits catch typing slips (a BP of 1400, a weight in pounds) before they are
stored; they are data-validity limits, not clinical thresholds, so they are constants here
and the same numbers become CHECK constraints in the database. Clinical bands come from
`core.rules.settings`, so they only warn and never refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.rules import validate
from core.rules.reasons import Reason
from core.rules.settings import Settings, resolve

PLAUSIBILITY_SOURCE = "data-entry plausibility limits (catch typing slips; not clinical thresholds)"

PLAUSIBLE = {
    "systolic_bp": (40, 300),
    "diastolic_bp": (20, 200),
    "heart_rate": (20, 250),
    "spo2": (50, 100),
    "respiratory_rate": (4, 60),
    "weight_kg": (23, 340),
}

LABELS = {
    "systolic_bp": "Systolic blood pressure (mmHg)",
    "diastolic_bp": "Diastolic blood pressure (mmHg)",
    "heart_rate": "Heart rate (beats/min)",
    "spo2": "SpO2 (%)",
    "respiratory_rate": "Respiratory rate (breaths/min)",
    "weight_kg": "Weight (kg)",
}


@dataclass(frozen=True)
class VitalsCheck:
    warnings: tuple[Reason, ...]
    adverse_events: tuple[str, ...]
    """Adverse-event codes the reading records by itself, e.g. severe_hypertension."""


def blood_pressure(systolic_bp, diastolic_bp) -> tuple[int, int]:
    systolic = plausible("systolic_bp", systolic_bp)
    diastolic = plausible("diastolic_bp", diastolic_bp)
    if diastolic >= systolic:
        raise ValueError(
            f"{LABELS['diastolic_bp']} ({diastolic}) must be lower than the systolic ({systolic}); "
            "check the reading"
        )
    return systolic, diastolic


def pulse_pressure_problem(systolic_bp: int, diastolic_bp: int, settings: Settings | None = None) -> str | None:
    """Why a plausible-looking reading should be measured again (the pulse pressure is outside the clinic's
    plausibility settings), or None. Asked, not refused: a real reading confirmed after re-measuring is recorded,
    so a true severe reading is never lost to this check."""
    s = resolve(settings)
    gap = systolic_bp - diastolic_bp
    if s.pulse_pressure_min <= gap <= s.pulse_pressure_max:
        return None
    side = f"under {s.pulse_pressure_min}" if gap < s.pulse_pressure_min else f"over {s.pulse_pressure_max}"
    return (f"Blood pressure {systolic_bp}/{diastolic_bp}: the pulse pressure (systolic minus diastolic) is {gap} "
            f"mmHg, {side} mmHg, which is more often a misreading than a real one. Please re-measure; if the new "
            "reading is the same, tick \"Re-measured: this blood pressure is right\"")


def remeasured_pressure(systolic_bp, diastolic_bp, remeasured=False, settings: Settings | None = None) -> tuple[int,
                                                                                                                int]:
    """A plausible blood pressure whose pulse pressure is plausible too, or confirmed after re-measuring."""
    systolic, diastolic = blood_pressure(systolic_bp, diastolic_bp)
    confirmed = False if remeasured is None else validate.yes_no(remeasured, "Blood pressure re-measured")
    problem = pulse_pressure_problem(systolic, diastolic, settings)
    if problem and not confirmed:
        raise ValueError(problem)
    return systolic, diastolic


def plausible(name: str, value) -> int | float:
    low, high = PLAUSIBLE[name]
    if name == "weight_kg":
        return validate.number(value, LABELS[name], low, high)
    return validate.whole_number(value, LABELS[name], low, high)


def check_vitals(
    *,
    systolic_bp=None,
    diastolic_bp=None,
    heart_rate=None,
    spo2=None,
    respiratory_rate=None,
    taken_at: datetime | None = None,
    now: datetime | None = None,
    bp_remeasured: bool = False,
    settings: Settings | None = None,
) -> VitalsCheck:
    """Refuse an implausible reading; otherwise list its warnings and any adverse event it implies."""
    s = resolve(settings)
    if (systolic_bp is None) != (diastolic_bp is None):
        raise ValueError("Blood pressure needs both the systolic and the diastolic value")
    if taken_at is not None:
        reading_time(taken_at, now)
    warnings: list[Reason] = []
    events: list[str] = []
    if systolic_bp is not None:
        sbp, dbp = remeasured_pressure(systolic_bp, diastolic_bp, bp_remeasured, s)
        if sbp >= s.severe_systolic_at or dbp >= s.severe_diastolic_at:
            events.append("severe_hypertension")
            warnings.append(Reason(
                "severe_hypertension", "warning",
                f"BP {sbp}/{dbp} is at or above {s.severe_systolic_at}/{s.severe_diastolic_at}: "
                "recorded as an adverse event; inform the prescriber now",
                s.source("severe_systolic_at"),
            ))
        elif sbp > s.hold_systolic_above or dbp > s.hold_diastolic_above:
            warnings.append(Reason(
                "bp_above_range", "warning",
                f"BP {sbp}/{dbp} is above {s.hold_systolic_above}/{s.hold_diastolic_above}",
                s.source("hold_systolic_above"),
            ))
    if heart_rate is not None:
        hr = plausible("heart_rate", heart_rate)
        if not s.hold_heart_rate_below <= hr <= s.hold_heart_rate_above:
            warnings.append(Reason(
                "heart_rate_out_of_range", "warning",
                f"Heart rate {hr} is outside {s.hold_heart_rate_below}-{s.hold_heart_rate_above}",
                s.source("hold_heart_rate_below"),
            ))
    if spo2 is not None:
        sat = plausible("spo2", spo2)
        if sat < s.hold_spo2_below:
            warnings.append(Reason(
                "low_spo2", "warning", f"SpO2 {sat} % is below {s.hold_spo2_below} %", s.source("hold_spo2_below"),
            ))
    if respiratory_rate is not None:
        plausible("respiratory_rate", respiratory_rate)
    return VitalsCheck(tuple(warnings), tuple(events))


def reading_time(taken_at, now: datetime | None = None) -> datetime:
    if not isinstance(taken_at, datetime):
        raise ValueError(f"Time of the reading must be a date and time; got {taken_at!r}")
    now = now or datetime.now(taken_at.tzinfo)
    if taken_at > now:
        raise ValueError("Time of the reading is in the future; check the clock time entered")
    return taken_at


def weight_change_warning(previous_kg, current_kg, settings: Settings | None = None) -> Reason | None:
    """A large change since the last session is more often a kg/lb slip than a real change."""
    s = resolve(settings)
    previous = plausible("weight_kg", previous_kg)
    current = plausible("weight_kg", current_kg)
    change = abs(current - previous) / previous
    if change <= s.weight_change_warn_fraction:
        return None
    return Reason(
        "weight_change", "warning",
        f"Weight {current:g} kg differs by {change:.0%} from the last session ({previous:g} kg); "
        "check kg versus lb before dosing",
        s.source("weight_change_warn_fraction"),
    )
