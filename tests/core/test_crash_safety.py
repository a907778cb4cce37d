"""Real processes killed with SIGKILL at many moments: during a first start, right after each migration of an
upgrade, while seeding, during ordinary writes and during backups. Each time the file opens (with no network: this
machine has none, and DuckDB must not need it to replay its log) and holds every save the process acknowledged."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core import audit, backup, db, first_start, schema, users
from tests.core import crash_driver

ROOT = Path(__file__).parents[2]
DEMO_PATIENTS = 40
LAST = len(schema.MIGRATIONS)


class Trial:
    """One driver process (tests/core/crash_driver.py) and the lines it has printed so far."""

    def __init__(self, step: str, path: Path, pause: str | None = None) -> None:
        command = [sys.executable, "-m", "tests.core.crash_driver", step, str(path)]
        env = {**os.environ, "CLINIC_DEMO": "1", "CRASH_DEMO_PATIENTS": str(DEMO_PATIENTS)}
        self.process = subprocess.Popen(command + (["--pause", pause] if pause else []), cwd=ROOT, env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self.heard = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            with self.heard:
                self.lines.append(line.strip())
                self.heard.notify_all()
        with self.heard:
            self.lines.append("<exit>")
            self.heard.notify_all()

    def wait_for(self, predicate, timeout: float = 60) -> None:
        with self.heard:
            assert self.heard.wait_for(lambda: any(predicate(line) for line in self.lines), timeout), self.lines
        assert "<exit>" not in self.lines, f"the driver ended before it was killed: {self.lines}"

    def kill(self) -> list[str]:
        """SIGKILL, then every line that reached the pipe before it: each was printed after its commit."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(30)
        self.reader.join(30)
        return [line for line in self.lines if line != "<exit>"]

    def kill_when(self, moment) -> list[str]:
        """`moment`: a line to wait for ("paused", "saved 10"), or seconds to wait after the driver has started."""
        if isinstance(moment, str):
            self.wait_for(lambda line: line == moment)
        else:
            self.wait_for(lambda line: line == "started")
            time.sleep(moment)
        return self.kill()


def acknowledged(lines: list[str], kind: str = "saved") -> list[str]:
    return [line.split(" ", 1)[1] for line in lines if line.startswith(kind + " ")]


def assert_saves_kept(con, saved: list[str]) -> None:
    """Every acknowledged draft is there with its audit row, no draft lacks one, and the audit chain is intact."""
    ids = {row[0] for row in con.execute("SELECT id FROM drafts").fetchall()}
    audited = {row[0] for row in con.execute("SELECT entity_id FROM audit_log WHERE action = 'draft_created'")
               .fetchall()}
    assert {int(draft_id) for draft_id in saved} <= ids
    assert ids <= audited
    assert audit.first_broken(con)[1] is None


def only_the_database_in(folder: Path) -> None:
    """No temporary build file is left beside the database (its audit key and head belong there)."""
    assert {p.name for p in folder.iterdir()} <= {"clinic.duckdb", "clinic.duckdb.wal", "backups", "audit.key",
                                                  "clinic.duckdb.audit-head"}


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("CLINIC_DEMO", "1")
    monkeypatch.setattr(first_start, "DEMO_PATIENTS", DEMO_PATIENTS)
    return tmp_path


def kill_at(step: str, path: Path, moment) -> list[str]:
    """Run the driver's `step` and kill it at `moment`: a pause "STEP:DONE" (a progress call: right after that
    migration's commit, that demo account, ...), a line it prints ("ready", "saved 10"), or seconds after it started."""
    pause = moment if isinstance(moment, str) and ":" in moment else None
    return Trial(step, path, pause).kill_when("paused" if pause else moment)


FIRST_START_MOMENTS = ["Creating the database:1", f"Creating the database:{LAST}", "Creating the demo accounts:3",
                       "Adding synthetic patients:20", "ready", 0.3, 1.0]


@pytest.mark.parametrize("moment", FIRST_START_MOMENTS)
def test_a_first_start_killed_at_any_moment_leaves_nothing_or_a_complete_demo(folder, moment):
    path = folder / "clinic.duckdb"
    lines = kill_at("first-start", path, moment)
    if "ready" in lines:
        assert path.exists()
    if path.exists():
        con = db.open_store(path)
        assert db.is_demo(con) and con.execute("SELECT count(*) FROM users").fetchone() == (5,)
        assert con.execute("SELECT count(*) FROM patients").fetchone() == (DEMO_PATIENTS,)
        con.close()
    con = first_start.open_clinic(path)  # the next start: removes what the killed one left, builds if need be
    assert db.is_demo(con) and con.execute("SELECT count(*) FROM users").fetchone() == (5,)
    assert con.execute("SELECT count(*) FROM audit_log WHERE action = 'demo_seeded'").fetchone() == (1,)
    con.close()
    only_the_database_in(folder)


@pytest.fixture
def version_2(folder, monkeypatch):
    """A database of the second schema (the first with drafts) holding an account, a draft and its audit row, as
    that version's code wrote them."""
    path = folder / "clinic.duckdb"
    with monkeypatch.context() as m:
        m.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:2])
        con = db.open_store(path)
    con.execute("INSERT INTO users (username, display_name, role, password_hash, created_at) "
                "VALUES ('sam', 'Sam Nurse', 'nurse', ?, now())", [users.hash_password("another long password")])
    con.execute("""INSERT INTO drafts (user_id, kind, content, started_at, updated_at)
                   VALUES (1, 'screening', '{"first_name": "Kept"}', now(), now())""")
    con.execute("INSERT INTO audit_log (actor_id, action, entity, entity_id) VALUES (1, 'draft_created', 'draft', 1)")
    con.close()
    return path


@pytest.mark.parametrize("moment", [*(f"Updating the database:{n}" for n in range(1, LAST - 1)), 0.05, 0.3])
def test_an_upgrade_killed_right_after_any_migration_opens_and_finishes(version_2, moment):
    kill_at("upgrade", version_2, moment)
    con = db.open_store(version_2)
    applied = [row[0] for row in con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()]
    assert applied == [version for version, _name, _statements in schema.MIGRATIONS]
    assert con.execute("SELECT content FROM drafts").fetchall() == [('{"first_name": "Kept"}',)]
    assert audit.first_broken(con) == (1, None)
    con.close()


@pytest.fixture
def staffed(folder):
    """A database with an administrator and the nurse the driver saves drafts as."""
    path = folder / "clinic.duckdb"
    con = db.open_store(path)
    admin = users.create_first_admin(con, "admin", "Test Admin", "a long enough password")
    nurse = users.create_user(con, admin, "nurse", "Test Nurse", "nurse", "a long enough password")
    assert nurse == crash_driver.NURSE
    con.close()
    return path


@pytest.mark.parametrize("moment", ["saved 1", "saved 25", 0.05, 0.25])
def test_writes_killed_at_any_moment_keep_every_acknowledged_save(staffed, moment):
    lines = kill_at("writes", staffed, moment)
    con = db.open_store(staffed)
    assert_saves_kept(con, acknowledged(lines))
    con.close()


@pytest.mark.parametrize("moment", ["backup 20261101-000000-000000", 0.1, 0.4])
def test_backups_killed_at_any_moment_leave_the_database_whole_and_finished_backups_sound(staffed, moment):
    """...and the next backup removes what the killed one left, its plain export among it."""
    lines = kill_at("backup", staffed, moment)
    con = db.open_store(staffed)
    assert_saves_kept(con, acknowledged(lines))
    folder = backup.folder_for(staffed)
    finished = backup.backups(folder)
    assert {p.name for p in finished} >= set(acknowledged(lines, "backup"))
    for made in finished:
        backup.check(made)
    backup.make(con, folder)
    con.close()
    assert [p.name for p in folder.rglob("*") if p.suffix in (".parquet", ".sql") or p.name.startswith(".")] == []
