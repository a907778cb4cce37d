"""Issue 25.2 in Chromium, two people in two browser contexts: a nurse records a severe blood pressure; the board
shows the session in red with the reading and the next reading due 5 minutes after it; the prescriber, on their own
screen, finds it on Home under the severe events to acknowledge, acknowledges it, and it leaves the list.

The session is dosed 10 minutes before the server starts, through core, so that minute 10 has come when the nurse
types it: the next reading is then due at minute 15, not at minute 25.
"""

import re
from datetime import datetime, timedelta
from io import BytesIO

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from core import approvals, db, demo, dosing_sessions
from tests.browser.runs import act
from tests.browser.test_dosing_journey import add_reading, grid_rows, open_from_board
from tests.browser.test_screening_journey import go
from tests.browser.test_sign_in_journey import sign_in
from tests.core.test_dosing_sessions import GO
from tests.core.test_screening_and_approval import NURSE, PRESCRIBER, PRESCRIBER_PASSWORD, pending_screening

PATIENT = "Severetest, Robin"
RED = (0xFD, 0xE7, 0xE9)
"""The board's alert background (pages/dosing.py RED); the grid is drawn on a canvas, so its pixels are the proof."""


@pytest.fixture(scope="module")
def severe_url(tmp_path_factory, app_server):
    path = tmp_path_factory.mktemp("severe") / "clinic.duckdb"
    con = db.open_store(path)
    demo.build(con, 60, 11)
    saved = pending_screening(con, mrn="SEV-0001", last_name="Severetest")
    approvals.decide(con, PRESCRIBER, saved.screening_id, "approved", "Suitable", PRESCRIBER_PASSWORD,
                     now=datetime.now())
    began = datetime.now() - timedelta(minutes=10)
    gate = dosing_sessions.check_gate(con, NURSE, saved.patient_id, **GO, now=began)
    dosing_sessions.start(con, NURSE, saved.patient_id, gate.gate_check_id, route="iv", weight_kg=70, dose_mg=35,
                          intention="Notice cravings without acting", craving_before=60, chair="Room 7", now=began)
    con.close()
    return app_server(CLINIC_DB=str(path))


def red_pixels(element) -> int:
    pixels = np.asarray(Image.open(BytesIO(element.screenshot())).convert("RGB"), dtype=int)
    return int((np.abs(pixels - RED) <= 3).all(axis=2).sum())


def test_a_severe_reading_reaches_the_board_in_red_and_the_prescribers_home_until_acknowledged(new_tab, severe_url):
    nurse, prescriber = new_tab(), new_tab()
    sign_in(nurse, severe_url, "nurse", "demo-nurse-2026")
    go(nurse, "Dosing session")
    board = nurse.get_by_test_id("stDataFrame").filter(has_text="Next reading").first
    expect(board.get_by_text(PATIENT)).to_be_attached()
    assert red_pixels(board) == 0, "the board is red before any severe reading"

    open_from_board(nurse, PATIENT)
    add_reading(nurse, 10, 186, 112)
    expect(nurse.get_by_text("recorded as an adverse event; inform the prescriber now")).to_be_visible()
    expect(nurse.get_by_text(re.compile(r"next reading due at minute 15 · severe blood pressure 186/112 at minute "
                                        r"10"))).to_be_visible()

    act(nurse, nurse.get_by_role("button", name="Back to today's board").click)
    board = nurse.get_by_test_id("stDataFrame").filter(has_text="Next reading").first
    expect(board.get_by_text(PATIENT)).to_be_attached()
    (row,) = [r for r in grid_rows(board) if r.startswith(PATIENT)]
    assert re.search(r"\| at minute 15 \(in [1-5] min\) \|", row), row  # 5 minutes after the reading
    assert re.search(r"\| SEVERE 186/112 \|", row), row
    expect(nurse.get_by_text(re.compile(rf"^{PATIENT} \(Room 7\): severe blood pressure 186/112 at minute 10\. "
                                        r"Re-measure every 5 minutes until it is below 160/100: next reading at "
                                        r"minute 15\.$"))).to_be_visible()
    assert red_pixels(board) > 500, "the severe session's row is not drawn in red"

    sign_in(prescriber, severe_url, "prescriber", "demo-prescriber-2026")
    acknowledge = prescriber.get_by_role("button", name="Acknowledge")
    waiting = prescriber.get_by_test_id("stVerticalBlock").filter(has_text="BP 186/112 at minute 10").filter(
        has=acknowledge)
    expect(prescriber.get_by_role("heading", name="Severe adverse events to acknowledge")).to_be_visible()
    expect(waiting.last).to_be_visible()
    expect(waiting.last).to_contain_text("Severe high blood pressure")
    expect(waiting.last).to_contain_text(f"{PATIENT} · chart number SEV-0001 · session 1, Room 7, in progress now")
    expect(waiting.last).to_contain_text("Recorded")
    act(prescriber, waiting.last.get_by_role("button", name="Acknowledge").click)
    expect(prescriber.get_by_text(f"Acknowledged: Severe high blood pressure of {PATIENT}.")).to_be_visible()
    expect(prescriber.get_by_text("BP 186/112 at minute 10")).to_have_count(0)
