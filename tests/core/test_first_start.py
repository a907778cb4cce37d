"""The first start tells a plain progress callback how far it is, and listening changes nothing in the database."""

from itertools import groupby, pairwise

import pytest

from core import db, demo, first_start, progress, schema
from tests.core.test_demo import TODAY, checksums, one


def heard_by_step(calls):
    """[(step, [done, ...], {totals})] in the order the steps were heard, a run of calls per entry."""
    return [(step, [done for _, done, _ in run], {total for *_, total in run})
            for step, run in ((step, list(run)) for step, run in groupby(calls, key=lambda call: call[0]))]


def assert_counts_rise_to_the_total(steps):
    for step, counts, totals in steps:
        (total,) = totals
        assert counts[0] == 0 and counts[-1] == total, step
        assert all(a < b for a, b in pairwise(counts)), step  # rising, each count said once


def test_a_demo_build_says_each_step_with_rising_counts_ending_at_the_total(empty_store):
    calls = []
    demo.build(empty_store, 300, 8, today=TODAY, progress=lambda *call: calls.append(call))
    steps = heard_by_step(calls)
    assert [step for step, *_ in steps] == ["Creating the demo accounts", "Adding synthetic patients",
                                            "Saving the synthetic patients"]
    assert [totals for *_, totals in steps] == [{5}, {300}, {300}]
    assert_counts_rise_to_the_total(steps)
    assert 50 <= len(steps[1][1]) <= progress.REPORTS_PER_STEP + 1  # often enough for a bar, never per row in bulk


def test_a_database_built_with_progress_is_the_one_built_without(tmp_path):
    quiet, watched = db.open_store(tmp_path / "quiet.duckdb"), db.open_store(tmp_path / "watched.duckdb")
    counts = demo.build(quiet, 400, 8, today=TODAY)
    assert demo.build(watched, 400, 8, today=TODAY, chunk=150, progress=lambda *call: None) == counts
    assert checksums(watched) == checksums(quiet)
    assert one(watched, "SELECT count(*) FROM users") == one(quiet, "SELECT count(*) FROM users") == 5
    assert db.is_demo(watched)


def test_a_build_in_chunks_counts_patients_across_chunks(empty_store):
    calls = []
    demo.build(empty_store, 250, 8, today=TODAY, chunk=100, progress=lambda *call: calls.append(call))
    added = [done for step, done, _ in calls if step == "Adding synthetic patients"]
    saved = [done for step, done, _ in calls if step == "Saving the synthetic patients"]
    assert added[0] == 0 and added[-1] == 250 and added == sorted(set(added))
    assert saved == [0, 100, 200, 250]  # said as each chunk's transaction commits


def test_migrations_say_how_many_are_applied_and_an_up_to_date_file_says_nothing(tmp_path):
    calls = []
    db.open_store(tmp_path / "new.duckdb", progress=lambda *call: calls.append(call)).close()
    steps = heard_by_step(calls)
    assert [step for step, *_ in steps] == ["Creating the database"]
    assert steps[0][2] == {len(schema.MIGRATIONS)}
    assert_counts_rise_to_the_total(steps)
    again = []
    db.open_store(tmp_path / "new.duckdb", progress=lambda *call: again.append(call)).close()
    assert again == []


def test_a_failing_callback_stops_the_build_and_leaves_no_demo(empty_store):
    def full(step, done, total):
        if step == "Adding synthetic patients" and done > 100:
            raise RuntimeError("the listener failed")

    with pytest.raises(RuntimeError):
        demo.build(empty_store, 300, 8, today=TODAY, progress=full)
    assert one(empty_store, "SELECT count(*) FROM patients") == 0 and not db.is_demo(empty_store)


def test_step_reports_rise_once_each_and_end_at_the_total():
    for total, advances in ((1, [1]), (7, [1] * 7), (250, [1] * 250), (100_000, [2_000] * 50), (10, [3, 3, 3, 1])):
        calls = []
        step = progress.Step(lambda *call, heard=calls: heard.append(call), "Counting", total)
        for count in advances:
            step.advance(count)
        counts = [done for _, done, _ in calls]
        assert counts[0] == 0 and counts[-1] == total
        assert all(a < b for a, b in pairwise(counts))
        assert len(counts) <= progress.REPORTS_PER_STEP + 2


def test_open_clinic_builds_the_demo_only_for_a_new_file(tmp_path, monkeypatch):
    monkeypatch.setenv("CLINIC_DEMO", "1")
    monkeypatch.setattr(first_start, "DEMO_PATIENTS", 40)
    path = tmp_path / "clinic.duckdb"
    assert first_start.builds_demo(path)
    calls = []
    first_start.open_clinic(path, lambda *call: calls.append(call)).close()
    assert [step for step, *_ in heard_by_step(calls)] == ["Creating the database", "Creating the demo accounts",
                                                          "Adding synthetic patients", "Saving the synthetic patients"]
    assert not first_start.builds_demo(path)
    again = []
    con = first_start.open_clinic(path, lambda *call: again.append(call))
    assert again == [] and one(con, "SELECT count(*) FROM patients") == 40
    con.close()
    monkeypatch.setenv("CLINIC_DEMO", "0")
    assert not first_start.builds_demo(tmp_path / "real.duckdb")


def test_the_command_line_prepares_the_database_before_the_app_starts(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CLINIC_DEMO", "1")
    monkeypatch.setattr(first_start, "DEMO_PATIENTS", 40)
    path = tmp_path / "clinic.duckdb"
    assert first_start.main(["--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Adding synthetic patients: 40 of 40" in out and f"The clinic database {path} is ready" in out
    con = db.open_store(path)
    assert db.is_demo(con) and one(con, "SELECT count(*) FROM audit_log WHERE action = 'demo_seeded'") == 1
    con.close()
    assert first_start.main(["--db", str(tmp_path / "nowhere" / "clinic.duckdb")]) == 1
    assert "Cannot open the clinic database" in capsys.readouterr().err


def test_a_first_start_that_fails_while_seeding_leaves_no_file_and_the_next_one_seeds(tmp_path, monkeypatch):
    """The file with no accounts that a failed or killed seeding used to leave was never seeded afterwards."""
    monkeypatch.setenv("CLINIC_DEMO", "1")
    monkeypatch.setattr(first_start, "DEMO_PATIENTS", 40)
    path = tmp_path / "clinic.duckdb"

    def fails(step, done, total):
        if step == "Adding synthetic patients" and done > 10:
            raise RuntimeError("the listener failed")

    with pytest.raises(RuntimeError):
        first_start.open_clinic(path, fails)
    assert list(tmp_path.iterdir()) == [tmp_path / "audit.key"] and first_start.builds_demo(path)
    con = first_start.open_clinic(path)
    assert db.is_demo(con) and one(con, "SELECT count(*) FROM users") == 5
    con.close()
