"""Time what each page asks of the store, at clinic sizes a growing clinic reaches (median of several runs).

Run: .venv/bin/python -m bench.pages [--sizes 1000 10000 30000] [--runs 7]

Each figure is one page's core/ calls for one rerun, as the page makes them: the home
worklists, the approval queue and the prescriber's view of its first screening, the first
and last roster pages and a name search, one chart with its screenings, and the newest and
a deep page of the audit trail
(filled to AUDIT_ROWS_PER_PATIENT rows per patient). The sent size is the Arrow payload of the table the page
draws, the bytes a browser receives for it.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from core import approvals, audit_log, db, demo, patients, safety, screening_record, worklist
from core.access import User

NURSE = User(3, "nurse", "Demo Nurse", "nurse")
PRESCRIBER = User(2, "prescriber", "Dr Demo Prescriber", "prescriber")
ADMIN = User(1, "admin", "Demo Administrator", "admin")


AUDIT_ROWS_PER_PATIENT = 20
"""The demo cohort is inserted in bulk with one audit row; a clinic's trail grows with every view and save."""


def busy_audit_trail(con, rows: int) -> None:
    con.execute("""INSERT INTO audit_log (occurred_at, actor_id, action, entity, entity_id)
                   SELECT TIMESTAMP '2024-01-01' + i * INTERVAL 1 MINUTE, 1 + i % 5,
                          ['chart_viewed', 'draft_updated', 'screening_saved', 'sign_in'][1 + i % 4], 'patient', i
                   FROM range(?) t(i)""", [rows])


def median_ms(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def arrow_kb(frame) -> float:
    return pa.Table.from_pandas(frame).nbytes / 1024


def home(con) -> None:
    worklist.attention(con, NURSE)
    worklist.attention_counts(con, NURSE)
    safety.open_followups(con, NURSE)


def chart(con, patient_id: int) -> None:
    record = patients.chart(con, NURSE, patient_id)
    for screening_id in record.screenings["id"]:
        screening_record.load(con, NURSE, int(screening_id))


def deep_audit_page(con, pages: int) -> None:
    before = None
    for _ in range(pages):
        before = audit_log.page(con, ADMIN, before_id=before).older


def measure(size: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        con = db.open_store(Path(folder) / "bench.duckdb")
        started = time.perf_counter()
        demo.build(con, size, seed=size)
        built = time.perf_counter() - started
        busy_audit_trail(con, size * AUDIT_ROWS_PER_PATIENT)
        queue = approvals.queue(con, PRESCRIBER)
        first_waiting = int(queue["screening_id"].iloc[0])
        last_page = patients.roster(con, NURSE, page=10**9).page
        busiest = con.execute("""SELECT patient_id FROM screenings GROUP BY 1 ORDER BY count(*) DESC, 1
                                 LIMIT 1""").fetchone()[0]
        audit_rows = con.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        figures = {
            "home worklists": median_ms(lambda: home(con), runs),
            "approval queue": median_ms(lambda: approvals.queue(con, PRESCRIBER), runs),
            "prescriber's view of one screening": median_ms(
                lambda: approvals.for_decision(con, PRESCRIBER, first_waiting), runs),
            "roster, first page": median_ms(lambda: patients.roster(con, NURSE), runs),
            f"roster, last page ({last_page})": median_ms(lambda: patients.roster(con, NURSE, page=last_page), runs),
            "roster, name search": median_ms(lambda: patients.roster(con, NURSE, "Quinn"), runs),
            "chart with its screenings": median_ms(lambda: chart(con, busiest), runs),
            "audit trail, newest page": median_ms(lambda: audit_log.page(con, ADMIN), runs),
            "audit trail, 10 pages back": median_ms(lambda: deep_audit_page(con, 10), runs),
        }
        lists = worklist.attention(con, NURSE)
        sent = {"approval queue": arrow_kb(queue), "roster page": arrow_kb(patients.roster(con, NURSE).rows),
                "home worklists": arrow_kb(lists.pending_approvals) + arrow_kb(lists.sessions_in_progress)}
        con.close()
    print(f"\n{size} patients (built in {built:.1f} s; {len(queue)} waiting for approval, "
          f"{audit_rows} audit rows), median of {runs} runs:")
    for name, ms in figures.items():
        print(f"  {name:<38} {ms:7.1f} ms")
    print("  sent to the browser: " + ", ".join(f"{name} {kb:.0f} KB" for name, kb in sent.items()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 30_000])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    for size in args.sizes:
        measure(size, args.runs)


if __name__ == "__main__":
    main()
