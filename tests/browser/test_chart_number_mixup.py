"""The reported mix-up, in Chromium: a new person typed with another patient's chart number (DEMO-000142).

Before the fix one click ("Re-screen Dummyford, Eli … same chart number") locked the form to
that patient's identity and kept every answer typed for the person in front of the nurse;
Save then filed them in his chart. Whatever the nurse clicks now, nothing typed for the new
person reaches that chart; it goes to the new person's own record once the number is corrected.
"""

import re
import secrets
from datetime import date

from playwright.sync_api import expect

from tests.browser.conftest import snap
from tests.browser.runs import act
from tests.browser.test_patient_safety import NURSE, SAVED, fill_screening, open_chart, unique
from tests.browser.test_screening_journey import go, type_into, write_into
from tests.browser.test_sign_in_journey import sign_in

TAKEN = "DEMO-000142"
BORN = date(1990, 5, 2)
GOAL = "Patient's goal (in their words)"


def goal_in_chart(tab, mrn: str, marker: str):
    """The chart's full screenings hold the patient's goal (drawn, in closed expanders): the typed person's marker
    there means their answers are in that chart."""
    open_chart(tab, mrn)
    expect(tab.get_by_role("heading", name="Timeline")).to_be_visible()
    return tab.get_by_text(marker)


def test_nothing_typed_for_a_new_person_reaches_the_chart_whose_number_was_typed(tab, app_url):
    sign_in(tab, app_url, *NURSE)
    owner = open_chart(tab, TAKEN)
    first, last = unique("Mara"), unique("Newcombe")
    marker = f"Stay sober for my daughter {secrets.token_hex(4)}"

    go(tab, "Screening")
    fill_screening(tab, first, last, TAKEN, BORN)
    write_into(tab, tab.get_by_label(GOAL, exact=True), marker)
    act(tab, tab.get_by_role("button", name="Save screening").click)
    expect(tab.get_by_text(f"Chart number {TAKEN} belongs to someone else")).to_be_visible()
    snap(tab, "mixup-1-warning")
    expect(tab.get_by_role("button", name=re.compile("^(Same person|Re-screen|Different person)"))).to_have_count(0)
    expect(tab.get_by_role("button", name="Save screening")).to_have_count(0)

    # The empty re-screen of the chart's owner: his identity, none of the answers typed for the new person.
    act(tab, tab.get_by_role("button", name=re.compile(f"^Start an empty re-screen of {re.escape(owner)}")).click)
    expect(tab.get_by_text("was not copied", exact=False).first).to_be_visible()
    snap(tab, "mixup-2-empty-rescreen")
    expect(tab.get_by_text("was not copied", exact=False), "said at the top and beside Save").to_have_count(2)
    expect(tab.get_by_text(f"Re-screening an existing patient: {owner}", exact=False)).to_be_visible()
    expect(tab.get_by_label(GOAL, exact=True)).to_have_value("")
    answers = tab.locator('[data-testid="stRadio"]').filter(has_not_text="Sex at birth")  # sex is the chart's
    expect(answers.locator("input:checked")).to_have_count(0)
    act(tab, tab.get_by_role("button", name="Save screening").click)
    expect(tab.get_by_text("Nothing was saved. Please correct:", exact=False).first).to_be_visible()
    act(tab, tab.get_by_role("button", name="Cancel the re-screen").click)
    expect(tab.get_by_text("cancelled; nothing was saved", exact=False)).to_be_visible()

    # The new person's answers were kept as the nurse's draft: resume, Save again, then correct the number.
    resume = tab.get_by_role("button", name=re.compile(rf"^Resume the screening of {re.escape(f'{last}, {first}')}"))
    act(tab, resume.click)  # the resumed form is a new instance: its widgets replace the empty re-screen's
    expect(tab.get_by_label(GOAL, exact=True)).to_have_value(marker)
    act(tab, tab.get_by_role("button", name="Save screening").click)
    expect(tab.get_by_text(f"Chart number {TAKEN} belongs to someone else")).to_be_visible()
    act(tab, tab.get_by_role("button", name="Correct the chart number").click)
    expect(tab.get_by_text("belongs to another patient: type this person's own chart number")).to_be_visible()
    expect(tab.get_by_label("Chart number", exact=True)).to_have_value("")
    own_number = unique("SAFE-2401-")
    type_into(tab, "Chart number", own_number)
    act(tab, tab.get_by_role("button", name="Save screening").click)
    expect(tab.get_by_text(SAVED)).to_contain_text(f"{last}, {first}")
    snap(tab, "mixup-3-saved-on-own-record")

    expect(goal_in_chart(tab, TAKEN, marker), f"the new person's answers reached {TAKEN}").to_have_count(0)
    expect(goal_in_chart(tab, own_number, marker).first).to_be_attached()  # drawn, in a closed expander
