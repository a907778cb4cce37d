"""A prescriber opens a queued screening and a dosing session in Chromium; an administrator, in a second browser,
finds exactly one audit row for each opening, naming the patient and who looked (issue 18, item 4)."""

from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from core import approvals, db, demo, dosing_sessions
from tests.browser.test_dosing_journey import grid_rows, open_from_board
from tests.browser.test_screening_journey import go, pick, type_into
from tests.browser.test_sign_in_journey import sign_in
from tests.core.test_dosing_sessions import GO
from tests.core.test_screening_and_approval import NOW, NURSE, PRESCRIBER, PRESCRIBER_PASSWORD, pending_screening

QUEUED, DOSED = "Queuetest, Robin", "Boardtest, Robin"


@pytest.fixture(scope="module")
def reads_url(tmp_path_factory, app_server):
    path = tmp_path_factory.mktemp("reads") / "clinic.duckdb"
    con = db.open_store(path)
    demo.build(con, 40, 17)
    pending_screening(con, mrn="READ-0001", last_name="Queuetest")
    dosed = pending_screening(con, mrn="READ-0002", last_name="Boardtest")
    approvals.decide(con, PRESCRIBER, dosed.screening_id, "approved", "Suitable", PRESCRIBER_PASSWORD,
                     now=datetime.now())
    began = datetime.now() - timedelta(minutes=30)
    gate = dosing_sessions.check_gate(con, NURSE, dosed.patient_id, **GO, now=began)
    dosing_sessions.start(con, NURSE, dosed.patient_id, gate.gate_check_id, route="iv", weight_kg=70, dose_mg=35,
                          intention="Stay present", craving_before=40, chair="Room 4", now=began)
    con.close()
    return app_server(CLINIC_DB=str(path))


def entries_about(tab, chart_number: str, action: str) -> list[list[str]]:
    """The Audit log's rows of one action about one patient, each as its cells (Entry, When, Who, What, Record, ...):
    few enough that the grid draws them all."""
    pick(tab, "Action", action)
    type_into(tab, "Only entries about the patient with chart number", chart_number)
    expect(tab.get_by_text(f"Entries about the patient with chart number {chart_number}", exact=False)).to_be_visible()
    grid = tab.get_by_test_id("stDataFrame").first
    expect(grid.locator("[role=gridcell]").filter(has_text=action).first).to_be_attached()  # this lookup's table
    return [row.split(" | ") for row in grid_rows(grid)]


def test_opening_a_queued_screening_and_a_dosing_session_each_leave_one_audit_row(new_tab, reads_url):
    prescriber = new_tab()
    sign_in(prescriber, reads_url, "prescriber", "demo-prescriber-2026")
    go(prescriber, "Approval queue")
    pick(prescriber, "Screening to decide", f"{QUEUED} · READ-0001 · screened {NOW:%d %b %Y}")
    expect(prescriber.get_by_role("heading", name=QUEUED, level=2)).to_be_visible()
    go(prescriber, "Patients")  # away and back: the screening opened again is a second opening
    go(prescriber, "Approval queue")
    pick(prescriber, "Screening to decide", f"{QUEUED} · READ-0001 · screened {NOW:%d %b %Y}")
    expect(prescriber.get_by_role("heading", name=QUEUED, level=2)).to_be_visible()
    go(prescriber, "Dosing session")
    open_from_board(prescriber, DOSED)

    admin = new_tab()
    sign_in(admin, reads_url, "admin", "demo-admin-2026")
    go(admin, "Audit log")
    queued = entries_about(admin, "READ-0001", "Screening opened in the approval queue")
    opened = [row for row in queued if "Screening opened in the approval queue" in row]
    assert len(opened) == 2, queued  # once per visit of the queue, not once per run
    assert "prescriber" in opened[0]
    dosed = entries_about(admin, "READ-0002", "Dosing session opened")
    opened = [row for row in dosed if "Dosing session opened" in row]
    assert len(opened) == 1, dosed
    assert "prescriber" in opened[0]

