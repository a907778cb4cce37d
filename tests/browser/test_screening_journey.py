import re
import tempfile
from pathlib import Path

from playwright.sync_api import expect

from core.rules import instruments
from tests.browser.test_sign_in_journey import sign_in

MRN = "BROWSER-0001"
SCREENSHOTS = Path(tempfile.gettempdir())


def go(tab, page: str) -> None:
    """Open a page from the sidebar and wait until it has begun to draw (its title is the link's name): on a loaded
    machine the run can start more than a second after the click, and a settle() before then proves nothing."""
    tab.get_by_test_id("stSidebarUserContent").get_by_role("link", name=page).click()
    expect(tab.get_by_role("heading", name=page, level=1)).to_be_visible()


def open_expander(tab, expander) -> None:
    """Open a collapsed expander once the page has finished drawing: a click during the run was undone by it."""
    settle(tab)
    expander.locator("summary").click()
    expect(expander.locator("details")).to_have_attribute("open", "")


def choose(tab, question: str, option: str) -> None:
    group = tab.locator('[data-testid="stRadio"]').filter(has_text=question)
    group.locator("label").filter(has_text=re.compile(rf"^{re.escape(option)}$")).first.click()


def type_into(tab, label: str, text: str) -> None:
    field = tab.get_by_label(label, exact=True)
    field.fill(text)
    field.press("Enter")


def settle(tab) -> None:
    """Wait for the rerun a click or an Enter started to finish, so an absence checked next is real.

    Streamlit marks the app root with data-test-script-state; give the rerun a moment to start first.
    """
    tab.wait_for_timeout(1_000)
    expect(tab.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")


def open_list(tab, label: str, shows) -> None:
    """Open a selectbox until `shows` is visible. A click while a rerun redraws the box (just after a page switch,
    a re-screen's pre-filled page, a signature) leaves the list closed, so settle and try again."""
    for _ in range(3):
        settle(tab)
        tab.get_by_label(label, exact=True).click()
        try:
            expect(shows).to_be_visible(timeout=3_000)
            return
        except AssertionError:
            tab.keyboard.press("Escape")
    expect(shows).to_be_visible()


def pick(tab, label: str, choice: str) -> None:
    """Choose a selectbox option, robust to a selectbox redrawn by a rerun still under way."""
    wanted = tab.get_by_role("option", name=choice, exact=True)
    open_list(tab, label, wanted)
    wanted.click()


def answer_scale(tab, instrument, values) -> None:
    for item, value in zip(instrument.items, values, strict=True):
        label = next(o.label for o in item.options if o.value == value)
        choose(tab, item.text, f"{value} · {label}")


def test_nurse_screens_prescriber_approves_roster_shows_approved(tab, app_url):
    sign_in(tab, app_url, "nurse", "demo-nurse-2026")
    go(tab, "Screening")
    expect(tab.get_by_role("heading", name="Identity")).to_be_visible()

    type_into(tab, "First name", "Browser")
    type_into(tab, "Last name", "Journeytest")
    type_into(tab, "Date of birth", "1985-04-12")
    type_into(tab, "Chart number", MRN)
    choose(tab, "Sex at birth", "Male")
    pick(tab, "Primary substance", "Cocaine")
    type_into(tab, "Days used in the last 30", "10")
    type_into(tab, "Years of use", "5")
    type_into(tab, "Date of last use", "2026-01-02")
    type_into(tab, "Time of last use", "08:00")
    answer_scale(tab, instruments.PHQ9, [1, 1, 1, 1, 1, 1, 1, 1, 0])
    answer_scale(tab, instruments.GAD7, [1, 1, 1, 1, 1, 0, 0])
    choose(tab, instruments.CSSRS.items[0].text, "No")
    choose(tab, instruments.CSSRS.items[1].text, "No")
    choose(tab, instruments.CSSRS.items[5].text, "No")
    type_into(tab, "Systolic blood pressure (mmHg, measured now)", "126")
    type_into(tab, "Diastolic blood pressure (mmHg, measured now)", "80")
    choose(tab, "Willing to take part in integration therapy", "Yes")
    choose(tab, "Someone can drive the patient home", "Yes")

    expect(tab.get_by_text("Screening result: Eligible")).to_be_visible()
    tab.screenshot(path=str(SCREENSHOTS / "screening.png"), full_page=True)
    tab.get_by_role("button", name="Save screening").click()
    expect(tab.get_by_text("Screening saved for Journeytest, Browser: Eligible.")).to_be_visible()

    tab.get_by_role("button", name="Sign out").click()
    sign_in(tab, app_url, "prescriber", "demo-prescriber-2026")
    go(tab, "Approval queue")
    pick(tab, "Screening to decide", next_option_containing(tab, "Screening to decide", "Journeytest"))
    choose(tab, "Your decision", "Approve")
    tab.get_by_label("Note (required)").fill("Suitable; start IV course")
    tab.get_by_role("textbox", name="Your password (electronic signature)").fill("demo-prescriber-2026")
    tab.get_by_role("button", name="Sign decision").click()
    expect(tab.get_by_text("Signed: approved for Journeytest, Browser.")).to_be_visible()

    go(tab, "Patients")
    type_into(tab, "Search by name, chart number or date of birth", MRN)
    expect(tab.get_by_text("1 patient(s), most recent activity first")).to_be_visible()
    # The grid paints on a canvas; its accessible table holds the cell text.
    grid = tab.locator('[data-testid="stDataFrame"]')
    expect(grid.get_by_text(MRN, exact=True)).to_be_attached()
    # The caption can update before the grid redraws: wait until only the matching row is left.
    expect(grid.locator("[role=gridcell]").filter(has_text=re.compile(r"^Approved$"))).to_have_count(1)
    tab.screenshot(path=str(SCREENSHOTS / "roster.png"))


def next_option_containing(tab, label: str, text: str) -> str:
    """The first option holding `text`. The list is opened with open_list(): a click during the page's first run
    leaves it closed."""
    option = tab.get_by_role("option").filter(has_text=text).first
    open_list(tab, label, option)
    name = option.inner_text()
    tab.keyboard.press("Escape")
    return name
