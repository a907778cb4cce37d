"""Issue item 3: whoever can write the database file cannot change the audit trail or a signed record unseen.

A store gets a screening, an approval, a dose and an integration note through the core functions, and enough audit
rows to remove fifty; then each tamper kind runs on its own copy (database, key, head), changing the database file
only, with plain DuckDB and the recipes public in the code, and `python -m core.audit verify` must report it."""

import hashlib
import hmac
import subprocess
import sys
from datetime import timedelta

import duckdb
import pytest

from core import audit, drafts, integration_notes, users
from core.audit_chain import plain_hash
from tests.conftest import copy_store
from tests.core.test_checkins import THERAPIST, THERAPIST_PASSWORD
from tests.core.test_dosing_sessions import NOW, NURSE, approved_patient, discharged, started


@pytest.fixture(scope="module")
def worked(demo_template, tmp_path_factory):
    """The demo store after a screening, its approval, a dose and a signed note, and 60 failed sign-ins from six
    addresses (each within the ten a minute one address is allowed); closed."""
    from core import db

    path = copy_store(demo_template, tmp_path_factory.mktemp("worked") / "clinic.duckdb")
    con = db.open_store(path)
    patient = approved_patient(con)
    session = started(con, patient)
    discharged(con, session)
    note = integration_notes.write(con, THERAPIST, patient, session, met_at=NOW + timedelta(days=1),
                                   themes="Shame; family", reflections="Felt calmer", plan="Walk daily",
                                   password=THERAPIST_PASSWORD, now=NOW + timedelta(days=1))
    for attempt in range(60):
        users.authenticate(con, "nobody", "wrong password", source=f"10.0.0.{attempt // 10}")
    ids = {"session": session, "note": note,
           "approval": con.execute("SELECT max(id) FROM approvals").fetchone()[0],
           "rows": con.execute("SELECT count(*) FROM audit_log").fetchone()[0]}
    con.close()
    return path, ids


@pytest.fixture
def copy(worked, tmp_path):
    path, ids = worked
    return copy_store(path, tmp_path / path.name), ids


def verify(path, capsys):
    code = audit.main(["verify", "--db", str(path)])
    return code, capsys.readouterr().out


def tampered(path, *statements, params=()):
    con = duckdb.connect(str(path))
    try:
        for statement in statements:
            con.execute(statement, list(params) if "?" in statement else [])
    finally:
        con.close()


def audit_rows(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT id, occurred_at, actor_id, action, entity, entity_id, detail, prev_hash, row_hash "
                           "FROM audit_log ORDER BY id").fetchall()
    finally:
        con.close()


def rechain(path, from_id, recipe):
    """Recompute every row's hashes from `from_id` on with `recipe`, as someone who read the code would."""
    rows = audit_rows(path)
    previous = next((r[8] for r in reversed(rows) if r[0] < from_id), "")
    con = duckdb.connect(str(path))
    try:
        for row in rows:
            if row[0] >= from_id:
                digest = recipe(previous, *row[:7])
                con.execute("UPDATE audit_log SET prev_hash = ?, row_hash = ? WHERE id = ?", [previous, digest, row[0]])
                previous = digest
    finally:
        con.close()


def guessed_key(previous, *row):
    """An HMAC under a key someone guessed: all zero bytes."""
    return hmac.new(bytes(32), plain_hash(previous, *row).encode(), hashlib.sha256).hexdigest()


def append_row(path, recipe):
    last = audit_rows(path)[-1]
    row = (last[0] + 1, last[1] + timedelta(seconds=1), 1, "sign_in", "user", 1, "{}")
    tampered(path, "INSERT INTO audit_log (id, occurred_at, actor_id, action, entity, entity_id, detail, prev_hash, "
                   "row_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", params=[*row, last[8], recipe(last[8], *row)])


def middle(path):
    return audit_rows(path)[len(audit_rows(path)) // 2][0]


def newest(path, n=1):
    return audit_rows(path)[-n][0]


TAMPERS = {
    "middle row edited": (lambda p, ids: tampered(p, "UPDATE audit_log SET detail = '{\"reason\": \"user\"}' "
                                                     "WHERE id = ?", params=[middle(p)]),
                          "its content does not match its keyed hash"),
    "middle row deleted": (lambda p, ids: tampered(p, "DELETE FROM audit_log WHERE id = ?", params=[middle(p)]),
                           "a row between them was removed"),
    "newest row deleted": (lambda p, ids: tampered(p, "DELETE FROM audit_log WHERE id = ?", params=[newest(p)]),
                           "The newest audit rows are missing"),
    "newest 50 deleted": (lambda p, ids: tampered(p, "DELETE FROM audit_log WHERE id >= ?", params=[newest(p, 50)]),
                          "(50 rows missing"),
    "all rows deleted": (lambda p, ids: tampered(p, "DELETE FROM audit_log"), "no row at all"),
    "row appended with the public recipe": (lambda p, ids: append_row(p, plain_hash), "with the public recipe"),
    "row appended under a guessed key": (lambda p, ids: append_row(p, guessed_key),
                                         "its content does not match its keyed hash"),
    "row deleted, chain recomputed with the public recipe": (
        lambda p, ids: (tampered(p, "DELETE FROM audit_log WHERE id = ?", params=[middle(p)]),
                        rechain(p, middle(p), plain_hash)),
        "with the public recipe"),
    "row deleted, chain recomputed under a guessed key": (
        lambda p, ids: (tampered(p, "DELETE FROM audit_log WHERE id = ?", params=[middle(p)]),
                        rechain(p, middle(p), guessed_key)),
        "its content does not match its keyed hash"),
    "audit detail edited and re-hashed": (
        lambda p, ids: (tampered(p, "UPDATE audit_log SET detail = replace(detail, 'approved', 'declined') "
                                    "WHERE action = 'screening_approved'"),
                        rechain(p, 1, plain_hash)),
        "with the public recipe"),
    "a dose changed": (lambda p, ids: tampered(p, "UPDATE dosing_sessions SET dose_mg = 70, mg_per_kg = 1.0 "
                                                  "WHERE id = ?", params=[ids["session"]]),
                       "the dose record changed after it was recorded"),
    "a dose given changed": (lambda p, ids: tampered(p, "UPDATE doses_given SET mg = 20, mg_per_kg = 0.2857 "
                                                        "WHERE id = ?", params=[ids["session"]]),
                             "the dose given changed after it was recorded"),
    "a decision changed": (lambda p, ids: tampered(p, "UPDATE approvals SET decision = 'declined' WHERE id = ?",
                                                   params=[ids["approval"]]),
                           "the prescriber's decision changed after it was signed"),
    "a note changed": (lambda p, ids: tampered(p, "UPDATE integration_notes SET plan = 'Nothing planned' "
                                                  "WHERE id = ?", params=[ids["note"]]),
                       "the note changed after it was signed"),
    "a note removed": (lambda p, ids: tampered(p, "DELETE FROM integration_notes WHERE id = ?", params=[ids["note"]]),
                       "the record is missing"),
    "a record inserted with no audit row": (
        lambda p, ids: tampered(p, "INSERT INTO approvals (screening_id, patient_id, prescriber_id, decision, note, "
                                   "signed_at) SELECT id, patient_id, 2, 'approved', 'x', now()::TIMESTAMP "
                                   "FROM screenings ORDER BY id LIMIT 1"),
        "no audit row records it"),
    "a record sealed in bulk (demo) changed": (
        lambda p, ids: tampered(p, "UPDATE dosing_sessions SET dose_mg = dose_mg + 1 WHERE id = 1"),
        "sealed together when they were written in bulk"),
}


def test_an_untouched_store_verifies_clean(copy, capsys):
    code, out = verify(copy[0], capsys)
    assert code == 0 and out.startswith("Audit trail verified:"), out


@pytest.mark.parametrize("kind", TAMPERS)
def test_each_tamper_kind_is_reported(copy, capsys, kind):
    path, ids = copy
    tamper, reported = TAMPERS[kind]
    tamper(path, ids)
    code, out = verify(path, capsys)
    assert code == 1 and out.startswith("Audit trail NOT verified:") and reported in out, out


def test_a_change_still_in_the_write_ahead_log_is_seen(copy, capsys):
    """The change is committed to the log and the writer killed before a checkpoint: verify opens the file itself."""
    path, ids = copy
    script = ("import duckdb, os, sys\n"
              "con = duckdb.connect(sys.argv[1])\n"
              "con.execute('PRAGMA disable_checkpoint_on_shutdown')\n"
              "con.execute('UPDATE dosing_sessions SET dose_mg = 70 WHERE id = ?', [int(sys.argv[2])])\n"
              "os._exit(0)\n")
    subprocess.run([sys.executable, "-c", script, str(path), str(ids["session"])], check=True)
    assert path.with_name(path.name + ".wal").stat().st_size > 0
    code, out = verify(path, capsys)
    assert code == 1 and "the dose record changed after it was recorded" in out



def test_a_store_whose_key_is_missing_is_refused_naming_where_it_belongs(copy):
    from core import db

    path, _ = copy
    (path.parent / "audit.key").unlink()
    with pytest.raises(db.StoreError, match=f"The audit key {path.parent / 'audit.key'} is missing"):
        db.open_store(path)
    assert not (path.parent / "audit.key").exists()   # no new key made in its place


def test_a_start_without_the_head_is_written_into_the_trail_and_reported(copy, capsys):
    from core import db

    path, _ = copy
    (path.parent / "clinic.duckdb.audit-head").unlink()
    db.open_store(path).close()
    code, out = verify(path, capsys)
    assert code == 1 and "the app started and found: The audit head" in out and "was missing" in out


def test_rows_removed_while_the_app_was_stopped_stay_missing_after_it_writes_again(copy, capsys):
    from core import db

    path, _ = copy
    tampered(path, "DELETE FROM audit_log WHERE id >= ?", params=[newest(path, 3)])
    con = db.open_store(path)
    drafts.save(con, NURSE, "screening", {"goal": "written after the rows were removed"})
    con.close()
    code, out = verify(path, capsys)
    assert code == 1 and "3 audit rows are missing" in out and "its newest rows had been removed" in out


def test_an_administrator_verifies_the_live_trail_and_it_is_audited(copy):
    from core import db
    from core.access import AccessDenied
    from tests.core.test_backup import ADMIN

    path, ids = copy
    con = db.open_store(path)
    try:
        with pytest.raises(AccessDenied):
            audit.verify(con, NURSE)
        drafts.save(con, NURSE, "screening", {"goal": "x"})   # in the log only until a checkpoint: read live
        report = audit.verify(con, ADMIN)
        assert report.intact and report.rows == ids["rows"] + 1
        con.execute("UPDATE approvals SET note = 'changed' WHERE id = ?", [ids["approval"]])
        assert audit.verify(con, ADMIN).problems == [
            f"Decision {ids['approval']}: the prescriber's decision changed after it was signed."]
        assert con.execute("SELECT count(*) FROM audit_log WHERE action = 'audit_verified'").fetchone() == (2,)
    finally:
        con.close()


def test_a_restored_backup_beside_the_database_verifies(copy, capsys):
    from core import backup, db
    from tests.core.test_backup import ADMIN

    path, _ = copy
    con = db.open_store(path)
    made = backup.make(con, path.parent / "backups", ADMIN)
    con.close()
    restored = path.parent / "restored.duckdb"
    assert backup.main(["restore", str(made), "--db", str(restored)]) == 0
    code, out = verify(restored, capsys)
    assert code == 0, out
    db.open_store(restored).close()
    assert verify(restored, capsys)[0] == 0


def test_an_unkeyed_chain_is_keyed_once_and_a_broken_one_is_refused(tmp_path, monkeypatch):
    from core import db, schema

    with monkeypatch.context() as m:
        m.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:7])
        con = db.open_store(tmp_path / "old.duckdb")
    for n in range(3):
        previous = con.execute("SELECT coalesce(max_by(row_hash, id), '') FROM audit_log").fetchone()[0]
        row = (n + 1, NOW, 1, "sign_in", "user", 1, "{}")
        con.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [*row, previous, plain_hash(previous, *row)])
    con.close()
    broken = copy_store_plain(tmp_path / "old.duckdb", tmp_path / "broken" / "old.duckdb")
    tampered(broken, "UPDATE audit_log SET actor_id = 2 WHERE id = 2")
    with pytest.raises(db.StoreError, match="broken at row 2"):
        db.open_store(broken)
    db.open_store(tmp_path / "old.duckdb").close()
    assert audit.main(["verify", "--db", str(tmp_path / "old.duckdb")]) == 0


def copy_store_plain(source, target):
    """A database from before the key, copied with its folder's key (made when it was built)."""
    import shutil

    target.parent.mkdir(parents=True)
    shutil.copy(source, target)
    shutil.copy(source.parent / "audit.key", target.parent / "audit.key")
    return target
