"""Under load, crashes and hostile input: many writers at once, a writer killed mid-stream, random values into
every validator."""

import os
import signal
import subprocess
import sys
import threading
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import db, dosing_sessions
from core.outcomes import Cohort
from core.rules import dosing, eligibility, followup, instruments, validate, vitals
from core.screening_form import validate_screening
from tests.core.test_dosing_sessions import GO
from tests.core.test_screening_and_approval import NURSE

ROOT = Path(__file__).parents[2]
NOW = datetime(2026, 11, 21, 10, 0)


def approved_patients(con, count: int) -> list[int]:
    """Approved patients made in bulk (the screening and approval paths have their own tests)."""
    (first,) = con.execute("SELECT nextval('patients_id_seq')").fetchone()
    con.execute("""INSERT INTO patients (id, mrn, first_name, last_name, date_of_birth, sex, primary_substance, status,
                                         created_at)
                   SELECT ? + i, 'LOAD-' || i, 'Load', 'Test' || i, DATE '1980-01-01', 'female', 'alcohol',
                          'approved', TIMESTAMP '2026-11-01'
                   FROM range(?) t(i)""", [first, count])
    con.execute("SELECT setval('patients_id_seq', ?)", [first + count])
    con.execute("""INSERT INTO screenings (patient_id, screened_at, answers, systolic_bp, diastolic_bp, decision,
                                           urgent, reasons, rules_version)
                   SELECT ? + i, TIMESTAMP '2026-11-01', '{"details": {"escort_available": true}}', 120, 80,
                          'eligible', FALSE, '[]', 'load'
                   FROM range(?) t(i)""", [first, count])
    return list(range(first, first + count))


def test_eight_clinicians_each_saving_fifty_sessions_at_once_lose_none(demo_store):
    patients = approved_patients(demo_store, 400)
    failures = []

    def clinician(chunk):
        for patient_id in chunk:
            try:
                gate = dosing_sessions.check_gate(demo_store, NURSE, patient_id, **GO, now=NOW)
                dosing_sessions.start(demo_store, NURSE, patient_id, gate.gate_check_id, route="iv", weight_kg=70,
                                      dose_mg=35, intention="Steady", craving_before=50, now=NOW)
            except (ValueError, db.Conflict, duckdb.Error) as e:  # a refusal of any kind fails this test
                failures.append(f"{patient_id}: {e}")

    workers = [threading.Thread(target=clinician, args=(patients[i::8],)) for i in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert failures == []
    stored = demo_store.execute(
        """SELECT count(*), count(*) FILTER (WHERE g.patient_id = d.patient_id)
           FROM dosing_sessions d JOIN session_details s ON s.session_id = d.id
           JOIN gate_checks g ON g.id = s.gate_check_id
           WHERE d.patient_id BETWEEN ? AND ?""", [patients[0], patients[-1]]).fetchone()
    assert stored == (400, 400)


WRITER = """
import sys
from datetime import datetime
from core import checkins, db
from core.access import User
con = db.open_store(sys.argv[1])
therapist = User(4, "therapist", "Demo Therapist", "therapist")
scales = {"phq9": [1] * 9, "gad7": [1] * 7, "craving_vas": [30], "pacs": [1] * 5}
while True:
    saved = checkins.record(con, therapist, int(sys.argv[2]), visit_at=datetime.now(), answers=scales, use_days=[],
                            second_same_day=True)
    print(saved.checkin_id, flush=True)
"""


def test_a_writer_killed_mid_stream_keeps_every_save_it_reported_and_nothing_partial(demo_store, demo_db):
    (patient,) = approved_patients(demo_store, 1)
    demo_store.close()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(demo_db), str(patient)], stdout=subprocess.PIPE,
                              text=True, cwd=ROOT, env=env)
    reported = []
    try:
        while len(reported) < 25:
            line = writer.stdout.readline()
            assert line, "the writer stopped before it was killed"
            reported.append(int(line))
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    con = db.open_store(demo_db)
    try:
        stored = dict(con.execute("""SELECT c.id, count(l.assessment_id) FROM checkins c
                                     LEFT JOIN checkin_assessments l ON l.checkin_id = c.id
                                     WHERE c.patient_id = ? GROUP BY c.id""", [patient]).fetchall())
        orphans = con.execute("""SELECT count(*) FROM assessments a WHERE a.patient_id = ?
                                 AND NOT EXISTS (SELECT 1 FROM checkin_assessments l WHERE l.assessment_id = a.id)""",
                              [patient]).fetchone()[0]
    finally:
        con.close()
    assert set(reported) <= set(stored)
    assert set(stored.values()) == {4} and orphans == 0


ANYTHING = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**12, max_value=10**12), st.floats(allow_nan=True),
    st.text(max_size=40), st.dates(), st.datetimes(), st.lists(st.integers(-5, 10), max_size=25),
    st.dictionaries(st.text(max_size=8), st.booleans(), max_size=6), st.binary(max_size=8),
)
ONLY_VALUE_ERRORS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ONLY_VALUE_ERRORS
@given(ANYTHING, ANYTHING, ANYTHING)
def test_the_plain_validators_refuse_with_value_errors_only(a, b, c):
    for check in (lambda: validate.whole_number(a, "Field", 0, 10), lambda: validate.number(a, "Field", 0, 10),
                  lambda: validate.positive_number(a, "Field"), lambda: validate.yes_no(a, "Field"),
                  lambda: validate.choice(a, "Field", ("x", "y")), lambda: validate.choices(a, "Field", ("x", "y")),
                  lambda: validate.text(a, "Field", 20), lambda: validate.calendar_date(a, "Field"),
                  lambda: validate.clock_time(a, "Field"), lambda: vitals.blood_pressure(a, b),
                  lambda: vitals.plausible("heart_rate", a), lambda: vitals.weight_change_warning(a, b),
                  lambda: followup.use_day(a, b, c, None, today=date(2026, 11, 21), earliest=date(2026, 1, 1),
                                           counts_drinks=True)):
        try:
            check()
        except ValueError:
            pass


@ONLY_VALUE_ERRORS
@given(st.sampled_from(["phq9", "gad7", "pcl5", "auditc", "pacs", "craving_vas", "cssrs", "nope"]), ANYTHING)
def test_scoring_refuses_with_value_errors_only(instrument_id, answers):
    try:
        instruments.score(instrument_id, answers, sex="female")
    except ValueError:
        pass


@ONLY_VALUE_ERRORS
@given(st.dictionaries(st.sampled_from(["systolic_bp", "diastolic_bp", "heart_rate", "spo2", "hours_since_last_use",
                                        "fasting_confirmed", "escort_confirmed", "hours_since_last_session"]),
                       ANYTHING), ANYTHING, ANYTHING, ANYTHING)
def test_the_dosing_rules_refuse_with_value_errors_only(gate, route, dose, weight):
    for check in (lambda: dosing.pre_dose_gate(**{**{k: None for k in (
                      "systolic_bp", "diastolic_bp", "heart_rate", "spo2", "hours_since_last_use",
                      "fasting_confirmed", "escort_confirmed", "hours_since_last_session")}, **gate}),
                  lambda: dosing.check_dose(route=route, dose_mg=dose, weight_kg=weight, first_session=False),
                  lambda: Cohort(route, dose)):
        try:
            check()
        except ValueError:
            pass


@ONLY_VALUE_ERRORS
@given(st.dictionaries(st.sampled_from(["age", "sex", "pregnant", "systolic_bp", "diastolic_bp", "conditions",
                                        "medications", "phq9", "gad7", "cssrs", "prior_treatments",
                                        "integration_therapy_willing", "unknown"]), ANYTHING))
def test_the_eligibility_rules_refuse_with_value_errors_only(intake):
    try:
        eligibility.evaluate(intake)
    except ValueError:
        pass


@ONLY_VALUE_ERRORS
@given(st.dictionaries(st.sampled_from(["first_name", "last_name", "date_of_birth", "sex", "mrn", "primary_substance",
                                        "days_used_30", "last_use_date", "last_use_time", "systolic_bp", "phq9",
                                        "cssrs", "goal", "conditions"]), ANYTHING))
def test_the_screening_form_refuses_with_value_errors_only(raw):
    try:
        validate_screening(raw, now=NOW + timedelta(days=1))
    except ValueError:
        pass


@pytest.mark.parametrize("text", ["Robert'); DROP TABLE checkins;--", "tab\there\x00nul\x07bell", "\u202egnp.exe",
                                  "\u200f\u0645\u0631\u062d\u0628\u0627 RTL", "x" * 1999])
def test_hostile_text_is_stored_literally(demo_store, text):
    from core import checkins
    from tests.core.test_checkins import CALM_PACS, CALM_SCALES, THERAPIST

    (patient,) = approved_patients(demo_store, 1)
    saved = checkins.record(demo_store, THERAPIST, patient, visit_at=NOW + timedelta(days=20),
                            answers=CALM_SCALES | {"pacs": CALM_PACS}, use_days=[], note=text,
                            now=NOW + timedelta(days=20))
    assert demo_store.execute("SELECT note FROM checkins WHERE id = ?", [saved.checkin_id]).fetchone() == (text,)
