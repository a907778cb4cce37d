"""What a hand does without thinking: password, Tab, Enter signs; a click on a patient's name opens the chart."""

import re

from playwright.sync_api import expect

from tests.browser.runs import act
from tests.browser.test_patient_safety import (
    PRESCRIBER,
    ROW_MARKER_X,
    SEARCH,
    click_grid_row,
    options_of,
    patient_of,
    roster,
    roster_rows,
    searched_count,
    wait_for_roster,
)
from tests.browser.test_screening_journey import choose, go, pick, type_into
from tests.browser.test_sign_in_journey import sign_in


def test_a_decision_is_signed_with_password_tab_enter(tab, app_url):
    sign_in(tab, app_url, *PRESCRIBER)
    go(tab, "Approval queue")
    screening = options_of(tab, "Screening to decide")[0]
    pick(tab, "Screening to decide", screening)
    choose(tab, "Your decision", "Approve", reruns=False)  # the decision, note and password are one form
    tab.get_by_label("Note (required)").fill("Suitable; start the IV course")
    tab.get_by_role("textbox", name="Your password (electronic signature)").press_sequentially(PRESCRIBER[1])
    tab.keyboard.press("Tab")
    expect(tab.get_by_role("button", name="Sign decision")).to_be_focused()
    act(tab, lambda: tab.keyboard.press("Enter"))
    expect(tab.get_by_text(re.compile(rf"Signed: approved for {re.escape(patient_of(screening))}\."))).to_be_visible()


def test_sign_in_with_password_tab_enter(tab, app_url):
    tab.goto(app_url)
    tab.get_by_label("Username").fill("nurse")
    tab.get_by_role("textbox", name="Password").press_sequentially("demo-nurse-2026")
    tab.keyboard.press("Tab")
    expect(tab.get_by_role("button", name="Sign in")).to_be_focused()
    act(tab, lambda: tab.keyboard.press("Enter"))
    expect(tab.get_by_role("button", name="Sign out")).to_be_visible()


def test_clicking_a_patients_name_opens_the_chart(tab, app_url):
    """The caption says 'Click a patient'; a click on the name, not only on the tick box at the left, opens it."""
    sign_in(tab, app_url, "nurse", "demo-nurse-2026")
    go(tab, "Patients")
    type_into(tab, SEARCH, "DEMO-000010")
    assert searched_count(tab, "DEMO-000010") == 1  # the unsearched roster's top row is someone else
    name = roster_rows(tab)[0].split(" | ")[0]
    wait_for_roster(tab, 1, name)
    click_grid_row(tab, roster(tab), 0, ROW_MARKER_X + 80)
    expect(tab.get_by_role("heading", level=2)).to_have_text(name)


def test_headings_are_not_tab_stops(tab, app_url):
    """Issue 25.14: every heading's anchor link was a Tab stop on the way to the next field."""
    sign_in(tab, app_url, "prescriber", "demo-prescriber-2026")
    go(tab, "Outcomes")
    expect(tab.get_by_role("heading", name="Over the course")).to_be_visible()
    anchors = tab.locator('[data-testid="stHeaderActionElements"] a[aria-label="Link to heading"]')
    expect(anchors.first).to_be_attached()
    tabbable = tab.evaluate("""() => [...document.querySelectorAll('a[aria-label="Link to heading"]')]
        .filter(a => getComputedStyle(a).display !== 'none' && a.tabIndex >= 0).length""")
    assert tabbable == 0
