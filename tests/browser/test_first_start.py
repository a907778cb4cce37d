"""A new user's first visit in a real browser: `streamlit run app.py` with no database yet. Two people arriving at
once both see the demo being built, step by step, and then the sign-in screen; it is built once."""

import contextlib
import re

import duckdb
from playwright.sync_api import expect

from tests.browser.conftest import serve
from tests.browser.test_sign_in_journey import sign_in

PROGRESS_TEXT = re.compile(r"^(Creating|Adding|Saving) [a-z ]+: [\d,]+ of [\d,]+…$")


def test_two_first_visitors_see_the_build_progress_then_the_sign_in_screen(new_tab, tmp_path_factory):
    path = tmp_path_factory.mktemp("first-start") / "clinic.duckdb"
    first, second = new_tab(), new_tab()
    with contextlib.contextmanager(serve)(tmp_path_factory, CLINIC_DB=str(path)) as url:
        assert not path.exists()  # the server is up; the database is made by the first visit
        first.goto(url, wait_until="commit")
        second.goto(url, wait_until="commit")
        for tab in (first, second):
            expect(tab.get_by_text("Preparing the demo clinic.")).to_be_visible()
            expect(tab.get_by_test_id("stProgress")).to_have_text(PROGRESS_TEXT)
        for tab in (first, second):
            expect(tab.get_by_role("heading", name="Sign in")).to_be_visible()
            expect(tab.get_by_text("Preparing the demo clinic.")).to_have_count(0)
            expect(tab.get_by_text("demo-nurse-2026")).to_be_visible()
        sign_in(second, url, "nurse", "demo-nurse-2026")
        expect(second.get_by_text("Signed in as Demo Nurse.")).to_be_visible()
    con = duckdb.connect(str(path), read_only=True)  # the server has stopped: the file is free
    try:
        assert con.execute("SELECT count(*) FROM audit_log WHERE action = 'demo_seeded'").fetchone()[0] == 1
        assert con.execute("SELECT count(*) FROM patients").fetchone()[0] == 300
        assert con.execute("SELECT count(*) FROM users").fetchone()[0] == 5
    finally:
        con.close()
