"""The screening decision: every rule that fires becomes a reason, and the worst one sets the status.

All rules are evaluated, never short-circuited, so the prescriber sees every reason with
its source, not just the first. Supporting reasons (candidate signals) are listed but
never change the status.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from core.rules import instruments, validate, vitals
from core.rules.instruments import ScoreResult
from core.rules.reasons import Reason, worst
from core.rules.settings import Settings, resolve

SEX = ("male", "female")
PREGNANCY = ("no", "yes", "possible")
CONDITIONS = frozenset({
    "psychosis", "aneurysm_avm", "intracerebral_hemorrhage", "ketamine_hypersensitivity",
    "ketamine_misuse", "bipolar", "cardiovascular", "hepatic",
})
MEDICATIONS = frozenset({"benzodiazepine", "sedative_hypnotic", "opioid", "stimulant", "maoi", "mood_stabilizer"})
REQUIRED_KEYS = frozenset({
    "age", "sex", "pregnant", "systolic_bp", "diastolic_bp", "conditions", "medications",
    "prior_treatments", "integration_therapy_willing",
})
OPTIONAL_INSTRUMENTS = ("phq9", "gad7", "pcl5", "cssrs")
MAX_AGE = 120

SEVERITY_STATUS = {"hard_stop": "ineligible", "review": "needs_review"}

# Hard stops and review flags that follow from one ticked condition: (code, severity, message, source).
CONDITION_RULES = {
    "aneurysm_avm": ("aneurysm_avm", "hard_stop", "Aneurysmal vascular disease or arteriovenous malformation",
                     "esketamine label, contraindications"),
    "intracerebral_hemorrhage": ("intracerebral_hemorrhage", "hard_stop", "History of intracerebral haemorrhage",
                                 "esketamine label, contraindications"),
    "ketamine_hypersensitivity": ("hypersensitivity", "hard_stop", "Known hypersensitivity to ketamine or esketamine",
                                  "ketamine / esketamine labels"),
    "psychosis": ("psychosis", "hard_stop",
                  "History of a psychotic disorder (schizophrenia, schizoaffective or other psychosis)",
                  "APA consensus statement on ketamine (Sanacora 2017); ACEP"),
    "ketamine_misuse": ("ketamine_misuse", "review",
                        "Personal history of ketamine misuse or ketamine-related cystitis",
                        "ketamine label; esketamine label (SUD caution)"),
    "cardiovascular": ("cardiovascular", "review", "Coronary disease, heart failure, arrhythmia or prior stroke",
                       "ketamine label"),
    "hepatic": ("hepatic", "review", "Known liver disease (risk of drug-induced liver injury)",
                "ketamine label (drug-induced liver injury)"),
}

UNCODED = {"conditions_other": "other conditions", "medications_other": "other medications"}
"""Conditions and medicines written in words, for what the lists do not hold: no rule can read them."""
UNCODED_LIMIT = 500
UNCODED_SOURCE = ("clinic rule: the eligibility rules read only the listed conditions and medications, so words "
                  "written beside them are read by the prescriber")
REMS_MEDICATIONS = "esketamine REMS concomitant-medication list"
CNS_DEPRESSANTS = frozenset({"benzodiazepine", "sedative_hypnotic", "opioid"})
BP_RAISING = frozenset({"stimulant", "maoi"})


@dataclass(frozen=True)
class Decision:
    status: str
    urgent: bool
    reasons: list[Reason]
    rules_version: str
    scores: dict[str, ScoreResult] = field(default_factory=dict)


def evaluate(intake: dict, settings: Settings | None = None) -> Decision:
    s = resolve(settings)
    i = _checked(intake)
    scores = _scores(i, s)
    reasons = _hard_stops(i, s) + _review_flags(i, s, scores) + _support(i, s, scores)
    status = SEVERITY_STATUS.get(worst(reasons, ("hard_stop", "review"), ""), "eligible")
    return Decision(status, _urgent(scores), reasons, s.rules_version, scores)


def _checked(intake) -> dict:
    """The intake with every value type- and range-checked; refuses unknown or missing keys."""
    if not isinstance(intake, dict):
        raise ValueError("Intake must be a dict of answers")
    unknown = sorted(set(intake) - REQUIRED_KEYS - set(OPTIONAL_INSTRUMENTS) - set(UNCODED))
    if unknown:
        raise ValueError(f"Intake has unknown field(s): {', '.join(map(str, unknown))}")
    missing = sorted(REQUIRED_KEYS - set(intake))
    if missing:
        raise ValueError(f"Intake is missing: {', '.join(missing)}")
    sex = validate.choice(intake["sex"], "Sex at birth", SEX)
    pregnant = validate.choice(intake["pregnant"], "Pregnancy", PREGNANCY)
    if sex == "male" and pregnant != "no":
        raise ValueError("Pregnancy must be 'no' when sex at birth is male")
    systolic, diastolic = vitals.blood_pressure(intake["systolic_bp"], intake["diastolic_bp"])
    prior = intake["prior_treatments"]
    if not isinstance(prior, (list, tuple)) or not all(isinstance(t, str) for t in prior):
        raise ValueError("Prior treatments must be a list of text entries (it may be empty)")
    return {
        **{k: intake.get(k) for k in OPTIONAL_INSTRUMENTS},
        "age": validate.whole_number(intake["age"], "Age", 0, MAX_AGE),
        "sex": sex,
        "pregnant": pregnant,
        "systolic_bp": systolic,
        "diastolic_bp": diastolic,
        "conditions": validate.choices(intake["conditions"], "Conditions", CONDITIONS),
        "medications": validate.choices(intake["medications"], "Medications", MEDICATIONS),
        "prior_treatments": [t for t in prior if t.strip()],
        "integration_therapy_willing": validate.yes_no(
            intake["integration_therapy_willing"], "Willing to take part in integration therapy"
        ),
        **{key: validate.text(intake.get(key), f"Other {what.removeprefix('other ')}", UNCODED_LIMIT).strip()
           for key, what in UNCODED.items()},
    }


def _scores(i: dict, s: Settings) -> dict[str, ScoreResult]:
    return {
        key: instruments.score(key, i[key], sex=i["sex"], settings=s)
        for key in OPTIONAL_INSTRUMENTS
        if i[key] is not None
    }


def _hard_stops(i: dict, s: Settings) -> list[Reason]:
    reasons = []
    if i["age"] < s.adult_min_age:
        reasons.append(Reason("minor", "hard_stop", f"Age {i['age']} is under {s.adult_min_age}",
                              s.source("adult_min_age")))
    if i["pregnant"] != "no":
        what = "Pregnant" if i["pregnant"] == "yes" else "Possibly pregnant and not tested"
        reasons.append(Reason("pregnancy", "hard_stop", what, "esketamine medication guide"))
    reasons += _condition_reasons(i, "hard_stop")
    if _bp_uncontrolled(i, s):
        reasons.append(Reason(
            "uncontrolled_hypertension", "hard_stop",
            f"Screening BP {i['systolic_bp']}/{i['diastolic_bp']} is at or above "
            f"{s.uncontrolled_systolic}/{s.uncontrolled_diastolic}",
            s.source("uncontrolled_systolic"),
        ))
    return reasons


def _review_flags(i: dict, s: Settings, scores: dict[str, ScoreResult]) -> list[Reason]:
    reasons = []
    if not _bp_uncontrolled(i, s) and (
        i["systolic_bp"] >= s.elevated_systolic or i["diastolic_bp"] >= s.elevated_diastolic
    ):
        reasons.append(Reason(
            "elevated_bp", "review",
            f"Screening BP {i['systolic_bp']}/{i['diastolic_bp']} is in the "
            f"{s.elevated_systolic}-{s.uncontrolled_systolic - 1}/{s.elevated_diastolic}-"
            f"{s.uncontrolled_diastolic - 1} range",
            s.source("elevated_systolic"),
        ))
    if "bipolar" in i["conditions"]:
        on = "on" if "mood_stabilizer" in i["medications"] else "not on"
        reasons.append(Reason("bipolar", "review", f"Bipolar disorder (risk of mania); {on} a mood stabiliser",
                              "clinical documentation guidance"))
    reasons += _medication_reason(i, CNS_DEPRESSANTS, "cns_depressants",
                                  "Current CNS depressants (benzodiazepines, sedative hypnotics or opioids, "
                                  "including methadone or buprenorphine)")
    reasons += _medication_reason(i, BP_RAISING, "bp_raising_meds",
                                  "Current medicines that raise blood pressure (psychostimulants or MAOIs)")
    reasons += _condition_reasons(i, "review")
    if i["age"] >= s.older_adult_age:
        reasons.append(Reason("older_adult", "review", f"Age {i['age']} is {s.older_adult_age} or over",
                              s.source("older_adult_age")))
    reasons += _suicidality(scores)
    reasons += _uncoded(i)
    return reasons


def _uncoded(i: dict) -> list[Reason]:
    """Words where a list ended may name a contraindication (an MAOI by brand name, a heart condition): a rule
    cannot read them, so they ask for a prescriber's review instead of passing unseen."""
    written = [f"{what}: {i[key]}" for key, what in UNCODED.items() if i[key]]
    if not written:
        return []
    return [Reason("uncoded_entries", "review",
                   f"Written in words, not read by the rules; the prescriber reads them ({'; '.join(written)})",
                   UNCODED_SOURCE)]


def _condition_reasons(i: dict, severity: str) -> list[Reason]:
    return [
        Reason(code, sev, message, source)
        for condition, (code, sev, message, source) in CONDITION_RULES.items()
        if sev == severity and condition in i["conditions"]
    ]


def _medication_reason(i: dict, group: frozenset[str], code: str, message: str) -> list[Reason]:
    taken = sorted(i["medications"] & group)
    if not taken:
        return []
    return [Reason(code, "review", f"{message}: {', '.join(m.replace('_', ' ') for m in taken)}", REMS_MEDICATIONS)]


def _suicidality(scores: dict[str, ScoreResult]) -> list[Reason]:
    causes = []
    cssrs = scores.get("cssrs")
    if cssrs and cssrs.band == "high":
        causes.append("C-SSRS screener risk is high: same-day safety assessment")
    elif cssrs and cssrs.band == "moderate":
        causes.append("C-SSRS screener risk is moderate: refer for a safety assessment")
    if "suicide_risk" in scores.get("phq9", _NO_SCORE).flags:
        causes.append("PHQ-9 item 9 (thoughts of death or self-harm) answered above 0: same-day follow-up")
    if not causes:
        return []
    return [Reason("suicidality", "review", "; ".join(causes), "C-SSRS triage (Columbia); PHQ-9 item 9 guidance")]


SAME_DAY_SIGNALS = {
    "phq9_item9": "PHQ-9 item 9 (thoughts of death or self-harm) answered above 0",
    "cssrs_high": "C-SSRS screener risk is high",
}
SAME_DAY_SOURCE = "C-SSRS triage (Columbia); PHQ-9 item 9 guidance"


def same_day_signals(phq9_item9: int | None, cssrs: Mapping) -> tuple[str, ...]:
    """The answers given so far that already require a same-day safety assessment.

    Works on an unfinished form (unanswered items are None or absent), so the nurse is
    warned at the answer that sets the flag; on complete answers it agrees with
    `evaluate(...).urgent`.
    """
    signals = []
    if instruments.phq9_item9_positive(phq9_item9):
        signals.append("phq9_item9")
    if instruments.cssrs_high(cssrs):
        signals.append("cssrs_high")
    return tuple(signals)


def _urgent(scores: dict[str, ScoreResult]) -> bool:
    cssrs = scores.get("cssrs")
    return bool((cssrs and cssrs.band == "high") or "suicide_risk" in scores.get("phq9", _NO_SCORE).flags)


def _support(i: dict, s: Settings, scores: dict[str, ScoreResult]) -> list[Reason]:
    reasons = []
    if i["prior_treatments"]:
        reasons.append(Reason(
            "prior_treatment", "support",
            f"Prior treatment that did not hold: {', '.join(i['prior_treatments'])}",
            "clinic candidate criteria: a prior treatment episode that did not hold",
        ))
    phq9, gad7, pcl5 = (scores.get(k, _NO_SCORE) for k in ("phq9", "gad7", "pcl5"))
    if phq9.total is not None and phq9.total >= s.candidate_phq9:
        reasons.append(Reason("depression", "support", f"PHQ-9 {phq9.total} ({phq9.band})",
                              s.source("candidate_phq9")))
    if gad7.total is not None and gad7.total >= s.candidate_gad7:
        reasons.append(Reason("anxiety", "support", f"GAD-7 {gad7.total} ({gad7.band})", s.source("candidate_gad7")))
    if "provisional_ptsd" in pcl5.flags:
        reasons.append(Reason("provisional_ptsd", "support", f"PCL-5 {pcl5.total}: provisional PTSD",
                              instruments.PCL5.source))
    if i["integration_therapy_willing"]:
        reasons.append(Reason("integration_willing", "support", "Willing to take part in integration therapy",
                              "Krupitsky 2002; Dakwar 2019; Grabski 2022 (ketamine paired with psychotherapy)"))
    return reasons


def _bp_uncontrolled(i: dict, s: Settings) -> bool:
    return i["systolic_bp"] >= s.uncontrolled_systolic or i["diastolic_bp"] >= s.uncontrolled_diastolic


_NO_SCORE = ScoreResult("", None, None, frozenset())
