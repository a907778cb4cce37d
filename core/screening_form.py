"""Server-side validation of the screening form: every field checked, every problem named at once.

The page passes what the widgets hold (anything may be missing or wrong: browser checks
can be bypassed) and gets back either a complete `ScreeningInput` or a `FormErrors`
listing each field with a plain message, so the nurse can fix them all in one pass.
Free text is kept exactly as typed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from core.rules import eligibility, history, instruments, validate, vitals
from core.schema import SUBSTANCES

MAX_TEXT = 5000
TEXT_LIMITS = {"first_name": 200, "last_name": 200, "mrn": 50, "phone": 50, "emergency_contact": 300,
               "prior_treatment_other": 500, "goal": MAX_TEXT, "other_substances_text": 500,
               "conditions_other": eligibility.UNCODED_LIMIT, "medications_other": eligibility.UNCODED_LIMIT}
OTHER_SUBSTANCES = (*SUBSTANCES, "benzodiazepines", "cannabis", "nicotine", "other_stimulants")
"""Other substances a patient uses: the four treated here and the commonest others; the rest are written in words."""
PRIOR_TREATMENT_OPTIONS = ("medication for opioid use disorder (methadone, buprenorphine, naltrexone)",
                           "medication for alcohol use disorder", "detoxification", "residential",
                           "outpatient therapy", "mutual help (AA, NA, SMART)")
CONDITION_LABELS = {
    "psychosis": "Psychotic disorder (schizophrenia, schizoaffective, other psychosis)",
    "aneurysm_avm": "Aneurysmal vascular disease or arteriovenous malformation",
    "intracerebral_hemorrhage": "Intracerebral haemorrhage",
    "ketamine_hypersensitivity": "Hypersensitivity to ketamine or esketamine",
    "ketamine_misuse": "Ketamine misuse or ketamine-related cystitis",
    "bipolar": "Bipolar disorder",
    "cardiovascular": "Coronary disease, heart failure, arrhythmia or prior stroke",
    "hepatic": "Liver disease",
}
MEDICATION_LABELS = {
    "benzodiazepine": "Benzodiazepine",
    "sedative_hypnotic": "Other sedative hypnotic",
    "opioid": "Opioid, including methadone or buprenorphine",
    "stimulant": "Psychostimulant",
    "maoi": "MAOI",
    "mood_stabilizer": "Mood stabiliser",
}
REQUIRED_INSTRUMENTS = ("phq9", "gad7", "cssrs")
"""PCL-5 is optional (not every patient reports trauma); AUDIT-C is required when alcohol is primary."""

LABELS = {
    "first_name": "First name", "last_name": "Last name", "date_of_birth": "Date of birth",
    "sex": "Sex at birth", "mrn": "Chart number", "phone": "Phone", "emergency_contact": "Emergency contact",
    "primary_substance": "Primary substance", "other_substances": "Other substances",
    "other_substances_text": "Other substances not in the list", "conditions_other": "Other conditions",
    "medications_other": "Other current medications",
    "days_used_30": "Days used in the last 30", "last_use_date": "Date of last use",
    "last_use_time": "Time of last use", "years_of_use": "Years of use", "prior_treatments": "Prior treatments",
    "prior_treatment_other": "Other prior treatment", "auditc": "AUDIT-C", "phq9": "PHQ-9", "gad7": "GAD-7",
    "pcl5": "PCL-5", "cssrs": "C-SSRS screener", "systolic_bp": "Systolic blood pressure",
    "diastolic_bp": "Diastolic blood pressure", "pregnant": "Pregnancy", "conditions": "Conditions",
    "medications": "Current medications", "goal": "Patient's goal",
    "integration_therapy_willing": "Willing to take part in integration therapy",
    "escort_available": "Someone can drive the patient home",
    "bp_remeasured": "Blood pressure re-measured",
}


class FormErrors(ValueError):
    """Every invalid field with its message, keyed by form field."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(errors.values()))


@dataclass(frozen=True)
class Identity:
    first_name: str
    last_name: str
    date_of_birth: date
    sex: str
    mrn: str
    phone: str
    emergency_contact: str


@dataclass(frozen=True)
class ScreeningInput:
    identity: Identity
    intake: dict
    details: dict
    scores: dict = field(default_factory=dict)


def validate_screening(raw: dict, now: datetime | None = None) -> ScreeningInput:
    if not isinstance(raw, dict):
        raise FormErrors({"form": "The form's fields did not arrive; fill the screening in again"})
    now = now or datetime.now()
    errors: dict[str, str] = {}
    values: dict = {}

    def check(key: str, fn: Callable[[], object]) -> None:
        try:
            values[key] = fn()
        except ValueError as e:
            errors[key] = str(e)

    check("first_name", lambda: _text(raw.get("first_name"), "first_name", required=True))
    check("last_name", lambda: _text(raw.get("last_name"), "last_name", required=True))
    check("mrn", lambda: _text(raw.get("mrn"), "mrn", required=True))
    check("phone", lambda: _text(raw.get("phone"), "phone"))
    check("emergency_contact", lambda: _text(raw.get("emergency_contact"), "emergency_contact"))
    check("date_of_birth", lambda: _date_of_birth(raw.get("date_of_birth"), now.date()))
    check("sex", lambda: validate.choice(raw.get("sex"), LABELS["sex"], eligibility.SEX))
    check("primary_substance", lambda: validate.choice(raw.get("primary_substance"), LABELS["primary_substance"],
                                                       SUBSTANCES))
    check("other_substances", lambda: sorted(validate.choices(raw.get("other_substances") or [],
                                                              LABELS["other_substances"], OTHER_SUBSTANCES)))
    check("other_substances_text", lambda: _text(raw.get("other_substances_text"), "other_substances_text"))
    check("days_used_30", lambda: validate.whole_number(raw.get("days_used_30"), LABELS["days_used_30"], 0, 30))
    check("last_use_date", lambda: _last_use(raw.get("last_use_date"), raw.get("last_use_time"), now))
    check("prior_treatments", lambda: sorted(validate.choices(raw.get("prior_treatments") or [],
                                                              LABELS["prior_treatments"], PRIOR_TREATMENT_OPTIONS)))
    check("prior_treatment_other", lambda: _text(raw.get("prior_treatment_other"), "prior_treatment_other"))
    check("systolic_bp", lambda: vitals.plausible("systolic_bp", _required(raw.get("systolic_bp"), "systolic_bp")))
    check("diastolic_bp", lambda: vitals.plausible("diastolic_bp", _required(raw.get("diastolic_bp"), "diastolic_bp")))
    check("conditions", lambda: validate.choices(raw.get("conditions") or [], LABELS["conditions"],
                                                 eligibility.CONDITIONS))
    check("medications", lambda: validate.choices(raw.get("medications") or [], LABELS["medications"],
                                                  eligibility.MEDICATIONS))
    check("conditions_other", lambda: _text(raw.get("conditions_other"), "conditions_other"))
    check("medications_other", lambda: _text(raw.get("medications_other"), "medications_other"))
    check("goal", lambda: _text(raw.get("goal"), "goal"))
    check("integration_therapy_willing", lambda: _answered_yes_no(raw, "integration_therapy_willing"))
    check("escort_available", lambda: _answered_yes_no(raw, "escort_available"))
    if values.get("sex") == "male":
        values["pregnant"] = "no"
    else:
        check("pregnant", lambda: validate.choice(raw.get("pregnant"), LABELS["pregnant"], eligibility.PREGNANCY))
    # Years of use cannot exceed the age; without a valid date of birth it is still checked, so one Save names it.
    age = _age(values["date_of_birth"], now.date()) if "date_of_birth" in values else eligibility.MAX_AGE
    check("years_of_use", lambda: validate.whole_number(raw.get("years_of_use"), LABELS["years_of_use"], 0, age))
    for instrument_id in (*REQUIRED_INSTRUMENTS, "pcl5", "auditc"):
        check(instrument_id, lambda i=instrument_id: _instrument(raw, i, values))
    _check_blood_pressure(values, errors, raw.get("bp_remeasured"))
    _check_last_use(values, errors, now)
    if errors:
        raise FormErrors(errors)
    return _assemble(values, now)


def _assemble(values: dict, now: datetime) -> ScreeningInput:
    identity = Identity(values["first_name"], values["last_name"], values["date_of_birth"], values["sex"],
                        values["mrn"], values["phone"], values["emergency_contact"])
    prior = list(values["prior_treatments"])
    if values["prior_treatment_other"].strip():
        prior.append(values["prior_treatment_other"])
    intake = {
        "age": _age(values["date_of_birth"], now.date()), "sex": values["sex"], "pregnant": values["pregnant"],
        "systolic_bp": values["systolic_bp"], "diastolic_bp": values["diastolic_bp"],
        "conditions": set(values["conditions"]), "medications": set(values["medications"]),
        "prior_treatments": prior, "integration_therapy_willing": values["integration_therapy_willing"],
        **{key: values[key].strip() for key in eligibility.UNCODED},
        **{i: values[i] for i in ("phq9", "gad7", "pcl5", "cssrs") if values.get(i) is not None},
    }
    details = {
        "primary_substance": values["primary_substance"], "other_substances": values["other_substances"],
        "other_substances_text": values["other_substances_text"].strip(),
        "days_used_30": values["days_used_30"], "last_use": values["last_use_date"].isoformat(),
        "years_of_use": values["years_of_use"], "auditc": values.get("auditc"), "goal": values["goal"],
        "escort_available": values["escort_available"],
    }
    scores = {}
    if values.get("auditc") is not None:
        scores["auditc"] = instruments.score("auditc", values["auditc"], sex=values["sex"])
    return ScreeningInput(identity, intake, details, scores)


def _text(value, key: str, required: bool = False) -> str:
    return validate.text(value, LABELS[key], TEXT_LIMITS[key], required)


def _required(value, key: str):
    if value is None or value == "":
        raise ValueError(f"{LABELS[key]} is required")
    return value


def _answered_yes_no(raw: dict, key: str) -> bool:
    value = raw.get(key)
    if value is None:
        raise ValueError(f"{LABELS[key]}: answer yes or no")
    return validate.yes_no(value, LABELS[key])


def _date_of_birth(value, today: date) -> date:
    value = validate.calendar_date(value, LABELS["date_of_birth"])
    if value > today:
        raise ValueError("Date of birth is in the future")
    if _age(value, today) > eligibility.MAX_AGE:
        raise ValueError(f"Date of birth gives an age over {eligibility.MAX_AGE}; check the year")
    return value


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _last_use(day, at, now: datetime) -> datetime:
    when = datetime.combine(validate.calendar_date(day, LABELS["last_use_date"]),
                            validate.clock_time(at, LABELS["last_use_time"]))
    if when > now:
        raise ValueError("Date and time of last use are in the future")
    return when


def _instrument(raw: dict, instrument_id: str, values: dict):
    answers = raw.get(instrument_id)
    if instrument_id == "cssrs":
        return instruments.cssrs_answers(answers or {})
    if answers is not None and not isinstance(answers, (list, tuple)):
        raise ValueError(f"{instruments.get(instrument_id).name}: answers must be a list in item order")
    blank = answers is None or all(a is None for a in answers)
    optional = instrument_id == "pcl5" or (instrument_id == "auditc" and values.get("primary_substance") != "alcohol")
    if optional and blank:
        return None
    return list(instruments.check_answers(instrument_id, [] if blank else answers))


def _check_blood_pressure(values: dict, errors: dict, remeasured) -> None:
    if "systolic_bp" in values and "diastolic_bp" in values:
        try:
            vitals.blood_pressure(values["systolic_bp"], values["diastolic_bp"])
        except ValueError as e:
            key = "systolic_bp" if str(e).startswith(vitals.LABELS["systolic_bp"]) else "diastolic_bp"
            errors[key] = str(e)
            return
        try:
            vitals.remeasured_pressure(values["systolic_bp"], values["diastolic_bp"], remeasured)
        except ValueError as e:
            errors["bp_remeasured"] = str(e)


def _check_last_use(values: dict, errors: dict, now: datetime) -> None:
    """Against the date of birth and the days used, when those were read (each is named on its own otherwise)."""
    if "last_use_date" in values:
        problem = history.last_use_problem(values["last_use_date"].date(), values.get("days_used_30"),
                                           values.get("date_of_birth"), now.date())
        if problem:
            errors["last_use_date"] = problem
