"""CPU and bytes per run of each page a clinic opens every day, at two clinic sizes, and the ratio between them.

Issue 21's goal: a page's CPU per run grows at most 1.5x from 10,000 to 100,000 patients, and no run sends more than
100 KB to the browser.

Each page runs in Streamlit's AppTest, signed in with the role that uses it, against the size's demo database (built
once, or reused from --keep). The daily backup is off (CLINIC_BACKUPS=0) so it never runs while measuring. A page
runs once to warm it (its audited reads of the visit are written then), then --runs times more:
- CPU is the process CPU time (user + system) of one run, the median;
- bytes are the size of every message the run sends to the browser (the ForwardMsg protobufs the server writes to
  the websocket), the largest run.
Then the first Outcomes run in a fresh process at the first size: imports, opening the database and the page's run,
in CPU seconds, as after a restart of the app.

Run: .venv/bin/python -m bench.daily_pages [--sizes 10000 100000] [--runs 5] [--keep /tmp/clinic-bench]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest, local_script_runner

from bench.accounts import demo_user
from core import db
from ui.chart_link import CHART

ROOT = Path(__file__).parents[1]
RUN_TIMEOUT = 300


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    role: str
    state: tuple = ()
    """Session state set before the runs, as a click would leave it: (key, value or a callable of the database)."""


def busiest_patient(con) -> int:
    (patient_id,) = con.execute("""SELECT patient_id FROM dosing_sessions GROUP BY 1 ORDER BY count(*) DESC, 1
                                   LIMIT 1""").fetchone()
    return patient_id


PAGES = (
    Page("Home", "app.py", "nurse"),
    Page("Patients", "pages/patients.py", "nurse"),
    Page("A chart", "pages/patients.py", "nurse", ((f"chosen~{CHART}", busiest_patient),)),
    Page("Approval queue", "pages/approvals.py", "prescriber"),
    Page("Dosing", "pages/dosing.py", "nurse"),
    Page("Check-ins", "pages/checkins.py", "therapist"),
    Page("Outcomes", "pages/outcomes.py", "prescriber"),
    Page("Drill-down (days abstinent)", "pages/outcomes.py", "prescriber", (("outcomes_figure", "pda"),)),
    Page("Audit log", "pages/audit_log.py", "admin"),
)


class Sent:
    """The messages of the last run, caught where AppTest turns them into its element tree."""

    def __init__(self) -> None:
        self.bytes = 0
        self._parse = local_script_runner.parse_tree_from_messages
        local_script_runner.parse_tree_from_messages = self._caught

    def _caught(self, messages):
        self.bytes = sum(m.ByteSize() for m in messages)
        return self._parse(messages)


def cpu_seconds() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def open_page(page: Page, user, state: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=RUN_TIMEOUT)
    if page.path != "app.py":
        at.switch_page(page.path)
    at.session_state["user"] = user
    at.session_state["last_seen"] = time.monotonic()
    for key, value in state.items():
        at.session_state[key] = value
    return at


def measure_page(page: Page, path: Path, runs: int, sent: Sent) -> tuple[float, int]:
    """(median CPU seconds per run, the largest run's bytes) of one page, warm."""
    con = db.open_store(path)
    try:
        state = {key: value(con) if callable(value) else value for key, value in page.state}
    finally:
        con.close()
    at = open_page(page, demo_user(path, page.role), state).run()
    assert not at.exception, at.exception
    times, sizes = [], []
    for _ in range(runs):
        started = cpu_seconds()
        at.run()
        times.append(cpu_seconds() - started)
        sizes.append(sent.bytes)
        assert not at.exception, at.exception
    return statistics.median(times), max(sizes)


def close_the_clinic() -> None:
    """The app's one connection, opened by the first page run, closed before the next size's database opens."""
    from ui.store import _opening

    opening = _opening()
    opening.finished.wait()
    if opening.clinic is not None:
        opening.clinic.con.close()
    st.cache_resource.clear()
    st.cache_data.clear()


def measure_size(path: Path, runs: int, sent: Sent) -> dict[str, tuple[float, int]]:
    os.environ["CLINIC_DB"] = str(path)
    try:
        return {page.name: measure_page(page, path, runs, sent) for page in PAGES}
    finally:
        close_the_clinic()


def first_outcomes_run(path: Path) -> None:
    """In a fresh process: everything up to the end of the first Outcomes run, in CPU seconds (printed)."""
    os.environ["CLINIC_DB"] = str(path)
    at = open_page(PAGES[6], demo_user(path, "prescriber"), {}).run()
    assert not at.exception, at.exception
    print(f"{cpu_seconds():.3f}")
    close_the_clinic()


def fresh_process_cpu(path: Path, runs: int) -> float:
    seconds = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-m", "bench.daily_pages", "--first-run", str(path)], cwd=ROOT,
                              env={**os.environ, "CLINIC_BACKUPS": "0", "CLINIC_DEMO": "1"}, check=True,
                              capture_output=True, text=True)
        seconds.append(float(done.stdout.strip().splitlines()[-1]))
    return statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs=2, default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, default=Path("/tmp/clinic-bench"))
    parser.add_argument("--first-run", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.update(CLINIC_BACKUPS="0", CLINIC_DEMO="1")
    if args.first_run:
        first_outcomes_run(args.first_run)
        return
    from bench.dashboard import store  # the demo builder: not in the fresh process of --first-run

    args.keep.mkdir(parents=True, exist_ok=True)
    small, large = (store(size, args.keep)[0] for size in args.sizes)
    sent = Sent()
    figures = [measure_size(small, args.runs, sent), measure_size(large, args.runs, sent)]
    a, b = (f"{size:,}" for size in args.sizes)
    print(f"\nCPU per run (median of {args.runs}) and bytes sent per run (largest), {a} and {b} patients:")
    print(f"  {'page':<30} {'CPU ' + a:>12} {'CPU ' + b:>12} {'ratio':>6} {'KB ' + a:>10} {'KB ' + b:>10}")
    for page in PAGES:
        (cpu_a, kb_a), (cpu_b, kb_b) = (f[page.name] for f in figures)
        print(f"  {page.name:<30} {cpu_a * 1000:9.0f} ms {cpu_b * 1000:9.0f} ms {cpu_b / cpu_a:5.2f}x "
              f"{kb_a / 1024:10.1f} {kb_b / 1024:10.1f}")
    print(f"\nFirst Outcomes run in a fresh process at {a} patients (imports included), median of 3: "
          f"{fresh_process_cpu(small, 3):.2f} s CPU")


if __name__ == "__main__":
    main()
