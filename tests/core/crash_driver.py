"""A child process for the crash and permission tests: it opens the store as the app does, does one kind of work and
says on stdout what it has done, so the test can kill it with SIGKILL at a chosen moment and know which saves were
acknowledged before it died.

    python -m tests.core.crash_driver first-start|upgrade|writes|backup|session PATH [--pause STEP:DONE]

Lines it prints: `started` once imported; `progress STEP|DONE` for each progress call (a migration's commit, a demo
account, ...); `saved ID` after a draft's transaction has committed; `backup NAME` after a backup is finished;
`ready` once the store is open; `paused` when it stops at `--pause` (the test kills it there). Every step but
`session` ends by waiting on stdin, so it is always killed, never closed.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher

from core import backup, db, drafts, users
from core.access import User

NURSE = User(2, "nurse", "Test Nurse", "nurse")
"""The account `tests/core/test_crash_safety.py` makes in the files it hands to `writes` and `backup`."""


def say(line: str) -> None:
    print(line, flush=True)


def listener(pause: str | None, watch: Path | None = None, seen: dict | None = None):
    """A progress callback that reports each call, stops for good at `pause` ("STEP:DONE") and, given a folder,
    notes the mode of every file in it at that moment (the build's temporary files exist only meanwhile)."""

    def heard(step: str, done: int, total: int) -> None:
        if watch is not None:
            seen.update(modes(watch))
        say(f"progress {step}|{done}")
        if pause == f"{step}:{done}":
            say("paused")
            sys.stdin.read()

    return heard


def modes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mode & 0o777 for p in folder.rglob("*")}


def save_drafts(con, count: int | None = None) -> None:
    """Drafts saved one transaction at a time (each with its audit row), acknowledged after the commit."""
    n = 0
    while count is None or n < count:
        n += 1
        say(f"saved {drafts.save(con, NURSE, 'screening', {'note': 'Crash test ' + str(n)})}")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=("first-start", "upgrade", "writes", "backup", "session"))
    parser.add_argument("path", type=Path)
    parser.add_argument("--pause", default=None)
    args = parser.parse_args(argv)
    users._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # as tests/conftest.py: the five
    # demo accounts' 64 MiB hashes would be most of a trial's time, and hashing is not what is killed here
    if args.step in ("first-start", "session"):
        from core import first_start  # the demo's libraries: only these steps pay for importing them

        first_start.DEMO_PATIENTS = int(os.environ.get("CRASH_DEMO_PATIENTS", "40"))
    say("started")
    if args.step == "session":
        seen: dict[str, int] = {}
        con = first_start.open_clinic(args.path, listener(None, args.path.parent, seen))
        save_drafts(con, 3)
        backup.make(con, backup.folder_for(args.path))
        seen.update(modes(args.path.parent))
        con.close()
        seen.update(modes(args.path.parent))
        say("modes " + json.dumps(seen))
        return
    if args.step == "first-start":
        con = first_start.open_clinic(args.path, listener(args.pause))
    else:
        con = db.open_store(args.path, listener(args.pause))
    say("ready")
    if args.step == "writes":
        save_drafts(con)
    elif args.step == "backup":
        for minute in itertools.count():  # a backup a minute apart each, named by the time it was made
            save_drafts(con, 2)
            made = backup.make(con, backup.folder_for(args.path), now=datetime(2026, 11, 1) + timedelta(minutes=minute))
            say(f"backup {made.name}")
    sys.stdin.read()


if __name__ == "__main__":
    main(sys.argv[1:])
