"""A dosing session in Chromium: readings (one severe), a reload mid-session, discharge, the prescriber's signature,
the chart and today's board.

The session is dosed 130 minutes before the server starts, through core, so that the journey reaches the
two hours of monitoring that discharge needs without the test waiting two hours.
"""

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from core import approvals, db, demo, dosing_sessions
from tests.browser.runs import act
from tests.browser.test_patient_safety import click_grid_row, tick, wait_for_roster
from tests.browser.test_screening_journey import go, open_expander, pick, type_into
from tests.browser.test_sign_in_journey import sign_in
from tests.core.test_dosing_sessions import GO
from tests.core.test_screening_and_approval import NURSE, PRESCRIBER, PRESCRIBER_PASSWORD, pending_screening

PATIENT = "Dosetest, Robin"
NAME_CELL_X = 90
"""A click this far into a row lands on the patient's name, as a nurse clicks it."""


@pytest.fixture(scope="module")
def dosing_url(tmp_path_factory, app_server):
    path = tmp_path_factory.mktemp("dosing") / "clinic.duckdb"
    con = db.open_store(path)
    demo.build(con, 60, 11)
    saved = pending_screening(con, mrn="DOSE-0001", last_name="Dosetest")
    approvals.decide(con, PRESCRIBER, saved.screening_id, "approved", "Suitable", PRESCRIBER_PASSWORD,
                     now=datetime.now())
    began = datetime.now() - timedelta(minutes=130)
    gate = dosing_sessions.check_gate(con, NURSE, saved.patient_id, **GO, now=began)
    dosing_sessions.start(con, NURSE, saved.patient_id, gate.gate_check_id, route="iv", weight_kg=70, dose_mg=35,
                          intention="Notice cravings without acting", craving_before=60, chair="Room 9", now=began)
    second = pending_screening(con, mrn="DOSE-0002", last_name="Twoscreens")
    approvals.decide(con, PRESCRIBER, second.screening_id, "approved", "Suitable", PRESCRIBER_PASSWORD,
                     now=datetime.now())
    began = datetime.now() - timedelta(minutes=50)
    gate = dosing_sessions.check_gate(con, NURSE, second.patient_id, **GO, now=began)
    dosing_sessions.start(con, NURSE, second.patient_id, gate.gate_check_id, route="iv", weight_kg=70, dose_mg=35,
                          intention="Stay with the feeling", craving_before=50, chair="Room 8", now=began)
    con.close()
    return app_server(CLINIC_DB=str(path))


def grid_rows(grid) -> list[str]:
    """The rows of a table, as its accessible table holds them."""
    expect(grid.locator("tbody tr[role=row] [role=gridcell]").first).to_be_attached()
    return [" | ".join(row.locator("[role=gridcell]").all_inner_texts())
            for row in grid.locator("tbody tr[role=row]").all()]


def open_from_board(tab, patient: str = PATIENT) -> None:
    """Click the patient's row on today's board (a click on its name cell)."""
    expect(tab.get_by_role("heading", name="Today's board")).to_be_visible()
    grid = tab.get_by_test_id("stDataFrame").filter(has_text="Next reading").first
    expect(grid.get_by_text(patient)).to_be_attached()
    rows = grid_rows(grid)
    index = next(i for i, row in enumerate(rows) if row.startswith(patient))
    click_grid_row(tab, grid, index, NAME_CELL_X)  # the board's own run, then the session page's
    expect(tab.get_by_role("heading", name=patient, level=2)).to_be_visible()


def type_reading(tab, minute: int, systolic: int, diastolic: int) -> None:
    for label, value in (("Minutes after the dose", minute), ("Systolic blood pressure (mmHg)", systolic),
                         ("Diastolic blood pressure (mmHg)", diastolic), ("Heart rate (beats/min)", 76),
                         ("SpO2 (%)", 98), ("Respiratory rate (breaths/min)", 14)):
        tab.get_by_label(label, exact=True).fill(str(value))


def add_reading(tab, minute: int, systolic: int, diastolic: int, calm: bool = False) -> None:
    type_reading(tab, minute, systolic, diastolic)
    if calm:  # in the reading's form, like the numbers: nothing is sent before Save
        pick(tab, "Sedation (MOAA/S)", "5: responds readily to name spoken in a normal tone", reruns=False)
        pick(tab, "Dissociation", "None", reruns=False)
    act(tab, tab.get_by_role("button", name="Save the reading").click)
    # "Reading saved." may still be the last reading's message (it lasts until a run ends); this reading's own row
    # is the proof that it was saved, before a reload can end the session.
    expect(tab.get_by_role("cell", name=f"{systolic}/{diastolic}", exact=True)).to_be_visible()
    expect(tab.get_by_text(re.compile(r"^Reading saved\."))).to_be_visible()


def choose(tab, question: str, option: str) -> None:
    group = tab.get_by_role("radiogroup", name=question)
    label = group.locator("label").filter(has_text=re.compile(rf"^{option}$"))
    act(tab, label.click)
    expect(label.locator("input")).to_be_checked()


def test_a_nurse_records_readings_reloads_discharges_and_a_prescriber_signs(new_tab, dosing_url):
    nurse = new_tab()
    sign_in(nurse, dosing_url, "nurse", "demo-nurse-2026")
    go(nurse, "Dosing session")
    open_from_board(nurse)
    add_reading(nurse, 100, 186, 104)
    expect(nurse.get_by_text("recorded as an adverse event; inform the prescriber now")).to_be_visible()
    expect(nurse.get_by_role("cell", name="Severe high blood pressure")).to_be_visible()
    add_reading(nurse, 110, 134, 84)

    nurse.reload()  # a new browser session: signed out, the record is on the server
    sign_in(nurse, dosing_url, "nurse", "demo-nurse-2026")
    go(nurse, "Dosing session")
    open_from_board(nurse)
    expect(nurse.get_by_role("cell", name="134/84")).to_be_visible()
    add_reading(nurse, 125, 130, 82, calm=True)

    choose(nurse, "Respiratory depression now", "No")
    choose(nurse, "Escort present to take the patient home", "Yes")
    expect(nurse.get_by_text("Ready for discharge.")).to_be_visible()
    type_into(nurse, "Craving now (0 = none, 100 = the strongest ever)", "20")
    type_into(nurse, "Left with (the person taking the patient home)", "Partner")
    tick(nurse, "Told the patient: no driving until the next day, after sleep")
    act(nurse, nurse.get_by_role("button", name="Discharge the patient").click)
    expect(nurse.get_by_text(re.compile(r"^Discharged\."))).to_be_visible()
    act(nurse, nurse.get_by_role("button", name="Back to today's board").click)
    expect(nurse.get_by_role("heading", name="Today's board")).to_be_visible()
    board = nurse.get_by_test_id("stDataFrame").filter(has_text="Next reading")
    expect(board.get_by_text("Twoscreens, Robin")).to_be_attached()  # the board is drawn, so an absence is real
    expect(board.get_by_text(PATIENT), "the board still shows the discharged session").to_have_count(0)

    prescriber = new_tab()
    sign_in(prescriber, dosing_url, "prescriber", "demo-prescriber-2026")
    go(prescriber, "Dosing session")
    to_sign = prescriber.get_by_test_id("stDataFrame").filter(has_text="Ended").first
    expect(to_sign.get_by_text(PATIENT)).to_be_attached()
    click_grid_row(prescriber, to_sign, 0, NAME_CELL_X)
    expect(prescriber.get_by_role("heading", name=PATIENT, level=2)).to_be_visible()
    password = prescriber.get_by_role("textbox", name="Your password (electronic signature)")
    password.press_sequentially("demo-prescriber-2026")
    act(prescriber, lambda: password.press("Enter"))
    expect(prescriber.get_by_text(re.compile(r"^Session signed\."))).to_be_visible()

    go(prescriber, "Patients")
    type_into(prescriber, "Search by name, chart number or date of birth", "DOSE-0001")
    wait_for_roster(prescriber, 1, "DOSE-0001")  # click only once the grid holds the search's one row
    click_grid_row(prescriber, prescriber.get_by_test_id("stDataFrame").first, 0, NAME_CELL_X)
    expect(prescriber.get_by_role("heading", name=PATIENT, level=2)).to_be_visible()
    session = prescriber.get_by_test_id("stExpander").filter(has_text="· Dosing session · Discharged")
    open_expander(prescriber, session)
    expect(session.get_by_text("Signed by Dr Demo Prescriber")).to_be_visible()
    expect(session.get_by_text(re.compile(r"Pre-dose check: Go"))).to_be_visible()


def test_two_people_recording_the_same_minute_keep_one_reading_on_the_right_patient(new_tab, dosing_url):
    """A nurse and the prescriber both have the session open and both take the minute-45 reading: the first is
    kept, the second is told so beside the form and keeps what was typed; nothing reaches another patient."""
    nurse, prescriber = new_tab(), new_tab()
    for tab, (username, password) in ((nurse, ("nurse", "demo-nurse-2026")),
                                      (prescriber, ("prescriber", "demo-prescriber-2026"))):
        sign_in(tab, dosing_url, username, password)
        go(tab, "Dosing session")
        open_from_board(tab, "Twoscreens, Robin")
    type_reading(nurse, 45, 131, 81)
    type_reading(prescriber, 45, 150, 95)
    act(nurse, nurse.get_by_role("button", name="Save the reading").click)
    expect(nurse.get_by_text(re.compile(r"^Reading saved\."))).to_be_visible()
    act(prescriber, prescriber.get_by_role("button", name="Save the reading").click)
    expect(prescriber.get_by_text("a reading at minute 45 is already recorded")).to_be_visible()
    expect(prescriber.get_by_label("Systolic blood pressure (mmHg)", exact=True)).to_have_value("150")
    expect(prescriber.get_by_role("cell", name="131/81")).to_be_visible()
    expect(prescriber.get_by_role("cell", name="150/95")).to_have_count(0)
    expect(prescriber.get_by_role("heading", name="Twoscreens, Robin", level=2)).to_be_visible()
