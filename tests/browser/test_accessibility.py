"""axe-core on every page (and the sign-in page), as each role sees it: no serious or critical violation."""

import duckdb
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.runs import act
from tests.browser.test_patient_safety import click_grid_row, wait_for_roster
from tests.browser.test_screening_journey import go, open_list, pick, type_into
from tests.browser.test_sign_in_journey import sign_in
from tests.pages.test_network_page import export_file

ROLES = {
    "admin": ("demo-admin-2026", ["Home", "Outcomes", "Administration", "Audit log"]),
    "prescriber": ("demo-prescriber-2026", ["Home", "Screening", "Approval queue", "Dosing session", "REMS forms",
                                            "Check-ins", "Patients", "Outcomes", "Network"]),
    "nurse": ("demo-nurse-2026", ["Home"]),
    "therapist": ("demo-therapist-2026", ["Home"]),
    "viewer": ("demo-viewer-2026", ["Home", "Outcomes"]),
}
"""Every page once as the role that sees most of it; a nurse's and a therapist's other pages are the prescriber's
pages drawn by the same code, so only their own home page (their worklist) is checked again."""
SERIOUS = {"serious", "critical"}


def serious_violations(tab) -> list[str]:
    """axe-core's serious and critical findings on the page as it is: call it once the last step's run has ended."""
    results = Axe().run(tab)
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v["impact"] in SERIOUS]


def test_the_sign_in_page(tab, app_url):
    tab.goto(app_url)
    expect(tab.get_by_role("heading", name="Sign in")).to_be_visible()
    assert serious_violations(tab) == []


def test_the_patient_self_report_page(tab, app_url):
    """The page a patient opens without an account (issue 23): its kiosk entry, and a code refused; the form itself
    is checked filled in, and after sending, in test_self_report_journey.py."""
    tab.goto(app_url + "/self_report")
    expect(tab.get_by_role("heading", name="Your questions from the clinic")).to_be_visible()
    found = {"kiosk entry": serious_violations(tab)}
    tab.get_by_label("Code (6 letters and numbers)").fill("ABC234")
    tab.get_by_label("Your date of birth (day.month.year, for example 14.03.1988)").fill("14.03.1988")
    act(tab, tab.get_by_role("button", name="Open my questions").click)
    expect(tab.get_by_text("This link or code does not work.")).to_be_visible()
    found["code refused"] = serious_violations(tab)
    assert found == {name: [] for name in found}


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_of_a_role(tab, app_url, role):
    password, pages = ROLES[role]
    sign_in(tab, app_url, role, password)
    expect(tab.get_by_role("heading", name="Home")).to_be_visible()
    found = {}
    for name in pages:
        go(tab, name)
        expect(tab.get_by_role("heading", name=name, level=1)).to_be_visible()
        found[name] = serious_violations(tab)
    assert found == {name: [] for name in pages}


def test_the_pages_in_use(tab, app_url):
    """The states a clinician spends time in: a screening refused with errors, a prescriber's view, a chart."""
    sign_in(tab, app_url, "prescriber", "demo-prescriber-2026")
    go(tab, "Screening")
    act(tab, tab.get_by_role("button", name="Save screening").click)
    expect(tab.get_by_text("Nothing was saved. Please correct:").first).to_be_visible()
    found = {"screening with errors": serious_violations(tab)}
    go(tab, "Approval queue")
    pick(tab, "Screening to decide", next_option(tab))
    expect(tab.get_by_role("button", name="Sign decision")).to_be_visible()
    found["prescriber's view"] = serious_violations(tab)
    act(tab, tab.get_by_role("button", name="Open the patient's chart").click)
    expect(tab.get_by_role("button", name="Back to the patient list")).to_be_visible()
    found["chart"] = serious_violations(tab)
    assert found == {name: [] for name in found}


def test_a_check_in_form_and_its_notes(tab, app_url, demo_database):
    """On a patient with a dosing session ended without its note, so the note form is drawn: a session still in
    progress takes no note (issue 25.8), and the most recent patient of the list may have only such a one."""
    chart_number = with_a_note_to_write(demo_database)
    sign_in(tab, app_url, "therapist", "demo-therapist-2026")
    go(tab, "Check-ins")
    type_into(tab, "Search by name, chart number or date of birth", chart_number)
    wait_for_roster(tab, 1, chart_number)
    grid = tab.get_by_test_id("stDataFrame").first
    click_grid_row(tab, grid, 0, 60)
    act(tab, tab.get_by_role("button", name="Save the check-in").click)
    expect(tab.get_by_text("not answered; it is taken at every check-in").first).to_be_visible()
    found = {"check-in refused": serious_violations(tab)}
    tab.get_by_role("tab", name="Integration notes").click()  # tabs switch in the browser: no run
    expect(tab.get_by_label("The dosing session it follows", exact=True)).to_be_visible()
    found["integration notes"] = serious_violations(tab)
    assert found == {name: [] for name in found}


def with_a_note_to_write(database) -> str:
    """The chart number of an approved demo patient with a dosing session discharged and no note yet (read from the
    closed template the module's server copied)."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.execute(
            """SELECT p.mrn FROM patients p JOIN dosing_sessions d ON d.patient_id = p.id
               LEFT JOIN integration_notes n ON n.session_id = d.id
               WHERE p.status = 'approved' AND d.discharged_at IS NOT NULL AND n.id IS NULL
               ORDER BY p.id LIMIT 1""").fetchone()[0]
    finally:
        con.close()


def test_the_network_page_with_two_clinics_pooled(tab, app_url, tmp_path):
    """The Network page's tables, references and captions are drawn only once files are pooled."""
    files = []
    for name, clinic, patients in (("north.parquet", "north-1", 12), ("south.parquet", "south-2", 5)):
        files.append(tmp_path / name)
        files[-1].write_bytes(export_file(clinic, patients))
    sign_in(tab, app_url, "prescriber", "demo-prescriber-2026")
    go(tab, "Network")
    act(tab, lambda: tab.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(files))
    expect(tab.get_by_role("cell", name="north-1").first).to_be_visible()
    assert serious_violations(tab) == []


def next_option(tab) -> str:
    shows = tab.get_by_role("option").first
    open_list(tab, "Screening to decide", shows)
    name = shows.inner_text()
    tab.keyboard.press("Escape")
    return name
