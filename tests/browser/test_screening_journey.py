import re
from datetime import date, timedelta

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from core.rules import instruments
from tests.browser.conftest import snap
from tests.browser.runs import act
from tests.browser.test_sign_in_journey import sign_in

MRN = "BROWSER-0001"
PICK_TRIES = 3
OPTION_CLICK_MS = 5_000
OPEN_LIST_MS = 5_000
"""How long a click waits for an option of a list already open: it is drawn, so only a list closed under it waits."""


def go(tab, page: str) -> None:
    """Open a page from the sidebar; returns once its run has ended and drawn its title."""
    act(tab, tab.get_by_test_id("stSidebarUserContent").get_by_role("link", name=page).click)
    expect(tab.get_by_role("heading", name=page, level=1)).to_be_visible()


def open_expander(tab, expander) -> None:
    """Open a collapsed expander: the browser alone opens it (no run), so check that it did."""
    expander.locator("summary").click()
    expect(expander.locator("details")).to_have_attribute("open", "")


def choose(tab, question: str, option: str, reruns: bool = True) -> None:
    """Pick a radio answer. An answer inside a form (`reruns=False`) sends nothing until the form is submitted, so
    there is no run to wait for; elsewhere each answer reruns the page."""
    group = tab.locator('[data-testid="stRadio"]').filter(has_text=question)
    label = group.locator("label").filter(has_text=re.compile(rf"^{re.escape(option)}$")).first
    if reruns:
        act(tab, label.click)
    else:
        label.click()
    expect(label.locator("input")).to_be_checked()


def type_into(tab, label: str, text: str) -> None:
    """Type into a field and press Enter, which sends it and reruns the page. A field that already holds the text
    (a search kept from the last visit) sends nothing on Enter, so there is no run to wait for."""
    field = tab.get_by_label(label, exact=True)
    expect(field).to_be_editable()
    if field.input_value() == text:
        return
    field.fill(text)
    act(tab, lambda: field.press("Enter"))


def write_into(tab, field, text: str) -> None:
    """Fill a field and leave it with Tab, which sends it and reruns the page (a text area keeps Enter as a new
    line). Left to the next click instead, its run would race that click's."""
    field.fill(text)
    act(tab, lambda: field.press("Tab"))
    expect(field).to_have_value(text)


def open_list(tab, label: str, shows) -> None:
    """Open a selectbox's list (the browser alone, no run) and wait until `shows` is in it. The keyboard opens it:
    a mouse click on a box scrolled into view on a loaded machine was seen to open and close it at once. On a
    machine at a load average of 12 the key press was seen lost (the box redrawn under it, the list never opened
    in 30 s): a list not open after a few seconds is closed and opened again."""
    box = tab.get_by_label(label, exact=True)
    for _ in range(PICK_TRIES - 1):
        box.focus()
        box.press("ArrowDown")
        try:
            expect(shows).to_be_visible(timeout=OPEN_LIST_MS)
            return
        except AssertionError:
            box.press("Escape")
    box.focus()
    box.press("ArrowDown")
    expect(shows).to_be_visible()


def pick(tab, label: str, choice: str, reruns: bool = True) -> None:
    """Choose a selectbox option; returns once the choice's run has ended (none inside a form: `reruns=False`). A box
    already showing the choice (as the last step's run left it) sends nothing when it is chosen again: nothing to do.

    On a loaded machine the open list was seen to close before the click reached its option (the click then waits
    for an option that is gone, and nothing is chosen): such a click is given up after a few seconds and the list
    opened again. The box's value, checked at the end, is what says the choice was made."""
    box = tab.get_by_role("combobox", name=label, exact=True)
    expect(box).to_be_visible()
    if box.input_value() == choice:
        return
    wanted = tab.get_by_role("option", name=choice, exact=True)
    for _ in range(PICK_TRIES):
        open_list(tab, label, wanted)
        try:
            if reruns:
                act(tab, lambda: wanted.click(timeout=OPTION_CLICK_MS))
            else:
                wanted.click(timeout=OPTION_CLICK_MS)
        except PlaywrightTimeoutError:
            if box.input_value() == choice:
                break
            continue
        break
    expect(box).to_have_value(choice)


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
    type_into(tab, "Date of last use", (date.today() - timedelta(days=3)).isoformat())  # fits 10 of the last 30
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
    snap(tab, "screening")
    act(tab, tab.get_by_role("button", name="Save screening").click)
    expect(tab.get_by_text("Screening saved for Journeytest, Browser: Eligible.")).to_be_visible()

    act(tab, tab.get_by_role("button", name="Sign out").click)
    sign_in(tab, app_url, "prescriber", "demo-prescriber-2026")
    go(tab, "Approval queue")
    pick(tab, "Screening to decide", next_option_containing(tab, "Screening to decide", "Journeytest"))
    choose(tab, "Your decision", "Approve", reruns=False)
    tab.get_by_label("Note (required)").fill("Suitable; start IV course")
    tab.get_by_role("textbox", name="Your password (electronic signature)").fill("demo-prescriber-2026")
    act(tab, tab.get_by_role("button", name="Sign decision").click)
    expect(tab.get_by_text("Signed: approved for Journeytest, Browser.")).to_be_visible()

    go(tab, "Patients")
    type_into(tab, "Search by name, chart number or date of birth", MRN)
    expect(tab.get_by_text("1 patient(s), most recent activity first")).to_be_visible()
    # The grid paints on a canvas; its accessible table holds the cell text.
    grid = tab.locator('[data-testid="stDataFrame"]')
    expect(grid.get_by_text(MRN, exact=True)).to_be_attached()
    # The caption can update before the grid redraws: wait until only the matching row is left.
    expect(grid.locator("[role=gridcell]").filter(has_text=re.compile(r"^Approved$"))).to_have_count(1)
    snap(tab, "roster")


def next_option_containing(tab, label: str, text: str) -> str:
    """The first option holding `text`, read from the select box's open list (closed again after)."""
    option = tab.get_by_role("option").filter(has_text=text).first
    open_list(tab, label, option)
    name = option.inner_text()
    tab.keyboard.press("Escape")
    return name
