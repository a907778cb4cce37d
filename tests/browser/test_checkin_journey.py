"""A therapist in Chromium: a check-in with a week of use days (one heavy drinking day) and an integration note,
then both on the patient's chart timeline."""

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from core import approvals, db, demo, dosing_sessions, patients
from core.rules import instruments
from core.screening_form import validate_screening
from tests.browser.runs import act
from tests.browser.test_dosing_journey import grid_rows
from tests.browser.test_patient_safety import ROW_HEIGHT, click_grid_row, wait_for_roster
from tests.browser.test_screening_journey import answer_scale, go, open_expander, open_list, type_into, write_into
from tests.browser.test_sign_in_journey import sign_in
from tests.core.test_dosing_sessions import GO, discharged
from tests.core.test_screening_and_approval import NURSE, PRESCRIBER, PRESCRIBER_PASSWORD, valid_raw

PATIENT = "Browsertest, Alex"
INTENTION = "Notice the urge to drink without acting on it"
USED_X, DRINKS_X = 200, 380
"""Clicks this far into a row of the use grid land on its 'used?' and drink-count cells (the columns' widths at the
tests' 1280 px window); the grid's accessible table numbers those columns 2 and 3 (aria-colindex)."""


@pytest.fixture(scope="module")
def checkin_url(tmp_path_factory, app_server):
    """A woman whose primary substance is alcohol, screened six days ago and dosed five days ago: her use log
    starts on the day of screening, so the grid holds exactly this week."""
    path = tmp_path_factory.mktemp("checkin") / "clinic.duckdb"
    con = db.open_store(path)
    demo.build(con, 40, 13)
    screened = (datetime.now() - timedelta(days=6)).replace(hour=9, minute=0, second=0, microsecond=0)
    raw = valid_raw(mrn="CHECK-0001", first_name="Alex", last_name="Browsertest", primary_substance="alcohol",
                    other_substances=[], auditc=[2, 2, 1], last_use_date=(screened - timedelta(days=2)).date())
    saved = patients.save_screening(con, NURSE, validate_screening(raw, now=screened), now=screened)
    approvals.decide(con, PRESCRIBER, saved.screening_id, "approved", "Suitable", PRESCRIBER_PASSWORD,
                     now=screened + timedelta(hours=1))
    began = screened + timedelta(days=1)
    gate = dosing_sessions.check_gate(con, NURSE, saved.patient_id, **GO, now=began)
    session = dosing_sessions.start(con, NURSE, saved.patient_id, gate.gate_check_id, route="iv", weight_kg=70,
                                    dose_mg=35, intention=INTENTION, craving_before=60, chair="Room 3", now=began)
    discharged(con, session, began=began)
    con.close()
    return app_server(CLINIC_DB=str(path))


def open_patient(tab) -> None:
    go(tab, "Check-ins")
    type_into(tab, "Search by name, chart number or date of birth", "Browsertest")
    # The unsearched list can hold her too, so her name alone is no answer: click once the grid holds only her row.
    wait_for_roster(tab, 1, PATIENT)
    click_grid_row(tab, tab.get_by_test_id("stDataFrame").first, 0, 60)
    expect(tab.get_by_role("heading", name=PATIENT, level=2)).to_be_visible()


def type_date(tab, label: str, day) -> None:
    """Type a date into a date field and leave it, which sends it and reruns the page."""
    date_field = tab.get_by_label(label, exact=True)
    date_field.locator("[role=spinbutton]").first.click()
    tab.keyboard.type(f"{day:%d%m%Y}")  # react-aria date segments: day, month, year, each moves on by itself
    # The field sends its date when the focus leaves it: Tab goes to its own calendar button first, then out.
    tab.keyboard.press("Tab")
    expect(tab.locator("[data-testid=stDateInput]").filter(has=date_field).get_by_role("button")).to_be_focused()
    act(tab, lambda: tab.keyboard.press("Tab"))


def select_cell(tab, grid, row: int, x: float, column: int) -> None:
    """Select one cell of the use grid with a click, and check that the grid selected that row and column (its
    accessible table marks the selected cell). The grid's box is read just before the click, after the last run,
    which can have moved it."""
    box = grid.get_by_test_id("data-grid-canvas").bounding_box()
    tab.mouse.click(box["x"] + x, box["y"] + ROW_HEIGHT * (row + 1.5))
    selected = grid.locator(f"tbody tr[aria-rowindex='{row + 2}'] [role=gridcell][aria-selected=true]")
    expect(selected).to_have_attribute("aria-colindex", str(column))


def edit_day(tab, grid, row: int, use: str, drinks: str) -> None:
    """Mark one day of the use grid: pick 'used?' from its list, then type the drink count. Each edit reruns the
    page, so each is an act(); before it, the cell is seen selected and the list or the editor open, or the keys
    would go nowhere."""
    cells = grid.locator(f"tbody tr[aria-rowindex='{row + 2}'] [role=gridcell]")
    select_cell(tab, grid, row, USED_X, 2)
    tab.keyboard.press("Enter")
    option = tab.get_by_role("option", name=use, exact=True)
    expect(option).to_be_visible()
    act(tab, option.click)
    expect(cells.nth(1)).to_have_text(use)
    select_cell(tab, grid, row, DRINKS_X, 3)
    tab.keyboard.type(drinks)
    expect(tab.locator(".gdg-input")).to_have_value(drinks)  # the cell's editor is open with the keys typed
    act(tab, lambda: tab.keyboard.press("Enter"))
    expect(cells.nth(2)).to_have_text(drinks)


def test_a_therapist_records_a_check_in_and_an_integration_note_and_the_chart_shows_both(tab, checkin_url):
    sign_in(tab, checkin_url, "therapist", "demo-therapist-2026")
    open_patient(tab)
    for instrument_id in ("phq9", "gad7", "pacs"):
        instrument = instruments.get(instrument_id)
        answer_scale(tab, instrument, [1] + [0] * (len(instrument.items) - 1))
    type_into(tab, "How strong is your craving right now? (0 = Not at all, 100 = Extremely)", "25")
    act(tab, tab.get_by_role("button", name="No use on every day not yet answered").click)
    grid = tab.get_by_test_id("stDataFrame").filter(has_text="Standard drinks").first
    # The click redraws the grid with its answers: an edit made on the grid before that is lost with it.
    expect(grid.locator("[role=gridcell]").filter(has_text=re.compile("^No use$"))).to_have_count(7)
    assert len(grid_rows(grid)) == 7
    edit_day(tab, grid, 2, "Used", "5")
    assert grid_rows(grid)[2].split(" | ")[1:3] == ["Used", "5"]
    act(tab, tab.get_by_role("button", name="Save the check-in").click)
    expect(tab.get_by_text("Check-in saved: 7 new use day(s).")).to_be_visible()

    tab.get_by_role("tab", name="Integration notes").click()  # tabs switch in the browser: no run
    session_1 = tab.get_by_role("option").filter(has_text="Session 1")
    open_list(tab, "The dosing session it follows", session_1)
    act(tab, session_1.click)
    expect(tab.get_by_text(f"Intention set before the dose: {INTENTION}")).to_be_visible()
    type_date(tab, "Date of the integration session", datetime.now() - timedelta(days=3))
    tab.get_by_label("Time", exact=True).click()
    tab.keyboard.type("10:00")  # the list of quarter hours is long: typing narrows it to the one
    act(tab, tab.get_by_role("option", name="10:00", exact=True).click)
    for label, text in (("Themes", "Shame after relapse; family support"),
                        ("The patient's reflections", "Felt calmer, less pulled by cravings"),
                        ("Plan until the next session", "Walk daily; call a friend at 6 pm")):
        write_into(tab, tab.get_by_label(label, exact=True), text)
    password = tab.get_by_role("textbox", name="Your password (electronic signature)")
    password.fill("demo-therapist-2026")
    act(tab, lambda: password.press("Enter"))  # Enter signs, as it does a decision (issue 25.14)
    expect(tab.get_by_text("Integration note signed and saved.")).to_be_visible()

    act(tab, tab.get_by_role("button", name="Open the patient's chart").click)
    expect(tab.get_by_role("heading", name="Timeline")).to_be_visible()
    expect(tab.get_by_text("Substance use by day (green runs are days without use)")).to_be_attached()
    check_in = tab.get_by_test_id("stExpander").filter(has_text="Follow-up check-in")
    open_expander(tab, check_in)
    expect(check_in.get_by_role("cell", name="Craving (visual analogue scale)")).to_be_visible()
    note = tab.get_by_test_id("stExpander").filter(has_text="Integration-therapy note")
    open_expander(tab, note)
    expect(note.get_by_text("Shame after relapse; family support")).to_be_visible()
