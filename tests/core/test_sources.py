"""Sources shown to clinicians name publications or say plainly that a number is the clinic's own."""

import dataclasses

import pytest

from core.rules import dosing, eligibility, vitals
from core.rules.settings import DEFAULTS, Settings

SOURCES = [DEFAULTS.source(f.name) for f in dataclasses.fields(Settings)] + [
    dosing.ESCORT_SOURCE, dosing.FASTING_SOURCE, vitals.PLAUSIBILITY_SOURCE, eligibility.REMS_MEDICATIONS,
    eligibility.SAME_DAY_SOURCE, *(rule[3] for rule in eligibility.CONDITION_RULES.values()),
]


@pytest.mark.parametrize("source", sorted(set(SOURCES)))
def test_no_source_points_into_the_spec_or_the_seed_material(source):
    assert "clinical-rules" not in source and "section" not in source and "seed material" not in source


def test_every_reason_of_a_busy_intake_has_a_plain_source():
    intake = {"age": 70, "sex": "female", "pregnant": "possible", "systolic_bp": 150, "diastolic_bp": 95,
              "conditions": set(eligibility.CONDITIONS), "medications": set(eligibility.MEDICATIONS),
              "prior_treatments": ["residential"], "integration_therapy_willing": True,
              "phq9": [3] * 9, "gad7": [3] * 7, "pcl5": [4] * 20,
              "cssrs": {"q1": True, "q2": True, "q3": True, "q4": True, "q5": True, "behavior_lifetime": True,
                        "behavior_3mo": True}}
    for reason in eligibility.evaluate(intake).reasons:
        assert reason.source and "clinical-rules" not in reason.source and "seed material" not in reason.source
