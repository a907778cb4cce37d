"""Issue 25 items 2 and 3, the rules: a severe blood pressure tightens monitoring until it falls below the discharge
limit, and a session stopped early or with a severe adverse event holds the next dose until a prescriber reviews it."""

import re
from datetime import datetime

import pytest

from core.rules import dosing
from core.rules.dosing import LastSession, Taken, pre_dose_gate
from core.rules.settings import DEFAULTS

CALM = (130, 82)
GO = {"systolic_bp": 128, "diastolic_bp": 80, "heart_rate": 72, "spo2": 98, "hours_since_last_use": 48,
      "fasting_confirmed": True, "escort_confirmed": True, "hours_since_last_session": 72}


def taken(*readings):
    return [Taken(minute, systolic, diastolic) for minute, systolic, diastolic in readings]


def test_the_tight_interval_is_a_clinical_setting_with_its_source_and_range():
    assert DEFAULTS.severe_reading_every_minutes == 5
    assert DEFAULTS.clinical("severe_reading_every_minutes")
    assert "severe" in DEFAULTS.source("severe_reading_every_minutes")
    assert DEFAULTS.within("severe_reading_every_minutes") == (2, 15)


def test_the_tight_interval_cannot_be_looser_than_the_usual_one():
    with pytest.raises(ValueError, match=re.escape(DEFAULTS.label("severe_reading_every_minutes"))):
        DEFAULTS.changed(severe_reading_every_minutes=10, reading_every_minutes=8)
    assert DEFAULTS.changed(severe_reading_every_minutes=8, reading_every_minutes=8).severe_reading_every_minutes == 8


@pytest.mark.parametrize(("readings", "now", "due", "overdue"), [
    ([(32, 186, 112)], 32, 37, False),   # the issue: 186/112 at minute 32 -> due at 37, not 47
    ([(32, 186, 112)], 37, 37, False),   # exactly at the 5 minutes: due, not yet overdue
    ([(32, 186, 112)], 38, 37, True),    # a minute past it: overdue
    ([(32, 180, 80)], 33, 37, False),    # severe on the systolic edge alone
    ([(32, 150, 110)], 33, 37, False),   # severe on the diastolic edge alone
    ([(32, 179, 109)], 33, 47, False),   # just under severe: the usual 15 minutes
])
def test_a_severe_reading_makes_the_next_one_due_in_five_minutes(readings, now, due, overdue):
    result = dosing.next_reading("iv", taken(*readings), now)
    assert (result.minute, result.overdue) == (due, overdue)


@pytest.mark.parametrize(("after", "due", "tight"), [
    ((37, 170, 95), 42, True),    # lower but not below the discharge limit (160/100): still every 5 minutes
    ((37, 160, 90), 42, True),    # systolic at the limit is not below it
    ((37, 150, 100), 42, True),   # diastolic at the limit is not below it
    ((37, 159, 99), 52, False),   # below 160/100: back to every 15 minutes
])
def test_monitoring_stays_tight_until_the_pressure_falls_below_the_discharge_limit(after, due, tight):
    result = dosing.next_reading("iv", taken((32, 186, 112), after), after[0])
    assert result.minute == due
    assert (result.severe == Taken(32, 186, 112)) is tight


def test_a_high_reading_after_the_pressure_fell_below_the_limit_does_not_tighten_again_unless_severe():
    settled = taken((32, 186, 112), (37, 150, 90), (52, 165, 95))
    assert dosing.next_reading("iv", settled, 52) == dosing.NextReading(67, False)
    again = taken((32, 186, 112), (37, 150, 90), (52, 182, 95))
    assert dosing.next_reading("iv", again, 52) == dosing.NextReading(57, False, Taken(52, 182, 95))


def test_the_latest_severe_reading_is_the_one_shown():
    result = dosing.next_reading("iv", taken((32, 186, 112), (37, 190, 115), (42, 175, 100)), 42)
    assert (result.minute, result.severe) == (47, Taken(37, 190, 115))


def test_readings_count_in_the_order_of_their_minutes_not_the_order_given():
    result = dosing.next_reading("iv", taken((37, 150, 90), (32, 186, 112)), 37)
    assert (result.minute, result.severe) == (52, None)


def test_the_tight_interval_follows_the_setting_and_the_intranasal_peak_still_counts():
    assert dosing.next_reading("iv", taken((20, 185, 100)), 20,
                               settings=DEFAULTS.changed(severe_reading_every_minutes=3)).minute == 23
    assert dosing.next_reading("intranasal", taken((38, 185, 100)), 38).minute == 40
    assert dosing.next_reading("intranasal", taken((20, 185, 100)), 20).minute == 25


def test_a_reading_is_checked_before_it_is_scheduled_from():
    with pytest.raises(ValueError, match="Systolic"):
        dosing.next_reading("iv", taken((20, 400, 100)), 20)


# Item 3: the next dose knows how the last one ended.

ENDED = datetime(2026, 11, 12, 11, 40)
SEVERE_EVENT = "Severe high blood pressure, BP 186/112 at minute 32"


def test_a_normal_last_session_gives_only_the_usual_interval_hold():
    last = LastSession(number=1, ended_at=ENDED, stopped=None, severe_events=(), reviewed=False)
    assert pre_dose_gate(**GO, last_session=last).status == "go"
    held = pre_dose_gate(**{**GO, "hours_since_last_session": 47.9}, last_session=last)
    assert [r.code for r in held.reasons] == ["too_soon"]


@pytest.mark.parametrize(("stopped", "events", "words"), [
    ("Because of an adverse event", (SEVERE_EVENT,), ["stopped early (Because of an adverse event)", SEVERE_EVENT]),
    ("At the patient's request", (), ["stopped early (At the patient's request)"]),
    (None, (SEVERE_EVENT,), [SEVERE_EVENT]),
])
def test_a_session_stopped_early_or_with_a_severe_event_holds_the_next_dose_naming_it(stopped, events, words):
    last = LastSession(number=1, ended_at=ENDED, stopped=stopped, severe_events=events, reviewed=False)
    gate = pre_dose_gate(**GO, last_session=last)
    assert gate.status == "hold"
    (reason,) = gate.reasons
    assert reason.code == dosing.REVIEW_NEEDED and reason.severity == "hold"
    assert "Session 1" in reason.message and "12 Nov 2026" in reason.message
    assert all(w in reason.message for w in words)
    assert "prescriber" in reason.message and reason.source == dosing.REVIEW_SOURCE


def test_the_review_hold_is_listed_beside_the_interval_hold():
    last = LastSession(number=2, ended_at=ENDED, stopped=None, severe_events=(SEVERE_EVENT,), reviewed=False)
    gate = pre_dose_gate(**{**GO, "hours_since_last_session": 30}, last_session=last)
    assert {r.code for r in gate.reasons} == {"too_soon", dosing.REVIEW_NEEDED}


def test_a_reviewed_session_no_longer_holds():
    last = LastSession(number=1, ended_at=ENDED, stopped="Dose interrupted", severe_events=(SEVERE_EVENT,),
                       reviewed=True)
    assert pre_dose_gate(**GO, last_session=last).status == "go"


def test_a_first_session_has_no_last_session():
    assert pre_dose_gate(**{**GO, "hours_since_last_session": None}, last_session=None).status == "go"
