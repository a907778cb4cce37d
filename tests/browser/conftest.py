"""A real `streamlit run app.py` on 127.0.0.1, one per test module with its own copy of a demo database, driven by
Debian's Chromium.

Every step that makes the app run goes through `act()` (tests/browser/runs.py), which waits for the end of the run
that step caused, read from the app's websocket; nothing here waits a fixed time. Each module gets its own server and
database, so no module's patients, drafts or sign-in lockouts reach another's, and the test servers look for idle
sessions only once an hour (`CLINIC_IDLE_WATCH_SECONDS`) so that a timer run never lands in the middle of a test's
click; the idle tests start a server of their own with a short limit and the timer at its usual pace. Screenshots
(`snap()`, and every open tab of a failing test) go to the test's own `tmp_path`.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from core import db, demo, first_start
from tests.browser import runs
from tests.conftest import copy_store

ROOT = Path(__file__).parents[2]
CHROMIUM = os.environ.get("TEST_CHROMIUM") or shutil.which("chromium")
INSTALL_HINT = "Debian's chromium is not installed: run 'apt-get install -y chromium' to run the browser tests"
QUIET_IDLE_WATCH = {"CLINIC_IDLE_WATCH_SECONDS": "3600"}
"""The idle watch's timer, once an hour: its runs would otherwise come every 30 s whatever a test is doing."""


def pytest_collection_modifyitems(config, items):
    """Without chromium a developer gets a visible skip with the fix; CI (CI=true) gets a failure instead."""
    if CHROMIUM or os.environ.get("CI"):
        return
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.skip(reason=INSTALL_HINT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    """Poll the server's health endpoint until it answers: the one wait on a clock here, for a process that has no
    other way to say it is ready (0.3 s between asks)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode() == "ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("streamlit did not become healthy in time")


SERVER_LOGS: list[Path] = []
"""The running app servers' output, attached to the report of a failing browser test (a traceback there explains it)."""


def serve(tmp_path_factory, template: Path | None = None, **extra_env):
    """Run `streamlit run app.py` on a free port with a copy of `template` as its database (none: the app makes its
    own, or uses CLINIC_DB from `extra_env`); yields its URL, stops it after."""
    port = free_port()
    folder = tmp_path_factory.mktemp("browser")
    database = folder / "clinic.duckdb"
    if template is not None:
        copy_store(template, database)  # with its audit key and head, without which it does not open
    env = {**os.environ, "CLINIC_DB": str(database), "CLINIC_DEMO": "1", **QUIET_IDLE_WATCH, **extra_env}
    log = folder / "streamlit.log"
    SERVER_LOGS.append(log)
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.address",
             "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        SERVER_LOGS.remove(log)


ARTEFACTS: dict = {}
"""Each open tab's folder for screenshots: the tmp_path of the test that opened it."""


def snap(tab, name: str) -> None:
    """A full-page screenshot into the test's own folder, to see a failure as the clinician would."""
    tab.screenshot(path=str(ARTEFACTS[tab] / f"{name}.png"), full_page=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed and "tests/browser" in str(item.fspath):
        for number, page in enumerate(OPEN_PAGES):
            shot = ARTEFACTS[page] / f"failed-tab-{number}.png"
            with contextlib.suppress(Exception):  # a closed or crashed tab must not hide the test's own failure
                page.screenshot(path=str(shot), full_page=True)
                report.sections.append((f"screenshot of tab {number}", str(shot)))
        for log in SERVER_LOGS:
            if log.exists():
                tail = "\n".join(log.read_text(errors="replace").splitlines()[-60:])
                report.sections.append((f"app server output ({log.parent.name})", tail))


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory):
    """The demo clinic a new app builds on its first start, built once per test process and copied for each module's
    server (test_first_start.py watches the app build its own). Built here, its demo accounts carry the tests' cheap
    password hashes (tests/conftest.py), so signing in does not cost each test 64 MiB of Argon2."""
    path = tmp_path_factory.mktemp("demo") / "clinic.duckdb"
    con = db.open_store(path)
    demo.build(con, first_start.DEMO_PATIENTS, first_start.DEMO_SEED)
    con.close()
    return path


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, demo_database):
    """This module's own app and database."""
    yield from serve(tmp_path_factory, demo_database)


@pytest.fixture(scope="module")
def app_server(tmp_path_factory, demo_database):
    """Factory for a further app of this module with other environment variables (a short idle limit, a database of
    its own): one server per distinct set, started on first use and stopped after the module."""
    started = {}
    with contextlib.ExitStack() as stack:
        def start(**extra_env: str) -> str:
            key = tuple(sorted(extra_env.items()))
            if key not in started:
                template = None if "CLINIC_DB" in extra_env else demo_database
                started[key] = stack.enter_context(
                    contextlib.contextmanager(serve)(tmp_path_factory, template, **extra_env))
            return started[key]

        yield start


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM:
        pytest.fail(INSTALL_HINT)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)  # the same patience as actions: a loaded CI machine is slow, not wrong

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        yield chromium
        for person in PEOPLE:
            person.context.close()
        chromium.close()


STILL = """document.addEventListener('DOMContentLoaded', () => {
    const style = document.createElement('style');
    style.textContent = '*, *::before, *::after { transition: none !important; animation: none !important; }';
    document.head.appendChild(style);
});"""
"""Streamlit's fades and spinners, switched off: a software-drawn headless browser on two cores spent a third of each
click redrawing them, and Playwright waits for an element to stop moving before it clicks."""
VIEWPORT = {"width": 1280, "height": 900}

OPEN_PAGES: list = []
"""The tabs of the running test, photographed into the report's folder when it fails."""
PEOPLE: list = []
"""One tab per person a test can open (the first, the second...), each in a browser context of its own, kept for this
worker's later tests. Opening the app in a new context costs a new renderer and Streamlit's scripts fetched and
compiled again; three modules of short tests on one worker took 49 s that way and 32 s in kept tabs.
Between tests a kept tab is emptied (about:blank ends its Streamlit session), its cookies cleared and its size and
media set back, so each test still starts signed out on a fresh session of its own module's app."""


def _person(browser):
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    context.add_init_script(STILL)
    page = context.new_page()
    runs.watch(page)
    return page


def _emptied(page) -> bool:
    """Whether the tab could be made as good as new for the next test; one that cannot is closed and replaced."""
    try:
        page.goto("about:blank")
        page.context.clear_cookies()
        page.set_viewport_size(VIEWPORT)
        page.emulate_media(media="null")
        return True
    except PlaywrightError:  # a crashed or closed tab: its context goes, a new one takes its place
        with contextlib.suppress(PlaywrightError):
            page.context.close()
        return False


@pytest.fixture
def new_tab(browser, tmp_path):
    """Open tabs in independent browser contexts: each is a different person with their own Streamlit session."""

    def open_tab():
        number = len(OPEN_PAGES)
        if number == len(PEOPLE):
            PEOPLE.append(_person(browser))
        page = PEOPLE[number]
        OPEN_PAGES.append(page)
        ARTEFACTS[page] = tmp_path
        return page

    yield open_tab
    for number, page in enumerate(OPEN_PAGES):
        runs.forget(page)
        ARTEFACTS.pop(page)
        if not _emptied(page):
            PEOPLE[number] = _person(browser)
    OPEN_PAGES.clear()


@pytest.fixture
def tab(new_tab):
    return new_tab()
