"""Backups made from the live store, kept to the last 14, and restored only when every checksum matches."""

import time
from datetime import datetime, timedelta

import duckdb
import pytest

from core import backup
from core.access import AccessDenied, User

ADMIN = User(1, "admin", "Demo Administrator", "admin")
NURSE = User(3, "nurse", "Demo Nurse", "nurse")


def contents(con) -> dict[str, tuple]:
    tables = [t for (t,) in con.execute("SELECT table_name FROM information_schema.tables "
                                        "WHERE table_schema = 'main' ORDER BY 1").fetchall()]
    return {t: con.execute(f'SELECT count(*), sum(hash(COLUMNS(*))) FROM "{t}"').fetchone() for t in tables}


def test_a_backup_restored_into_a_fresh_file_holds_every_row_of_every_table(demo_store, tmp_path):
    made = backup.make(demo_store, tmp_path / "backups", ADMIN)
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


def test_only_an_administrator_backs_up_and_it_is_audited(demo_store, tmp_path):
    with pytest.raises(AccessDenied):
        backup.make(demo_store, tmp_path, NURSE)
    backup.make(demo_store, tmp_path, None)  # the app's own daily backup
    (detail,) = demo_store.execute("SELECT detail FROM audit_log WHERE action = 'backup_made'").fetchone()
    assert '"automatic": true' in detail


def test_the_last_14_are_kept_and_the_daily_one_is_due_after_a_day(demo_store, tmp_path):
    start = datetime(2026, 11, 1, 2, 0)
    assert backup.due(tmp_path, start)
    for day in range(16):
        backup.make(demo_store, tmp_path, ADMIN, now=start + timedelta(days=day))
    kept = backup.backups(tmp_path)
    assert len(kept) == 14 and kept[0].name == "20261116-020000" and kept[-1].name == "20261103-020000"
    assert not backup.due(tmp_path, start + timedelta(days=15, hours=23))
    assert backup.due(tmp_path, start + timedelta(days=16))


@pytest.mark.parametrize(("damage", "words"), [
    (lambda d: (d / "patients.parquet").write_bytes(b"not parquet"), "patients.parquet: its checksum does not match"),
    (lambda d: (d / "patients.parquet").unlink(), "patients.parquet: listed in SHA256SUMS but missing"),
    (lambda d: (d / backup.CHECKSUMS).unlink(), "SHA256SUMS: the checksum file is missing"),
    (lambda d: (d / "extra.parquet").write_bytes(b"x"), "extra.parquet: not listed"),
])
def test_a_damaged_or_incomplete_backup_is_refused_with_the_file_named(demo_store, tmp_path, capsys, damage, words):
    made = backup.make(demo_store, tmp_path / "backups", ADMIN)
    damage(made)
    target = tmp_path / "restored.duckdb"
    assert backup.main(["restore", str(made), "--db", str(target)]) == 1
    assert words in capsys.readouterr().err
    assert not target.exists()


def test_a_restore_never_overwrites_a_file(demo_store, tmp_path, capsys):
    made = backup.make(demo_store, tmp_path / "backups", ADMIN)
    existing = tmp_path / "clinic.duckdb"
    existing.write_bytes(b"precious")
    assert backup.main(["restore", str(made), "--db", str(existing)]) == 1
    assert "already exists" in capsys.readouterr().err and existing.read_bytes() == b"precious"


def test_the_app_makes_the_days_backup_by_itself(demo_store, tmp_path, monkeypatch):
    monkeypatch.setattr(backup, "LOOK_EVERY_SECONDS", 0.05)
    backup.start_daily(demo_store, tmp_path)
    for _ in range(200):
        if backup.backups(tmp_path):
            break
        time.sleep(0.05)
    made = backup.backups(tmp_path)
    assert len(made) == 1 and backup.check(made[0]) is None
    time.sleep(0.3)
    assert len(backup.backups(tmp_path)) == 1   # looked again, and one a day is enough
