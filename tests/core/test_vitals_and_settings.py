import dataclasses
import re
from datetime import datetime, timedelta

import pytest

from core.rules import settings as settings_module
from core.rules.settings import DEFAULTS, NOT_RULES, DoseBand, Settings
from core.rules.vitals import check_vitals, weight_change_warning


@pytest.mark.parametrize(
    ("field", "low", "high"),
    [("systolic_bp", 40, 300), ("diastolic_bp", 20, 200), ("heart_rate", 20, 250), ("spo2", 50, 100),
     ("respiratory_rate", 4, 60)],
)
def test_plausibility_limits_accept_edges_and_refuse_beyond(field, low, high):
    def reading(value):  # confirmed after re-measuring: 300/30 is within the hard limits, its pulse pressure is not
        if field == "systolic_bp":
            return {"systolic_bp": value, "diastolic_bp": 30, "bp_remeasured": True}
        if field == "diastolic_bp":
            return {"systolic_bp": 300, "diastolic_bp": value, "bp_remeasured": True}
        return {field: value}

    check_vitals(**reading(low))
    check_vitals(**reading(high))
    for bad in (low - 1, high + 1):
        with pytest.raises(ValueError, match="must be between"):
            check_vitals(**reading(bad))


def test_diastolic_must_be_below_systolic():
    with pytest.raises(ValueError, match="lower than the systolic"):
        check_vitals(systolic_bp=100, diastolic_bp=100)


def test_half_a_blood_pressure_is_refused():
    with pytest.raises(ValueError, match="both"):
        check_vitals(systolic_bp=120)


def test_reading_in_the_future_is_refused():
    now = datetime(2026, 11, 21, 10, 0)
    check_vitals(heart_rate=70, taken_at=now, now=now)
    with pytest.raises(ValueError, match="future"):
        check_vitals(heart_rate=70, taken_at=now + timedelta(minutes=1), now=now)


@pytest.mark.parametrize(
    ("sbp", "dbp", "event"),
    [(179, 109, False), (180, 100, True), (150, 110, True), (200, 120, True)],
)
def test_severe_hypertension_becomes_adverse_event(sbp, dbp, event):
    result = check_vitals(systolic_bp=sbp, diastolic_bp=dbp)
    assert ("severe_hypertension" in result.adverse_events) is event


@pytest.mark.parametrize(
    ("reading", "code"),
    [({"systolic_bp": 141, "diastolic_bp": 80}, "bp_above_range"), ({"spo2": 91}, "low_spo2"),
     ({"heart_rate": 111}, "heart_rate_out_of_range"), ({"heart_rate": 49}, "heart_rate_out_of_range")],
)
def test_clinical_bands_warn_but_accept(reading, code):
    result = check_vitals(**reading)
    assert [w.code for w in result.warnings] == [code] and result.adverse_events == ()


def test_normal_reading_has_no_warnings():
    assert check_vitals(systolic_bp=120, diastolic_bp=80, heart_rate=70, spo2=98, respiratory_rate=14).warnings == ()


@pytest.mark.parametrize(("previous", "current", "warn"), [(70, 77, False), (70, 77.1, True), (70, 63, False),
                                                           (70, 62.9, True), (154, 70, True)])
def test_weight_change_warning(previous, current, warn):
    assert (weight_change_warning(previous, current) is not None) is warn


def test_every_setting_has_a_source():
    for f in dataclasses.fields(Settings):
        assert DEFAULTS.source(f.name)


def test_rules_version_changes_with_any_threshold_and_only_then():
    assert Settings().rules_version == DEFAULTS.rules_version
    seen = {DEFAULTS.rules_version}
    thresholds = [f for f in dataclasses.fields(Settings) if f.name not in NOT_RULES]
    for f in thresholds:
        value = getattr(DEFAULTS, f.name)
        if isinstance(value, DoseBand):
            changed = DoseBand(value.low, value.high, value.maximum + 1)
        elif isinstance(value, tuple):
            changed = value[:-1]  # the doses allowed are bounded (28-84 mg): one fewer
        elif f.name == "intranasal_first_session_mg":
            changed = 28
        elif f.name in ("elevated_systolic", "elevated_diastolic", "hold_systolic_above", "hold_diastolic_above"):
            changed = value - 1  # each must stay below its partner
        elif f.name == "phq9_response_drop":
            changed = value / 2  # a share stays below 1
        elif f.name == "rems_form_due_days":
            changed = value - 1  # the REMS's 7 days is already the top of its range
        else:
            changed = DEFAULTS.within(f.name)[1]  # the top of its plausible range (twice the default can be past it)
        seen.add(DEFAULTS.changed(**{f.name: changed}).rules_version)
    assert len(seen) == len(thresholds) + 1
    assert DEFAULTS.changed(clinic_pseudonym="north-1").rules_version in seen  # a name, not a rule


def test_settings_are_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULTS.adult_min_age = 16


@pytest.mark.parametrize(
    "changes",
    [{"adult_min_age": 0}, {"elevated_systolic": 160}, {"intranasal_first_session_mg": 42},
     {"hold_spo2_below": -1}],
)
def test_nonsense_settings_are_refused(changes):
    with pytest.raises(ValueError):
        DEFAULTS.changed(**changes)


def test_dose_band_must_be_ordered():
    with pytest.raises(ValueError, match="Dose band"):
        DoseBand(0.5, 0.4, 1.0)


def test_rules_use_current_settings(monkeypatch):
    from core.rules.eligibility import evaluate

    monkeypatch.setattr(settings_module, "_current", DEFAULTS.changed(adult_min_age=21))
    d = evaluate({"age": 19, "sex": "male", "pregnant": "no", "systolic_bp": 120, "diastolic_bp": 80,
                  "conditions": set(), "medications": set(), "prior_treatments": [],
                  "integration_therapy_willing": False})
    assert d.status == "ineligible" and d.rules_version != DEFAULTS.rules_version


def test_every_number_setting_has_a_plausible_range_around_its_default():
    """Issue 25.1: every clinical setting has a range; a value outside it is refused naming the setting."""
    for f in dataclasses.fields(Settings):
        if f.name in NOT_RULES:
            continue
        low, high = DEFAULTS.within(f.name)
        value = getattr(DEFAULTS, f.name)
        numbers = ([value.low, value.high, value.maximum] if isinstance(value, DoseBand)
                   else list(value) if isinstance(value, tuple) else [value])
        assert all(low <= v <= high for v in numbers), f.name


@pytest.mark.parametrize(("name", "low", "high"), [
    ("uncontrolled_systolic", 140, 200), ("refuse_diastolic_at", 90, 130), ("hold_spo2_below", 85, 98),
    ("reading_every_minutes", 5, 30), ("older_adult_age", 50, 90), ("phq9_response_drop", 0.2, 0.9),
])
def test_a_setting_is_accepted_at_the_edges_of_its_range_and_refused_beyond(name, low, high):
    step = 0.01 if isinstance(low, float) else 1
    partner = {"uncontrolled_systolic": {"elevated_systolic": 120}, "refuse_diastolic_at": {"hold_diastolic_above": 70}}
    for edge in (low, high):
        assert getattr(DEFAULTS.changed(**{name: edge, **partner.get(name, {})}), name) == edge
    for beyond in (low - step, high + step):
        with pytest.raises(ValueError, match=re.escape(f"{DEFAULTS.label(name)}: must be between")):
            DEFAULTS.changed(**{name: beyond, **partner.get(name, {})})


@pytest.mark.parametrize(("name", "value"), [
    ("dose_iv", DoseBand(0.1, 0.8, 5.0)), ("intranasal_doses_mg", (28, 56, 840)),
])
def test_a_dose_band_or_a_list_of_doses_outside_its_range_is_refused(name, value):
    with pytest.raises(ValueError, match=re.escape(f"{DEFAULTS.label(name)}: must be between")):
        DEFAULTS.changed(**{name: value})
