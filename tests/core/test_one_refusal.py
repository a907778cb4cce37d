"""One refusal names every field (issue 25.11): the pre-dose check, the check-in and the new account list all their
problems at once, as the screening does. Seen in use: five problems took five clicks, one message each."""

from datetime import timedelta

import pytest

from core import users
from core.rules import dosing, validate
from tests.core.test_checkins import ALCOHOL, CALM_SCALES, NOW, count, save, week
from tests.core.test_dosing_sessions import approved_patient

ADMIN = users.User(1, "admin", "Demo Administrator", "admin")


def test_the_pre_dose_check_names_every_bad_field_at_once():
    with pytest.raises(validate.FieldErrors) as caught:
        dosing.pre_dose_gate(systolic_bp=128, diastolic_bp=None, heart_rate=400, spo2=20, hours_since_last_use=-1,
                             fasting_confirmed=None, escort_confirmed=None)
    message = str(caught.value)
    for words in ("Diastolic blood pressure", "Heart rate", "SpO2", "Hours since last use", "Fasting confirmed",
                  "Escort or driver confirmed"):
        assert words in message, words
    assert len(caught.value.errors) == 6


def test_the_new_account_names_every_bad_field_at_once(demo_store):
    with pytest.raises(validate.FieldErrors) as caught:
        users.create_user(demo_store, ADMIN, "sam smith", "", None, "short", again="other")
    message = str(caught.value)
    for words in ("Username:", "Name shown on screen:", "Role", "Password", "Password again: the two entries"):
        assert words in message, words
    assert count(demo_store, "SELECT count(*) FROM users WHERE username ILIKE 'sam%'") == 0


def test_the_new_account_is_made_when_every_field_is_right(demo_store):
    made = users.create_user(demo_store, ADMIN, "sam", "Sam Nurse", "nurse", "a long enough password",
                             again="a long enough password")
    assert made.role == "nurse"


def test_the_check_in_names_every_bad_field_at_once_and_stores_nothing(demo_store):
    patient = approved_patient(demo_store, **ALCOHOL)
    days = week(NOW.date())
    days[2].update({"used": True, "drinks": 61})
    days[3].update({"used": None})
    answers = {**CALM_SCALES, "phq9": [1] * 4 + [None] * 5, "gad7": None}
    with pytest.raises(validate.FieldErrors) as caught:
        save(demo_store, patient, answers=answers, days=days, note="x" * 5001)
    message = str(caught.value)
    for words in ("PHQ-9", "GAD-7", "Drinks on", "choose No use or Used", "Note is too long"):
        assert words in message, words
    assert count(demo_store, "SELECT count(*) FROM checkins WHERE patient_id = ?", [patient]) == 0


def test_a_check_in_visit_in_the_future_is_named_with_the_rest(demo_store):
    patient = approved_patient(demo_store, **ALCOHOL)
    later = NOW + timedelta(days=30)
    with pytest.raises(validate.FieldErrors) as caught:
        from core import checkins
        checkins.record(demo_store, users.User(4, "therapist", "Demo Therapist", "therapist"), patient,
                        visit_at=later + timedelta(days=1), answers={**CALM_SCALES, "gad7": None}, use_days=[],
                        now=later)
    assert "in the future" in str(caught.value) and "GAD-7" in str(caught.value)
