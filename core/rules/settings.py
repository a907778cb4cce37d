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
import re
from dataclasses import dataclass, field

RULES_LOGIC = "2026.12"
"""Bumped by hand when the rule *logic* changes; the digest covers threshold changes."""

CLINIC_DEFAULT = "clinic default, not from a cited guideline"

SETTING_MAX = 100_000
"""No threshold here comes near it (the largest default is 180); a larger number is a slip, and one past the
database's integers would make every query that reads it fail."""


def plain_number(value) -> bool:
    """A real, finite number of sensible size: not NaN, not infinite, not None, not a yes/no, not text. A setting
    holding anything else would switch its rule off (NaN compares false with everything) or break every start."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) <= SETTING_MAX


@dataclass(frozen=True)
class DoseBand:
    """A route's weight-based band: inside is ok, outside needs an override, above max is refused."""

    low: float
    high: float
    maximum: float

    def __post_init__(self) -> None:
        if not all(plain_number(v) for v in (self.low, self.high, self.maximum)):
            raise ValueError("Dose band: the usual band and the hard maximum must each be a number in mg/kg")
        if not 0 < self.low <= self.high <= self.maximum:
            raise ValueError(f"Dose band: the usual band must start above 0, end at or above its start, and end at "
                             f"or below the hard maximum; got {self.low:g} to {self.high:g}, at most {self.maximum:g}")


def _rule(default, source: str, label: str, within: tuple[float, float] | None = None, clinical: bool = True):
    """A threshold with its citation, the words a clinician reads it by (the field name is for code only), the range
    a plausible value lies in (every number of it: a dose band's three, each dose of a list) and whether it decides
    anything about a patient (a change to one of those needs a prescriber's co-signature)."""
    return field(default=default, metadata={"source": source, "label": label, "within": within,
                                            "clinical": clinical and within is not None})


PSEUDONYM_MAX = 40
PSEUDONYM = re.compile(rf"[A-Za-z0-9][A-Za-z0-9-]{{0,{PSEUDONYM_MAX - 1}}}")
"""A clinic pseudonym: a code word safe in a file name, a Parquet key and a sentence, and easy to read out."""
PHONE = re.compile(r"[0-9+() .-]{3,30}")
"""A phone number as people write it: digits, spaces, a leading plus, brackets, dots and dashes."""
NOT_RULES = frozenset({"clinic_pseudonym", "crisis_phone"})

RISE_SOURCE = ("ESC/ESH 2018 blood pressure categories: normal is below 130/85 (high-normal 130-139/85-89); a rise "
               "that ends below it is within normal limits and does not hold discharge (issue 25: 120/78 then 124/80 "
               "was held as still rising)")

REMS_FORM_SOURCE = ("SPRAVATO REMS Patient Monitoring Form, outpatient use (Janssen, 11/2021; spravatorems.com): "
                    "complete it after every treatment session and submit it within 7 days; a clinic may keep a "
                    "shorter deadline, never a longer one")

SMALL_CELL_FLOOR = 11
"""clinical-rules.md section 4: groups of fewer than 11 are suppressed for the viewer; a clinic may raise it."""


@dataclass(frozen=True)
class Settings:
    # Instruments
    pacs_elevated: int = _rule(15, "PACS (Flannery 1999); cut-off Hartwell 2019",
                               "PACS craving score counted as elevated (at or above)",
                               within=(1, 30))
    auditc_positive_male: int = _rule(4, "AUDIT-C (Bush 1998; SAMHSA)",
                                      "AUDIT-C score counted as positive, men (at or above)",
                                      within=(1, 12))
    auditc_positive_female: int = _rule(3, "AUDIT-C (Bush 1998; SAMHSA)",
                                        "AUDIT-C score counted as positive, women (at or above)",
                                        within=(1, 12))
    pcl5_provisional_total: int = _rule(33, "PCL-5 scoring (VA National Center for PTSD)",
                                        "PCL-5 total for provisional PTSD (at or above)",
                                        within=(1, 80))

    # Screening decision
    adult_min_age: int = _rule(18, "adult programme", "Youngest age accepted (years)",
                               within=(18, 30))
    older_adult_age: int = _rule(65, "esketamine label (older-adult dosing)",
                                 "Age from which a patient is an older adult (years)",
                                 within=(50, 90))
    uncontrolled_systolic: int = _rule(160, "JNC7 stage 2 hypertension",
                                       "Screening systolic pressure that rules treatment out (mmHg, at or above)",
                                       within=(140, 200))
    uncontrolled_diastolic: int = _rule(100, "JNC7 stage 2 hypertension",
                                        "Screening diastolic pressure that rules treatment out (mmHg, at or above)",
                                        within=(90, 130))
    elevated_systolic: int = _rule(140, 'esketamine label (>140/90 "general guide")',
                                   "Screening systolic pressure that asks for a review (mmHg, at or above)",
                                   within=(120, 180))
    elevated_diastolic: int = _rule(90, 'esketamine label (>140/90 "general guide")',
                                    "Screening diastolic pressure that asks for a review (mmHg, at or above)",
                                    within=(70, 110))
    candidate_phq9: int = _rule(10, "PHQ-9 moderate band (Kroenke, Spitzer)",
                                "PHQ-9 total listed as a reason for treatment (at or above)",
                                within=(1, 27))
    candidate_gad7: int = _rule(10, "GAD-7 moderate band (Spitzer)",
                                "GAD-7 total listed as a reason for treatment (at or above)",
                                within=(1, 21))

    # Dosing
    dose_iv: DoseBand = _rule(DoseBand(0.1, 0.8, 1.0), "Andrade 2017; Dakwar 2019 (0.71); Grabski 2022 (0.8)",
                              "Intravenous dose band",
                              within=(0.05, 2.0))
    dose_im: DoseBand = _rule(DoseBand(0.2, 2.0, 2.5), "Krupitsky 2002 (0.2 vs 2.0 IM)", "Intramuscular dose band",
                              within=(0.05, 5.0))
    dose_oral: DoseBand = _rule(DoseBand(0.25, 3.0, 7.0), "Andrade 2019", "Oral lozenge dose band",
                                within=(0.05, 10.0))
    intranasal_doses_mg: tuple[int, ...] = _rule((28, 56, 84), "esketamine label", "Intranasal doses allowed (mg)",
                                                 within=(28, 84))
    intranasal_first_session_mg: int = _rule(56, "esketamine label", "Intranasal dose at the first session (mg)",
                                             within=(28, 84))
    min_hours_between_sessions: int = _rule(48, "clinic default: at most three sessions a week",
                                            "Shortest time between two dosing sessions (hours)",
                                            within=(24, 336))

    # Pre-dose gate
    hold_systolic_above: int = _rule(140, 'esketamine label (>140/90 "general guide")',
                                     "Pre-dose systolic pressure that holds the dose (mmHg, above)",
                                     within=(120, 180))
    hold_diastolic_above: int = _rule(90, 'esketamine label (>140/90 "general guide")',
                                      "Pre-dose diastolic pressure that holds the dose (mmHg, above)",
                                      within=(70, 110))
    refuse_systolic_at: int = _rule(180, CLINIC_DEFAULT,
                                    "Pre-dose systolic pressure that refuses the dose (mmHg, at or above)",
                                    within=(150, 220))
    refuse_diastolic_at: int = _rule(110, CLINIC_DEFAULT,
                                     "Pre-dose diastolic pressure that refuses the dose (mmHg, at or above)",
                                     within=(90, 130))
    hold_spo2_below: int = _rule(92, CLINIC_DEFAULT, "Oxygen saturation that holds the dose (%, below)",
                                 within=(85, 98))
    hold_heart_rate_below: int = _rule(50, CLINIC_DEFAULT, "Heart rate that holds the dose (beats a minute, below)",
                                       within=(30, 70))
    hold_heart_rate_above: int = _rule(110, CLINIC_DEFAULT, "Heart rate that holds the dose (beats a minute, above)",
                                       within=(90, 150))
    min_hours_since_use: int = _rule(24, "Dakwar 2019 (dosed >= 24 h after the last drink)",
                                     "Time since the last use before a dose (hours, at least)",
                                     within=(12, 168))

    # During the session and discharge
    severe_systolic_at: int = _rule(180, CLINIC_DEFAULT,
                                    "Systolic pressure recorded as severe hypertension (mmHg, at or above)",
                                    within=(150, 220))
    severe_diastolic_at: int = _rule(110, CLINIC_DEFAULT,
                                     "Diastolic pressure recorded as severe hypertension (mmHg, at or above)",
                                     within=(90, 130))
    weight_change_warn_fraction: float = _rule(0.10, "clinic default: a change over 10 % is more often a kg/lb slip",
                                               "Weight change from the last session that warns (share: 0.10 is 10 %)",
                                               within=(0.02, 0.5))
    reading_every_minutes: int = _rule(15, "clinic protocol: vital signs every 10-15 minutes during dosing",
                                       "Minutes between vital-sign readings during a session",
                                       within=(5, 30))
    severe_reading_every_minutes: int = _rule(
        5, "clinic default, not from a cited guideline: after a severe blood pressure (an adverse event) the pressure "
           "is measured again every 5 minutes until it is below the discharge limit, so a rising or persisting "
           "pressure is seen within minutes rather than at the next routine reading (issue 25: 186/112 at minute 32 "
           "was next due at minute 47)",
        "Time between readings after a severe blood pressure, until it is below the discharge limit (minutes)",
        within=(2, 15))
    intranasal_reading_minute: int = _rule(40, "esketamine label (blood pressure about 40 minutes after the dose)",
                                           "Minute of the blood-pressure reading after an intranasal dose",
                                           within=(20, 120))
    discharge_min_minutes: int = _rule(120, "esketamine REMS (monitoring >= 2 h)",
                                       "Monitoring before discharge (minutes, at least)",
                                       within=(60, 480))
    discharge_systolic_below: int = _rule(160, "esketamine REMS discharge guidance",
                                          "Systolic pressure that allows discharge (mmHg, below)",
                                          within=(130, 200))
    discharge_diastolic_below: int = _rule(100, "esketamine REMS discharge guidance",
                                           "Diastolic pressure that allows discharge (mmHg, below)",
                                           within=(80, 120))
    discharge_rise_systolic_from: int = _rule(
        130, RISE_SOURCE, "Systolic pressure from which a rise holds discharge (mmHg, at or above)",
        within=(110, 159))
    discharge_rise_diastolic_from: int = _rule(
        85, RISE_SOURCE, "Diastolic pressure from which a rise holds discharge (mmHg, at or above)",
        within=(70, 99))

    # Plausibility of a blood pressure as typed (a reading outside is re-measured and confirmed, never refused for good)
    pulse_pressure_min: int = _rule(10, "clinic default for plausibility, not from a cited guideline: a pulse pressure "
                                        "(systolic minus diastolic) under 10 mmHg is more often a misread or mistyped "
                                        "reading than a real one",
                                    "Pulse pressure under which a reading is re-measured (mmHg)",
                                    within=(5, 30))
    pulse_pressure_max: int = _rule(150, "clinic default for plausibility, not from a cited guideline: a pulse "
                                         "pressure (systolic minus diastolic) over 150 mmHg is more often a misread or "
                                         "mistyped reading than a real one",
                                    "Pulse pressure over which a reading is re-measured (mmHg)",
                                    within=(80, 200))

    # The Spravato REMS Patient Monitoring Form (paperwork after an intranasal session: it decides nothing clinical)
    rems_form_due_days: int = _rule(7, REMS_FORM_SOURCE,
                                    "Time after an intranasal session within which its REMS monitoring form is "
                                    "submitted (days)", within=(1, 7), clinical=False)
    rems_reading_window_minutes: int = _rule(
        5, "clinic default, not from a cited guideline: the REMS form asks for the blood pressure 40 minutes after "
           "administration (the esketamine label's check); a reading taken within 5 minutes of that mark stands for "
           "it, else the form asks for it",
        "Minutes either side of the 40-minute mark within which a reading fills the REMS form's 40-minute blood "
        "pressure (minutes)", within=(1, 15), clinical=False)

    # Follow-up
    pcl5_every_days: int = _rule(28, "clinic default: PCL-5 change read month to month (VA National Center for PTSD)",
                                 "Days between two PCL-5 questionnaires",
                                 within=(7, 180))
    baseline_log_days: int = _rule(90, "Timeline Followback (Sobell & Sobell 1992): the calendar of use is taken "
                                       "for the 30 to 90 days before treatment, read as the baseline",
                                   "Days of use before the screening that the baseline log may cover (days)",
                                   within=(7, 365))
    max_drinks_per_day: int = _rule(60, "data-entry plausibility limit: over 60 standard drinks a day is a slip",
                                    "Most standard drinks accepted for one day",
                                    within=(10, 100))

    # Self-report between visits (core/self_report.py)
    self_report_valid_days: int = _rule(4, "Greenspace Health: survey links expire after 4 days, with a reminder at 2",
                                        "Days a self-report link or kiosk code stays valid (days)",
                                        within=(1, 14), clinical=False)
    self_report_urgent_craving: int = _rule(
        90, "clinic default, not from a cited guideline: the 0-100 craving scale (Dakwar 2014) has no validated "
            "cut-off; 90 of 100 is near its top, 'extremely'",
        "Craving (0-100) sent by self-report that shows the crisis message and asks for a same-day safety "
        "follow-up (at or above)",
        within=(50, 100))
    crisis_phone: str = _rule("", "CamCOPS: the crisis text a patient sees is set by the clinic; beside the 988 "
                                  "Suicide & Crisis Lifeline, the clinic's own number",
                              "Clinic's own phone number in the crisis message a patient sees")
    # Outcomes
    follow_up_days: int = _rule(180, "Grabski 2022 (KARE): outcomes followed for 6 months",
                                "Follow-up window of the outcomes (days)",
                                within=(30, 730), clinical=False)
    course_min_days: int = _rule(28, "Osmind ORKA-2 (retention read 28 days or more after the first session)",
                                 "Days since the first session before retention counts a patient",
                                 within=(7, 180), clinical=False)
    log_stopped_days: int = _rule(14, "Dakwar 2019 (dropout counted as relapse): a log silent over 14 days stopped",
                                  "Days without a use-log entry before the log counts as stopped",
                                  within=(7, 90), clinical=False)
    phq9_baseline_min: int = _rule(10, "common MBC definitions (response read from a moderate baseline)",
                                   "Lowest PHQ-9 baseline counted for response and remission",
                                   within=(5, 27), clinical=False)
    small_cell_min: int = _rule(11, "de-identification: groups of fewer than 11 are suppressed (CMS cell size)",
                                "Smallest group shown to stakeholders (patients)",
                                within=(11, 100), clinical=False)
    hdd_drinks_male: int = _rule(4, "FDA 2015 draft guidance; Dakwar 2019",
                                 "Drinks in a day above which a day is heavy, men",
                                 within=(2, 10), clinical=False)
    hdd_drinks_female: int = _rule(3, "FDA 2015 draft guidance; Dakwar 2019",
                                   "Drinks in a day above which a day is heavy, women",
                                   within=(2, 10), clinical=False)
    planned_course_sessions: int = _rule(6, "Osmind ORKA-2", "Dosing sessions in the planned course",
                                         within=(1, 24), clinical=False)
    end_of_course_days: int = _rule(14, "Dakwar 2019 (cocaine)",
                                    "Days after the last session read for end-of-course abstinence",
                                    within=(7, 90), clinical=False)
    phq9_response_drop: float = _rule(0.50, "common MBC definitions",
                                      "PHQ-9 drop counted as response (share of the baseline: 0.50 is half)",
                                      within=(0.2, 0.9), clinical=False)
    phq9_remission_below: int = _rule(5, "common MBC definitions", "PHQ-9 total counted as remission (below)",
                                      within=(1, 15), clinical=False)
    pcl5_meaningful_drop: int = _rule(10, "VA NCPTSD", "PCL-5 drop counted as a meaningful change (points)",
                                      within=(5, 30), clinical=False)

    # Pooling with other clinics (not a rule: it changes no decision, so it is left out of the rules version)
    clinic_pseudonym: str = _rule("", "network agreement: each clinic picks a code word that is not its name, so a "
                                      "pooled file does not say where a patient was treated",
                                  "Clinic pseudonym in the de-identified export (letters, digits and dashes; "
                                  "not the clinic's name)")

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            _check_kind(f.name, getattr(self, f.name), f.default)
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value <= 0:
                raise ValueError(f"{self.label(f.name)}: must be above 0; got {value:g}")
        if self.elevated_systolic >= self.uncontrolled_systolic:
            raise ValueError(f"{self.label('elevated_systolic')}: must be below the systolic pressure that rules "
                             f"treatment out ({self.uncontrolled_systolic})")
        if self.elevated_diastolic >= self.uncontrolled_diastolic:
            raise ValueError(f"{self.label('elevated_diastolic')}: must be below the diastolic pressure that rules "
                             f"treatment out ({self.uncontrolled_diastolic})")
        if self.intranasal_first_session_mg not in self.intranasal_doses_mg:
            raise ValueError(f"{self.label('intranasal_first_session_mg')}: must be one of the intranasal doses "
                             f"allowed ({', '.join(map(str, self.intranasal_doses_mg))} mg)")
        self._check_safeguards()
        self._check_ranges()
        if self.severe_reading_every_minutes > self.reading_every_minutes:
            # after the ranges: a usual interval outside its own range is told so first, in those words
            raise ValueError(f"{self.label('severe_reading_every_minutes')}: must not be longer than the usual time "
                             f"between readings ({self.reading_every_minutes} minutes)")
        phone = self.crisis_phone
        if phone and not (PHONE.fullmatch(phone) and any(c.isdigit() for c in phone)):
            raise ValueError(f"{self.label('crisis_phone')}: digits, spaces, +, brackets and dashes, 3 to 30 of them; "
                             f"got {self.crisis_phone!r}")
        if self.clinic_pseudonym and not PSEUDONYM.fullmatch(self.clinic_pseudonym):
            raise ValueError(f"{self.label('clinic_pseudonym')}: use 1 to {PSEUDONYM_MAX} letters, digits and dashes, "
                             f"starting with a letter or digit; got {self.clinic_pseudonym!r}")

    def _check_safeguards(self) -> None:
        """Values that are positive yet would switch a safeguard off: a hold that can never be reached, a share
        above the whole, a de-identification limit below the one the outcomes definitions promise."""
        if self.small_cell_min < SMALL_CELL_FLOOR:
            raise ValueError(f"{self.label('small_cell_min')}: groups of fewer than {SMALL_CELL_FLOOR} are always "
                             f"hidden (a clinic may hide more); got {self.small_cell_min}")
        for name in ("weight_change_warn_fraction", "phq9_response_drop"):
            if getattr(self, name) >= 1:
                raise ValueError(f"{self.label(name)}: a share must be below 1 (0.5 is half); "
                                 f"got {getattr(self, name):g}")
        if self.hold_systolic_above >= self.refuse_systolic_at:
            raise ValueError(f"{self.label('hold_systolic_above')}: must be below the systolic pressure that refuses "
                             f"the dose ({self.refuse_systolic_at})")
        for rise, limit in (("discharge_rise_systolic_from", "discharge_systolic_below"),
                            ("discharge_rise_diastolic_from", "discharge_diastolic_below")):
            if getattr(self, rise) >= getattr(self, limit):
                raise ValueError(f"{self.label(rise)}: must be below the pressure that allows discharge "
                                 f"({getattr(self, limit)}), or a rising pressure would never hold it")
        if self.pulse_pressure_min >= self.pulse_pressure_max:
            raise ValueError(f"{self.label('pulse_pressure_min')}: must be below the pulse pressure over which a "
                             f"reading is re-measured ({self.pulse_pressure_max})")
        if self.hold_diastolic_above >= self.refuse_diastolic_at:
            raise ValueError(f"{self.label('hold_diastolic_above')}: must be below the diastolic pressure that "
                             f"refuses the dose ({self.refuse_diastolic_at})")

    def _check_ranges(self) -> None:
        """Last, so that a value that breaks a pairing or a safeguard is told so in those words first. The ranges
        are plausibility bounds (clinic defaults, wide around each cited value), not clinical advice: they stop a
        slip such as 400 mmHg for a screening limit, or a dose band's maximum of 10 mg/kg intravenously."""
        for f in dataclasses.fields(self):
            if f.metadata["within"] is None:
                continue
            low, high = f.metadata["within"]
            value = getattr(self, f.name)
            numbers = ((value.low, value.high, value.maximum) if isinstance(value, DoseBand)
                       else value if isinstance(value, tuple) else (value,))
            for number in numbers:
                if not low <= number <= high:
                    raise ValueError(f"{self.label(f.name)}: must be between {self.range_words(f.name)}; "
                                     f"got {number:g}")

    @staticmethod
    def within(name: str) -> tuple[float, float]:
        """The plausible range of a threshold's every number."""
        return _FIELDS[name].metadata["within"]

    @staticmethod
    def range_words(name: str) -> str:
        """The plausible range as said on screen and in a refusal, with the unit the label names: '140 and 200
        mmHg'."""
        low, high = _FIELDS[name].metadata["within"]
        unit = " mg/kg" if isinstance(_FIELDS[name].default, DoseBand) else next(
            (f" {u}" for u in ("mmHg", "mg", "years", "hours", "minutes", "days") if f"({u}" in Settings.label(name)),
            "")
        return f"{low:g} and {high:g}{unit}"

    @staticmethod
    def clinical(name: str) -> bool:
        """Whether the threshold decides anything about a patient: changing it needs a prescriber's co-signature."""
        return _FIELDS[name].metadata["clinical"]

    def source(self, name: str) -> str:
        """The citation shown beside any decision that used this threshold."""
        return _FIELDS[name].metadata["source"]

    @staticmethod
    def label(name: str) -> str:
        """What the threshold is called on screen and in every message about it."""
        return _FIELDS[name].metadata["label"]

    @functools.cached_property
    def rules_version(self) -> str:
        """Worked out once per settings object (they are immutable): the demo builder asks thousands of times."""
        return f"{RULES_LOGIC}-{self.digest()}"

    def digest(self) -> str:
        """Of the thresholds only: the clinic pseudonym names the clinic in exports and decides nothing."""
        payload = json.dumps({name: value for name, value in dataclasses.asdict(self).items() if name not in NOT_RULES},
                             sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:10]

    def changed(self, **overrides) -> Settings:
        """A copy with some thresholds changed (validated like the defaults)."""
        return dataclasses.replace(self, **overrides)


def _check_kind(name: str, value, default) -> None:
    """Each setting of its default's kind: a whole number, a number, a dose band, a list of whole doses or, for the
    clinic pseudonym, text."""
    label = Settings.label(name)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ValueError(f"{label}: enter it as text")
    elif isinstance(default, DoseBand):
        if not isinstance(value, DoseBand):
            raise ValueError(f"{label}: give the usual band and the hard maximum in mg/kg")
    elif isinstance(default, tuple):
        if not (isinstance(value, tuple) and value and all(isinstance(v, int) and plain_number(v) for v in value)):
            raise ValueError(f"{label}: one or more whole numbers")
    elif not plain_number(value):
        raise ValueError(f"{label}: enter a number (at most {SETTING_MAX:,})")
    elif isinstance(default, int) and not isinstance(value, int):
        raise ValueError(f"{label}: a whole number")


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}

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
