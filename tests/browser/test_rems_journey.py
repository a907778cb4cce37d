"""A nurse in Chromium files an esketamine session's REMS monitoring form: opens it from the forms due, is refused
while the lot number is empty (what was saved stays on screen), types it, marks the form complete, then submitted."""

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from core import db, demo, rems
from tests.browser.runs import act
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_dosing_journey import grid_rows
from tests.browser.test_patient_safety import click_grid_row
from tests.browser.test_screening_journey import go, write_into
from tests.browser.test_sign_in_journey import sign_in
from tests.core.test_dosing_sessions import NURSE, approved_patient
from tests.core.test_rems import TYPED, intranasal

A4_INSIDE_MARGINS = {"width": 718, "height": 1032}
"""An A4 sheet inside the print view's 12 mm margins, in CSS pixels (96 to the inch)."""


@pytest.fixture(scope="module")
def rems_url(tmp_path_factory, app_server):
    """A small demo clinic and one esketamine session seven days ago, its form's draft saved with every typed field
    but the lot number: the form due today, listed after the demo's overdue ones (the list fits one page)."""
    path = tmp_path_factory.mktemp("rems") / "clinic.duckdb"
    con = db.open_store(path)
    demo.build(con, 10, 13)  # six forms of its own: every row of the list in view
    began = (datetime.now() - timedelta(days=7)).replace(hour=7, minute=0, second=0, microsecond=0)
    session = intranasal(con, approved_patient(con, mrn="REMS-0001", first_name="Alex", last_name="Browsertest"),
                         at=began)
    rems.save(con, NURSE, session, {**TYPED, "lot_number": ""}, now=began + timedelta(hours=3))
    con.close()
    return app_server(CLINIC_DB=str(path))


def test_a_nurse_completes_and_submits_a_form_due_today(tab, rems_url):
    sign_in(tab, rems_url, "nurse", "demo-nurse-2026")
    go(tab, "REMS forms")
    grid = tab.get_by_test_id("stDataFrame").first
    expect(grid.get_by_text("Browsertest, Alex")).to_be_attached()
    listed = grid_rows(grid)
    mine = next(i for i, row in enumerate(listed) if row.startswith("Browsertest, Alex | REMS-0001 | 1 |"))
    assert "Due today" in listed[mine] and all("OVERDUE" in row for row in listed[:mine])  # the soonest due first
    click_grid_row(tab, grid, mine, 60)
    expect(tab.get_by_role("heading", name=re.compile("Browsertest, Alex: session 1"), level=2)).to_be_visible()
    expect(tab.get_by_text("Due today")).to_be_visible()
    expect(tab.get_by_text("the reading at minute 40")).to_be_visible()
    assert serious_violations(tab) == []

    act(tab, tab.get_by_role("button", name="Mark complete").click)
    expect(tab.get_by_text(re.compile("Still empty: Lot number$"))).to_be_visible()
    expect(tab.get_by_label("Healthcare setting's name", exact=True)).to_have_value("Synthetic Clinic")

    write_into(tab, tab.get_by_label("Lot number", exact=True), "LOT-42A")
    act(tab, tab.get_by_role("button", name="Mark complete").click)
    expect(tab.get_by_text("Marked complete.")).to_be_visible()
    expect(tab.get_by_text("LOT-42A")).to_be_visible()
    act(tab, tab.get_by_role("button", name="Mark submitted").click)
    expect(tab.get_by_text(re.compile("submitted by Demo Nurse on"))).to_be_visible()
    expect(tab.get_by_role("button", name="Mark submitted")).to_have_count(0)

    act(tab, tab.get_by_role("button", name="Back to the list of forms").click)
    expect(tab.get_by_text(re.compile(r"^\d+ form\(s\) not yet submitted"))).to_be_visible()
    assert not [row for row in grid_rows(tab.get_by_test_id("stDataFrame").first) if "Browsertest" in row]


def test_the_print_view_prints_on_one_sheet(tab, rems_url):
    sign_in(tab, rems_url, "prescriber", "demo-prescriber-2026")
    go(tab, "REMS forms")
    click_grid_row(tab, tab.get_by_test_id("stDataFrame").first, 0, 60)
    # What the row's click drew, before the next click (a loaded run once saw the Print click ask for no run)
    expect(tab.get_by_role("heading", name="During the session")).to_be_visible()
    act(tab, tab.get_by_role("button", name="Print view (one page)").click)
    expect(tab.get_by_text("SPRAVATO REMS Patient Monitoring Form (outpatient)")).to_be_visible()
    assert serious_violations(tab) == []
    tab.emulate_media(media="print")
    sheets = {paper: len(re.findall(rb"/Type\s*/Page\b(?!s)", tab.pdf(format=paper, print_background=True)))
              for paper in ("A4", "Letter")}
    tab.set_viewport_size(A4_INSIDE_MARGINS)  # the table as laid out on the sheet, to see how much room is left
    printed = tab.locator(".rems-print").bounding_box()
    assert sheets == {"A4": 1, "Letter": 1} and printed["height"] < A4_INSIDE_MARGINS["height"] - 100, (sheets, printed)
