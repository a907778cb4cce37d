import json
from datetime import date, datetime, time, timedelta

import pytest

from core import checkins, db, demo, users
from core.rules import dosing, eligibility, instruments
from core.rules.settings import DEFAULTS
from core.screenings import intake_from_answers

TODAY = date(2026, 11, 21)
CLINICAL_TABLES = ("patients", "screenings", "approvals", "dosing_sessions", "session_vitals", "adverse_events",
                   "assessments", "substance_use_days", "checkins", "checkin_assessments", "integration_notes",
                   "therapy_bookings")


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    con = db.open_store(tmp_path_factory.mktemp("cohort") / "c.duckdb")
    demo.build(con, 2000, 11, today=TODAY)
    yield con
    con.close()


def q(con, sql, params=()):
    return con.execute(sql, list(params)).fetchall()


def one(con, sql, params=()):
    return con.execute(sql, list(params)).fetchone()[0]


def dump(con):
    return {t: q(con, f"SELECT * FROM {t} ORDER BY ALL") for t in CLINICAL_TABLES}


def test_same_seed_gives_same_data(tmp_path):
    a = db.open_store(tmp_path / "a.duckdb")
    b = db.open_store(tmp_path / "b.duckdb")
    demo.build(a, 120, 5, today=TODAY)
    demo.build(b, 120, 5, today=TODAY)
    assert dump(a) == dump(b)
    c = db.open_store(tmp_path / "c.duckdb")
    demo.build(c, 120, 6, today=TODAY)
    assert dump(c)["patients"] != dump(a)["patients"]


def test_substance_mix_alcohol_first(cohort):
    shares = dict(q(cohort, "SELECT primary_substance, count(*) / 2000 FROM patients GROUP BY 1"))
    assert shares["alcohol"] > shares["opioids"] > shares["cocaine"] > shares["methamphetamine"] > 0.05
    assert 0.35 < shares["alcohol"] < 0.55


def test_decisions_mostly_eligible_some_review_some_ineligible(cohort):
    shares = dict(q(cohort, "SELECT decision, count(*) / 2000 FROM screenings GROUP BY 1"))
    assert shares["eligible"] > 0.5
    assert 0.15 < shares["needs_review"] < 0.45
    assert 0.02 < shares["ineligible"] < 0.15


def test_every_screening_decision_is_what_the_rules_say(cohort):
    rows = q(cohort, "SELECT answers, decision, urgent, reasons, rules_version FROM screenings")
    assert len(rows) == 2000
    for answers, decision, urgent, reasons, version in rows:
        expected = eligibility.evaluate(intake_from_answers(answers), settings=DEFAULTS)
        assert (decision, urgent, version) == (expected.status, expected.urgent, expected.rules_version)
        assert [r["code"] for r in json.loads(reasons)] == [r.code for r in expected.reasons]


def test_demo_screening_details_have_the_form_shape(cohort):
    from datetime import time as clock

    from core.screening_form import validate_screening
    from tests.core.test_screening_and_approval import NOW, valid_raw

    form_keys = set(validate_screening(valid_raw(last_use_time=clock(8)), now=NOW).details)
    for (answers,) in q(cohort, "SELECT answers FROM screenings LIMIT 50"):
        assert set(json.loads(answers)["details"]) == form_keys


def test_only_eligible_or_review_screenings_are_approved(cohort):
    assert one(cohort, """SELECT count(*) FROM approvals a JOIN screenings s ON s.id = a.screening_id
                          WHERE a.decision = 'approved' AND s.decision = 'ineligible'""") == 0
    assert one(cohort, """SELECT count(*) FROM dosing_sessions d JOIN patients p ON p.id = d.patient_id
                          WHERE p.status <> 'approved'""") == 0


def test_course_lengths_follow_real_world_retention(cohort):
    finished = q(cohort, """SELECT max(session_number) FROM dosing_sessions GROUP BY patient_id
                            HAVING min(started_at) < ?""", [TODAY - timedelta(days=30)])
    lengths = [n for (n,) in finished]
    assert max(lengths) == 6
    after_first = sum(n == 1 for n in lengths) / len(lengths)
    not_finished = sum(n < 6 for n in lengths) / len(lengths)
    assert 0.15 < after_first < 0.25
    assert 0.4 < not_finished < 0.6


def test_sessions_are_at_least_48_hours_apart(cohort):
    gap = one(cohort, """SELECT min(gap) FROM (SELECT started_at - lag(started_at) OVER
                         (PARTITION BY patient_id ORDER BY session_number) AS gap FROM dosing_sessions)""")
    assert gap >= timedelta(hours=DEFAULTS.min_hours_between_sessions)


def test_every_dose_is_within_the_rules(cohort):
    for route, dose, weight, number, stored in q(cohort, "SELECT route, dose_mg, weight_kg, session_number, mg_per_kg "
                                                         "FROM dosing_sessions"):
        check = dosing.check_dose(route, dose, weight, number == 1, settings=DEFAULTS)
        assert check.status == "ok" and check.mg_per_kg == stored


def test_blood_pressure_rises_and_peaks_near_40_minutes(cohort):
    means = dict(q(cohort, """SELECT coalesce(minutes_after_dose, -10), avg(systolic_bp) FROM session_vitals
                              GROUP BY 1"""))
    assert max(means, key=means.get) == 40
    assert means[40] > means[-10] + 8 and means[40] > means[120] + 8
    assert one(cohort, "SELECT max(systolic_bp) FROM session_vitals WHERE phase = 'pre'") <= 140


def test_severe_hypertension_is_rare_and_always_recorded(cohort):
    sessions_total = one(cohort, "SELECT count(*) FROM dosing_sessions")
    severe = one(cohort, "SELECT count(DISTINCT session_id) FROM adverse_events WHERE code = 'severe_hypertension'")
    readings = one(cohort, """SELECT count(DISTINCT session_id) FROM session_vitals
                              WHERE systolic_bp >= 180 OR diastolic_bp >= 110""")
    assert 0.002 < severe / sessions_total < 0.025
    assert severe == readings


def test_cravings_fall_within_sessions_and_over_courses(cohort):
    assert one(cohort, "SELECT count(*) FROM dosing_sessions WHERE craving_after >= craving_before") == 0
    falling = q(cohort, """SELECT arg_min(craving_before, session_number) > arg_max(craving_before, session_number)
                           FROM dosing_sessions GROUP BY patient_id HAVING count(*) >= 4""")
    assert sum(f for (f,) in falling) / len(falling) > 0.6


def test_phq9_falls_for_most_treated_patients(cohort):
    changes = q(cohort, """SELECT arg_max(total, taken_at) < arg_min(total, taken_at) FROM assessments
                           WHERE instrument = 'phq9' GROUP BY patient_id HAVING count(*) >= 3""")
    assert sum(c for (c,) in changes) / len(changes) > 0.5


def test_use_logs_show_both_abstinence_and_relapse(cohort):
    per_patient = q(cohort, """SELECT bool_or(u.used) FROM substance_use_days u
                               JOIN (SELECT patient_id, min(started_at)::DATE AS first_day FROM dosing_sessions
                                     GROUP BY 1) f ON f.patient_id = u.patient_id AND u.day >= f.first_day + 14
                               GROUP BY u.patient_id""")
    relapsed = sum(r for (r,) in per_patient) / len(per_patient)
    assert 0.2 < relapsed < 0.8
    assert one(cohort, """SELECT count(*) FROM substance_use_days u JOIN patients p ON p.id = u.patient_id
                          WHERE p.primary_substance = 'alcohol' AND u.used AND u.drinks > 4""") > 0


def test_every_check_in_has_its_scales_scored_at_the_visit_and_some_a_pcl5(cohort):
    """Four scales at a drinker's visit, three at anyone else's (the PACS asks about drinking), and at some a PCL-5."""
    visits = q(cohort, """SELECT c.id, c.patient_id, c.visit_at, c.recorded_at, c.note, u.role,
                                 (SELECT min(d.started_at) FROM dosing_sessions d WHERE d.patient_id = c.patient_id),
                                 p.primary_substance
                          FROM checkins c JOIN users u ON u.id = c.recorded_by
                          JOIN patients p ON p.id = c.patient_id""")
    assert len(visits) > 1000
    scales = {}
    for checkin_id, patient, instrument, taken_at, total, band, flags, answers in q(
            cohort, """SELECT l.checkin_id, a.patient_id, a.instrument, a.taken_at, a.total, a.band, a.flags, a.answers
                       FROM checkin_assessments l JOIN assessments a ON a.id = l.assessment_id"""):
        result = instruments.score(instrument, json.loads(answers))
        assert (total, band, json.loads(flags)) == (result.total, result.band, sorted(result.flags))
        scales.setdefault(checkin_id, []).append((instrument, patient, taken_at))
    with_pcl5 = 0
    drinkers = 0
    for checkin_id, patient, visit_at, recorded_at, note, role, first_dose, substance in visits:
        every_visit = [s for s in scales[checkin_id] if s[0] != "pcl5"]
        assert sorted(every_visit) == sorted((i, patient, visit_at) for i in checkins.every_visit(substance))
        drinkers += substance == "alcohol"
        with_pcl5 += len(scales[checkin_id]) - len(every_visit)
        assert first_dose < visit_at <= recorded_at and recorded_at.date() <= TODAY
        assert (note, role) == (None, "therapist")
    # Issue 19: the check-in after every fourth session also takes the PCL-5, so the demo can show its change.
    assert 0 < with_pcl5 < len(visits) / 2
    assert 0 < drinkers < len(visits)
    assert one(cohort, "SELECT count(*) FROM checkin_assessments") == 3 * len(visits) + drinkers + with_pcl5


def test_integration_notes_follow_their_session_before_the_next_dose(cohort):
    notes = q(cohort, """SELECT d.status, d.discharged_at, n.met_at, n.signed_at, d.started_at::DATE, u.role,
                                (SELECT min(x.started_at) FROM dosing_sessions x
                                 WHERE x.patient_id = d.patient_id AND x.session_number > d.session_number)
                         FROM integration_notes n JOIN dosing_sessions d ON d.id = n.session_id
                         JOIN users u ON u.id = n.signed_by WHERE n.patient_id = d.patient_id""")
    assert len(notes) == one(cohort, "SELECT count(*) FROM integration_notes")
    for status, discharged_at, met_at, signed_at, dosed_on, role, next_dose in notes:
        assert status in ("discharged", "stopped") and role == "therapist"
        assert discharged_at < met_at < signed_at and 1 <= (met_at.date() - dosed_on).days <= 3
        assert signed_at.date() <= TODAY and (next_dose is None or signed_at < next_dose)
    ended = one(cohort, "SELECT count(*) FROM dosing_sessions WHERE status <> 'in_progress'")
    assert 0.7 < len(notes) / ended < 0.95


def test_only_sessions_whose_integration_session_is_ahead_are_booked(cohort):
    assert one(cohort, """SELECT count(*) FROM therapy_bookings b
                          JOIN integration_notes n ON n.session_id = b.session_id""") == 0
    assert one(cohort, """SELECT count(*) FROM dosing_sessions d WHERE status = 'in_progress' AND (
                              d.id IN (SELECT session_id FROM therapy_bookings)
                              OR d.id IN (SELECT session_id FROM integration_notes))""") == 0
    bookings = q(cohort, """SELECT b.scheduled_for, b.booked_at, d.discharged_at, d.started_at::DATE, u.role
                            FROM therapy_bookings b JOIN dosing_sessions d ON d.id = b.session_id
                            JOIN users u ON u.id = b.booked_by WHERE b.patient_id = d.patient_id""")
    assert bookings and len(bookings) == one(cohort, "SELECT count(*) FROM therapy_bookings")
    for scheduled_for, booked_at, discharged_at, dosed_on, role in bookings:
        assert booked_at == discharged_at and booked_at.date() <= TODAY < scheduled_for.date()
        assert 1 <= (scheduled_for.date() - dosed_on).days <= 3 and role == "nurse"


def test_use_days_are_recorded_once_the_day_is_over(cohort):
    assert one(cohort, """SELECT count(*) FROM substance_use_days
                          WHERE recorded_at IS NULL OR other_used IS NULL OR recorded_at < day + 1
                             OR recorded_at::DATE > ?""", [TODAY]) == 0
    assert 0.02 < one(cohort, "SELECT avg(other_used::INTEGER) FROM substance_use_days") < 0.2
    assert one(cohort, """SELECT count(*) FROM substance_use_days u JOIN screenings s ON s.patient_id = u.patient_id
                          WHERE u.day < s.screened_at::DATE AND u.recorded_at <> s.screened_at""") == 0


def test_dates_fall_in_the_last_twelve_months(cohort):
    first, last = q(cohort, "SELECT min(screened_at), max(screened_at) FROM screenings")[0]
    assert first.date() >= TODAY - timedelta(days=365) and last.date() <= TODAY
    assert one(cohort, "SELECT max(day) FROM substance_use_days") < TODAY


def test_demo_database_is_marked_and_has_one_account_per_role(cohort):
    assert db.is_demo(cohort)
    roles = sorted(r for (r,) in q(cohort, "SELECT role FROM users"))
    assert roles == sorted(["admin", "prescriber", "nurse", "therapist", "viewer"])
    for username, _, role, password in demo.DEMO_ACCOUNTS:
        assert users.authenticate(cohort, username, password).role == role


def test_a_real_database_is_not_marked_demo(empty_store):
    assert not db.is_demo(empty_store)
    assert one(empty_store, "SELECT count(*) FROM users") == 0


def test_cli_builds_a_cohort(tmp_path, capsys):
    path = tmp_path / "cli.duckdb"
    assert demo.main(["--db", str(path), "--patients", "20", "--seed", "3"]) == 0
    assert "Built 20 synthetic patients" in capsys.readouterr().out


def test_a_cohort_built_before_clinic_hours_has_nothing_in_the_future(empty_store):
    """Built at any hour, the demo shows no screening, reading or session later than the clock, and today's
    sessions in progress began long enough ago for their readings to be taken."""
    demo.build(empty_store, 400, 5)
    now = datetime.now()
    for table, column in (("screenings", "screened_at"), ("approvals", "signed_at"), ("dosing_sessions", "started_at"),
                          ("session_vitals", "taken_at"), ("adverse_events", "recorded_at"),
                          ("gate_checks", "checked_at"), ("assessments", "taken_at"), ("checkins", "recorded_at"),
                          ("integration_notes", "signed_at"), ("therapy_bookings", "booked_at"),
                          ("substance_use_days", "recorded_at")):
        latest = empty_store.execute("SELECT max(" + column + ") FROM " + table).fetchone()[0]  # names above
        assert latest is None or latest <= now, table
    assert one(empty_store, """SELECT count(*) FROM substance_use_days WHERE recorded_at < day + 1""") == 0
    assert one(empty_store, """SELECT count(*) FROM integration_notes n JOIN dosing_sessions d ON d.id = n.session_id
                               WHERE n.met_at <= d.discharged_at""") == 0
    running = empty_store.execute("""SELECT date_diff('minute', started_at, ?::TIMESTAMP) FROM dosing_sessions
                                     WHERE status = 'in_progress'""", [now]).fetchall()
    assert all(45 <= minutes <= 111 for (minutes,) in running)


def checksums(con):
    """Rows and a hash of every column of every row, per table the demo writes."""
    return {t: q(con, "SELECT count(*), sum(hash(r)) FROM " + t + " r")[0] for t in demo.INSERT_ORDER}  # names above


@pytest.mark.parametrize("clock", [None, datetime.combine(TODAY, time(6, 5))])
def test_a_cohort_built_in_small_chunks_is_the_cohort_built_in_one(tmp_path, monkeypatch, clock):
    """Chunks are a matter of memory only: the same random stream, keys and times, whether the build has a fixed
    date or is live at a clock before clinic hours, so that today's sessions in progress (there are some) and
    everything else must move back."""
    if clock:
        monkeypatch.setattr(demo, "_now", lambda: clock)
    today = None if clock else TODAY
    whole, chunked = db.open_store(tmp_path / "whole.duckdb"), db.open_store(tmp_path / "chunked.duckdb")
    counts = demo.build(whole, 400, 8, today=today)
    assert demo.build(chunked, 400, 8, today=today, chunk=70) == counts
    assert counts["safety_assessments"] and one(chunked, "SELECT count(*) FROM dosing_sessions "
                                                         "WHERE status = 'in_progress'")
    assert checksums(chunked) == checksums(whole)
    assert db.is_demo(chunked) and one(chunked, "SELECT count(*) FROM audit_log WHERE action = 'demo_seeded'") == 1
    if clock:
        assert_nothing_after(chunked, clock)


def assert_nothing_after(con, now):
    for table in demo.INSERT_ORDER:
        for (column,) in q(con, """SELECT column_name FROM duckdb_columns() WHERE table_name = ?
                                   AND data_type = 'TIMESTAMP' AND column_name <> 'scheduled_for'""", [table]):
            latest = one(con, "SELECT max(" + column + ") FROM " + table)  # names from the catalog
            assert latest is None or latest <= now, (table, column)
    assert one(con, """SELECT count(*) FROM dosing_sessions WHERE status = 'in_progress'
                       AND date_diff('minute', started_at, ?::TIMESTAMP) NOT BETWEEN 45 AND 110""", [now]) == 0
    assert one(con, "SELECT count(*) FROM substance_use_days WHERE recorded_at < day + 1") == 0


def test_a_build_that_stops_part_way_never_passes_for_a_finished_demo(empty_store, monkeypatch):
    """Chunks commit one by one; only the last marks the database as a demo and writes the demo_seeded audit row."""
    real_patient, made = demo._patient, []

    def patient_until_the_disk_fills(*args):
        if len(made) == 150:
            raise RuntimeError("disk full")
        made.append(real_patient(*args))

    monkeypatch.setattr(demo, "_patient", patient_until_the_disk_fills)
    with pytest.raises(RuntimeError):
        demo.build(empty_store, 300, 8, today=TODAY, chunk=100)
    assert one(empty_store, "SELECT count(*) FROM patients") == 100
    assert not db.is_demo(empty_store)
    assert one(empty_store, "SELECT count(*) FROM audit_log WHERE action = 'demo_seeded'") == 0


def test_a_chunk_holds_at_least_one_patient(empty_store):
    with pytest.raises(ValueError):
        demo.build(empty_store, 10, 1, today=TODAY, chunk=0)


def test_a_build_gives_the_connection_back_with_the_settings_it_had(empty_store):
    """The build runs on one thread under a memory limit; a connection that goes on to serve does not keep them."""
    settings = "SELECT current_setting('threads'), current_setting('memory_limit')"
    before = q(empty_store, settings)
    demo.build(empty_store, 20, 1, today=TODAY)
    assert q(empty_store, settings) == before

    def fails(step, done, total):
        if step == "Adding synthetic patients" and done > 10:
            raise RuntimeError("the listener failed")

    with pytest.raises(RuntimeError):
        demo.build(empty_store, 20, 2, today=TODAY, progress=fails)
    assert q(empty_store, settings) == before
