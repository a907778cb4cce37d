"""Check-in answers rerun only their own questionnaire (ui/answering.py): the server-side draft still holds the
last answer through a reload, the C-SSRS skip logic still follows each answer, and every answer reaches the save."""

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from core.rules import instruments
from tests.browser.runs import act
from tests.browser.test_checkin_journey import checkin_url, open_patient, type_date  # noqa: F401 - the fixture is used
from tests.browser.test_patient_safety import answer, option, sign_in_here
from tests.browser.test_screening_journey import answer_scale, choose, open_expander, type_into
from tests.browser.test_sign_in_journey import sign_in

THERAPIST = ("therapist", "demo-therapist-2026")
NURSE = ("nurse", "demo-nurse-2026")
CSSRS = {item.key: item.text for item in instruments.CSSRS.items}


def test_a_check_in_answer_is_kept_as_a_draft_through_a_reload_and_can_be_discarded(tab, checkin_url):  # noqa: F811
    sign_in(tab, checkin_url, *THERAPIST)
    open_patient(tab)
    answers = [(instruments.PHQ9.items[0], 2), (instruments.GAD7.items[1], 3)]
    for item, value in answers:
        choose(tab, item.text, answer(item, value))
    # The first answer kept makes a draft, and its Discard button is drawn outside the questionnaire.
    expect(tab.get_by_role("button", name="Discard this check-in")).to_be_visible()

    tab.reload()
    sign_in_here(tab, *THERAPIST)
    open_patient(tab)
    expect(tab.get_by_text("Your unfinished check-in from", exact=False)).to_be_visible()
    for item, value in answers:
        expect(option(tab, item.text, answer(item, value)), f"{item.text}: the draft lost the answer").to_be_checked()
    act(tab, tab.get_by_role("button", name="Discard this check-in").click)
    expect(tab.get_by_text("The unfinished check-in was discarded.")).to_be_visible()


def test_cssrs_answers_follow_the_skip_logic_at_once_and_reach_the_saved_check_in(tab, checkin_url):  # noqa: F811
    sign_in(tab, checkin_url, *NURSE)
    open_patient(tab)
    expander = tab.get_by_test_id("stExpander").filter(has_text="C-SSRS screener repeat")
    open_expander(tab, expander)
    choose(tab, CSSRS["q1"], "Yes")
    choose(tab, CSSRS["q2"], "Yes")
    expect(expander.get_by_text(CSSRS["q4"]), "question 4 did not follow a yes to question 2").to_be_visible()
    for key, said in (("q3", "No"), ("q4", "Yes"), ("q5", "No"), ("behavior_lifetime", "No")):
        choose(tab, CSSRS[key], said)
    expect(option(expander, CSSRS["q4"], "Yes")).to_be_checked()
    for instrument_id in ("phq9", "gad7", "pacs"):
        instrument = instruments.get(instrument_id)
        answer_scale(tab, instrument, [0] * len(instrument.items))
    type_into(tab, "How strong is your craving right now? (0 = Not at all, 100 = Extremely)", "10")
    act(tab, tab.get_by_role("button", name="No use on every day not yet answered").click)
    grid = tab.get_by_test_id("stDataFrame").filter(has_text="Standard drinks").first
    expect(grid.locator("[role=gridcell]").filter(has_text=re.compile("^No use$"))).to_have_count(7)
    act(tab, tab.get_by_role("button", name="Save the check-in").click)
    # A yes to question 4 is C-SSRS high risk: only the saved answers raise the same-day follow-up.
    expect(tab.get_by_text("A same-day safety assessment is needed", exact=False)).to_be_visible()
    expect(tab.get_by_text("Check-in saved: 7 new use day(s)", exact=False)).to_be_visible()


def calm_scales(tab) -> None:
    """Every scale a drinker is asked at a visit, answered low; any day of the log still open marked no use."""
    for instrument_id in ("phq9", "gad7", "pacs"):
        instrument = instruments.get(instrument_id)
        answer_scale(tab, instrument, [0] * len(instrument.items))
    type_into(tab, "How strong is your craving right now? (0 = Not at all, 100 = Extremely)", "10")
    act(tab, tab.get_by_role("button", name="No use on every day not yet answered").click)


def test_two_people_recording_one_visit_are_told_before_a_second_check_in_is_saved(new_tab, checkin_url):  # noqa: F811
    """A therapist and a nurse each record yesterday's visit at once: the second save is refused naming the first,
    keeps what she typed, and goes through only when she says the patient was seen twice that day."""
    yesterday = date.today() - timedelta(days=1)
    tabs = {}
    for who in (THERAPIST, NURSE):
        tabs[who[0]] = new_tab()
        sign_in(tabs[who[0]], checkin_url, *who)
        open_patient(tabs[who[0]])
        type_date(tabs[who[0]], "Visit date", yesterday)
        calm_scales(tabs[who[0]])
    therapist, nurse = tabs["therapist"], tabs["nurse"]
    act(therapist, therapist.get_by_role("button", name="Save the check-in").click)
    expect(therapist.get_by_text("Check-in saved", exact=False)).to_be_visible()

    act(nurse, nurse.get_by_role("button", name="Save the check-in").click)
    expect(nurse.get_by_text("was already saved by Demo Therapist", exact=False)).to_be_visible()
    expect(nurse.get_by_text("Check-in saved", exact=False)).to_have_count(0)
    expect(option(nurse, instruments.PHQ9.items[0].text, answer(instruments.PHQ9.items[0], 0))).to_be_checked()
    second = nurse.get_by_test_id("stCheckbox").get_by_text("A second check-in the same day", exact=False)
    act(nurse, second.click)
    expect(nurse.get_by_role("checkbox", name=re.compile("A second check-in the same day"))).to_be_checked()
    act(nurse, nurse.get_by_role("button", name="Save the check-in").click)
    expect(nurse.get_by_text("Check-in saved", exact=False)).to_be_visible()
