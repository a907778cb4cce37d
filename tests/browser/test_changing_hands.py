"""Issue 24, item 2: the other ways a record can change hands, probed in Chromium with two people at once.

A screening's answers must reach only the chart of the person they were typed for, and a chart number
only one patient: after a duplicate acknowledgement and an identity edit (a), when a re-screen draft is
resumed after someone else re-screened or corrected that patient (b), after the browser's Back and Forward
(c), and after a reload in the middle of a save (d). Each step waits for the run it caused (act(), then the
text that run drew); what was stored is read back from the roster and the
chart's timeline, since the server holds the only connection to the database.
"""

import re
from datetime import date

from playwright.sync_api import expect

from core.rules import instruments
from tests.browser.conftest import snap
from tests.browser.people import app_url_with, namesake, person, unique
from tests.browser.runs import act
from tests.browser.test_patient_safety import (
    NURSE,
    PRESCRIBER,
    SAVED,
    SETTLED_MS,
    STILL_NEEDED,
    answer,
    count_in_roster,
    fill_clinical,
    fill_screening,
    open_chart,
    sign_in_here,
    tick,
)
from tests.browser.test_screening_journey import choose, go, type_into
from tests.browser.test_sign_in_journey import sign_in

DIFFERENT = "Different person: create a new record"
BORN = date(1979, 2, 3)
OTHER_BORN = date(1990, 11, 20)

ACK = person("Ack", "Namesake", BORN)
ACK_OTHER = namesake(ACK, OTHER_BORN)
RACE = person("Race", "Namesake", BORN)
RACE_TAKER = person("Race", "Taker", OTHER_BORN)
NEW = person("New", "Namesake", BORN)
NEW_OTHER = person("New", "Other", OTHER_BORN)


app_url = app_url_with(ACK, ACK_OTHER, RACE, RACE_TAKER, NEW, NEW_OTHER)
"""This module's app, with the patients its tests find already on file."""


def chart_number() -> str:
    return unique("HAND-").upper()


def screenings_on_chart(tab, mrn: str):
    """The screenings the chart with this number holds, on its timeline (for expect(...).to_have_count)."""
    open_chart(tab, mrn)
    expect(tab.get_by_role("heading", name="Timeline")).to_be_visible()
    return tab.get_by_test_id("stExpander").filter(has_text=re.compile(r"· Screening ·"))


def rescreen(tab, mrn: str) -> None:
    """Open the chart and start its re-screen: the form opens pre-filled with the chart's identity, locked."""
    open_chart(tab, mrn)
    act(tab, tab.get_by_role("button", name="Re-screen this patient").click)
    expect(tab.get_by_text(re.compile("^Re-screening an existing patient"))).to_be_visible()


def correct_identity(tab, **fields: str) -> None:
    """Tick "Correct identity details" and type the corrections (label -> text)."""
    expect(tab.get_by_label("Correct identity details", exact=True)).to_be_attached()
    tick(tab, "Correct identity details")
    for label, text in fields.items():
        expect(tab.get_by_label(label, exact=True)).to_be_enabled()
        type_into(tab, label, text)


def click_save(tab) -> None:
    act(tab, tab.get_by_role("button", name="Save screening").click)


def no_confirmation(tab, why: str) -> None:
    """No save confirmation: an absence, so only after the step's own answer has been seen."""
    expect(tab.get_by_text(SAVED), why).to_have_count(0, timeout=SETTLED_MS)


def resume_after_reload(tab, last: str, first: str):
    """Reload (a new session: signed out), sign in again and resume the draft of this person."""
    tab.reload()
    sign_in_here(tab, *NURSE)
    go(tab, "Screening")
    resume = tab.get_by_role("button", name=re.compile(rf"^Resume the screening of {re.escape(f'{last}, {first}')}"))
    expect(resume).to_be_visible()
    act(tab, resume.click)  # the resumed form is a new instance: its fields replace the empty ones in this run
    expect(tab.get_by_label("First name", exact=True)).to_have_value(first)


def half_filled_rescreen(tab, mrn: str, first: str) -> None:
    """A re-screen begun and left half-filled (kept as a draft): item 1 of the PHQ-9 answered, years of use typed."""
    rescreen(tab, mrn)
    expect(tab.get_by_label("First name", exact=True)).to_have_value(first)
    item = instruments.PHQ9.items[0]
    choose(tab, item.text, answer(item, 3))
    type_into(tab, "Years of use", "7")
    # The years of use leaving "Still needed" is the run that kept the draft with both answers in it.
    expect(tab.get_by_text(STILL_NEEDED, exact=False)).not_to_contain_text("Years of use")


def the_page_now_offers(tab, *choices):
    """Which of `choices` (locators) the page shows once the step's run has ended. For the probes that accept
    either of two safe answers, depending on how a field's own run and a click's run met on the server: the step
    was waited for with act(), so this is the page's answer, not a moment of a redraw."""
    either = choices[0]
    for choice in choices[1:]:
        either = either.or_(choice)
    expect(either.first).to_be_visible()
    return next(choice for choice in choices if choice.first.is_visible())


# a) A duplicate acknowledged, then the identity edited to another existing patient's.

def test_a_different_person_click_after_the_identity_was_edited_saves_nothing(tab, app_url):
    """The nurse is warned about one namesake, then changes the date of birth (or the chart number) to another
    existing patient's and clicks "Different person" straight from the field: that click was about the first
    namesake only, so nothing is saved and the other patient is named before anything can be."""
    sign_in(tab, app_url, *NURSE)
    first, last, other_mrn = ACK.first, ACK.last, ACK_OTHER.mrn  # the same name, another date of birth

    go(tab, "Screening")
    typed_mrn = chart_number()
    fill_screening(tab, first, last, typed_mrn, BORN)
    save = tab.get_by_role("button", name="Save screening")
    different = tab.get_by_role("button", name=DIFFERENT)
    warning = tab.get_by_text(re.compile(rf"chart number {other_mrn}", re.IGNORECASE))
    for step, (label, text) in enumerate((("Date of birth", OTHER_BORN.isoformat()), ("Chart number", other_mrn))):
        if step:  # back to the first namesake's warning, then the chart number edit
            type_into(tab, "Date of birth", BORN.isoformat())
        click_save(tab)
        expect(different).to_be_visible()
        # Typed without Enter: the edit reaches the server as the click takes the focus, just before the click's
        # own request; act() waits for the run that answers the later of the two.
        tab.get_by_label(label, exact=True).fill(text)
        act(tab, lambda: different.click(no_wait_after=True))
        snap(tab, f"a1-different-person-after-{step}")
        # Either the edit's run withdrew the acknowledgement first (Save is back, the click found no button) or
        # the click's run refused it and named the other patient: both safe, neither saves.
        offered = the_page_now_offers(tab, save, warning)
        no_confirmation(tab, f"the acknowledgement about the first namesake saved after the {label} changed")
        if offered is save:
            click_save(tab)
        snap(tab, f"a1-save-after-{step}")
        expect(warning.first).to_be_visible()
        no_confirmation(tab, f"saved after the {label} changed to the other patient's")

    assert count_in_roster(tab, other_mrn) == 1
    assert count_in_roster(tab, typed_mrn) == 0
    expect(screenings_on_chart(tab, other_mrn)).to_have_count(1)


def test_a_chart_number_taken_while_the_warning_is_open_is_not_given_twice(new_tab, app_url):
    """The nurse is warned about a namesake; meanwhile a prescriber gives the chart number she typed to a patient
    of their own (a re-screen correcting it). Her "Different person" must not create a second holder of it."""
    nurse, prescriber = new_tab(), new_tab()
    sign_in(nurse, app_url, *NURSE)
    sign_in(prescriber, app_url, *PRESCRIBER)
    first, last, other_mrn = RACE.first, RACE.last, RACE_TAKER.mrn

    go(nurse, "Screening")
    wanted = chart_number()
    fill_screening(nurse, first, last, wanted, BORN)
    click_save(nurse)
    expect(nurse.get_by_role("button", name=DIFFERENT)).to_be_visible()

    rescreen(prescriber, other_mrn)
    correct_identity(prescriber, **{"Chart number": wanted})
    fill_clinical(prescriber)
    click_save(prescriber)
    expect(prescriber.get_by_text(SAVED)).to_be_visible()

    act(nurse, nurse.get_by_role("button", name=DIFFERENT).click)
    snap(nurse, "a2-different-person-after-number-taken")
    expect(nurse.get_by_text(re.compile(rf"Chart number {wanted} belongs to someone else")).first).to_be_visible()
    no_confirmation(nurse, "a second patient was given a chart number someone else now holds")
    assert count_in_roster(nurse, wanted) == 1
    # The taker's first screening and the prescriber's re-screen.
    expect(screenings_on_chart(nurse, wanted)).to_have_count(2)


def test_a_new_record_then_edited_to_another_patients_chart_number_is_refused(tab, app_url):
    """After "Different person" created a record, a re-screen correcting its chart number to another patient's
    must not save: no second holder of that number, and the new record keeps its own."""
    sign_in(tab, app_url, *NURSE)
    first, last, other_mrn = NEW.first, NEW.last, NEW_OTHER.mrn

    go(tab, "Screening")
    own_mrn = chart_number()
    fill_screening(tab, first, last, own_mrn, BORN)
    click_save(tab)
    act(tab, tab.get_by_role("button", name=DIFFERENT).click)
    expect(tab.get_by_text(SAVED)).to_be_visible()

    rescreen(tab, own_mrn)
    correct_identity(tab, **{"Chart number": other_mrn})
    fill_clinical(tab)
    click_save(tab)
    snap(tab, "a3-rescreen-to-taken-number")
    expect(tab.get_by_text(re.compile(rf"Chart number {other_mrn} belongs to someone else")).first).to_be_visible()
    expect(tab.get_by_role("button", name=DIFFERENT)).to_have_count(0)
    no_confirmation(tab, "a re-screen gave this record another patient's chart number")
    assert count_in_roster(tab, other_mrn) == 1
    assert count_in_roster(tab, own_mrn) == 1
    expect(screenings_on_chart(tab, other_mrn)).to_have_count(1)
    expect(screenings_on_chart(tab, own_mrn)).to_have_count(1)
