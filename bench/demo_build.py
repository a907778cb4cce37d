"""Time the synthetic cohort build and the home page's worklist queries (median of several runs).

Run: .venv/bin/python -m bench.demo_build [--patients 10000] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from core import db, demo, worklist
from core.access import User


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    builds, queries = [], []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as folder:
            con = db.open_store(Path(folder) / "bench.duckdb")
            started = time.perf_counter()
            counts = demo.build(con, args.patients, seed=run)
            builds.append(time.perf_counter() - started)
            nurse = User(3, "nurse", "Nurse", "nurse")
            started = time.perf_counter()
            worklist.attention(con, nurse)
            worklist.attention_counts(con, nurse)
            queries.append(time.perf_counter() - started)
            size_mb = (Path(folder) / "bench.duckdb").stat().st_size / 1e6
            con.close()
    print(f"demo build, {args.patients} patients: median {statistics.median(builds):.1f} s "
          f"(runs: {', '.join(f'{b:.1f}' for b in builds)}); file {size_mb:.0f} MB")
    print("rows in the last run: " + ", ".join(f"{table} {n}" for table, n in counts.items()))
    print(f"home worklist queries: median {statistics.median(queries) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
