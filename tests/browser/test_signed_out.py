"""A signed-out browser opening each page by its address sees the sign-in form and no patient data."""

import pytest
from playwright.sync_api import expect

PAGES = ["", "screening", "approvals", "dosing", "checkins", "patients", "outcomes", "admin", "audit_log"]


@pytest.mark.parametrize("path", PAGES)
def test_each_page_by_address_shows_only_the_sign_in_form(tab, app_url, path):
    tab.goto(f"{app_url}/{path}")
    expect(tab.get_by_role("heading", name="Sign in")).to_be_visible()
    # The page's first run (the one the address started) has ended: the app says so on its root.
    expect(tab.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")
    body = tab.locator("body").inner_text()
    assert "DEMO-0" not in body and "Chart number" not in body
    expect(tab.get_by_test_id("stDataFrame")).to_have_count(0)
    expect(tab.locator(".stVegaLiteChart")).to_have_count(0)
