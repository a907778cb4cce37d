"""Issue 25.5: entries that cannot be right are caught where they are typed. Seen in use: screening 300/20 and
pre-dose 128/20 accepted, a last use in 1985 for a patient born in 1990 who used on 28 of the last 30 days, and
"03/04/1990" read silently as 3 April."""

from datetime import date, datetime, time, timedelta

import pytest

from core.rules import dosing, validate, vitals
from core.rules.settings import DEFAULTS
from core.screening_form import FormErrors, validate_screening
from tests.core.test_screening_and_approval import NOW, valid_raw

GATE = {"heart_rate": 80, "spo2": 98, "hours_since_last_use": 30, "fasting_confirmed": True,
        "escort_confirmed": True}


# Pulse pressure: systolic minus diastolic


@pytest.mark.parametrize(("systolic", "diastolic", "asks"), [
    (130, 120, False), (130, 121, True), (128, 20, False), (250, 100, False), (251, 100, True), (300, 20, True),
    (41, 32, True), (60, 50, False),
])
def test_a_pulse_pressure_under_10_or_over_150_asks_to_re_measure(systolic, diastolic, asks):
    problem = vitals.pulse_pressure_problem(systolic, diastolic)
    assert (problem is not None) == asks
    if asks:
        assert "re-measure" in problem and f"{systolic - diastolic} mmHg" in problem


def test_the_pulse_pressure_limits_are_settings_with_an_honest_source():
    assert (DEFAULTS.pulse_pressure_min, DEFAULTS.pulse_pressure_max) == (10, 150)
    assert "clinic default for plausibility" in DEFAULTS.source("pulse_pressure_min")
    assert "not from a cited guideline" in DEFAULTS.source("pulse_pressure_max")
    s = DEFAULTS.changed(pulse_pressure_min=20)
    assert vitals.pulse_pressure_problem(130, 115, s) is not None and vitals.pulse_pressure_problem(130, 115) is None


def test_a_pre_dose_reading_asks_to_re_measure_and_goes_ahead_confirmed():
    with pytest.raises(ValueError, match="re-measure"):
        dosing.pre_dose_gate(systolic_bp=300, diastolic_bp=140, **GATE)  # 160 mmHg apart
    with pytest.raises(ValueError, match="re-measure"):
        dosing.pre_dose_gate(systolic_bp=95, diastolic_bp=88, **GATE)  # 7 mmHg apart
    assert dosing.pre_dose_gate(systolic_bp=95, diastolic_bp=88, bp_remeasured=True, **GATE).status == "go"
    assert dosing.pre_dose_gate(systolic_bp=128, diastolic_bp=20, **GATE).status == "go"  # 108 apart: plausible


def test_a_reading_during_the_session_asks_to_re_measure_and_accepts_it_confirmed():
    with pytest.raises(ValueError, match="re-measure"):
        vitals.check_vitals(systolic_bp=300, diastolic_bp=20)
    confirmed = vitals.check_vitals(systolic_bp=300, diastolic_bp=20, bp_remeasured=True)
    assert confirmed.adverse_events == ("severe_hypertension",)  # a real severe reading is never lost


def test_screening_300_over_20_asks_to_re_measure_naming_the_blood_pressure():
    with pytest.raises(FormErrors) as caught:
        validate_screening(valid_raw(systolic_bp=300, diastolic_bp=20), now=NOW)
    assert "re-measure" in caught.value.errors["bp_remeasured"]
    assert validate_screening(valid_raw(systolic_bp=300, diastolic_bp=20, bp_remeasured=True), now=NOW)


# The last use


def errors_of(**changes):
    with pytest.raises(FormErrors) as caught:
        validate_screening(valid_raw(**changes), now=NOW)
    return caught.value.errors


def test_a_last_use_before_birth_is_refused():
    errors = errors_of(date_of_birth=date(1990, 5, 1), last_use_date=date(1985, 1, 1), days_used_30=0)
    assert "before the date of birth" in errors["last_use_date"]


@pytest.mark.parametrize(("days_used", "days_ago", "refused"), [
    (28, 2, False), (28, 3, True), (30, 0, False), (30, 1, True), (1, 29, False), (1, 30, True),
    (0, 30, False), (0, 29, True), (12, 18, False), (12, 19, True),
])
def test_a_last_use_must_fit_the_days_used_in_the_last_30(days_used, days_ago, refused):
    last = (NOW - timedelta(days=days_ago)).date()
    raw = valid_raw(days_used_30=days_used, last_use_date=last, last_use_time=time(0, 5))
    if refused:
        with pytest.raises(FormErrors) as caught:
            validate_screening(raw, now=NOW)
        assert "Days used in the last 30" in caught.value.errors["last_use_date"]
    else:
        validate_screening(raw, now=NOW)


def test_the_1985_last_use_with_28_days_used_names_both_problems_at_once():
    errors = errors_of(date_of_birth=date(1990, 5, 1), last_use_date=date(1985, 1, 1), days_used_30=28)
    assert "before the date of birth" in errors["last_use_date"]


# Dates typed with slashes


@pytest.mark.parametrize("typed", ["03/04/1990", "3/4/1990", "12/01/1990", "01/12/1990"])
def test_an_ambiguous_slash_date_is_refused_and_both_readings_are_named(typed):
    with pytest.raises(ValueError, match="could be .* or .*: type it as year-month-day"):
        validate.calendar_date(typed, "Date of birth")


@pytest.mark.parametrize(("typed", "read"), [
    ("1990-04-03", date(1990, 4, 3)), ("13/04/1990", date(1990, 4, 13)), ("04/13/1990", None),
    ("04/04/1990", date(1990, 4, 4)), ("03.04.1990", date(1990, 4, 3)), ("3 Apr 1990", date(1990, 4, 3)),
])
def test_an_unambiguous_date_is_read_as_written(typed, read):
    if read is None:
        with pytest.raises(ValueError, match="not a date in the calendar"):
            validate.calendar_date(typed, "Date of birth")
    else:
        assert validate.calendar_date(typed, "Date of birth") == read


def test_a_screening_with_an_ambiguous_date_of_birth_names_the_field():
    errors = errors_of(date_of_birth="03/04/1990")
    assert errors["date_of_birth"].startswith("Date of birth: 03/04/1990 could be 3 April 1990 or 4 March 1990")


@pytest.mark.parametrize(("typed", "words"), [
    ("1990-04-03", "Read as 3 April 1990"), ("13/04/1990", "Read as 13 April 1990"),
    ("03/04/1990", "could be 3 April 1990 or 4 March 1990"), ("", None), ("31/02/1990", "not a date in the calendar"),
])
def test_the_date_read_is_said_in_words(typed, words):
    said = validate.date_in_words(typed)
    assert said is None if words is None else words in said


def test_a_search_by_date_still_reads_a_slash_date_day_first():
    """A search is no entry: nothing is stored, and both readings cannot be offered in one box."""
    assert validate.as_date("03/02/1971") == date(1971, 2, 3)


def test_an_entry_as_a_date_object_is_never_ambiguous():
    assert validate.calendar_date(date(1990, 4, 3), "Date of birth") == date(1990, 4, 3)
    assert validate.calendar_date(datetime(1990, 4, 3, 8), "Date of birth") == date(1990, 4, 3)
