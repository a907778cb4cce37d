"""Sorting is not choosing (issue 25.10): a click on a column header of the Patients list or of "Patients behind a
figure" sorts the table and nothing else: no row is chosen, no chart opens, no "Chart opened" audit row is written.
Seen in use: a header click opened the first patient's chart and audited a chart nobody chose."""

import pytest
from playwright.sync_api import expect

from core import db, demo
from tests.browser.runs import act
from tests.browser.test_patient_safety import ROW_HEIGHT, roster
from tests.browser.test_screening_journey import go, open_list, pick
from tests.browser.test_sign_in_journey import sign_in

HEADER_X = 90
"""Inside the first column's header, right of the row-selection column (the leftmost ~30 px)."""


@pytest.fixture(scope="module")
def own_url(tmp_path_factory, app_server):
    """A clinic of its own, so that no other test's chart opening is in its audit trail."""
    path = tmp_path_factory.mktemp("sorting") / "clinic.duckdb"
    con = db.open_store(path)
    demo.build(con, 80, 25)
    con.close()
    return app_server(CLINIC_DB=str(path))


def click_header(tab, grid) -> None:
    """Step 1: a click on the first column's header, the way a person sorts, and the run it starts (it sends the
    grid's selection: a cell of the top row before the fix, the column now)."""
    canvas = grid.get_by_test_id("data-grid-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    act(tab, lambda: tab.mouse.click(box["x"] + HEADER_X, box["y"] + ROW_HEIGHT / 2))


def no_chart_opened_in_the_audit(new_tab, url) -> None:
    """The Audit log offers only the actions its trail holds: no "Chart opened" among them means no such row."""
    admin = new_tab()
    sign_in(admin, url, "admin", "demo-admin-2026")
    go(admin, "Audit log")
    open_list(admin, "Action", admin.get_by_role("option", name="Signed in", exact=True))
    expect(admin.get_by_role("option", name="Chart opened", exact=True)).to_have_count(0)


def test_sorting_the_patients_list_opens_no_chart(new_tab, own_url):
    nurse = new_tab()
    sign_in(nurse, own_url, "nurse", "demo-nurse-2026")
    go(nurse, "Patients")
    click_header(nurse, roster(nurse))
    # Step 2: still the list, no chart, and no "Chart opened" in the trail.
    expect(nurse.get_by_text("page 1 of 2", exact=False)).to_be_visible()
    expect(nurse.get_by_role("button", name="Back to the patient list")).to_have_count(0)
    no_chart_opened_in_the_audit(new_tab, own_url)


def test_sorting_the_patients_behind_a_figure_opens_no_chart(new_tab, own_url):
    nurse = new_tab()
    sign_in(nurse, own_url, "nurse", "demo-nurse-2026")
    go(nurse, "Outcomes")
    pick(nurse, "Figure", "Patients")
    behind = nurse.get_by_test_id("stDataFrame").last
    expect(behind).to_be_visible()
    click_header(nurse, behind)
    # Step 2: still Outcomes and its list, no chart, and no "Chart opened" in the trail.
    expect(nurse.get_by_role("heading", name="Outcomes", level=1)).to_be_visible()
    expect(nurse.get_by_text("Click a patient to open the chart.")).to_be_visible()
    expect(nurse.get_by_role("heading", name="Patients behind a figure")).to_be_visible()
    no_chart_opened_in_the_audit(new_tab, own_url)
