"""Opening the clinic's database as the app does, telling a progress callback how far it is.

A new database (no file yet, `CLINIC_DEMO` not 0) is created, migrated and filled with the synthetic demo cohort
under a temporary name, then renamed into place (db.open_store): a few seconds, most of it the cohort and the five
demo accounts' password hashes. The app runs this in a thread of its own behind a progress bar (ui/store.py);
`python -m core.first_start` does the same from a terminal, printing each step, for whoever wants the database ready
before the server starts.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from core import db
from core.progress import Progress

DEMO_PATIENTS = 300
DEMO_SEED = 2026


def builds_demo(path: Path | str) -> bool:
    """Whether opening `path` will build the demo cohort: only a file that does not exist yet, and only with the
    demo wanted. A database that exists is never seeded, whatever is (or is not) in it."""
    return not Path(path).exists() and db.demo_wanted()


def open_clinic(path: Path | str, progress: Progress | None = None):
    """Open (create, migrate) the database at `path` and seed it if `builds_demo` says so; returns the connection.
    Raises db.StoreError, naming the path and the cause, for a file that cannot be opened.

    The demo is seeded while the new database is still under its temporary name (db.open_store's `fill`), so a start
    killed or failing part way never leaves a database without its accounts: there is no file, and the next start
    builds it again."""
    if not builds_demo(path):
        return db.open_store(path, progress)
    from core import demo  # the builder and every rule it draws with: only for a database about to be seeded

    return db.open_store(path, progress, fill=lambda con: demo.build(con, DEMO_PATIENTS, DEMO_SEED, progress=progress))


class TerminalProgress:
    """A progress callback that prints a line per step, rewritten in place on a terminal, and its time at the end."""

    def __init__(self, out=None) -> None:
        self.out = out or sys.stdout
        self.step = None
        self.started = time.monotonic()
        self.live = self.out.isatty()

    def __call__(self, step: str, done: int, total: int) -> None:
        if step != self.step and self.step is not None and self.live:
            self.out.write("\n")
        self.step = step
        line = f"{step}: {done:,} of {total:,}"
        if self.live:
            self.out.write("\r" + line)
        elif done == total:
            self.out.write(line + "\n")
        self.out.flush()

    def finish(self) -> float:
        if self.live and self.step is not None:
            self.out.write("\n")
        return time.monotonic() - self.started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m core.first_start",
        description="Create the clinic database the app would open (CLINIC_DB) and, for a new one, the demo cohort, "
                    "before the app serves anyone. Does nothing to a database that exists but apply new migrations.")
    parser.add_argument("--db", default=None, help="database file (default: CLINIC_DB, else data/clinic.duckdb)")
    args = parser.parse_args(argv)
    path = Path(args.db) if args.db else db.configured_path()
    progress = TerminalProgress()
    try:
        con = open_clinic(path, progress)
    except db.StoreError as e:
        print(e, file=sys.stderr)
        return 1
    con.close()
    print(f"The clinic database {path} is ready ({progress.finish():.1f} s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
