"""Patient-safety journeys from the issue, each written as what a clinician should get.

Every test drives the real app in Chromium. Patients are created with unique names and
chart numbers, or picked at run time, so the tests share one demo database in any order.
"""

import re
import time
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from core.rules import instruments
from tests.browser.conftest import snap
from tests.browser.people import app_url_with, person, unique
from tests.browser.runs import act
from tests.browser.test_screening_journey import answer_scale, choose, go, open_list, pick, type_into
from tests.browser.test_sign_in_journey import sign_in

NURSE = ("nurse", "demo-nurse-2026")
PRESCRIBER = ("prescriber", "demo-prescriber-2026")
IDLE_MINUTES = 0.25
IDLE_SECONDS = IDLE_MINUTES * 60
SETTLED_MS = 5_000
"""Patience for an absence once the action's run has ended and drawn its answer: the page no longer changes, so
waiting longer proves nothing."""
ROW_HEIGHT = 35
"""st.dataframe draws its header and every row 35 px high (Streamlit's default row height)."""
ROW_MARKER_X = 15
"""The row-selection checkbox column is the leftmost ~30 px of the grid canvas."""
SAVED = re.compile("Screening saved")
SEARCH = "Search by name, chart number or date of birth"
SYSTOLIC = "Systolic blood pressure (mmHg, measured now)"
DIASTOLIC = "Diastolic blood pressure (mmHg, measured now)"
ELIGIBLE_PHQ9 = (1, 1, 1, 1, 1, 1, 1, 1, 0)
STILL_NEEDED = "The decision appears when the form is complete."
"""The decision panel of a form still being filled in (it goes on to list what is still needed)."""


DUPLICATED = person("Dup", "Check", date(1985, 4, 12), "SAFE-0701-")


app_url = app_url_with(DUPLICATED)
"""This module's app, with the patient the duplicate check finds already on file."""


@pytest.fixture(scope="module")
def idle_app_url(app_server):
    """A second app whose idle limit is 15 s, so the idle journeys take seconds rather than 15 minutes. Its idle watch
    stays quiet (the test servers' default), so nothing but the user's own click meets the limit."""
    return app_server(CLINIC_IDLE_MINUTES=str(IDLE_MINUTES))


@pytest.fixture(scope="module")
def idle_watch_app_url(app_server):
    """The same limit with the idle watch at its usual pace (a quarter of the limit): the timer is what is tested."""
    return app_server(CLINIC_IDLE_MINUTES=str(IDLE_MINUTES), CLINIC_IDLE_WATCH_SECONDS=str(IDLE_SECONDS / 4))


def stay_idle(tab, seconds: float) -> None:
    """Leave the tab alone for `seconds`. The one wait on the clock in these tests: the idle time is what the test is
    about, and with the idle watch quiet nothing on the page changes to say it has passed."""
    tab.wait_for_timeout(seconds * 1_000)


def sign_in_here(tab, username: str, password: str) -> None:
    """Sign in on the form already on screen: the same browser session, as when the next person takes the
    keyboard (sign_in() loads the URL afresh, which is a new session)."""
    expect(tab.get_by_role("heading", name="Sign in")).to_be_visible()
    tab.get_by_label("Username").fill(username)
    tab.get_by_role("textbox", name="Password").fill(password)
    act(tab, tab.get_by_role("button", name="Sign in").click)
    expect(tab.get_by_role("button", name="Sign out")).to_be_visible()
    expect(tab.get_by_role("heading", name="Sign in")).to_have_count(0)


def years_ago(years: int, extra_days: int = 0) -> date:
    """A date of birth giving an age of `years` today (extra_days keeps it clear of the birthday)."""
    today = date.today()
    return today.replace(year=today.year - years) - timedelta(days=extra_days)


def fill_identity(tab, first: str, last: str, mrn: str, born: date = date(1985, 4, 12)) -> None:
    """A new patient's identity; male, so the pregnancy question stays away."""
    expect(tab.get_by_role("heading", name="Identity")).to_be_visible()
    type_into(tab, "First name", first)
    type_into(tab, "Last name", last)
    type_into(tab, "Date of birth", born.isoformat())
    type_into(tab, "Chart number", mrn)
    choose(tab, "Sex at birth", "Male")


def fill_clinical(tab, phq9=ELIGIBLE_PHQ9) -> None:
    """Everything after identity, as in the screening journey: an eligible adult unless phq9 says otherwise."""
    pick(tab, "Primary substance", "Cocaine")
    type_into(tab, "Days used in the last 30", "10")
    type_into(tab, "Years of use", "5")
    type_into(tab, "Date of last use", (date.today() - timedelta(days=7)).isoformat())
    type_into(tab, "Time of last use", "08:00")
    answer_scale(tab, instruments.PHQ9, phq9)
    answer_scale(tab, instruments.GAD7, [1, 1, 1, 1, 1, 0, 0])
    choose(tab, instruments.CSSRS.items[0].text, "No")
    choose(tab, instruments.CSSRS.items[1].text, "No")
    choose(tab, instruments.CSSRS.items[5].text, "No")
    type_into(tab, SYSTOLIC, "126")
    type_into(tab, DIASTOLIC, "80")
    if sex_at_birth(tab) == "Female":  # the form asks a woman about pregnancy
        choose(tab, "Pregnancy", "Not pregnant")
    choose(tab, "Willing to take part in integration therapy", "Yes")
    choose(tab, "Someone can drive the patient home", "Yes")


def sex_at_birth(tab) -> str:
    """The sex the form holds (typed, or the chart's in a re-screen), read from its one checked answer."""
    group = tab.get_by_role("radiogroup", name="Sex at birth")
    expect(group.locator("input:checked")).to_have_count(1)
    return group.locator("label").filter(has=tab.locator("input:checked")).inner_text()


def screen_another(tab) -> None:
    """The save's confirmation replaces the form until the nurse starts the next patient: start it."""
    act(tab, tab.get_by_role("button", name="Screen another patient").click)
    expect(tab.get_by_label("First name", exact=True)).to_have_value("")


def fill_screening(tab, first: str, last: str, mrn: str, born: date = date(1985, 4, 12), phq9=ELIGIBLE_PHQ9) -> None:
    """A complete screening, so the decision shows and Save can store it."""
    fill_identity(tab, first, last, mrn, born)
    fill_clinical(tab, phq9)


def answer(item, value: int) -> str:
    """An instrument item's option as the form shows it, e.g. '1 · Several days'."""
    return f"{value} · {next(o.label for o in item.options if o.value == value)}"


def option(tab, question: str, shown: str):
    """The radio input for one answer to one question, to check whether it is selected."""
    group = tab.locator('[data-testid="stRadio"]').filter(has_text=question)
    return group.locator("label").filter(has_text=re.compile(rf"^{re.escape(shown)}$")).locator("input")


def options_of(tab, label: str) -> list[str]:
    """The texts a selectbox offers (the first screenful: enough for the oldest entries of a queue)."""
    names = tab.get_by_role("option")
    open_list(tab, label, names.first)
    texts = names.all_inner_texts()
    tab.keyboard.press("Escape")
    return texts


def roster(tab):
    """The Patients roster: the first dataframe on the page (a chart below it has its own tables)."""
    return tab.locator('[data-testid="stDataFrame"]').first


def wait_for_roster(tab, rows: int, containing: str) -> None:
    """The caption updates before the grid redraws: wait until the grid itself holds `rows` rows, one of them
    with a cell reading `containing`."""
    grid = roster(tab)
    expect(grid.locator("table[role=grid]")).to_have_attribute("aria-rowcount", str(rows + 1))
    expect(grid.locator("[role=gridcell]").filter(has_text=re.compile(rf"^{re.escape(containing)}$"))).to_have_count(1)


def roster_rows(tab) -> list[str]:
    """Each drawn row's cell texts joined by '|', top to bottom, as the grid's accessible table holds them.

    The grid fills its accessible table a moment after its first cell appears, so wait for a whole row first.
    """
    expect(roster(tab).locator("tbody tr[role=row] [role=gridcell]").first).to_be_attached()
    return [" | ".join(row.locator("[role=gridcell]").all_inner_texts())
            for row in roster(tab).locator("tbody tr[role=row]").all()]


def click_grid_row(tab, grid, index: int, x: float = ROW_MARKER_X) -> None:
    """Click the row drawn at position `index` (0 = top) of a table, `x` px from its left edge (the default is the
    row-selection cell), and wait for the run the click starts.

    The glide grid paints on a canvas, so the accessible table has no boxes to click: the click goes to the row's
    height (the header and each row are ROW_HEIGHT px). The grid's box is read just before the click, after the run
    that drew it, so a table that moved since is not missed. Only rows drawn without scrolling can be clicked.
    """
    canvas = grid.get_by_test_id("data-grid-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    y = ROW_HEIGHT + index * ROW_HEIGHT + ROW_HEIGHT / 2
    assert y <= box["height"] - ROW_HEIGHT / 2, f"row {index} is not drawn without scrolling: search first"
    # The grid's overlay layers take the pointer events, so Playwright's click on the canvas element would wait
    # forever for it to be "receiving events"; a mouse click at the coordinates is what a person does.
    act(tab, lambda: tab.mouse.click(box["x"] + x, box["y"] + y))


def click_roster_row(tab, index: int) -> None:
    """Select the roster row drawn at position `index` (0 = top), the way a nurse does: one click on its
    selection cell. Narrow the roster with a search first if the row is further down."""
    click_grid_row(tab, roster(tab), index)


def back_to_the_roster(tab) -> None:
    """The chart opens in place of the roster and stays open across visits to the page; close it if the page, its
    run over (go() or the last act()), shows one. That is what the page drew, not a moment of a redraw."""
    back = tab.get_by_role("button", name="Back to the patient list")
    search = tab.get_by_label(SEARCH, exact=True)
    expect(back.or_(search)).to_be_visible()
    if back.is_visible():
        act(tab, back.click)
    expect(search).to_be_visible()


def open_chart(tab, mrn: str) -> str:
    """Search the roster for one chart number, select its row and return the chart's heading ("Last, First")."""
    go(tab, "Patients")
    back_to_the_roster(tab)
    type_into(tab, SEARCH, mrn)
    wait_for_roster(tab, 1, mrn)
    name = roster(tab).locator("[role=gridcell]").first.inner_text()
    click_roster_row(tab, 0)
    expect(tab.get_by_role("heading", name=name, exact=True)).to_be_visible()
    return name


def tick(tab, label: str) -> None:
    """Tick a checkbox (or toggle): its input is covered by the drawn box, so click the label as a person does."""
    act(tab, tab.locator('[data-testid="stCheckbox"]').filter(has_text=label).locator("label").first.click)
    expect(tab.get_by_label(label, exact=True)).to_be_checked()


def count_in_roster(tab, mrn: str) -> int:
    """How many patients hold this exact chart number, read from the roster after a search."""
    go(tab, "Patients")
    back_to_the_roster(tab)
    type_into(tab, SEARCH, mrn)
    return searched_count(tab, mrn)


SEARCH_ANSWER = """mrn => {
    if (document.body.innerText.includes('No patient matches')) return {count: 0};
    const table = document.querySelectorAll('[data-testid=stDataFrame]')[0]?.querySelector('table[role=grid]');
    if (!table) return false;
    const numbers = [...table.querySelectorAll('[role=gridcell][aria-colindex="2"]')].map(c => c.innerText.trim());
    const drawn = numbers.length > 0 && numbers.length === Number(table.getAttribute('aria-rowcount')) - 1;
    return drawn && numbers.every(n => n === mrn) ? {count: numbers.length} : false;
}"""
"""The search's own answer, or false while the roster still shows something else (the unsearched rows, or an empty
grid halfway through its redraw)."""


def searched_count(tab, mrn: str) -> int:
    """Wait for the search's own answer, "no patient matches" or a grid of this number only, and count it.

    The grid redraws a moment after the search's run has ended and is briefly empty meanwhile, so neither an empty
    grid nor the unsearched roster is an answer; the page is asked until it shows one (Playwright polls it)."""
    return tab.wait_for_function(SEARCH_ANSWER, arg=mrn).json_value()["count"]


def sign_decision(tab, option_text: str, note: str) -> None:
    """A prescriber's complete signature: screening, Approve, note and password, then Sign decision."""
    pick(tab, "Screening to decide", option_text)
    choose(tab, "Your decision", "Approve", reruns=False)  # the decision, note and password are one form
    tab.get_by_label("Note (required)").fill(note)
    tab.get_by_role("textbox", name="Your password (electronic signature)").fill(PRESCRIBER[1])
    act(tab, tab.get_by_role("button", name="Sign decision").click)


ANSWER_TO_A_SIGNATURE = re.compile(
    r"^Signed: |Decision: choose Approve or Decline|Note is required|Password is not right")
"""What Sign decision says, signed or refused: the click's own answer, looked for before any absence."""


def patient_of(option_text: str) -> str:
    """'Last, First · CHART · date' -> 'Last, First'."""
    return option_text.split(" · ")[0]


# 1. Decision signed without a signature.

def test_second_decision_is_not_signed_with_the_previous_note_and_password(tab, app_url):
    """After one signature the next screening starts blank: no note, no password and no decision carried over."""
    sign_in(tab, app_url, *PRESCRIBER)
    go(tab, "Approval queue")
    first, second = options_of(tab, "Screening to decide")[:2]
    pick(tab, "Screening to decide", first)
    decision = tab.get_by_role("radiogroup", name="Your decision")
    expect(decision).to_be_visible()
    preselected = decision.locator("input:checked").count()

    sign_decision(tab, first, "Suitable; start the IV course")
    expect(tab.get_by_text(re.compile(rf"Signed: .* for {re.escape(patient_of(first))}\."))).to_be_visible()

    pick(tab, "Screening to decide", second)
    note_after = tab.get_by_label("Note (required)").input_value()
    password_after = tab.get_by_role("textbox", name="Your password (electronic signature)").input_value()
    act(tab, tab.get_by_role("button", name="Sign decision").click)
    expect(tab.get_by_text(ANSWER_TO_A_SIGNATURE).first, "the click on Sign decision got no answer").to_be_visible()
    snap(tab, "1-second-decision")
    expect(tab.get_by_text(re.compile(rf"Signed: .* for {re.escape(patient_of(second))}\.")),
           "the second screening was signed without a note or a password").to_have_count(0, timeout=SETTLED_MS)
    assert second in options_of(tab, "Screening to decide"), "the second screening left the queue"
    assert (note_after, password_after) == ("", ""), "note and password survived the first signature"
    assert preselected == 0, "a decision was preselected before the prescriber chose one"


# 2. Previous patient's answers flow into the next screening.

def test_next_screening_starts_empty_after_a_save(tab, app_url):
    """Saving clears the form for good: typing the next patient's name must not bring back the last one's answers."""
    sign_in(tab, app_url, *NURSE)
    go(tab, "Screening")
    fill_screening(tab, unique("Carry"), unique("Over"), unique("SAFE-0201-"))
    act(tab, tab.get_by_role("button", name="Save screening").click)
    expect(tab.get_by_text(SAVED)).to_be_visible()
    screen_another(tab)

    type_into(tab, "First name", unique("Next"))
    expect(tab.get_by_text(STILL_NEEDED, exact=False)).to_be_visible()
    snap(tab, "2-next-screening")
    expect(tab.locator('[data-testid="stRadio"] input:checked'),
           "answers of the saved screening came back").to_have_count(0, timeout=SETTLED_MS)
    expect(tab.get_by_label(SYSTOLIC, exact=True)).to_have_value("", timeout=SETTLED_MS)
    expect(tab.get_by_text("Screening result: Eligible")).to_have_count(0, timeout=SETTLED_MS)


def test_cancelled_rescreen_leaves_an_empty_form(tab, app_url):
    """Cancelling a re-screen must not leave that patient's name in the form for whoever is screened next."""
    sign_in(tab, app_url, *NURSE)
    open_chart(tab, "DEMO-000003")
    act(tab, tab.get_by_role("button", name="Re-screen this patient").click)
    first_name = tab.get_by_label("First name", exact=True)
    expect(first_name).not_to_have_value("")
    act(tab, tab.get_by_role("button", name="Cancel the re-screen").click)
    expect(tab.get_by_text(re.compile("cancelled; nothing was saved"))).to_be_visible()
    snap(tab, "2-cancelled-rescreen")
    expect(first_name).to_have_value("", timeout=SETTLED_MS)


# 3. The roster opens the wrong chart.

def test_roster_click_opens_the_patient_shown_after_another_user_reorders_it(new_tab, app_url):
    """A nurse clicks the row she sees; a prescriber's approval meanwhile re-sorts the roster. She must get that
    patient's chart, not whoever moved into the row's position."""
    prescriber, creator, nurse = new_tab(), new_tab(), new_tab()
    sign_in(prescriber, app_url, *PRESCRIBER)
    go(prescriber, "Approval queue")
    today = f"{date.today():%Y-%m-%d}"
    # Demo activity later today sorts above anything signed now: pick a screening from an earlier day.
    waiting = next(o for o in options_of(prescriber, "Screening to decide") if not o.endswith(today))
    other_mrn = waiting.split(" · ")[1]

    # A new patient whose chart number contains the waiting one's, so one search shows exactly these two,
    # the new one on top (its screening is the latest activity).
    first, last = unique("Row"), unique("Shown")
    sign_in(creator, app_url, *NURSE)
    go(creator, "Screening")
    fill_screening(creator, first, last, f"{other_mrn}-{unique('SAFE')}")
    act(creator, creator.get_by_role("button", name="Save screening").click)
    expect(creator.get_by_text(SAVED)).to_be_visible()

    # Another nurse, with no chart open yet, looks at the roster.
    sign_in(nurse, app_url, *NURSE)
    go(nurse, "Patients")
    type_into(nurse, "Search by name, chart number or date of birth", other_mrn)
    wait_for_roster(nurse, 2, f"{last}, {first}")
    assert roster_rows(nurse)[0].startswith(f"{last}, {first} |"), roster_rows(nurse)

    sign_decision(prescriber, waiting, "Suitable; start the IV course")
    expect(prescriber.get_by_text(re.compile(rf"Signed: .* for {re.escape(patient_of(waiting))}\."))).to_be_visible()

    click_roster_row(nurse, 0)
    snap(nurse, "3-roster-click")
    expect(nurse.get_by_role("heading", level=2)).to_have_text(f"{last}, {first}")


def test_typing_a_search_does_not_switch_the_open_chart(tab, app_url):
    """A search narrows the roster; it must never put another patient's chart on screen without a click."""
    sign_in(tab, app_url, *NURSE)
    go(tab, "Patients")
    expect(roster(tab).locator("[role=gridcell]").first).to_be_attached()
    top_row = roster_rows(tab)[0]
    click_roster_row(tab, 0)
    chart = tab.get_by_role("heading", level=2)
    expect(chart).to_have_count(1)
    opened = chart.inner_text()

    back_to_the_roster(tab)
    search = "DEMO-00003" if "DEMO-00002" in top_row else "DEMO-00002"
    type_into(tab, "Search by name, chart number or date of birth", search)
    chart_numbers = roster(tab).locator('[role=gridcell][aria-colindex="2"]')
    expect(chart_numbers.filter(has_text=search).first).to_be_attached()
    expect(chart_numbers.filter(has_not_text=search)).to_have_count(0)
    snap(tab, "3-search-with-chart-open")
    expect(chart.filter(has_not_text=opened), "the open chart switched to another patient without a click"
           ).to_have_count(0, timeout=SETTLED_MS)


def test_searching_one_chart_number_after_selecting_a_row_shows_it(tab, app_url):
    """Selecting the third row, then searching for one chart number, shows that patient instead of an error."""
    sign_in(tab, app_url, *NURSE)
    go(tab, "Patients")
    expect(roster(tab).locator("[role=gridcell]").first).to_be_attached()
    top_rows = " ".join(roster_rows(tab)[:3])
    click_roster_row(tab, 2)
    expect(tab.get_by_role("heading", level=2)).to_have_count(1)

    back_to_the_roster(tab)
    target = "DEMO-000005" if "DEMO-000004" in top_rows else "DEMO-000004"
    type_into(tab, "Search by name, chart number or date of birth", target)
    snap(tab, "3-search-after-selection")
    expect(roster(tab).locator("[role=gridcell]").filter(has_text=re.compile(rf"^{target}$")),
           "the page did not show the roster narrowed to the search").to_have_count(1)
    expect(tab.get_by_test_id("stException"), "the page failed instead of showing the roster"
           ).to_have_count(0, timeout=SETTLED_MS)


# 4. Idle sign-out.

def test_save_clicked_after_the_idle_limit_saves_nothing(new_tab, idle_app_url):
    """A click after the idle limit belongs to whoever walks up to the screen: it must not save anything."""
    tab = new_tab()
    mrn = unique("SAFE-0401-")
    sign_in(tab, idle_app_url, *NURSE)
    go(tab, "Screening")
    fill_screening(tab, unique("Idle"), unique("Save"), mrn)
    expect(tab.get_by_text("Screening result: Eligible")).to_be_visible()
    stay_idle(tab, IDLE_SECONDS + 2)
    # The idle watch is quiet on this server, so Save is still on screen: the click reaches the save's own guard.
    act(tab, tab.get_by_role("button", name="Save screening").click)
    expect(tab.get_by_role("heading", name="Sign in")).to_be_visible()
    snap(tab, "4-save-after-idle")

    sign_in_here(tab, *NURSE)
    assert count_in_roster(tab, mrn) == 0, "the screening was saved after the idle limit"


def test_idle_chart_is_hidden_without_any_click(new_tab, idle_watch_app_url):
    """An unattended chart must leave the screen when the idle limit passes, not at the next passer-by's click."""
    tab = new_tab()
    sign_in(tab, idle_watch_app_url, *NURSE)
    go(tab, "Patients")
    type_into(tab, SEARCH, "DEMO-000006")
    wait_for_roster(tab, 1, "DEMO-000006")
    name = roster(tab).locator("[role=gridcell]").first.inner_text()
    left_at = time.monotonic()  # the click's run, the last activity, starts after this
    click_roster_row(tab, 0)
    expect(tab.get_by_role("heading", name=name, exact=True)).to_be_visible()
    expect(tab.get_by_role("heading", name="Sign in"), "the chart stayed on screen after the idle limit"
           ).to_be_visible(timeout=(IDLE_SECONDS + 25) * 1_000)
    snap(tab, "4-idle-chart")
    assert time.monotonic() - left_at >= IDLE_SECONDS - 2, "signed out before the idle limit"
    expect(tab.get_by_text(name)).to_have_count(0)


# 5. Sign-out leaves the session behind.

def test_sign_out_clears_an_unsaved_screening(tab, app_url):
    """The next person signing in on the same screen must not find (and could not save as theirs) the form."""
    sign_in(tab, app_url, *NURSE)
    go(tab, "Screening")
    first = unique("Left")
    fill_screening(tab, first, unique("Behind"), unique("SAFE-0501-"))
    expect(tab.get_by_text("Screening result: Eligible")).to_be_visible()
    act(tab, tab.get_by_role("button", name="Sign out").click)
    expect(tab.get_by_role("heading", name="Sign in")).to_be_visible()

    sign_in_here(tab, *PRESCRIBER)
    go(tab, "Screening")
    expect(tab.get_by_role("heading", name="Identity")).to_be_visible()
    snap(tab, "5-after-sign-out")
    expect(tab.get_by_label("First name", exact=True), "the nurse's unsaved screening is still in the form"
           ).to_have_value("", timeout=SETTLED_MS)
    expect(tab.get_by_text(re.compile("^Screening result"))).to_have_count(0, timeout=SETTLED_MS)


# 6. The same-day safety flag.

def test_urgent_minor_stays_on_the_same_day_worklist_after_saving(new_tab, app_url):
    """An ineligible 16-year-old with thoughts of self-harm still needs today's safety assessment: nurse and
    prescriber see the patient on Home, and the save confirmation says so."""
    nurse = new_tab()
    first, last = unique("Urgent"), unique("Minor")
    patient = f"{last}, {first}"
    sign_in(nurse, app_url, *NURSE)
    go(nurse, "Screening")
    fill_screening(nurse, first, last, unique("SAFE-0601-"), born=years_ago(16, 30), phq9=(1, 1, 1, 1, 1, 1, 1, 1, 3))
    expect(nurse.get_by_text("Same-day safety assessment needed").first).to_be_visible()
    act(nurse, nurse.get_by_role("button", name="Save screening").click)
    confirmation = nurse.locator('[data-testid="stAlert"], [data-testid="stToast"]').filter(has_text=SAVED).first
    expect(confirmation).to_be_visible()
    saved_message = confirmation.inner_text()

    go(nurse, "Home")
    expect(nurse.get_by_role("heading", name="Home")).to_be_visible()
    snap(nurse, "6-nurse-home")
    expect(nurse.get_by_text(patient).first, "the urgent patient is on no worklist on the nurse's Home"
           ).to_be_attached(timeout=SETTLED_MS)
    expect(nurse.get_by_role("heading", name="Same-day safety assessments to record")).to_be_visible()

    prescriber = new_tab()
    sign_in(prescriber, app_url, *PRESCRIBER)
    expect(prescriber.get_by_role("heading", name="Same-day safety assessments to record")).to_be_visible()
    expect(prescriber.get_by_text(patient).first).to_be_attached()

    assert f"Screening saved for {patient}" in saved_message, saved_message
    assert "same-day safety assessment" in saved_message.lower(), saved_message


def test_item_9_alone_raises_the_urgent_banner_at_once(tab, app_url):
    """The banner must not wait for a complete form: the nurse needs it while the patient is still in the room."""
    sign_in(tab, app_url, *NURSE)
    go(tab, "Screening")
    expect(tab.get_by_role("heading", name="Identity")).to_be_visible()
    item9 = instruments.PHQ9.items[8]
    choose(tab, item9.text, answer(item9, 1))
    snap(tab, "6-item-9-alone")
    # "At once" means in the answer's own run, which choose() waited for: the banner is there when it has ended.
    expect(tab.get_by_text("Same-day safety assessment needed").first).to_be_visible()


# 7. Re-screen identity and duplicate acknowledgement.

def test_rescreen_keeps_the_date_of_birth_the_decision_was_made_on(tab, app_url):
    """A re-screen decided on a corrected date of birth must store that date of birth on the chart."""
    sign_in(tab, app_url, *NURSE)
    name = open_chart(tab, "DEMO-000007")
    act(tab, tab.get_by_role("button", name="Re-screen this patient").click)
    expect(tab.get_by_label("First name", exact=True)).not_to_have_value("")
    # A re-screen always locks the identity behind this box.
    expect(tab.get_by_label("Correct identity details", exact=True)).to_be_attached()
    tick(tab, "Correct identity details")
    expect(tab.get_by_label("Date of birth", exact=True)).to_be_enabled()
    born = years_ago(16, 30)
    type_into(tab, "Date of birth", born.isoformat())
    fill_clinical(tab)
    expect(tab.get_by_text("Age 16 is under 18")).to_be_visible()
    act(tab, tab.get_by_role("button", name="Save screening").click)
    expect(tab.get_by_text(SAVED)).to_be_visible()

    assert open_chart(tab, "DEMO-000007") == name
    snap(tab, "7-rescreen-chart")
    header = tab.get_by_text(re.compile(rf"^Chart number DEMO-000007 · born {born:%d %b %Y}"))
    expect(header, "the chart keeps the old date of birth").to_be_visible()


def test_duplicate_acknowledgement_does_not_outlive_a_chart_number_change(tab, app_url):
    """'Different person' was about one existing patient; after changing the chart number to another patient's,
    nothing may be saved until the nurse is warned about that second patient."""
    sign_in(tab, app_url, *NURSE)
    go(tab, "Screening")
    fill_screening(tab, DUPLICATED.first, DUPLICATED.last, unique("SAFE-0702-"), DUPLICATED.born)  # the same person
    act(tab, tab.get_by_role("button", name="Save screening").click)
    expect(tab.get_by_role("button", name="Different person: create a new record")).to_be_visible()

    type_into(tab, "Chart number", "DEMO-000002")
    warned_about_second = tab.get_by_text(re.compile("DEMO-000002"))
    save = tab.get_by_role("button", name="Save screening")
    # The chart number's run withdraws the acknowledgement about the first patient: Save is back.
    expect(save, "the acknowledgement about the first patient outlived the chart number change").to_be_visible()
    act(tab, save.click)
    snap(tab, "7-duplicate-second-number")
    expect(warned_about_second.first, "saved or refused without a warning about DEMO-000002").to_be_visible()
    expect(tab.get_by_text(SAVED), "saved without a warning about DEMO-000002").to_have_count(0, timeout=SETTLED_MS)
    assert count_in_roster(tab, "DEMO-000002") == 1


# 9. A reload loses a half-filled screening.

def test_reload_offers_to_resume_the_half_filled_screening(new_tab, app_url):
    """F5 signs the nurse out; after signing in again she resumes her draft. Nobody else is offered it."""
    nurse = new_tab()
    first, last = unique("Half"), unique("Filled")
    sign_in(nurse, app_url, *NURSE)
    go(nurse, "Screening")
    expect(nurse.get_by_role("heading", name="Identity")).to_be_visible()
    answers = list(zip(instruments.PHQ9.items[:3], (2, 1, 3), strict=True))
    for item, value in answers:
        choose(nurse, item.text, answer(item, value))
    type_into(nurse, "First name", first)
    type_into(nurse, "Last name", last)
    # Every run keeps the draft before drawing the panel, and an answer changes nothing on screen: the last name
    # leaving "Still needed" is the run that kept name and answers. A reload before it lost the draft's last answers.
    expect(nurse.get_by_text(STILL_NEEDED, exact=False)).not_to_contain_text("Last name")

    nurse.reload()
    sign_in_here(nurse, *NURSE)
    go(nurse, "Screening")
    expect(nurse.get_by_role("heading", name="Identity")).to_be_visible()
    snap(nurse, "9-after-reload")
    resume = nurse.get_by_role("button", name=re.compile(rf"^Resume the screening of.*{re.escape(f'{last}, {first}')}"))
    expect(resume, "the half-filled screening was lost on reload").to_be_visible()
    expect(nurse.get_by_role("button", name=re.compile("^Discard")).first).to_be_visible()
    act(nurse, resume.click)  # the resumed form is a new instance: its widgets replace the empty ones
    expect(nurse.get_by_label("First name", exact=True)).to_have_value(first)
    for item, value in answers:
        expect(option(nurse, item.text, answer(item, value))).to_be_checked()

    prescriber = new_tab()
    sign_in(prescriber, app_url, *PRESCRIBER)
    go(prescriber, "Screening")
    expect(prescriber.get_by_role("heading", name="Identity")).to_be_visible()
    expect(prescriber.get_by_role("button", name=re.compile(re.escape(f"{last}, {first}")))).to_have_count(0)


# Review: a paste longer than a text limit must be refused with a message, never emptied or cut.

def test_a_paste_over_the_limit_is_kept_and_named(tab, app_url):
    sign_in(tab, app_url, *NURSE)
    go(tab, "Screening")
    goal = tab.get_by_label("Patient's goal (in their words)", exact=True)
    pasted = "🙂" * 10 + "x" * 5990
    goal.fill(pasted)
    act(tab, lambda: goal.press("Tab"))
    expect(tab.get_by_text("Patient's goal is too long: 6,000 characters, at most 5,000").first).to_be_visible()
    assert goal.input_value() == pasted, "the paste was cut or emptied"
