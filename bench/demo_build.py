"""Time the synthetic cohort build and its peak memory, and the home page's worklist queries on the cohort.

Each build is `python -m core.demo` in a process of its own, as a user runs it, so its wall time and maximum resident
set size are those of the whole process. Cohorts smaller than SINGLE_RUN_FROM report the median of several runs;
larger ones take minutes, so they run once.

Run: .venv/bin/python -m bench.demo_build [--patients 10000 30000 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from core import db, worklist
from core.access import User

SINGLE_RUN_FROM = 100_000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, nargs="+", default=[10_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for patients in args.patients:
        runs = 1 if patients >= SINGLE_RUN_FROM else args.runs
        with tempfile.TemporaryDirectory() as folder:
            paths = [Path(folder) / f"bench{run}.duckdb" for run in range(runs)]
            builds = [_build(path, patients, seed=run) for run, path in enumerate(paths)]
            queries_ms = _worklist_ms(paths[-1])
            size_mb = paths[-1].stat().st_size / 1e6
        seconds, peaks = zip(*builds, strict=True)
        how = f"median of {runs} runs" if runs > 1 else "a single run"
        print(f"demo build, {patients} patients ({how}): {statistics.median(seconds):.1f} s, "
              f"peak memory {statistics.median(peaks):.0f} MB "
              f"(runs: {', '.join(f'{s:.1f} s {p:.0f} MB' for s, p in builds)}); file {size_mb:.0f} MB; "
              f"home worklist queries {queries_ms:.0f} ms")


def _build(path: Path, patients: int, seed: int) -> tuple[float, float]:
    """Wall seconds and maximum resident set size (MB) of one `python -m core.demo` process."""
    command = [sys.executable, "-m", "core.demo", "--db", str(path), "--patients", str(patients), "--seed", str(seed)]
    started = time.perf_counter()
    pid = os.posix_spawn(sys.executable, command, os.environ,
                         file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        sys.exit(f"python -m core.demo failed for {patients} patients")
    return seconds, usage.ru_maxrss / 1024


def _worklist_ms(path: Path) -> float:
    con = db.open_store(path)
    nurse = User(3, "nurse", "Nurse", "nurse")
    started = time.perf_counter()
    worklist.attention(con, nurse)
    worklist.attention_counts(con, nurse)
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed * 1000


if __name__ == "__main__":
    main()
