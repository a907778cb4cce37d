import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from core import audit, audit_chain, db, drafts, schema, users
from core.access import User
from core.rules import vitals


def schema_snapshot(con):
    return con.execute(
        "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns ORDER BY ALL"
    ).fetchall()


def test_migrations_on_a_fresh_file_create_every_table(tmp_path):
    con = db.open_store(tmp_path / "new.duckdb")
    tables = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"users", "patients", "screenings", "approvals", "assessments", "dosing_sessions", "session_vitals",
            "adverse_events", "substance_use_days", "clinic_settings", "audit_log", "schema_migrations", "drafts",
            "safety_followups", "safety_assessments"} <= tables
    applied = [row[0] for row in con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()]
    assert applied == [version for version, _, _ in schema.MIGRATIONS]


def test_second_start_changes_nothing(tmp_path):
    path = tmp_path / "again.duckdb"
    con = db.open_store(path)
    before = schema_snapshot(con), con.execute("SELECT * FROM schema_migrations").fetchall()
    con.close()
    con = duckdb.connect(str(path))
    assert schema.migrate(con) == []
    assert (schema_snapshot(con), con.execute("SELECT * FROM schema_migrations").fetchall()) == before


def test_a_failing_migration_leaves_nothing_behind(tmp_path, monkeypatch):
    con = db.open_store(tmp_path / "m.duckdb")
    latest = schema.MIGRATIONS[-1][0]
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, (latest + 1, "broken", [
        "CREATE TABLE half_done (x INTEGER)", "THIS IS NOT SQL"])])
    with pytest.raises(duckdb.Error):
        schema.migrate(con)
    leftover = "SELECT count(*) FROM information_schema.tables WHERE table_name = 'half_done'"
    assert con.execute(leftover).fetchone() == (0,)
    assert con.execute("SELECT max(version) FROM schema_migrations").fetchone() == (latest,)


def test_urgent_screenings_saved_before_follow_ups_existed_get_one(demo_template, tmp_path, monkeypatch):
    """A database at version 1 holds urgent screenings with no follow-up table: migration 2 opens one for each."""
    with monkeypatch.context() as m:
        m.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1])
        con = db.open_store(tmp_path / "old.duckdb")
    con.execute("ATTACH '" + str(demo_template) + "' AS demo (READ_ONLY)")  # a test path, not user input
    for table in ("users", "patients", "screenings"):
        con.execute("INSERT INTO " + table + " SELECT * FROM demo.main." + table)
    urgent = con.execute("SELECT count(*) FROM screenings WHERE urgent").fetchone()[0]
    assert schema.migrate(con) == [version for version, _name, _statements in schema.MIGRATIONS[1:]]
    assert urgent > 0
    assert con.execute("SELECT count(*) FROM safety_followups").fetchone()[0] == urgent


VITALS_INSERT = ("INSERT INTO session_vitals (session_id, taken_at, phase, systolic_bp, diastolic_bp, heart_rate, "
                 "spo2, respiratory_rate) VALUES (?, now()::TIMESTAMP, 'pre', ?, ?, ?, ?, ?)")


@pytest.mark.parametrize("field", ["systolic_bp", "diastolic_bp", "heart_rate", "spo2", "respiratory_rate"])
def test_check_constraints_match_the_plausibility_limits(demo_store, field):
    session_id = demo_store.execute("SELECT min(id) FROM dosing_sessions").fetchone()[0]
    low, high = vitals.PLAUSIBLE[field]
    normal = {"systolic_bp": 120, "diastolic_bp": 70, "heart_rate": 70, "spo2": 98, "respiratory_rate": 14}
    if field == "diastolic_bp":
        normal["systolic_bp"] = 300
    if field == "systolic_bp":
        normal["diastolic_bp"] = 30

    def insert(value):
        row = {**normal, field: value}
        demo_store.execute(VITALS_INSERT, [session_id, *row.values()])

    insert(low)
    insert(high)
    for bad in (low - 1, high + 1):
        with pytest.raises(duckdb.ConstraintException):
            insert(bad)


def test_weight_check_matches_plausibility_limit():
    low, high = vitals.PLAUSIBLE["weight_kg"]
    ddl = next(s for s in schema.MIGRATIONS[0][2] if "CREATE TABLE dosing_sessions" in s)
    assert f"weight_kg BETWEEN {low} AND {high}" in ddl


def test_transaction_rolls_back_the_write_and_its_audit_row(empty_store):
    with pytest.raises(RuntimeError), db.transaction(empty_store) as cur:
        cur.execute("INSERT INTO database_info VALUES ('x', 'y')")
        db.audit(cur, None, "test_write")
        raise RuntimeError("boom")
    assert empty_store.execute("SELECT count(*) FROM database_info").fetchone() == (0,)
    assert empty_store.execute("SELECT count(*) FROM audit_log").fetchone() == (0,)


def test_a_folder_is_refused_with_the_path_named(tmp_path):
    with pytest.raises(db.StoreError, match=f"{tmp_path}.*folder"):
        db.open_store(tmp_path)


def test_a_missing_folder_is_refused_with_the_path_named(tmp_path):
    with pytest.raises(db.StoreError, match="does not exist"):
        db.open_store(tmp_path / "nowhere" / "clinic.duckdb")


def test_a_file_locked_by_another_process_is_refused_in_plain_words(tmp_path):
    path = tmp_path / "locked.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(path)!r})
            print("ready", flush=True)
            sys.stdin.read()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(db.StoreError, match=f"{path}.*locked by another process"):
            db.open_store(path)
    finally:
        holder.communicate("", timeout=10)


def test_schema_check_lists_match_the_core_rules():
    """Migrations keep their lists written out (applied history never changes); this keeps them in step."""
    from core.rules import dosing, eligibility, instruments

    assert schema.ROUTES == tuple(dosing.ROUTES)
    assert schema.DISSOCIATION == dosing.DISSOCIATION
    assert set(schema.INSTRUMENT_IDS) == set(instruments.INSTRUMENTS)
    assert set(eligibility.SEX) == {"male", "female"}  # the patients.sex CHECK


def test_rebuilding_drafts_for_a_new_kind_keeps_the_drafts_already_there(tmp_path, monkeypatch):
    """Rows written by the code of migration 3's day (plain SQL here: today's code writes today's schema)."""
    with monkeypatch.context() as m:
        m.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:3])
        con = db.open_store(tmp_path / "old.duckdb")
    con.execute("INSERT INTO users (username, display_name, role, password_hash, created_at) "
                "VALUES ('sam', 'Sam Nurse', 'nurse', ?, now())", [users.hash_password("another long password")])
    con.execute("""INSERT INTO drafts (user_id, kind, content, started_at, updated_at)
                   VALUES (1, 'screening', '{"first_name": "Kept"}', now(), now())""")
    con.execute("INSERT INTO audit_log (actor_id, action, entity, entity_id) VALUES (1, 'draft_created', 'draft', 1)")
    sam = User(1, "sam", "Sam Nurse", "nurse")
    assert schema.migrate(con) == [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    assert [d.content for d in drafts.mine(con, sam, "screening") if d.id == 1] == [{"first_name": "Kept"}]
    assert drafts.save(con, sam, "dosing", {"systolic_bp": 128}) > 1
    report = audit.check(con.cursor(), audit_chain.anchor_of(con), audit_chain.anchor_of(con).read_head(), None)
    assert (report.rows, report.problems) == (2, [])   # the old row keyed into the chain, the new one follows it


def test_a_new_database_is_built_aside_and_renamed_into_place(tmp_path, monkeypatch):
    """Until the rename nothing exists at the database's path, and afterwards nothing is left beside it."""
    path = tmp_path / "clinic.duckdb"
    seen = []
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, (99, "look around", [
        lambda cur: seen.append(sorted(p.name for p in tmp_path.iterdir()))])])
    db.open_store(path).close()
    assert seen == [["audit.key", "clinic.duckdb.audit-head", "clinic.duckdb.building", "clinic.duckdb.building.wal"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.key", "clinic.duckdb", "clinic.duckdb.audit-head"]


def test_a_build_that_fails_leaves_no_file_and_the_next_start_builds_again(tmp_path):
    path = tmp_path / "clinic.duckdb"

    def fails(con):
        con.execute("INSERT INTO database_info VALUES ('half', 'done')")
        raise RuntimeError("the demo could not be built")

    with pytest.raises(RuntimeError):
        db.open_store(path, fill=fails)
    assert list(tmp_path.iterdir()) == [tmp_path / "audit.key"]   # the folder's audit key stays, for the next build
    con = db.open_store(path)
    assert con.execute("SELECT count(*) FROM database_info").fetchone() == (0,)
    con.close()


def test_what_a_killed_build_left_is_removed_by_the_next_start(tmp_path):
    path = tmp_path / "clinic.duckdb"
    building = db.building_path(path)
    building.write_bytes(b"the first bytes of a header")
    Path(str(building) + ".wal").write_bytes(b"a log cut short")
    db.open_store(path).close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.key", "clinic.duckdb", "clinic.duckdb.audit-head"]


def test_a_build_under_way_in_another_process_is_refused_not_undone(tmp_path):
    path = tmp_path / "clinic.duckdb"
    building = db.building_path(path)
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys
            con = duckdb.connect({str(building)!r})
            print("ready", flush=True)
            sys.stdin.read()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(db.StoreError, match=f"{path}: another process is creating it"):
            db.open_store(path)
        assert building.exists() and not path.exists()
    finally:
        holder.communicate("", timeout=10)
