"""Issue 24, item 2 (c, d): Back and Forward after a save or a signature, and a reload while a save is in flight;
helpers and the other probes are in test_changing_hands.py (split so that CI's two workers share them).
"""

import re

from playwright.sync_api import expect

from tests.browser.conftest import snap
from tests.browser.people import app_url_with, person
from tests.browser.runs import act
from tests.browser.test_changing_hands import (
    BORN,
    chart_number,
    click_save,
    no_confirmation,
    rescreen,
    screenings_on_chart,
)
from tests.browser.test_patient_safety import (
    NURSE,
    PRESCRIBER,
    SAVED,
    SETTLED_MS,
    count_in_roster,
    fill_clinical,
    fill_screening,
    open_chart,
    sign_in_here,
    unique,
)
from tests.browser.test_screening_journey import (
    choose,
    go,
    open_list,
)
from tests.browser.test_sign_in_journey import (
    sign_in,
)

FORWARD = person("Back", "Forward", BORN)
SIGNED = person("Back", "Signed", BORN)


app_url = app_url_with(FORWARD, SIGNED)
"""This module's app, with the patients its tests re-screen and approve already on file."""


# c) Back and Forward after a save.

def test_back_and_forward_after_a_save_bring_no_form_back(tab, app_url):
    sign_in(tab, app_url, *NURSE)
    first, last, mrn = FORWARD.first, FORWARD.last, FORWARD.mrn
    go(tab, "Patients")
    rescreen(tab, mrn)  # Patients -> Screening by the chart's button: a history entry for each page
    fill_clinical(tab)
    click_save(tab)
    expect(tab.get_by_text(f"Screening saved for {last}, {first}")).to_be_visible()

    for step in range(2):
        act(tab, tab.go_back)  # the browser's Back asks the app for the page in the address: a run
        expect(tab.get_by_role("heading", name="Patients", level=1)).to_be_visible()
        act(tab, tab.go_forward)
        expect(tab.get_by_role("heading", name="Screening", level=1)).to_be_visible()
        snap(tab, f"c-forward-{step}")
        expect(tab.get_by_label("First name", exact=True), "the saved re-screen came back").to_have_value("")
        expect(tab.get_by_text(re.compile("^Re-screening an existing patient"))).to_have_count(0)
        expect(tab.locator('[data-testid="stRadio"] input:checked')).to_have_count(0)
        expect(tab.get_by_role("button", name=re.compile(f"^Resume the screening of {re.escape(last)}"))
               ).to_have_count(0)
        expect(tab.get_by_text(SAVED)).to_have_count(0)
    # The empty form saves nothing, and nothing was saved twice.
    click_save(tab)
    expect(tab.get_by_text("Nothing was saved. Please correct:", exact=False).first).to_be_visible()
    no_confirmation(tab, "an empty form was saved")
    expect(screenings_on_chart(tab, mrn)).to_have_count(2)


def test_back_and_forward_after_a_signature_do_not_sign_again(new_tab, app_url):
    prescriber = new_tab()
    first, last, mrn = SIGNED.first, SIGNED.last, SIGNED.mrn
    sign_in(prescriber, app_url, *PRESCRIBER)
    expect(prescriber.get_by_role("heading", name="Home", level=1)).to_be_visible()
    go(prescriber, "Approval queue")
    pick_containing(prescriber, "Screening to decide", f"{last}, {first}")
    choose(prescriber, "Your decision", "Approve", reruns=False)  # the decision, note and password are one form
    prescriber.get_by_label("Note (required)").fill("Suitable; start the IV course")
    prescriber.get_by_role("textbox", name="Your password (electronic signature)").fill(PRESCRIBER[1])
    act(prescriber, prescriber.get_by_role("button", name="Sign decision").click)
    expect(prescriber.get_by_text(f"Signed: approved for {last}, {first}.")).to_be_visible()

    for step in range(2):
        act(prescriber, prescriber.go_back)
        expect(prescriber.get_by_role("heading", name="Home", level=1)).to_be_visible()
        act(prescriber, prescriber.go_forward)
        expect(prescriber.get_by_role("heading", name="Approval queue", level=1)).to_be_visible()
        expect(prescriber.get_by_label("Screening to decide", exact=True)).to_be_visible()
        snap(prescriber, f"c-signature-forward-{step}")
        expect(prescriber.get_by_role("textbox", name="Your password (electronic signature)")
               ).to_have_count(0, timeout=SETTLED_MS)
        expect(prescriber.get_by_role("radiogroup", name="Your decision")).to_have_count(0, timeout=SETTLED_MS)
    open_chart(prescriber, mrn)
    expect(prescriber.get_by_role("heading", name="Timeline")).to_be_visible()
    expect(prescriber.get_by_text(re.compile(rf"^Chart number {mrn} · .*Approved"))).to_be_visible()
    expect(prescriber.get_by_test_id("stExpander").filter(has_text="Prescriber's decision")).to_have_count(1)


def pick_containing(tab, label: str, text: str) -> None:
    """Choose the selectbox option holding `text`, typed into the box's filter: a long list draws only a screenful."""
    open_list(tab, label, tab.get_by_role("option").first)
    tab.keyboard.type(text)
    wanted = tab.get_by_role("option").filter(has_text=text)
    expect(wanted).to_have_count(1)
    act(tab, wanted.click)


# d) A reload while a save is in flight.

def test_a_reload_during_a_save_saves_once_or_offers_the_draft(tab, app_url):
    sign_in(tab, app_url, *NURSE)
    first, last, mrn = unique("Reload"), unique("Midsave"), chart_number()
    go(tab, "Screening")
    fill_screening(tab, first, last, mrn)
    expect(tab.get_by_text("Screening result: Eligible")).to_be_visible()
    # Not act(): the reload comes at once, while the save's run is under way, and ends this tab's session with it.
    tab.get_by_role("button", name="Save screening").click(no_wait_after=True)
    tab.reload()
    sign_in_here(tab, *NURSE)
    go(tab, "Screening")
    snap(tab, "d-after-reload")
    resume = tab.get_by_role("button", name=re.compile(rf"^Resume the screening of {re.escape(f'{last}, {first}')}"))
    offered = resume.count()  # what the page drew, its run over: a draft offered or not
    stored = count_in_roster(tab, mrn)
    assert (stored, offered) in {(1, 0), (0, 1)}, f"saved {stored} time(s), draft offered {offered} time(s)"
    if stored:
        expect(screenings_on_chart(tab, mrn)).to_have_count(1)
        return
    go(tab, "Screening")
    act(tab, resume.click)
    expect(tab.get_by_label("First name", exact=True)).to_have_value(first)
    click_save(tab)
    expect(tab.get_by_text(f"Screening saved for {last}, {first}")).to_be_visible()
    expect(screenings_on_chart(tab, mrn)).to_have_count(1)
