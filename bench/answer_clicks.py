"""The server's CPU time per answer click on the Screening and Check-in forms, at clinic size (10,000 patients).

Run: .venv/bin/python -m bench.answer_clicks [--patients 10000] [--runs 5] [--keep DIR] [--port 8610]

A demo cohort is built with core.demo.build into a temporary database (or, with --keep, built once into DIR and
copied afresh for each measurement), and a real `streamlit run app.py` serves it on 127.0.0.1 (a port between 8610
and 8649; daily backups off). Debian's Chromium, driven by Playwright, signs in and answers questionnaire items by
clicking their radio buttons, as a nurse (Screening, a new patient) and as the therapist (Check-ins, an approved
patient). Each click waits for the run it started to end: the page counts Streamlit's own running indicator (the
app root's data-test-script-state) going from "running" back to "notRunning"; there are no fixed sleeps.

What is measured: the user + system CPU time of the server process (/proc/<pid>/stat, all its threads) read before
and after a series of clicks, divided by the clicks. One series answers PHQ-9 items 1-8 and GAD-7 items 1-7 with
a value other than the one they hold, 15 clicks that each rerun something on the server; a warm-up series comes first
and is not counted. A run is one series; the figures are the median, min and max of the runs, in ms per click.
A third line toggles PHQ-9 item 9 between 1 and 0 on the screening form: each click there raises or clears the
same-day safety signal, which must redraw the banner, the "Still needed" list and the decision panel (a whole-page run).
The wall time per click as the browser waits for it is shown beside, for reference only: Chromium shares the
machine's cores with the server, so CPU time is the figure to compare.
The goal (issue 24, item 3): under 100 ms CPU per answer click at 10,000 patients.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from core import db, demo
from core.rules import instruments

ROOT = Path(__file__).parents[1]
PORTS = range(8610, 8650)
TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
RUNS_ENDED = """
window.__runsEnded = 0;
document.addEventListener('DOMContentLoaded', () => {
  const style = document.createElement('style');
  style.textContent = '*, *::before, *::after { transition: none !important; animation: none !important; }';
  document.head.appendChild(style);
  let last = null;
  const look = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    const state = app && app.getAttribute('data-test-script-state');
    if (last === 'running' && state !== 'running') window.__runsEnded += 1;
    last = state;
  };
  new MutationObserver(look).observe(document.documentElement,
    {subtree: true, attributes: true, attributeFilter: ['data-test-script-state'], childList: true});
});
"""
"""Counts the runs that ended, from Streamlit's own running indicator; fades off, as in tests/browser/conftest.py."""
SCALE_ITEMS = [(instruments.PHQ9, n) for n in range(8)] + [(instruments.GAD7, n) for n in range(7)]


def cpu_ms(pid: int) -> float:
    """User + system CPU time of process `pid` so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * TICK_MS  # utime, stime: fields 14 and 15 of the whole line


def free_port(wanted: int | None) -> int:
    for port in ([wanted] if wanted else PORTS):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port among {PORTS.start}-{PORTS.stop - 1}")


def base_store(patients: int, keep: Path | None, folder: Path) -> tuple[Path, str]:
    """The built demo database (reused from --keep when it is there) and how it came to be."""
    path = (keep or folder) / f"answer-clicks-{patients}.duckdb"
    if path.exists():
        return path, "reused"
    path.parent.mkdir(parents=True, exist_ok=True)
    con = db.open_store(path)
    started = time.perf_counter()
    demo.build(con, patients, seed=patients)
    built = time.perf_counter() - started
    con.close()
    return path, f"built in {built:.0f} s"


def checkin_patient(path: Path) -> tuple[str, str]:
    """An approved patient (chart number, 'Last, First'), the one whose use log was recorded most recently."""
    con = db.open_store(path)
    try:
        mrn, last, first = con.execute(
            """SELECT p.mrn, p.last_name, p.first_name FROM patients p
               LEFT JOIN (SELECT patient_id, max(day) AS last_day FROM substance_use_days GROUP BY 1) u
                 ON u.patient_id = p.id
               WHERE p.status = 'approved' ORDER BY u.last_day DESC NULLS LAST, p.id LIMIT 1""").fetchone()
    finally:
        con.close()
    return mrn, f"{last}, {first}"


@contextlib.contextmanager
def server(database: Path, port: int) -> Iterator[tuple[str, int]]:
    env = {**os.environ, "CLINIC_DB": str(database), "CLINIC_DEMO": "1", "CLINIC_BACKUPS": "0"}
    log = database.with_suffix(".log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.address",
         "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start; see {log.name}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read().decode() == "ok":
                        break
            except OSError:
                time.sleep(0.3)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def settled(tab) -> None:
    """Wait until no run is under way (the app root says notRunning)."""
    tab.wait_for_function("""() => { const app = document.querySelector('[data-testid="stApp"]');
                                    return app && app.getAttribute('data-test-script-state') === 'notRunning'; }""",
                          timeout=120_000)


def click_and_wait(tab, target) -> None:
    """Click, then wait for the run the click started to end (counted by the page, from Streamlit's indicator)."""
    ended = tab.evaluate("window.__runsEnded")
    target.click()
    tab.wait_for_function(f"""() => window.__runsEnded > {ended} && document.querySelector('[data-testid="stApp"]')
                                    .getAttribute('data-test-script-state') === 'notRunning'""", timeout=120_000)


def option(tab, instrument, index: int, value: int):
    item = instrument.items[index]
    label = next(o.label for o in item.options if o.value == value)
    group = tab.locator('[data-testid="stRadio"]').filter(has_text=f"{index + 1}. {item.text}")
    return group.locator("label").filter(has_text=re.compile(rf"^{re.escape(f'{value} · {label}')}$")).first


def series(tab, pid: int, clicks: list) -> tuple[float, float]:
    """CPU ms and wall ms per click over one series of clicks."""
    settled(tab)
    cpu, wall = cpu_ms(pid), time.perf_counter()
    for target in clicks:
        click_and_wait(tab, target)
    return (cpu_ms(pid) - cpu) / len(clicks), (time.perf_counter() - wall) * 1000 / len(clicks)


def answers(tab, run: int) -> list:
    """Run 0 answers 1 everywhere, then 2, 1, 2...: every click changes an answer, so every click reruns."""
    return [option(tab, instrument, index, 1 + run % 2) for instrument, index in SCALE_ITEMS]


def sign_in(tab, url: str, username: str, password: str) -> None:
    tab.goto(url)
    tab.get_by_label("Username").fill(username)
    tab.get_by_role("textbox", name="Password").fill(password)
    tab.get_by_role("button", name="Sign in").click()
    tab.get_by_role("heading", name="Home", level=1).wait_for()


def go(tab, page: str) -> None:
    tab.get_by_test_id("stSidebarUserContent").get_by_role("link", name=page).click()
    tab.get_by_role("heading", name=page, level=1).wait_for()
    settled(tab)


def measure(browser, url: str, pid: int, runs: int, patient: tuple[str, str]) -> dict[str, list[tuple[float, float]]]:
    results: dict[str, list[tuple[float, float]]] = {}
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(120_000)
    context.add_init_script(RUNS_ENDED)
    tab = context.new_page()
    sign_in(tab, url, "nurse", "demo-nurse-2026")
    go(tab, "Screening")
    tab.get_by_role("heading", name="Mental health").wait_for()
    series(tab, pid, answers(tab, 0))  # warm-up: the first answers, not counted
    results["Screening, answer click"] = [series(tab, pid, answers(tab, run + 1)) for run in range(runs)]
    item9 = [option(tab, instruments.PHQ9, 8, value) for value in (1, 0) * 3]  # 1 raises the signal, 0 clears it
    results["Screening, PHQ-9 item 9 (safety banner)"] = [series(tab, pid, item9) for _ in range(runs)]
    context.close()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(120_000)
    context.add_init_script(RUNS_ENDED)
    tab = context.new_page()
    sign_in(tab, url, "therapist", "demo-therapist-2026")
    go(tab, "Check-ins")
    mrn, name = patient
    search = tab.get_by_label("Search by name, chart number or date of birth", exact=True)
    search.fill(mrn)
    search.press("Enter")
    grid = tab.get_by_test_id("stDataFrame").first
    grid.locator('table[role=grid][aria-rowcount="2"]').wait_for(state="attached")  # only the patient searched for
    settled(tab)
    box = grid.get_by_test_id("data-grid-canvas").bounding_box()
    tab.mouse.click(box["x"] + 60, box["y"] + 35 * 1.5)
    tab.get_by_role("heading", name=name, level=2).wait_for()
    settled(tab)
    series(tab, pid, answers(tab, 0))
    results["Check-in, answer click"] = [series(tab, pid, answers(tab, run + 1)) for run in range(runs)]
    context.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build the cohort once into this folder and reuse it")
    parser.add_argument("--port", type=int, help=f"default: the first free port in {PORTS.start}-{PORTS.stop - 1}")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        base, made = base_store(args.patients, args.keep, Path(folder))
        patient = checkin_patient(base)
        database = Path(folder) / "clinic.duckdb"
        shutil.copyfile(base, database)  # the server's drafts and audit rows never reach the kept cohort
        load = os.getloadavg()
        with server(database, free_port(args.port)) as (url, pid), sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                        headless=True, args=CHROMIUM_ARGS)
            try:
                results = measure(browser, url, pid, args.runs, patient)
            finally:
                browser.close()
        load_after = os.getloadavg()
    print(f"\n{args.patients:,} patients ({made}); {os.cpu_count()} cores, load average "
          f"{load[0]:.2f} before and {load_after[0]:.2f} after; {args.runs} runs; "
          "server CPU ms per click (median, min, max), wall ms per click (median):")
    for name, figures in results.items():
        cpu = [c for c, _ in figures]
        wall = statistics.median(w for _, w in figures)
        print(f"  {name:<44} CPU {statistics.median(cpu):7.1f}  min {min(cpu):7.1f}  max {max(cpu):7.1f} ms"
              f"   wall {wall:7.0f} ms")


if __name__ == "__main__":
    main()
