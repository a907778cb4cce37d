import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.access import User

ROOT = Path(__file__).parents[2]
PATIENT_PAGES = ("pages/self_report.py",)
"""Pages a patient opens without an account (tests/pages/test_self_report_page.py): no sign-in form there."""
PAGE_FILES = ["app.py", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py")
                                if str(p.relative_to(ROOT)) not in PATIENT_PAGES)]
DEMO_USERS = {
    "admin": User(1, "admin", "Demo Administrator", "admin"),
    "prescriber": User(2, "prescriber", "Dr Demo Prescriber", "prescriber"),
    "nurse": User(3, "nurse", "Demo Nurse", "nurse"),
    "therapist": User(4, "therapist", "Demo Therapist", "therapist"),
    "viewer": User(5, "viewer", "Demo Stakeholder", "viewer"),
}


@pytest.fixture
def page(demo_db, monkeypatch):
    """Open a page file against a private copy of the demo database, optionally signed in as a role."""
    monkeypatch.setenv("CLINIC_DB", str(demo_db))
    monkeypatch.setenv("CLINIC_DEMO", "1")

    def open_page(path: str, role: str | None = None) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
        if path != "app.py":
            at.switch_page(path)  # what a deep link does: this page runs first, app.py does not
        if role:  # what ui.session.start leaves behind after a sign-in
            at.session_state["user"] = DEMO_USERS[role]
            at.session_state["last_seen"] = time.monotonic()
        return at.run()

    return open_page


def all_text(at: AppTest) -> str:
    """Every piece of text the page rendered, tables included, to search for what must not be there."""
    kinds = ("markdown", "title", "header", "caption", "error", "warning", "info", "success", "metric", "subheader")
    parts = [str(e.value) for kind in kinds for e in at.get(kind)]
    parts += [df.value.to_string() for df in at.dataframe]
    parts += [str(t.proto) for t in at.get("table")]
    return "\n".join(parts)


def form_key(at: AppTest, form: str, field: str) -> str:
    """The widget key of `field` in the open instance of `form` (keys carry the instance's token)."""
    return f"{form}~{at.session_state['form~' + form]['token']}~{field}"
