"""Every clinical threshold the app applies, with its default and its published source.

The medical director may change any of these, so the rules never read a literal number:
they take a `Settings` object (the clinic's current one when none is given). Each field
carries its source in the field metadata so the source travels with the number and can
be shown to the clinician beside every decision. The rules version is a digest of the
content, so changing any threshold changes the version that decisions record.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from dataclasses import dataclass, field

RULES_LOGIC = "2026.11"
"""Bumped by hand when the rule *logic* changes; the digest covers threshold changes."""

CLINIC_DEFAULT = "clinic default, not from a cited guideline"


@dataclass(frozen=True)
class DoseBand:
    """A route's weight-based band: inside is ok, outside needs an override, above max is refused."""

    low: float
    high: float
    maximum: float

    def __post_init__(self) -> None:
        if not 0 < self.low <= self.high <= self.maximum:
            raise ValueError(
                f"Dose band must satisfy 0 < low <= high <= maximum; got {self.low}, {self.high}, {self.maximum}"
            )


def _rule(default, source: str):
    return field(default=default, metadata={"source": source})


SMALL_CELL_FLOOR = 11
"""clinical-rules.md section 4: groups of fewer than 11 are suppressed for the viewer; a clinic may raise it."""


@dataclass(frozen=True)
class Settings:
    # Instruments
    pacs_elevated: int = _rule(15, "PACS (Flannery 1999); cut-off Hartwell 2019")
    auditc_positive_male: int = _rule(4, "AUDIT-C (Bush 1998; SAMHSA)")
    auditc_positive_female: int = _rule(3, "AUDIT-C (Bush 1998; SAMHSA)")
    pcl5_provisional_total: int = _rule(33, "PCL-5 scoring (VA National Center for PTSD)")

    # Screening decision
    adult_min_age: int = _rule(18, "adult programme")
    older_adult_age: int = _rule(65, "esketamine label (older-adult dosing)")
    uncontrolled_systolic: int = _rule(160, "JNC7 stage 2 hypertension")
    uncontrolled_diastolic: int = _rule(100, "JNC7 stage 2 hypertension")
    elevated_systolic: int = _rule(140, 'esketamine label (>140/90 "general guide")')
    elevated_diastolic: int = _rule(90, 'esketamine label (>140/90 "general guide")')
    candidate_phq9: int = _rule(10, "PHQ-9 moderate band (Kroenke, Spitzer)")
    candidate_gad7: int = _rule(10, "GAD-7 moderate band (Spitzer)")

    # Dosing
    dose_iv: DoseBand = _rule(
        DoseBand(0.1, 0.8, 1.0), "Andrade 2017; Dakwar 2019 (0.71); Grabski 2022 (0.8)"
    )
    dose_im: DoseBand = _rule(DoseBand(0.2, 2.0, 2.5), "Krupitsky 2002 (0.2 vs 2.0 IM)")
    dose_oral: DoseBand = _rule(DoseBand(0.25, 3.0, 7.0), "Andrade 2019")
    intranasal_doses_mg: tuple[int, ...] = _rule((28, 56, 84), "esketamine label")
    intranasal_first_session_mg: int = _rule(56, "esketamine label")
    min_hours_between_sessions: int = _rule(48, "clinic default: at most three sessions a week")

    # Pre-dose gate
    hold_systolic_above: int = _rule(140, 'esketamine label (>140/90 "general guide")')
    hold_diastolic_above: int = _rule(90, 'esketamine label (>140/90 "general guide")')
    refuse_systolic_at: int = _rule(180, CLINIC_DEFAULT)
    refuse_diastolic_at: int = _rule(110, CLINIC_DEFAULT)
    hold_spo2_below: int = _rule(92, CLINIC_DEFAULT)
    hold_heart_rate_below: int = _rule(50, CLINIC_DEFAULT)
    hold_heart_rate_above: int = _rule(110, CLINIC_DEFAULT)
    min_hours_since_use: int = _rule(24, "Dakwar 2019 (dosed >= 24 h after the last drink)")

    # During the session and discharge
    severe_systolic_at: int = _rule(180, CLINIC_DEFAULT)
    severe_diastolic_at: int = _rule(110, CLINIC_DEFAULT)
    weight_change_warn_fraction: float = _rule(0.10, "clinic default: a change over 10 % is more often a kg/lb slip")
    reading_every_minutes: int = _rule(15, "clinic protocol: vital signs every 10-15 minutes during dosing")
    intranasal_reading_minute: int = _rule(40, "esketamine label (blood pressure about 40 minutes after the dose)")
    discharge_min_minutes: int = _rule(120, "esketamine REMS (monitoring >= 2 h)")
    discharge_systolic_below: int = _rule(160, "esketamine REMS discharge guidance")
    discharge_diastolic_below: int = _rule(100, "esketamine REMS discharge guidance")

    # Follow-up
    pcl5_every_days: int = _rule(28, "clinic default: PCL-5 change read month to month (VA National Center for PTSD)")
    max_drinks_per_day: int = _rule(60, "data-entry plausibility limit: over 60 standard drinks a day is a slip")

    # Outcomes
    follow_up_days: int = _rule(180, "Grabski 2022 (KARE): outcomes followed for 6 months")
    course_min_days: int = _rule(28, "Osmind ORKA-2 (retention read 28 days or more after the first session)")
    log_stopped_days: int = _rule(14, "Dakwar 2019 (dropout counted as relapse): a log silent over 14 days stopped")
    phq9_baseline_min: int = _rule(10, "common MBC definitions (response read from a moderate baseline)")
    small_cell_min: int = _rule(11, "de-identification: groups of fewer than 11 are suppressed (CMS cell size)")
    hdd_drinks_male: int = _rule(4, "FDA 2015 draft guidance; Dakwar 2019")
    hdd_drinks_female: int = _rule(3, "FDA 2015 draft guidance; Dakwar 2019")
    planned_course_sessions: int = _rule(6, "Osmind ORKA-2")
    end_of_course_days: int = _rule(14, "Dakwar 2019 (cocaine)")
    phq9_response_drop: float = _rule(0.50, "common MBC definitions")
    phq9_remission_below: int = _rule(5, "common MBC definitions")
    pcl5_meaningful_drop: int = _rule(10, "VA NCPTSD")

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value <= 0:
                raise ValueError(f"Setting {f.name} must be positive; got {value}")
        if self.elevated_systolic >= self.uncontrolled_systolic:
            raise ValueError("elevated_systolic must be below uncontrolled_systolic")
        if self.elevated_diastolic >= self.uncontrolled_diastolic:
            raise ValueError("elevated_diastolic must be below uncontrolled_diastolic")
        if self.intranasal_first_session_mg not in self.intranasal_doses_mg:
            raise ValueError("intranasal_first_session_mg must be one of intranasal_doses_mg")
        self._check_safeguards()

    def _check_safeguards(self) -> None:
        """Values that are positive yet would switch a safeguard off: a hold that can never be reached, a share
        above the whole, a de-identification limit below the one the outcomes definitions promise."""
        if self.small_cell_min < SMALL_CELL_FLOOR:
            raise ValueError(f"small_cell_min may not suppress fewer than {SMALL_CELL_FLOOR} (a clinic may suppress "
                             f"more); got {self.small_cell_min}")
        for name in ("weight_change_warn_fraction", "phq9_response_drop"):
            if getattr(self, name) >= 1:
                raise ValueError(f"{name} is a share and must be below 1 (0.5 is half); got {getattr(self, name)}")
        if self.hold_systolic_above >= self.refuse_systolic_at:
            raise ValueError("hold_systolic_above must be below the systolic pressure that refuses "
                             "(refuse_systolic_at)")
        if self.hold_diastolic_above >= self.refuse_diastolic_at:
            raise ValueError("hold_diastolic_above must be below the diastolic pressure that refuses "
                             "(refuse_diastolic_at)")

    def source(self, name: str) -> str:
        """The citation shown beside any decision that used this threshold."""
        return _SOURCES[name]

    @functools.cached_property
    def rules_version(self) -> str:
        """Worked out once per settings object (they are immutable): the demo builder asks thousands of times."""
        return f"{RULES_LOGIC}-{self.digest()}"

    def digest(self) -> str:
        payload = json.dumps(dataclasses.asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:10]

    def changed(self, **overrides) -> Settings:
        """A copy with some thresholds changed (validated like the defaults)."""
        return dataclasses.replace(self, **overrides)


_SOURCES = {f.name: f.metadata["source"] for f in dataclasses.fields(Settings)}

DEFAULTS = Settings()
_current = DEFAULTS


def current() -> Settings:
    """The clinic's settings in force; the store replaces them when a clinic has overrides."""
    return _current


def use(settings: Settings) -> None:
    global _current
    _current = settings


def resolve(settings: Settings | None) -> Settings:
    return current() if settings is None else settings
