"""Issue 24, item 2 (b): a re-screen draft resumed after someone else re-screened or corrected that patient; helpers
and the other probes are in test_changing_hands.py (split so that CI's two workers share them).
"""

import re

from playwright.sync_api import expect

from core.rules import instruments
from tests.browser.conftest import snap
from tests.browser.people import Person, app_url_with, person
from tests.browser.test_changing_hands import (
    BORN,
    chart_number,
    click_save,
    correct_identity,
    half_filled_rescreen,
    no_confirmation,
    rescreen,
    resume_after_reload,
    screenings_on_chart,
)
from tests.browser.test_patient_safety import (
    NURSE,
    PRESCRIBER,
    SAVED,
    answer,
    count_in_roster,
    fill_clinical,
    open_chart,
    option,
    tick,
    unique,
)
from tests.browser.test_sign_in_journey import (
    sign_in,
)

NEWER = person("Resume", "Newer", BORN)
RENUMBERED = person("Resume", "Renumbered", BORN)
RENAMED = person("Resume", "Renamed", BORN)
OPEN = person("Open", "Renamed", BORN)


app_url = app_url_with(NEWER, RENUMBERED, RENAMED, OPEN)
"""This module's app, with the patients its tests re-screen already on file."""


# b) A re-screen draft resumed after someone else re-screened or corrected that patient.

def corrected_while_a_draft_waits(new_tab, app_url, who: Person, field: str, value: str):
    """A nurse's patient with a half-filled re-screen kept as her draft; meanwhile a prescriber, in another
    browser, re-screens the same patient correcting one identity field and saves. Returns the nurse's tab and the
    patient's first name, last name and chart number as the nurse knew them."""
    nurse, prescriber = new_tab(), new_tab()
    first, last, mrn = who.first, who.last, who.mrn
    sign_in(nurse, app_url, *NURSE)
    half_filled_rescreen(nurse, mrn, first)

    sign_in(prescriber, app_url, *PRESCRIBER)
    rescreen(prescriber, mrn)
    correct_identity(prescriber, **{field: value})
    fill_clinical(prescriber)
    click_save(prescriber)
    expect(prescriber.get_by_text(SAVED)).to_be_visible()
    return nurse, first, last, mrn


def test_a_draft_resumed_after_another_rescreen_warns_and_saves_once_on_that_chart(new_tab, app_url):
    nurse, prescriber = new_tab(), new_tab()
    first, last, mrn = NEWER.first, NEWER.last, NEWER.mrn
    sign_in(nurse, app_url, *NURSE)
    half_filled_rescreen(nurse, mrn, first)

    sign_in(prescriber, app_url, *PRESCRIBER)
    rescreen(prescriber, mrn)
    fill_clinical(prescriber)
    click_save(prescriber)
    expect(prescriber.get_by_text(SAVED)).to_be_visible()

    resume_after_reload(nurse, last, first)
    snap(nurse, "b1-resumed-after-another-rescreen")
    expect(nurse.get_by_text(re.compile(r"Another screening of this patient was saved .* by Dr Demo Prescriber"))
           ).to_be_visible()
    expect(nurse.get_by_text(re.compile(rf"^Re-screening an existing patient: .*{mrn}"))).to_be_visible()
    item = instruments.PHQ9.items[0]
    expect(option(nurse, item.text, answer(item, 3))).to_be_checked()
    fill_clinical(nurse)
    click_save(nurse)
    expect(nurse.get_by_text(f"Screening saved for {last}, {first}")).to_be_visible()
    expect(screenings_on_chart(nurse, mrn)).to_have_count(3)


def test_a_draft_resumed_after_another_user_corrected_the_chart_number_follows_the_chart(new_tab, app_url):
    """Someone else corrected only the chart number: the person is the same, so the draft goes back on the chart,
    showing the chart number as it is now; saving must neither be refused nor undo that correction."""
    corrected = chart_number()
    nurse, first, last, mrn = corrected_while_a_draft_waits(new_tab, app_url, RENUMBERED, "Chart number", corrected)
    resume_after_reload(nurse, last, first)
    snap(nurse, "b2-resumed-after-number-corrected")
    expect(nurse.get_by_label("Chart number", exact=True), "the form shows the chart number the chart no longer has"
           ).to_have_value(corrected)
    fill_clinical(nurse)
    click_save(nurse)
    snap(nurse, "b2-saved")
    expect(nurse.get_by_text(f"Screening saved for {last}, {first}")).to_be_visible()
    assert count_in_roster(nurse, mrn) == 0, "the prescriber's chart number correction was undone"
    expect(screenings_on_chart(nurse, corrected)).to_have_count(3)


def test_a_draft_resumed_after_another_user_corrected_the_name_is_not_filed_on_that_chart(new_tab, app_url):
    nurse, first, last, mrn = corrected_while_a_draft_waits(new_tab, app_url, RENAMED, "First name", unique("Other"))
    resume_after_reload(nurse, last, first)
    snap(nurse, "b3-resumed-after-rename")
    expect(nurse.get_by_text(re.compile("now has a different name or date of birth")),
           "said at the top and beside Save").to_have_count(2)
    expect(nurse.get_by_text(re.compile("^Re-screening an existing patient"))).to_have_count(0)
    fill_clinical(nurse)
    click_save(nurse)
    snap(nurse, "b3-save")
    expect(nurse.get_by_text(re.compile(rf"Chart number {mrn} belongs to someone else")).first).to_be_visible()
    no_confirmation(nurse, "the draft typed for the old name was filed on the renamed chart")
    expect(screenings_on_chart(nurse, mrn)).to_have_count(2)


def test_an_open_rescreen_is_not_filed_on_a_chart_renamed_meanwhile(new_tab, app_url):
    """The same collision without a reload: the nurse's re-screen is still open when a prescriber corrects the
    patient's name. Her Save must not file her answers there, and no tick may undo the correction."""
    nurse, prescriber = new_tab(), new_tab()
    last, mrn = OPEN.last, OPEN.mrn
    renamed = unique("Other")
    sign_in(nurse, app_url, *NURSE)
    rescreen(nurse, mrn)
    fill_clinical(nurse)
    expect(nurse.get_by_text("Screening result: Eligible")).to_be_visible()

    sign_in(prescriber, app_url, *PRESCRIBER)
    rescreen(prescriber, mrn)
    correct_identity(prescriber, **{"First name": renamed})
    fill_clinical(prescriber)
    click_save(prescriber)
    expect(prescriber.get_by_text(SAVED)).to_be_visible()

    click_save(nurse)
    snap(nurse, "b4-open-rescreen-save")
    expect(nurse.get_by_text(re.compile("nothing was saved|now has a different name or date of birth")).first
           ).to_be_visible()
    no_confirmation(nurse, "the answers were filed on the chart renamed meanwhile")
    # Whatever the page offers next (a tick to correct identity, a Save), none of it may reach that chart. Each look
    # is at the page as the last step's run left it (act() waited for that run), not at a redraw under way.
    unlock = nurse.get_by_label("Correct identity details", exact=True)
    save = nurse.get_by_role("button", name="Save screening")
    for _ in range(2):
        if unlock.is_visible() and unlock.is_enabled() and not unlock.is_checked():
            tick(nurse, "Correct identity details")
        if save.is_visible():
            click_save(nurse)
    snap(nurse, "b4-after-retries")
    expect(nurse.get_by_role("heading", name="Screening", level=1)).to_be_visible()
    no_confirmation(nurse, "a retry filed the answers on the renamed chart")
    assert open_chart(nurse, mrn) == f"{last}, {renamed}", "the prescriber's name correction was undone"
    expect(screenings_on_chart(nurse, mrn)).to_have_count(2)
