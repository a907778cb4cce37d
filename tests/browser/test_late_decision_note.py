"""Nothing typed is dropped (issue 25.9), with two prescribers in two browsers: both open the same screening, the
first signs, and the second's note ("needs cardiology review") stays on screen with the refusal and joins the
screening's record as a comment."""

import pytest
from playwright.sync_api import expect

from core import db, demo, users
from core.access import User
from tests.browser.runs import act
from tests.browser.test_screening_journey import choose, go, pick
from tests.browser.test_sign_in_journey import sign_in
from tests.core.test_screening_and_approval import NOW, pending_screening

ADMIN = User(1, "admin", "Demo Admin", "admin")
SECOND = ("second", "second prescriber 2026")
OPTION = f"Latenote, Robin · LATE-0001 · screened {NOW:%d %b %Y}"


@pytest.fixture(scope="module")
def late_url(tmp_path_factory, app_server):
    path = tmp_path_factory.mktemp("late") / "clinic.duckdb"
    con = db.open_store(path)
    demo.build(con, 40, 19)
    pending_screening(con, mrn="LATE-0001", last_name="Latenote")
    users.create_user(con, ADMIN, SECOND[0], "Dr Second Opinion", "prescriber", SECOND[1])
    con.close()
    return app_server(CLINIC_DB=str(path))


def open_for_decision(tab, url, username, password, choice, note):
    sign_in(tab, url, username, password)
    go(tab, "Approval queue")
    pick(tab, "Screening to decide", OPTION)
    expect(tab.get_by_role("heading", name="Latenote, Robin", level=2)).to_be_visible()
    choose(tab, "Your decision", choice, reruns=False)
    tab.get_by_label("Note (required)").fill(note)
    tab.get_by_role("textbox", name="Your password (electronic signature)").fill(password)


def test_the_second_prescriber_s_note_survives_the_refusal_and_joins_the_record(new_tab, late_url):
    first, second = new_tab(), new_tab()
    open_for_decision(first, late_url, "prescriber", "demo-prescriber-2026", "Approve", "Suitable for treatment")
    open_for_decision(second, late_url, *SECOND, "Decline", "needs cardiology review")

    act(first, first.get_by_role("button", name="Sign decision").click)
    expect(first.get_by_text("Signed: approved for Latenote, Robin.")).to_be_visible()

    act(second, second.get_by_role("button", name="Sign decision").click)
    expect(second.get_by_text("your decision was not signed", exact=False)).to_be_visible()
    expect(second.get_by_text("already been decided: approved by Dr Demo Prescriber", exact=False)).to_be_visible()
    kept = second.get_by_label("Your note, kept", exact=False)
    expect(kept).to_have_value("needs cardiology review")

    act(second, second.get_by_role("button", name="Add my note to the record as a comment").click)
    expect(second.get_by_text("Your note was added to Latenote, Robin's screening as a comment.")).to_be_visible()
    expect(second.get_by_label("Your note, kept", exact=False)).to_have_count(0)

    expect(first.get_by_label("Your note, kept", exact=False)).to_have_count(0)  # the first signer saw none
