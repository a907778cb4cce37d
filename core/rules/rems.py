"""The Spravato REMS Patient Monitoring Form: its fields, what the session already says of each, which are still
empty, and when the form is due.

The form (SPRAVATO REMS, outpatient use, Janssen 11/2021, `settings.REMS_FORM_SOURCE`) is filed after every
esketamine (intranasal) session within 7 days. Most of it is already in the session's record; asking a nurse to copy
it by hand is how a form comes to disagree with the chart, so whatever the record holds is filled in from it, and
only the rest is asked. Every field is required (the form's asterisks), so a form is complete only when none is
empty. Pure functions: the store gathers the facts (core/rems.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from core.rules import validate, vitals
from core.rules.settings import Settings, resolve


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    """What the form calls it, in the words every refusal names it by."""
    kind: str
    """"text" | "yes_no" | "minutes" | "bp" | "dose" | "date"."""
    section: str


PATIENT, MEDICATION, PROVIDER, SETTING, SESSION, EVENTS = (
    "Patient", "Concomitant medication", "Healthcare provider conducting the monitoring", "Healthcare setting",
    "Treatment session (administration and monitoring)", "During the session")
SECTIONS = (PATIENT, MEDICATION, PROVIDER, SETTING, SESSION, EVENTS)

LOT_NUMBER = "Lot number"
BP_AT_40 = "Blood pressure 40 minutes after administration"

FIELDS = (
    Field("patient_name", "Patient's name", "text", PATIENT),
    Field("date_of_birth", "Patient's date of birth", "date", PATIENT),
    Field("sex", "Patient's sex", "text", PATIENT),
    Field("first_treatment", "First treatment with esketamine", "yes_no", PATIENT),
    Field("benzodiazepines", "Taking benzodiazepines", "yes_no", MEDICATION),
    Field("sedative_hypnotics", "Taking non-benzodiazepine sedative hypnotics", "yes_no", MEDICATION),
    Field("psychostimulants", "Taking psychostimulants", "yes_no", MEDICATION),
    Field("maois", "Taking monoamine oxidase inhibitors (MAOIs)", "yes_no", MEDICATION),
    Field("opioids", "Taking opioids", "yes_no", MEDICATION),
    Field("provider_first_name", "Monitoring provider's first name", "text", PROVIDER),
    Field("provider_last_name", "Monitoring provider's last name", "text", PROVIDER),
    Field("provider_phone", "Monitoring provider's telephone", "text", PROVIDER),
    Field("provider_email", "Monitoring provider's email", "text", PROVIDER),
    Field("setting_name", "Healthcare setting's name", "text", SETTING),
    Field("setting_address", "Healthcare setting's address", "text", SETTING),
    Field("setting_city", "Healthcare setting's city", "text", SETTING),
    Field("setting_state", "Healthcare setting's state", "text", SETTING),
    Field("setting_zip", "Healthcare setting's ZIP code", "text", SETTING),
    Field("treatment_date", "Treatment date", "date", SESSION),
    Field("dose_mg", "Dose administered (mg)", "dose", SESSION),
    Field("lot_number", LOT_NUMBER, "text", SESSION),
    Field("total_minutes", "Total time, first device to the end of monitoring (minutes)", "minutes", SESSION),
    Field("ready_minutes", "Without the 2-hour minimum, ready to leave after (minutes from the start of "
                           "administration)", "minutes", SESSION),
    Field("vitals_ok_before", "Vital signs in acceptable range before administration", "yes_no", SESSION),
    Field("vitals_ok_end", "Vital signs in acceptable range before the end of the session", "yes_no", SESSION),
    Field("bp_before", "Blood pressure before administration", "bp", SESSION),
    Field("bp_40", BP_AT_40, "bp", SESSION),
    Field("bp_end", "Blood pressure before the end of the session", "bp", SESSION),
    Field("sedation", "Sedation during the session", "yes_no", EVENTS),
    Field("dissociation", "Dissociation during the session", "yes_no", EVENTS),
    Field("respiratory_depression", "Respiratory depression during the session", "yes_no", EVENTS),
    Field("serious_adverse_event", "A serious adverse event", "yes_no", EVENTS),
)
BY_KEY = {f.key: f for f in FIELDS}
TEXT_LIMIT = 200
MEDICATIONS = {"benzodiazepines": "benzodiazepine", "sedative_hypnotics": "sedative_hypnotic",
               "psychostimulants": "stimulant", "maois": "maoi", "opioids": "opioid"}
"""Each concomitant-medication question and the screening's current-medication item that answers it."""
DEVICE_MG = 28
DEVICES = (1, 2, 3)
"""Esketamine nasal spray comes in 28 mg devices, given one to three at a session (SPRAVATO prescribing information,
Janssen, section 2: 56 mg or 84 mg; 28 mg per device): a dose the form accepts is one of 28, 56 or 84 mg."""
US_STATES = frozenset((
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME",
    "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA",
    "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC", "PR", "GU", "VI", "AS", "MP"))
"""USPS two-letter codes of the states, DC and the territories: the form's address is a US one (the REMS is FDA's)."""
FORMATS = {
    "provider_phone": (re.compile(r"\+?[0-9 ().-]+"), 10,
                       "a telephone number of at least 10 digits, e.g. 555-201-0134"),
    "provider_email": (re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+"), 0, "an email address, e.g. name@clinic.org"),
    "setting_zip": (re.compile(r"[0-9]{5}(-[0-9]{4})?"), 0, "five digits, or ZIP+4 such as 12345-6789"),
}
"""Typed fields with a shape of their own: (pattern the whole answer matches, fewest digits, what to type)."""
VITAL_GATE_CODES = frozenset({"bp_severe", "bp_elevated", "low_spo2", "heart_rate"})
"""The pre-dose gate's reasons about vital signs: a session dosed with none of them had its vitals in range."""


def clean(key: str, value):
    """A typed answer as stored, or None when it is empty; anything else that is not an answer is refused, naming
    the field."""
    field = BY_KEY.get(key)
    if field is None:
        raise ValueError(f"The REMS form has no field called {key!r}")
    if field.kind == "bp":
        return _pressure(field.label, value)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if field.kind == "text":
        return _shaped(key, validate.text(value, field.label, TEXT_LIMIT).strip())
    if field.kind == "yes_no":
        return validate.yes_no(value, field.label)
    if field.kind == "minutes":
        return validate.whole_number(value, field.label, 0, 24 * 60)
    if field.kind == "dose":
        dose = validate.positive_number(value, field.label)
        if dose not in {DEVICE_MG * n for n in DEVICES}:
            raise ValueError(f"{field.label}: esketamine comes in {DEVICE_MG} mg devices; enter 28, 56 or 84 mg")
        return dose
    return validate.calendar_date(value, field.label).isoformat()


def clean_or_none(key: str, value):
    """The answer as it would be stored, or None when it would be refused: to compare two people's answers."""
    try:
        return clean(key, value)
    except ValueError:
        return None


def _shaped(key: str, text: str) -> str:
    """A typed text refused, naming its field and what to type, when it cannot be what the form asks for."""
    label = BY_KEY[key].label
    if key == "setting_state":
        if text.upper() not in US_STATES:
            raise ValueError(f"{label}: type the state's two-letter code, e.g. NY")
        return text.upper()
    if key in FORMATS:
        pattern, digits, hint = FORMATS[key]
        if not pattern.fullmatch(text) or sum(c.isdigit() for c in text) < digits:
            raise ValueError(f"{label}: type {hint}")
    return text


def _pressure(label: str, value) -> list[int] | None:
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError(f"{label}: enter the systolic and the diastolic")
    systolic, diastolic = (None if v == "" else v for v in value)
    if systolic is None and diastolic is None:
        return None
    if systolic is None or diastolic is None:
        raise ValueError(f"{label}: enter both the systolic and the diastolic")
    try:
        return list(vitals.blood_pressure(systolic, diastolic))
    except ValueError as e:
        raise ValueError(f"{label}: {e}") from None


def missing(values: dict) -> list[str]:
    """Every field still empty, named as the form names it, in the form's order."""
    return [f.label for f in FIELDS if values.get(f.key) is None]


def check_complete(values: dict) -> None:
    """A form is complete only with every field filled (REMS: 'complete all required fields')."""
    empty = missing(values)
    if empty:
        raise ValueError("The form is not complete, so it was not marked complete (nothing was saved; what you "
                         "typed is still on screen). Still empty: " + "; ".join(empty))


def due_date(treatment_date: date, settings: Settings | None = None) -> date:
    """The last day the form may be submitted on: the treatment date plus the REMS's 7 calendar days."""
    return treatment_date + timedelta(days=resolve(settings).rems_form_due_days)


def days_left(treatment_date: date, today: date, settings: Settings | None = None) -> int:
    """Calendar days from today to the due date: 7 on the session's own day, 0 on the due date, below 0 when late."""
    return (due_date(treatment_date, settings) - today).days


def on_time_from(today: date, settings: Settings | None = None) -> date:
    """The earliest treatment date whose form is not yet overdue today (`days_left` 0 or more)."""
    return today - timedelta(days=resolve(settings).rems_form_due_days)


def due_words(left: int) -> str:
    if left > 1:
        return f"{left} days left"
    if left == 1:
        return "1 day left"
    if left == 0:
        return "Due today"
    return f"OVERDUE by {-left} day" + ("" if left == -1 else "s")


def reading_at_40(readings: list[tuple[int, int, int]],
                  settings: Settings | None = None) -> tuple[int, int, int] | None:
    """The reading that answers 'blood pressure 40 minutes after administration': of the readings (minute, systolic,
    diastolic), the one nearest the 40-minute mark within the window either side (the earlier on a tie), or None."""
    s = resolve(settings)
    mark = s.intranasal_reading_minute
    near = [r for r in readings if abs(r[0] - mark) <= s.rems_reading_window_minutes]
    return min(near, key=lambda r: (abs(r[0] - mark), r[0])) if near else None


def sedated(moaa_s: list[int]) -> bool | None:
    """Any sedation scored (MOAA/S below 5, fully alert) at a reading; None when no reading scored it."""
    return None if not moaa_s else any(score < 5 for score in moaa_s)


def dissociated(scores: list[str]) -> bool | None:
    """Any dissociation scored above none at a reading; None when no reading scored it."""
    return None if not scores else any(score != "none" for score in scores)


def vitals_ok_before(gate_codes: set[str]) -> bool:
    return not (set(gate_codes) & VITAL_GATE_CODES)


def shown(key: str, value) -> str:
    """A value as the printed form reads it: 'Yes', '128/80 mmHg', '56 mg', '125 minutes', '07 Dec 2026'."""
    if value is None:
        return ""
    kind = BY_KEY[key].kind
    if kind == "yes_no":
        return "Yes" if value else "No"
    if kind == "bp":
        return f"{value[0]}/{value[1]} mmHg"
    if kind == "dose":
        return f"{value:g} mg"
    if kind == "minutes":
        return f"{value} minutes"
    if kind == "date":
        return f"{validate.as_date(value):%d %b %Y}"
    return str(value)
