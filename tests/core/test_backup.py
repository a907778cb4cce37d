"""Backups made from the live store, sealed with a key kept apart from them, kept to the last 14, and restored only
when every file is there and authentic: a changed, truncated, removed, added or swapped file is refused by name."""

import hashlib
import json
import os
import re
import shutil
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core import backup, db
from core.access import AccessDenied, User

ADMIN = User(1, "admin", "Demo Administrator", "admin")
NURSE = User(3, "nurse", "Demo Nurse", "nurse")


def contents(con) -> dict[str, tuple]:
    tables = [t for (t,) in con.execute("SELECT table_name FROM information_schema.tables "
                                        "WHERE table_schema = 'main' ORDER BY 1").fetchall()]
    return {t: con.execute(f'SELECT count(*), sum(hash(COLUMNS(*))) FROM "{t}"').fetchone() for t in tables}


def plain_exports(folder: Path) -> list[Path]:
    """Anything under `folder` that a plain export or a half-made backup leaves behind."""
    return sorted(p for p in folder.rglob("*")
                  if p.suffix in (".parquet", ".sql") or p.name.startswith((".partial-", ".restore-")))


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "backups"


def test_a_backup_restored_into_a_fresh_file_holds_every_row_of_every_table(demo_store, folder, tmp_path):
    made = backup.make(demo_store, folder, ADMIN)
    restored = tmp_path / "restored.duckdb"
    assert backup.main(["restore", str(made), "--db", str(restored)]) == 0
    original = contents(demo_store)
    con = duckdb.connect(str(restored), read_only=True)
    try:
        copy = contents(con)
    finally:
        con.close()
    assert "patients" in original and "audit_log" in original
    assert {t: c for t, c in copy.items() if t != "audit_log"} == {t: c for t, c in original.items()
                                                                    if t != "audit_log"}
    assert copy["audit_log"][0] == original["audit_log"][0] - 1   # all but the row recording the backup itself
    assert oct(restored.stat().st_mode & 0o777) == "0o600" and oct(made.stat().st_mode & 0o777) == "0o700"
    assert plain_exports(tmp_path) == []   # neither the backup nor the restore left a plain copy behind


def test_no_backup_file_holds_a_patients_name_or_the_schema_in_plain_bytes(demo_store, folder):
    made = backup.make(demo_store, folder, ADMIN)
    # Names of six letters or more: sealed bytes are random, and a three-letter name ('Lee') turns up in a few
    # kilobytes of them now and then (it failed two full runs in one afternoon); six random bytes never match.
    names = [n for (n,) in demo_store.execute("SELECT DISTINCT last_name FROM patients UNION "
                                              "SELECT DISTINCT first_name FROM patients").fetchall() if len(n) >= 6]
    assert "Testperson" in names
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert files and all(p.parent == made for p in files)
    for path in files:
        data = path.read_bytes()
        assert [n for n in names if n.encode() in data] == [], path.name
        assert b"CREATE TABLE" not in data and b"PAR1" not in data, path.name


def test_the_key_is_made_on_the_first_backup_beside_the_database_owner_only_and_outside_the_backups(
        demo_store, folder, tmp_path):
    key = tmp_path / "backup.key"
    assert not key.exists()
    backup.make(demo_store, folder, ADMIN)
    assert len(key.read_bytes()) == 32 and oct(key.stat().st_mode & 0o777) == "0o600"
    first = key.read_bytes()
    backup.make(demo_store, folder, ADMIN)
    assert key.read_bytes() == first   # made once, then used


def test_a_key_others_can_read_is_refused_by_name_and_nothing_is_written(demo_store, folder, tmp_path):
    backup.make(demo_store, folder, ADMIN)
    key = tmp_path / "backup.key"
    key.chmod(0o640)
    with pytest.raises(ValueError, match=f"{key}: .*readable by other accounts"):
        backup.make(demo_store, folder, ADMIN)
    assert len(backup.backups(folder)) == 1 and plain_exports(tmp_path) == []
    with pytest.raises(ValueError, match=f"{key}: .*readable by other accounts"):
        backup.restore(backup.backups(folder)[0], tmp_path / "restored.duckdb")
    assert not (tmp_path / "restored.duckdb").exists()


def test_a_key_inside_the_backup_folder_is_refused(demo_store, folder, monkeypatch):
    monkeypatch.setenv("CLINIC_BACKUP_KEY", str(folder / "backup.key"))
    with pytest.raises(ValueError, match="inside the backup folder"):
        backup.make(demo_store, folder, ADMIN)
    assert backup.backups(folder) == []


def test_the_key_file_can_be_named_and_a_backup_restores_only_with_its_own_key(demo_store, folder, tmp_path,
                                                                                monkeypatch, capsys):
    elsewhere = tmp_path / "keys" / "clinic-backup.key"
    elsewhere.parent.mkdir()
    monkeypatch.setenv("CLINIC_BACKUP_KEY", str(elsewhere))
    made = backup.make(demo_store, folder, ADMIN)
    assert elsewhere.exists() and not (tmp_path / "backup.key").exists()
    monkeypatch.delenv("CLINIC_BACKUP_KEY")
    target = tmp_path / "restored.duckdb"
    assert backup.main(["restore", str(made), "--db", str(target)]) == 1
    assert f"{tmp_path / 'backup.key'}: there is no backup key there" in capsys.readouterr().err
    other = tmp_path / "other.key"
    other.write_bytes(AESGCM.generate_key(bit_length=256))
    assert backup.main(["restore", str(made), "--db", str(target), "--key", str(other)]) == 1
    assert f"{made / backup.MANIFEST}: cannot be opened with the key {other}" in capsys.readouterr().err
    assert not target.exists()
    assert backup.main(["restore", str(made), "--db", str(target), "--key", str(elsewhere)]) == 0


def sealed(made: Path, table: str) -> Path:
    return made / f"{table}.parquet{backup.SEALED}"


def flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1
    path.write_bytes(bytes(data))


def forge_with_another_key(made: Path) -> None:
    """What recomputing the checksums would be: every file decrypted is impossible without the key, so an attacker
    seals their own patients file and a manifest listing it, with a key of their own."""
    key = AESGCM.generate_key(bit_length=256)
    (made / "patients.parquet.sealed").write_bytes(b"\0" * 12 + AESGCM(key).encrypt(b"\0" * 12, b"forged", None))
    manifest = json.dumps({"id": "forged", "files": {"patients.parquet": 6}}).encode()
    (made / backup.MANIFEST).write_bytes(b"\1" * 12 + AESGCM(key).encrypt(b"\1" * 12, manifest, None))


def swap_in_from_another_backup(made: Path) -> None:
    """A file of the same name, sealed with the same key, from another backup (of another day)."""
    other = min(p for p in made.parent.iterdir() if p.is_dir() and p != made)
    shutil.copy(sealed(other, "patients"), sealed(made, "patients"))


def swap_two_files(made: Path) -> None:
    patients, users = sealed(made, "patients"), sealed(made, "users")
    patients.rename(made / "swap")
    users.rename(patients)
    (made / "swap").rename(users)


def legacy_plain_backup_with_recomputed_checksums(made: Path) -> None:
    """A backup as the app wrote them before they were sealed (plain Parquet and SHA256SUMS), changed and its
    checksum file recomputed: nothing in it can be authenticated, so it is refused."""
    for path in made.iterdir():
        path.unlink()
    con = duckdb.connect()
    con.execute("CREATE TABLE patients (id INTEGER, first_name VARCHAR)")
    con.execute("INSERT INTO patients VALUES (1, 'Forged')")
    con.execute("EXPORT DATABASE '" + str(made) + "' (FORMAT parquet)")
    con.close()
    (made / "SHA256SUMS").write_text("".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n"
                                             for p in sorted(made.iterdir())))


TAMPERING = {
    "changed": (lambda d: flip_a_byte(sealed(d, "patients")), r"patients\.parquet\.sealed: it does not authenticate"),
    "truncated": (lambda d: sealed(d, "patients").write_bytes(sealed(d, "patients").read_bytes()[:-10]),
                  "patients.parquet.sealed: it is 10 bytes shorter than when it was made"),
    "extended": (lambda d: sealed(d, "patients").write_bytes(sealed(d, "patients").read_bytes() + b"x"),
                 "patients.parquet.sealed: it is 1 byte longer than when it was made"),
    "removed": (lambda d: sealed(d, "patients").unlink(), "patients.parquet.sealed: it is missing"),
    "added": (lambda d: (d / "extra.parquet.sealed").write_bytes(b"x"), "extra.parquet.sealed: it is not part of"),
    "manifest removed": (lambda d: (d / backup.MANIFEST).unlink(), "MANIFEST.sealed: it is missing"),
    "manifest changed": (lambda d: flip_a_byte(d / backup.MANIFEST), "MANIFEST.sealed: cannot be opened"),
    "checksums recomputed": (forge_with_another_key, "MANIFEST.sealed: cannot be opened"),
    "swapped from another backup": (swap_in_from_another_backup, "patients.parquet.sealed: it does not authenticate"),
    "two files swapped": (swap_two_files,
                          r"(patients|users)\.parquet\.sealed: it (does not authenticate|is \d+ bytes)"),
    "plain, checksums recomputed": (legacy_plain_backup_with_recomputed_checksums,
                                    "MANIFEST.sealed: it is missing"),
}


@pytest.mark.parametrize("case", TAMPERING)
def test_a_tampered_or_incomplete_backup_is_refused_naming_the_file_and_nothing_is_restored(
        demo_store, folder, tmp_path, capsys, case):
    damage, words = TAMPERING[case]
    backup.make(demo_store, folder, ADMIN, now=datetime(2026, 11, 1, 2, 0))
    made = backup.make(demo_store, folder, ADMIN, now=datetime(2026, 11, 2, 2, 0))
    damage(made)
    target = tmp_path / "restored.duckdb"
    assert backup.main(["restore", str(made), "--db", str(target)]) == 1
    err = capsys.readouterr().err
    assert re.search(words, err) and str(made) in err
    assert not target.exists() and not Path(str(target) + ".wal").exists()
    assert not list(tmp_path.glob(".restore-*"))
    with pytest.raises(ValueError, match=re.escape(str(made))):
        backup.check(made)


def test_two_backups_in_the_same_second_both_succeed_with_distinct_names(demo_store, folder):
    moment = datetime(2026, 11, 1, 2, 0, 0, 500)
    first = backup.make(demo_store, folder, ADMIN, now=moment)
    second = backup.make(demo_store, folder, ADMIN, now=moment)
    third = backup.make(demo_store, folder, ADMIN)
    fourth = backup.make(demo_store, folder, ADMIN)
    assert len({first, second, third, fourth}) == 4
    assert [p.name for p in backup.backups(folder)][2:] == [second.name, first.name]
    for made in (first, second, third, fourth):
        backup.check(made)
    assert not list(folder.glob(".partial-*"))


def test_backups_started_together_from_two_threads_both_finish(demo_store, folder):
    """The daily backup and an administrator's click can land in the same moment."""
    made, failed = [], []

    def one() -> None:
        try:
            made.append(backup.make(demo_store, folder, None, now=datetime(2026, 11, 1, 2, 0)))
        except Exception as e:  # noqa: BLE001 - collected for the assertion below
            failed.append(e)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failed == [] and len(set(made)) == 2 and len(backup.backups(folder)) == 2


def test_a_backup_that_fails_half_way_leaves_no_partial_copy_and_no_plain_parquet(demo_store, folder, tmp_path,
                                                                                  monkeypatch):
    real_read = db.read

    @contextmanager
    def export_then_fail(con):
        with real_read(con) as cur:
            class Failing:
                def execute(self, sql, *args):
                    cur.execute(sql, *args)
                    if sql.startswith("EXPORT DATABASE"):
                        raise duckdb.IOException("No space left on device")
                    return cur

            yield Failing()

    monkeypatch.setattr(db, "read", export_then_fail)
    with pytest.raises(duckdb.IOException):
        backup.make(demo_store, folder, ADMIN)
    assert plain_exports(tmp_path) == [] and backup.backups(folder) == []
    assert demo_store.execute("SELECT count(*) FROM audit_log WHERE action = 'backup_made'").fetchone() == (0,)


def test_a_backup_that_fails_while_sealing_leaves_nothing_behind(demo_store, folder, tmp_path, monkeypatch):
    real_seal, calls = backup._seal, []

    def seal_then_fail(*args):
        calls.append(args)
        if len(calls) == 3:
            raise OSError("No space left on device")
        return real_seal(*args)

    monkeypatch.setattr(backup, "_seal", seal_then_fail)
    with pytest.raises(OSError):
        backup.make(demo_store, folder, ADMIN)
    assert plain_exports(tmp_path) == [] and backup.backups(folder) == []


def test_what_a_killed_backup_left_is_removed_by_the_next(demo_store, folder, tmp_path):
    leftover = folder / ".partial-killed" / "export"
    leftover.mkdir(parents=True)
    (leftover / "patients.parquet").write_bytes(b"every patient")
    backup.make(demo_store, folder, ADMIN)
    assert plain_exports(tmp_path) == [] and len(backup.backups(folder)) == 1


def test_only_an_administrator_backs_up_and_it_is_audited(demo_store, folder):
    with pytest.raises(AccessDenied):
        backup.make(demo_store, folder, NURSE)
    backup.make(demo_store, folder, None)  # the app's own daily backup
    (detail,) = demo_store.execute("SELECT detail FROM audit_log WHERE action = 'backup_made'").fetchone()
    assert '"automatic": true' in detail


def test_the_last_14_are_kept_and_the_daily_one_is_due_after_a_day(demo_store, folder):
    start = datetime(2026, 11, 1, 2, 0)
    assert backup.due(folder, start)
    for day in range(16):
        backup.make(demo_store, folder, ADMIN, now=start + timedelta(days=day))
    kept = backup.backups(folder)
    assert len(kept) == 14 and kept[0].name == "20261116-020000-000000" and kept[-1].name == "20261103-020000-000000"
    assert not backup.due(folder, start + timedelta(days=15, hours=23))
    assert backup.due(folder, start + timedelta(days=16))


def test_plain_backups_from_before_sealing_are_listed_and_age_out(demo_store, folder):
    legacy = folder / "20261031-020000"
    legacy.mkdir(parents=True)
    (legacy / "patients.parquet").write_bytes(b"plain")
    (legacy / "SHA256SUMS").write_text("")
    start = datetime(2026, 11, 1, 2, 0)
    backup.make(demo_store, folder, ADMIN, now=start)
    assert [p.name for p in backup.backups(folder)] == ["20261101-020000-000000", "20261031-020000"]
    assert not backup.sealed(legacy) and backup.sealed(backup.backups(folder)[0])
    for day in range(1, 14):
        backup.make(demo_store, folder, ADMIN, now=start + timedelta(days=day))
    assert not legacy.exists() and len(backup.backups(folder)) == 14


def test_a_restore_never_overwrites_a_file(demo_store, folder, tmp_path, capsys):
    made = backup.make(demo_store, folder, ADMIN)
    existing = tmp_path / "clinic.duckdb.copy"
    existing.write_bytes(b"precious")
    assert backup.main(["restore", str(made), "--db", str(existing)]) == 1
    assert "already exists" in capsys.readouterr().err and existing.read_bytes() == b"precious"


@pytest.fixture
def daily(demo_store, folder, monkeypatch):
    """The app's daily backup thread, looking every 0.05 s; stopped before the store closes."""
    monkeypatch.setattr(backup, "LOOK_EVERY_SECONDS", 0.05)
    running = []
    yield lambda: running.append(backup.start_daily(demo_store, folder))
    for thread in running:
        thread.stop()


def test_a_stopped_daily_backup_has_let_go_of_the_store(demo_db, folder, monkeypatch):
    """Closing the store while the thread was in a backup's call refused ("connection is busy"): stop() waits."""
    monkeypatch.setattr(backup, "LOOK_EVERY_SECONDS", 0.05)
    con = db.open_store(demo_db)
    running = backup.start_daily(con, folder)
    for _ in range(200):
        if backup.backups(folder):
            break
        time.sleep(0.05)
    running.stop()
    assert not running.thread.is_alive()
    con.close()


def test_the_app_makes_the_days_backup_by_itself(daily, folder):
    daily()
    for _ in range(200):
        if backup.backups(folder):
            break
        time.sleep(0.05)
    made = backup.backups(folder)
    assert len(made) == 1 and backup.check(made[0]) is None
    time.sleep(0.3)
    assert len(backup.backups(folder)) == 1   # looked again, and one a day is enough


def test_the_daily_backup_logs_a_refused_key_and_keeps_looking(daily, demo_store, folder, tmp_path, caplog):
    key = tmp_path / "backup.key"
    key.write_bytes(os.urandom(32))
    key.chmod(0o644)
    daily()
    for _ in range(200):
        if "readable by other accounts" in caplog.text:
            break
        time.sleep(0.05)
    assert "Daily backup failed" in caplog.text and backup.backups(folder) == []
    key.chmod(0o600)
    audited = "SELECT count(*) FROM audit_log WHERE action = 'backup_made'"
    for _ in range(200):  # the folder appears before its audit row: wait for both, or closing the store races it
        if backup.backups(folder) and demo_store.cursor().execute(audited).fetchone()[0]:
            break
        time.sleep(0.05)
    assert len(backup.backups(folder)) == 1
