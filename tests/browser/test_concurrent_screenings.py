"""Four nurses saving screenings at the same moment in four browsers: all stored, each on the right patient, and
hostile text in a goal stored literally and shown as typed."""


import contextlib

from playwright.sync_api import expect

from tests.browser.runs import run_ended
from tests.browser.test_patient_safety import click_grid_row, fill_screening, unique, wait_for_roster
from tests.browser.test_screening_journey import go, open_expander, type_into, write_into
from tests.browser.test_sign_in_journey import sign_in

HOSTILE_GOAL = "Stay off it'); DROP TABLE patients;-- *not bold* \u202eright-to-left\u202c <b>tag</b>"


def test_four_screenings_saved_at_once_are_all_stored_on_the_right_patients(new_tab, app_url):
    nurses = [new_tab() for _ in range(4)]
    people = [(unique("Four"), unique("Parallel"), unique("PAR-").upper()) for _ in nurses]
    for tab, (first, last, mrn) in zip(nurses, people, strict=True):
        sign_in(tab, app_url, "nurse", "demo-nurse-2026")
        go(tab, "Screening")
        fill_screening(tab, first, last, mrn)
        write_into(tab, tab.get_by_label("Patient's goal (in their words)"), HOSTILE_GOAL)
        expect(tab.get_by_text("Screening result: Eligible")).to_be_visible()
    with contextlib.ExitStack() as all_four:  # four clicks in a row; the four runs are waited for together after
        for tab in nurses:
            all_four.enter_context(run_ended(tab))
            tab.get_by_role("button", name="Save screening").click(no_wait_after=True)
    for tab, (first, last, _mrn) in zip(nurses, people, strict=True):
        expect(tab.get_by_text(f"Screening saved for {last}, {first}")).to_be_visible()

    reader = nurses[0]
    go(reader, "Patients")
    for first, last, mrn in people:
        type_into(reader, "Search by name, chart number or date of birth", mrn)
        # The four are the newest, so the unsearched roster already shows each chart number: wait for one row.
        wait_for_roster(reader, 1, mrn)
        grid = reader.locator('[data-testid="stDataFrame"]').first
        expect(grid.get_by_text(f"{last}, {first}")).to_be_attached()
    first, last, mrn = people[-1]  # the one the last search left in the grid
    click_grid_row(reader, grid, 0, 60)
    expect(reader.get_by_role("heading", name=f"{last}, {first}")).to_be_visible()
    open_expander(reader, reader.get_by_test_id("stExpander").filter(has_text="· Screening ·"))
    expect(reader.get_by_text(HOSTILE_GOAL, exact=False)).to_be_visible()   # as typed: no bold, no tag, no SQL run
