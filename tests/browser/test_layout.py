"""The screening form at the screens a clinic has: answers on one line at 1440 px, usable at 1024 px, Tab in
reading order."""

from playwright.sync_api import expect

from tests.browser.test_screening_journey import go, open_expander, pick
from tests.browser.test_sign_in_journey import sign_in

WRAPPED_ANSWER_ROWS = """() => [...document.querySelectorAll('[role=radiogroup]')]
    .filter(group => new Set([...group.children].map(c => Math.round(c.getBoundingClientRect().top))).size > 1)
    .map(group => group.getAttribute('aria-label'))"""
NARROW_FIELDS = """() => [...document.querySelectorAll('input[type=text], input[type=number], textarea')]
    .filter(field => field.offsetParent !== null)
    .filter(field => field.getBoundingClientRect().width < (field.type === 'number' ? 60 : 140))
    .map(field => field.getAttribute('aria-label'))"""
"""Text needs room to be read back (a date of birth, a name); a number of two or three digits needs less."""

FOCUSED = """() => document.activeElement.getAttribute('aria-label')
    || document.activeElement.closest('[role=radiogroup]')?.getAttribute('aria-label')
    || document.activeElement.outerHTML.slice(0, 120)"""


def open_full_form(tab, app_url, width: int, height: int) -> None:
    """The screening form with every questionnaire on screen: alcohol (AUDIT-C) chosen and PCL-5 opened."""
    tab.set_viewport_size({"width": width, "height": height})
    sign_in(tab, app_url, "nurse", "demo-nurse-2026")
    go(tab, "Screening")
    pick(tab, "Primary substance", "Alcohol")
    expect(tab.get_by_text("AUDIT-C").first).to_be_visible()
    open_expander(tab, tab.get_by_test_id("stExpander").filter(has_text="PCL-5 (trauma)"))
    expect(tab.get_by_text("Repeated, disturbing dreams")).to_be_visible()


def test_every_answer_row_fits_on_one_line_at_1440(tab, app_url):
    open_full_form(tab, app_url, 1440, 900)
    assert tab.evaluate(WRAPPED_ANSWER_ROWS) == []


def test_the_form_is_usable_at_1024(tab, app_url):
    open_full_form(tab, app_url, 1024, 768)
    assert tab.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert tab.evaluate(NARROW_FIELDS) == []
    expect(tab.get_by_role("heading", name="Decision")).to_be_visible()


def test_tab_moves_through_the_identity_fields_as_they_read(tab, app_url):
    sign_in(tab, app_url, "nurse", "demo-nurse-2026")
    go(tab, "Screening")
    expect(tab.get_by_role("radiogroup", name="Sex at birth")).to_be_visible()
    tab.get_by_label("First name", exact=True).focus()
    visited = []
    for _ in range(6):
        tab.keyboard.press("Tab")
        visited.append(tab.evaluate(FOCUSED))
    assert visited[:5] == ["Last name", "Date of birth", "Sex at birth", "Chart number", "Phone"], visited
