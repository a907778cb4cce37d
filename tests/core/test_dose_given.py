"""Issue 25.4: the dose actually given is recorded at a stop or at discharge, checked against the plan, sealed, and
reported in place of the planned dose."""

from datetime import timedelta

import pytest

from core import dosing_sessions, patients, seals
from core.audit_chain import anchor_of
from core.rules.dosing import dose_given
from tests.core.test_dosing_sessions import CALM, NOW, NURSE, approved_patient, rows, started

LATER = NOW + timedelta(minutes=125)


def settled(con, session):
    for minute, systolic in ((110, 134), (120, 130)):
        dosing_sessions.add_vitals(con, NURSE, session, minutes_after_dose=minute, **{**CALM, "systolic_bp": systolic},
                                   now=NOW + timedelta(minutes=121))


def leave(con, session, **given):
    dosing_sessions.discharge(con, NURSE, session, craving_after=30, respiratory_depression=False,
                              escort_present=True, left_with="Partner (synthetic)", no_driving_told=True,
                              now=LATER, **given)


def test_the_rule_computes_mg_per_kg_from_the_session_weight():
    given = dose_given(20, planned_mg=35, weight_kg=70)
    assert (given.mg, given.mg_per_kg) == (20, 0.2857)
    assert dose_given(35, planned_mg=35, weight_kg=70).mg_per_kg == 0.5


@pytest.mark.parametrize(("value", "words"), [
    (None, "Dose actually given \\(mg\\) is required"), ("", "Dose actually given \\(mg\\) is required"),
    ("twenty", "Dose actually given \\(mg\\)"), (0, "Dose actually given \\(mg\\) must be more than 0"),
    (-5, "more than 0"), (float("nan"), "Dose actually given \\(mg\\)"), (True, "Dose actually given \\(mg\\)"),
    (35.5, "more than the 35 mg planned"),
])
def test_the_rule_refuses_what_is_not_a_dose_given_naming_the_field(value, words):
    with pytest.raises(ValueError, match=words):
        dose_given(value, planned_mg=35, weight_kg=70)


def test_a_stop_records_the_dose_given_and_the_record_reports_it(demo_store):
    session = started(demo_store, approved_patient(demo_store))
    dosing_sessions.stop(demo_store, NURSE, session, "patient_request", delivered_mg=20,
                         now=NOW + timedelta(minutes=20))
    settled(demo_store, session)
    leave(demo_store, session)
    record = dosing_sessions.record(demo_store, NURSE, session)
    assert (record.dose_mg, record.given_mg, record.given_mg_per_kg) == (35, 20, 0.2857)
    assert record.status == "stopped"
    assert rows(demo_store, "SELECT detail FROM audit_log WHERE action = 'session_stopped' AND entity_id = ?",
                [session])[0][0].count('"delivered_mg": 20') == 1


@pytest.mark.parametrize(("given", "words"), [(None, "Dose actually given"), (40, "more than the 35 mg planned"),
                                              (0, "more than 0")])
def test_a_stop_without_a_sound_dose_given_is_refused_and_nothing_is_stored(demo_store, given, words):
    session = started(demo_store, approved_patient(demo_store))
    with pytest.raises(ValueError, match=words):
        dosing_sessions.stop(demo_store, NURSE, session, "patient_request", delivered_mg=given,
                             now=NOW + timedelta(minutes=20))
    assert rows(demo_store, "SELECT stop_reason FROM session_details WHERE session_id = ?", [session]) == [(None,)]
    assert rows(demo_store, "SELECT count(*) FROM doses_given WHERE id = ?", [session]) == [(0,)]


def test_a_discharge_after_a_full_dose_asks_for_the_dose_given(demo_store):
    session = started(demo_store, approved_patient(demo_store))
    settled(demo_store, session)
    with pytest.raises(ValueError, match="Dose actually given \\(mg\\) is required"):
        leave(demo_store, session)
    assert dosing_sessions.record(demo_store, NURSE, session).status == "in_progress"
    leave(demo_store, session, delivered_mg=35)
    record = dosing_sessions.record(demo_store, NURSE, session)
    assert (record.status, record.given_mg, record.given_mg_per_kg) == ("discharged", 35, 0.5)


def test_a_discharge_after_a_stop_keeps_the_dose_given_at_the_stop(demo_store):
    session = started(demo_store, approved_patient(demo_store))
    dosing_sessions.stop(demo_store, NURSE, session, "dose_interrupted", delivered_mg=12.5,
                         now=NOW + timedelta(minutes=20))
    settled(demo_store, session)
    with pytest.raises(ValueError, match="recorded when dosing stopped \\(12.5 mg\\)"):
        leave(demo_store, session, delivered_mg=30)
    leave(demo_store, session)
    assert dosing_sessions.record(demo_store, NURSE, session).given_mg == 12.5


def test_the_dose_given_is_sealed_and_a_change_is_named_by_verify(demo_store):
    session = started(demo_store, approved_patient(demo_store))
    dosing_sessions.stop(demo_store, NURSE, session, "patient_request", delivered_mg=20,
                         now=NOW + timedelta(minutes=20))
    anchor = anchor_of(demo_store)
    assert seals.check(demo_store.cursor(), anchor) == []
    demo_store.execute("UPDATE doses_given SET mg = 35, mg_per_kg = 0.5 WHERE id = ?", [session])
    assert seals.check(demo_store.cursor(), anchor) == [
        f"Dose given {session}: the dose given changed after it was recorded."]


def test_the_chart_reports_the_dose_given_where_recorded_and_says_which(demo_store):
    patient = approved_patient(demo_store)
    session = started(demo_store, patient)
    dosing_sessions.stop(demo_store, NURSE, session, "patient_request", delivered_mg=20,
                         now=NOW + timedelta(minutes=20))
    sessions = patients.chart(demo_store, NURSE, patient).sessions
    row = sessions.iloc[-1]
    assert (row["dose_mg"], row["mg_per_kg"], row["dose"]) == (20, 0.2857, "given")
    assert row["planned_mg"] == 35
