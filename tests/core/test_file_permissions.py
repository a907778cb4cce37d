"""Every file the app writes holds patients' data or could, so each is readable by its owner only from the moment it
exists: a process umask set where the store is opened, not a chmod afterwards (the write-ahead log was created 0644
while the database beside it was 0600). Run in child processes started with the common umask 022, because this test
process has already opened stores and so carries the app's umask."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
COMMON_UMASK = 0o022


def run(*args: str) -> str:
    """`python -m ARGS` as a person would start it, under the common umask; its output."""
    env = {**os.environ, "CLINIC_DEMO": "1", "CRASH_DEMO_PATIENTS": "40"}
    done = subprocess.run([sys.executable, "-m", *args], check=False, cwd=ROOT, env=env, umask=COMMON_UMASK,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    return done.stdout


def modes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mode & 0o777 for p in folder.rglob("*")}


def test_every_file_in_the_database_folder_is_owner_only_after_a_session_of_work(tmp_path):
    """A first start (the build's temporary files looked at while it runs), saves, a backup, a close, then a restore
    and the audit check from the command line."""
    path = tmp_path / "clinic.duckdb"
    out = run("tests.core.crash_driver", "session", str(path))
    seen = json.loads(out.split("modes ", 1)[1])
    (made,) = (tmp_path / "backups").iterdir()
    run("core.backup", "restore", str(made), "--db", str(tmp_path / "restored.duckdb"))
    run("core.audit", "verify", "--db", str(path))
    seen.update(modes(tmp_path))
    assert {"clinic.duckdb.building", "clinic.duckdb.building.wal", "clinic.duckdb", "clinic.duckdb.wal",
            "restored.duckdb", "backup.key", f"backups/{made.name}/patients.parquet.sealed",
            f"backups/{made.name}/MANIFEST.sealed"} <= set(seen)
    wider = {name: oct(mode) for name, mode in seen.items() if mode & 0o077}
    assert wider == {}, f"{len(wider)} of {len(seen)} files or folders are open to others: {wider}"
