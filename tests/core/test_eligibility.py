import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.rules.eligibility import CONDITIONS, MEDICATIONS, evaluate, same_day_signals
from core.rules.settings import DEFAULTS

PHQ9_CALM = [0] * 9
CSSRS_NONE = {"q1": False, "q2": False, "behavior_lifetime": False}


def intake(**changes):
    base = {
        "age": 40, "sex": "female", "pregnant": "no", "systolic_bp": 120, "diastolic_bp": 80,
        "conditions": set(), "medications": set(), "prior_treatments": [],
        "integration_therapy_willing": False,
    }
    base.update(changes)
    return base


def codes(decision, severity=None):
    return {r.code for r in decision.reasons if severity is None or r.severity == severity}


def test_clean_intake_is_eligible_with_no_reasons():
    d = evaluate(intake())
    assert (d.status, d.urgent, d.reasons) == ("eligible", False, [])
    assert d.rules_version == DEFAULTS.rules_version


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"age": 17}, "minor"),
        ({"pregnant": "yes"}, "pregnancy"),
        ({"pregnant": "possible"}, "pregnancy"),
        ({"conditions": {"aneurysm_avm"}}, "aneurysm_avm"),
        ({"conditions": {"intracerebral_hemorrhage"}}, "intracerebral_hemorrhage"),
        ({"conditions": {"ketamine_hypersensitivity"}}, "hypersensitivity"),
        ({"conditions": {"psychosis"}}, "psychosis"),
        ({"systolic_bp": 160, "diastolic_bp": 80}, "uncontrolled_hypertension"),
        ({"systolic_bp": 130, "diastolic_bp": 100}, "uncontrolled_hypertension"),
    ],
)
def test_each_hard_stop_alone(changes, code):
    d = evaluate(intake(**changes))
    assert d.status == "ineligible"
    assert codes(d) == {code}
    (reason,) = d.reasons
    assert reason.severity == "hard_stop" and reason.message and reason.source


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"systolic_bp": 140, "diastolic_bp": 80}, "elevated_bp"),
        ({"systolic_bp": 159, "diastolic_bp": 80}, "elevated_bp"),
        ({"systolic_bp": 130, "diastolic_bp": 90}, "elevated_bp"),
        ({"systolic_bp": 130, "diastolic_bp": 99}, "elevated_bp"),
        ({"conditions": {"bipolar"}}, "bipolar"),
        ({"medications": {"benzodiazepine"}}, "cns_depressants"),
        ({"medications": {"sedative_hypnotic"}}, "cns_depressants"),
        ({"medications": {"opioid"}}, "cns_depressants"),
        ({"medications": {"stimulant"}}, "bp_raising_meds"),
        ({"medications": {"maoi"}}, "bp_raising_meds"),
        ({"conditions": {"ketamine_misuse"}}, "ketamine_misuse"),
        ({"conditions": {"cardiovascular"}}, "cardiovascular"),
        ({"conditions": {"hepatic"}}, "hepatic"),
        ({"age": 65}, "older_adult"),
        ({"cssrs": {**CSSRS_NONE, "q2": True, "q3": True, "q4": False, "q5": False}}, "suicidality"),
        ({"cssrs": {**CSSRS_NONE, "behavior_lifetime": True, "behavior_3mo": False}}, "suicidality"),
        ({"cssrs": {**CSSRS_NONE, "q2": True, "q3": False, "q4": True, "q5": False}}, "suicidality"),
        ({"phq9": [0, 0, 0, 0, 0, 0, 0, 0, 1]}, "suicidality"),
    ],
)
def test_each_review_flag_alone(changes, code):
    d = evaluate(intake(**changes))
    assert d.status == "needs_review"
    assert codes(d) == {code}
    assert d.reasons[0].severity == "review" and d.reasons[0].source


@pytest.mark.parametrize(
    "changes",
    [
        {"age": 18}, {"age": 64}, {"systolic_bp": 139, "diastolic_bp": 89},
        {"medications": {"mood_stabilizer"}}, {"cssrs": {**CSSRS_NONE, "q1": True}},
        {"phq9": PHQ9_CALM}, {"cssrs": CSSRS_NONE},
    ],
)
def test_just_inside_every_edge_is_eligible(changes):
    assert evaluate(intake(**changes)).status == "eligible"


def test_elevated_bp_does_not_also_fire_when_uncontrolled():
    d = evaluate(intake(systolic_bp=165, diastolic_bp=95))
    assert codes(d) == {"uncontrolled_hypertension"}


def test_bipolar_notes_mood_stabiliser():
    on = evaluate(intake(conditions={"bipolar"}, medications={"mood_stabilizer"}))
    off = evaluate(intake(conditions={"bipolar"}))
    assert "on a mood stabiliser" in on.reasons[0].message
    assert "not on a mood stabiliser" in off.reasons[0].message


def test_every_reason_listed_not_just_the_first():
    d = evaluate(intake(age=70, conditions=set(CONDITIONS), medications=set(MEDICATIONS), pregnant="yes",
                        systolic_bp=170, diastolic_bp=105, phq9=[0] * 8 + [2]))
    assert codes(d, "hard_stop") == {"pregnancy", "aneurysm_avm", "intracerebral_hemorrhage", "hypersensitivity",
                                     "psychosis", "uncontrolled_hypertension"}
    assert codes(d, "review") == {"bipolar", "cns_depressants", "bp_raising_meds", "ketamine_misuse",
                                  "cardiovascular", "hepatic", "older_adult", "suicidality"}
    assert d.status == "ineligible" and d.urgent


@pytest.mark.parametrize("hard", [{"age": 17}, {"conditions": {"psychosis"}}, {"systolic_bp": 180, "diastolic_bp": 90}])
@pytest.mark.parametrize("review", [{"medications": {"opioid"}}, {"conditions": {"hepatic"}}])
def test_hard_stop_beats_review_flag(hard, review):
    merged = {**review, **hard}
    if "conditions" in hard and "conditions" in review:
        merged["conditions"] = hard["conditions"] | review["conditions"]
    assert evaluate(intake(**merged)).status == "ineligible"


def test_two_review_flags_stay_needs_review():
    d = evaluate(intake(medications={"opioid", "stimulant"}))
    assert d.status == "needs_review" and codes(d) == {"cns_depressants", "bp_raising_meds"}


@pytest.mark.parametrize(
    ("changes", "urgent"),
    [
        ({"cssrs": {**CSSRS_NONE, "q2": True, "q3": False, "q4": True, "q5": False}}, True),
        ({"cssrs": {**CSSRS_NONE, "q2": True, "q3": False, "q4": False, "q5": True}}, True),
        ({"cssrs": {**CSSRS_NONE, "behavior_lifetime": True, "behavior_3mo": True}}, True),
        ({"phq9": [0] * 8 + [1]}, True),
        ({"phq9": [0] * 8 + [3]}, True),
        ({"cssrs": {**CSSRS_NONE, "q2": True, "q3": True, "q4": False, "q5": False}}, False),
        ({"cssrs": {**CSSRS_NONE, "behavior_lifetime": True, "behavior_3mo": False}}, False),
        ({"cssrs": {**CSSRS_NONE, "q1": True}}, False),
        ({"phq9": [3] * 8 + [0]}, False),
    ],
)
def test_urgent_from_each_cause(changes, urgent):
    assert evaluate(intake(**changes)).urgent is urgent


def test_moderate_cssrs_asks_for_referral_not_same_day():
    d = evaluate(intake(cssrs={**CSSRS_NONE, "q2": True, "q3": True, "q4": False, "q5": False}))
    assert "refer" in d.reasons[0].message and not d.urgent


def test_urgent_is_independent_of_status():
    d = evaluate(intake(age=17, phq9=[0] * 8 + [1]))
    assert d.status == "ineligible" and d.urgent


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"prior_treatments": ["methadone maintenance"]}, "prior_treatment"),
        ({"phq9": [2, 2, 2, 2, 2, 0, 0, 0, 0]}, "depression"),
        ({"gad7": [2, 2, 2, 2, 2, 0, 0]}, "anxiety"),
        ({"pcl5": [2] * 17 + [0] * 3}, "provisional_ptsd"),
        ({"integration_therapy_willing": True}, "integration_willing"),
    ],
)
def test_each_supporting_reason_alone_keeps_eligible(changes, code):
    d = evaluate(intake(**changes))
    assert d.status == "eligible" and codes(d, "support") == {code}


@pytest.mark.parametrize(("field", "answers"), [("phq9", [2, 2, 2, 2, 1, 0, 0, 0, 0]), ("gad7", [2, 2, 2, 2, 1, 0, 0])])
def test_candidate_signal_just_below_ten_is_not_listed(field, answers):
    assert codes(evaluate(intake(**{field: answers}))) == set()


SUPPORT = st.fixed_dictionaries({
    "prior_treatments": st.lists(st.sampled_from(["MAT", "residential", "outpatient therapy", "mutual help"])),
    "integration_therapy_willing": st.booleans(),
    "gad7": st.lists(st.integers(0, 3), min_size=7, max_size=7),
    "pcl5": st.lists(st.integers(0, 4), min_size=20, max_size=20),
})
BASES = [intake(), intake(medications={"opioid"}), intake(age=17)]


@given(SUPPORT, st.sampled_from(BASES))
def test_supporting_reasons_never_change_status(support, base):
    plain = evaluate(base)
    with_support = evaluate({**base, **support})
    assert with_support.status == plain.status
    assert with_support.urgent == plain.urgent


def test_rules_version_follows_settings():
    changed = DEFAULTS.changed(older_adult_age=70)
    d = evaluate(intake(age=66), settings=changed)
    assert d.status == "eligible"
    assert d.rules_version == changed.rules_version != DEFAULTS.rules_version


def test_scores_are_returned_for_the_panel():
    d = evaluate(intake(phq9=[1] * 9, cssrs=CSSRS_NONE))
    assert d.scores["phq9"].total == 9 and d.scores["cssrs"].band == "none"


# Bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"weight": 70}, "unknown field.*weight"),
        ({"age": "40"}, "Age must be a whole number"),
        ({"age": 200}, "Age must be between 0 and 120"),
        ({"age": -1}, "Age must be between"),
        ({"sex": "other"}, "Sex at birth must be one of"),
        ({"pregnant": True}, "Pregnancy must be one of"),
        ({"sex": "male", "pregnant": "yes"}, "Pregnancy must be 'no' when sex at birth is male"),
        ({"systolic_bp": 400}, "Systolic blood pressure.*between 40 and 300"),
        ({"systolic_bp": 120, "diastolic_bp": 130}, "Diastolic.*lower than the systolic"),
        ({"systolic_bp": 120.5}, "Systolic blood pressure.*whole number"),
        ({"conditions": {"asthma"}}, "Conditions: unknown option.*asthma"),
        ({"conditions": "psychosis"}, "Conditions must be a set"),
        ({"medications": {"ssri"}}, "Medications: unknown option.*ssri"),
        ({"prior_treatments": "MAT"}, "Prior treatments must be a list"),
        ({"integration_therapy_willing": "yes"}, "integration therapy must be yes or no"),
        ({"phq9": [0, 1, 2, 3]}, "PHQ-9 items 5, 6, 7, 8 and 9 are not answered"),
        ({"cssrs": {"q1": True}}, "C-SSRS screener questions 2 and 6 are not answered"),
    ],
)
def test_bad_intake_is_refused_in_plain_words(changes, message):
    with pytest.raises(ValueError, match=message):
        evaluate(intake(**changes))


def test_missing_key_is_named():
    data = intake()
    del data["diastolic_bp"]
    with pytest.raises(ValueError, match="missing: diastolic_bp"):
        evaluate(data)


@pytest.mark.parametrize(
    ("item9", "cssrs", "signals"),
    [
        (None, {}, ()),
        (0, {}, ()),
        (1, {}, ("phq9_item9",)),
        (3, {"q1": True}, ("phq9_item9",)),
        (None, {"q2": True, "q4": True}, ("cssrs_high",)),
        (None, {"q2": True, "q5": True}, ("cssrs_high",)),
        (None, {"q2": True, "q3": True, "q4": False}, ()),
        (None, {"q2": False, "q4": True}, ()),  # Q4 is skipped after a no to Q2; the form drops it
        (None, {"behavior_lifetime": True, "behavior_3mo": True}, ("cssrs_high",)),
        (None, {"behavior_lifetime": True}, ()),
        (None, {"behavior_lifetime": True, "behavior_3mo": False}, ()),
        (2, {"behavior_lifetime": True, "behavior_3mo": True}, ("phq9_item9", "cssrs_high")),
    ],
)
def test_same_day_signals_from_a_partly_answered_form(item9, cssrs, signals):
    assert same_day_signals(item9, cssrs) == signals


CSSRS_COMPLETE = st.fixed_dictionaries({"q1": st.booleans(), "q2": st.booleans(), "behavior_lifetime": st.booleans()},
                                       optional={"q3": st.booleans(), "q4": st.booleans(), "q5": st.booleans(),
                                                 "behavior_3mo": st.booleans()})


@given(st.lists(st.integers(0, 3), min_size=9, max_size=9), CSSRS_COMPLETE)
def test_same_day_signals_agree_with_the_decision_on_complete_answers(phq9, cssrs):
    if not cssrs["q2"]:
        cssrs = {k: v for k, v in cssrs.items() if k not in ("q3", "q4", "q5")}
    else:
        cssrs = {"q3": False, "q4": False, "q5": False, **cssrs}
    if not cssrs["behavior_lifetime"]:
        cssrs.pop("behavior_3mo", None)
    else:
        cssrs.setdefault("behavior_3mo", False)
    decision = evaluate(intake(phq9=phq9, cssrs=cssrs))
    assert bool(same_day_signals(phq9[8], cssrs)) == decision.urgent
