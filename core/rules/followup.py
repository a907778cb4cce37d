"""Follow-up rules: when the PCL-5 is due, when a check-in needs a same-day safety follow-up, what a use day holds.

A check-in's scales are scored by `core.rules.instruments.score`; these rules only decide
what the answers mean for the next step, each with its source.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from core.rules import validate
from core.rules.instruments import ScoreResult
from core.rules.reasons import Reason
from core.rules.settings import Settings, resolve

SUICIDALITY_SOURCE = "C-SSRS triage (Columbia); PHQ-9 item 9 guidance"
STANDARD_DRINK_GRAMS = 14
"""One US standard drink holds 14 g of alcohol (NIAAA); drink counts are in standard drinks."""


def pcl5_due(last_taken: date | None, provisional_ptsd_at_screening: bool, today: date,
             settings: Settings | None = None) -> bool:
    """The PCL-5 is offered to a patient with provisional PTSD at screening, and to anyone once `pcl5_every_days`
    have passed since their last one (or who has never had one)."""
    s = resolve(settings)
    if provisional_ptsd_at_screening or last_taken is None:
        return True
    return (today - last_taken).days >= s.pcl5_every_days


ITEM9_REASON = Reason("suicidality", "review", "PHQ-9 item 9 (thoughts of self-harm) was answered above 0",
                      SUICIDALITY_SOURCE)


def safety_reasons(phq9: ScoreResult | None, cssrs_band: str | None) -> list[Reason]:
    """Why a check-in raises a same-day safety follow-up: PHQ-9 item 9 above 0, or a C-SSRS repeat at moderate or
    high. The screening decision treats C-SSRS moderate alone as a referral; at a check-in during treatment the
    clinic asks for the same-day assessment for both."""
    reasons = []
    if phq9 is not None and "suicide_risk" in phq9.flags:
        reasons.append(ITEM9_REASON)
    if cssrs_band in ("moderate", "high"):
        reasons.append(Reason("suicidality", "review", f"C-SSRS screener risk is {cssrs_band}", SUICIDALITY_SOURCE))
    return reasons


@dataclass(frozen=True)
class UseDay:
    day: date
    used: bool
    drinks: float | None
    other_used: bool | None


def baseline_start(screened_on: date, settings: Settings | None = None) -> date:
    """The first day the use log may hold: `baseline_log_days` before the patient's first screening. Timeline
    Followback asks a new patient for the weeks before treatment, which the course is then read against."""
    return screened_on - timedelta(days=resolve(settings).baseline_log_days)


def use_day(day, used, drinks, other_used, *, today: date, earliest: date, counts_drinks: bool,
            settings: Settings | None = None) -> UseDay:
    """One day of the use log, checked: a day after today or more than `baseline_log_days` before `earliest` (the
    patient's first screening), a drink count that is negative, absurd or given for a substance other than alcohol
    is refused.

    A day marked not used has no drinks (a 0 typed there is the same thing and is stored as none)."""
    s = resolve(settings)
    day = validate.calendar_date(day, "Day")
    label = f"{day:%d %b %Y}"
    if day > today:
        raise ValueError(f"Day {label} is after today; only days that have passed can be recorded")
    if day < baseline_start(earliest, s):
        raise ValueError(f"Day {label} is more than {s.baseline_log_days} days before the patient's screening on "
                         f"{earliest:%d %b %Y}; the baseline log starts on {baseline_start(earliest, s):%d %b %Y} "
                         "at the earliest")
    if not isinstance(used, bool):
        raise ValueError(f"Day {label}: choose No use or Used for the primary substance")
    if other_used is not None:
        other_used = validate.yes_no(other_used, f"Other substance on {label}")
    if isinstance(drinks, str):
        drinks = _typed_number(drinks, f"Drinks on {label} (standard drinks)")
    if drinks is not None:
        if not counts_drinks:
            raise ValueError(f"Drinks on {label}: drinks are counted only when alcohol is the primary substance")
        drinks = validate.number(drinks, f"Drinks on {label} (standard drinks)", 0, s.max_drinks_per_day)
        if not used and drinks > 0:
            raise ValueError(f"Drinks on {label}: the day is marked no use; clear the drinks or mark it used")
    return UseDay(day, used, drinks if used else None, other_used)


def _typed_number(text: str, field: str) -> float | None:
    """A count typed into a grid cell: blank is no count; '2,5' is read as 2.5; anything else is refused."""
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{field} must be a number (entered {text!r})") from None


def heavy_day(used: bool, drinks: float | None, sex: str, settings: Settings | None = None) -> bool:
    """A heavy drinking day: a use day above the sex-specific count, or with no count (clinical-rules section 4)."""
    s = resolve(settings)
    if not used:
        return False
    if drinks is None:
        return True
    return drinks > (s.hdd_drinks_female if sex == "female" else s.hdd_drinks_male)
