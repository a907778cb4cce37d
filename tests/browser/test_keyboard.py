"""Signing and signing in from the keyboard: type the password, Tab, Enter."""

import re

from playwright.sync_api import expect

from tests.browser.test_patient_safety import PRESCRIBER, options_of, patient_of
from tests.browser.test_screening_journey import choose, go, pick, settle
from tests.browser.test_sign_in_journey import sign_in


def test_a_decision_is_signed_with_password_tab_enter(tab, app_url):
    sign_in(tab, app_url, *PRESCRIBER)
    go(tab, "Approval queue")
    screening = options_of(tab, "Screening to decide")[0]
    pick(tab, "Screening to decide", screening)
    choose(tab, "Your decision", "Approve")
    tab.get_by_label("Note (required)").fill("Suitable; start the IV course")
    tab.get_by_role("textbox", name="Your password (electronic signature)").press_sequentially(PRESCRIBER[1])
    tab.keyboard.press("Tab")
    expect(tab.get_by_role("button", name="Sign decision")).to_be_focused()
    tab.keyboard.press("Enter")
    expect(tab.get_by_text(re.compile(rf"Signed: approved for {re.escape(patient_of(screening))}\."))).to_be_visible()


def test_sign_in_with_password_tab_enter(tab, app_url):
    tab.goto(app_url)
    tab.get_by_label("Username").fill("nurse")
    tab.get_by_role("textbox", name="Password").press_sequentially("demo-nurse-2026")
    tab.keyboard.press("Tab")
    tab.keyboard.press("Enter")
    settle(tab)
    expect(tab.get_by_role("button", name="Sign out")).to_be_visible()
