"""The audit trail's hash chain: intact after normal work, and `verify` names each row changed, removed or slipped
in (on a copy of the file with its key and head: each tamper kind of issue item 3 is in test_audit_tamper.py)."""

from pathlib import Path

import duckdb
import pytest

from core import audit, users
from tests.conftest import copy_store
from tests.core.test_screening_and_approval import pending_screening


@pytest.fixture
def worked(demo_store, demo_db, tmp_path):
    """A demo database after some ordinary work, closed, and a copy to tamper with."""
    pending_screening(demo_store)
    users.authenticate(demo_store, "nurse", "wrong password")
    demo_store.close()
    return copy_store(demo_db, tmp_path / "copy" / "clinic.duckdb")


def verify(path, capsys):
    code = audit.main(["verify", "--db", str(path)])
    return code, capsys.readouterr().out


def tamper(path, sql):
    con = duckdb.connect(str(path))
    try:
        con.execute(sql)
    finally:
        con.close()


def test_an_untouched_trail_is_intact(worked, capsys):
    code, out = verify(worked, capsys)
    assert code == 0 and out.startswith("Audit trail verified:")


@pytest.mark.parametrize(("sql", "broken"), [
    ("UPDATE audit_log SET detail = '{\"reason\": \"user\"}' WHERE id = 3", 3),
    ("UPDATE audit_log SET actor_id = 9 WHERE id = 2", 2),
    ("DELETE FROM audit_log WHERE id = 2", 3),
    (("INSERT INTO audit_log (id, occurred_at, action, prev_hash, row_hash) SELECT 999999, now(), 'sign_in', "
     "row_hash, 'forged' FROM audit_log ORDER BY id DESC LIMIT 1"), 999999),
])
def test_verify_names_the_row_changed_removed_or_inserted(worked, capsys, sql, broken):
    tamper(worked, sql)
    code, out = verify(worked, capsys)
    assert code == 1 and f"Audit row {broken}:" in out


def test_a_file_that_cannot_be_opened_is_named(tmp_path, capsys):
    code = audit.main(["verify", "--db", str(tmp_path / "missing" / "x.duckdb")])
    assert code == 2 and "Cannot open" in capsys.readouterr().err


def test_nothing_in_the_app_updates_or_deletes_an_audit_row():
    root = Path(__file__).parents[2]
    code = {p: p.read_text() for folder in ("core", "ui", "pages") for p in (root / folder).rglob("*.py")}
    code[root / "app.py"] = (root / "app.py").read_text()
    writers = [str(p.relative_to(root)) for p, text in code.items()
               if any(w in text.upper() for w in ("UPDATE AUDIT_LOG", "DELETE FROM AUDIT_LOG", "TRUNCATE AUDIT_LOG"))]
    assert writers == ["core/schema.py"]   # the one-time seal of rows written before the chain (migration 6)
