"""Time the outcomes dashboard at 1,000, 10,000 and 100,000 patients (medians of several runs).

Run: .venv/bin/python -m bench.dashboard [--sizes 1000 10000 100000] [--runs 5] [--keep DIR]

For each size a demo cohort is built (or reused from --keep), then:
- each outcomes query through core/ as a clinician (the page's one pass, and on their own every figure, the relapse
  curve and each chart series);
- a full run of the Outcomes page in AppTest, cold (Streamlit's caches cleared and a new store connection, as
  after a restart) and warm (the same filters again within the cache minute), as a clinician and as the viewer.
Goals (2-core machine): 10,000 patients cold under 1.5 s and warm under 0.3 s; 100,000 warm under 1 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from bench.accounts import demo_user
from core import db, demo, outcomes
from core.access import User

ROOT = Path(__file__).parents[1]
EVERYONE = outcomes.Cohort(date(2000, 1, 1), date.today())


def median_s(work: Callable[[], object], runs: int, before: Callable[[], object] | None = None) -> float:
    times = []
    for _ in range(runs):
        if before:
            before()
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def store(size: int, folder: Path) -> tuple[Path, float | None]:
    """The size's demo database: reused when it is already built, else built now (its build time returned)."""
    path = folder / f"dashboard-{size}.duckdb"
    if path.exists():
        return path, None
    con = db.open_store(path)
    started = time.perf_counter()
    demo.build(con, size, seed=size)
    built = time.perf_counter() - started
    con.close()
    return path, built


def queries(path: Path, runs: int, user: User) -> dict[str, float]:
    con = db.open_store(path)
    try:
        timed = {"the page's one pass (overview)": median_s(lambda: outcomes.overview(con, user, EVERYONE), runs),
                 "figures": median_s(lambda: outcomes.figures(con, user, EVERYONE), runs),
                 "relapse curve": median_s(lambda: outcomes.relapse_curve(con, user, EVERYONE), runs)}
        for name in outcomes.SERIES_SQL:
            timed[f"series: {name}"] = median_s(lambda n=name: outcomes.series(con, user, EVERYONE, n), runs)
        timed["patients behind a figure (pda)"] = median_s(
            lambda: outcomes.patients_behind(con, user, EVERYONE, "pda"), runs)
    finally:
        con.close()
    return timed


def page(user: User) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page("pages/outcomes.py")
    at.session_state["user"] = user
    at.session_state["last_seen"] = time.monotonic()
    return at


def restart() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


def page_runs(path: Path, runs: int, user: User) -> tuple[float, float]:
    os.environ["CLINIC_DB"] = str(path)
    os.environ["CLINIC_DEMO"] = "1"

    def run_once() -> None:
        at = page(user).run()
        assert not at.exception, at.exception

    cold = median_s(run_once, runs, before=restart)
    run_once()
    warm = median_s(run_once, runs)
    restart()
    return cold, warm


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, default=Path("/tmp/clinic-bench"))
    args = parser.parse_args()
    args.keep.mkdir(parents=True, exist_ok=True)
    for size in args.sizes:
        path, built = store(size, args.keep)
        prescriber, viewer = demo_user(path, "prescriber"), demo_user(path, "viewer")
        timed = queries(path, args.runs, prescriber)
        staff_cold, staff_warm = page_runs(path, args.runs, prescriber)
        viewer_cold, viewer_warm = page_runs(path, args.runs, viewer)
        made = f"built in {built:.0f} s" if built is not None else "reused"
        print(f"\n{size:,} patients ({made}), median of {args.runs} runs:")
        print(f"  {'Outcomes page, clinician, cold':<40} {staff_cold * 1000:8.0f} ms")
        print(f"  {'Outcomes page, clinician, warm':<40} {staff_warm * 1000:8.0f} ms")
        print(f"  {'Outcomes page, viewer, cold':<40} {viewer_cold * 1000:8.0f} ms")
        print(f"  {'Outcomes page, viewer, warm':<40} {viewer_warm * 1000:8.0f} ms")
        for name, seconds in timed.items():
            print(f"  {name:<40} {seconds * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
