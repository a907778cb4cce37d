"""Self-report in Chromium (issue 23): a nurse issues a link on the chart, a second browser context with no sign-in
opens it and answers, the nurse accepts it, and the chart shows it in the record."""

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from core import approvals, db, demo, patients
from core.rules import instruments
from core.screening_form import validate_screening
from tests.browser.runs import act
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_patient_safety import click_grid_row, wait_for_roster
from tests.browser.test_screening_journey import answer_scale, choose, go, open_expander, type_into
from tests.browser.test_sign_in_journey import sign_in
from tests.core.test_screening_and_approval import NURSE, PRESCRIBER, PRESCRIBER_PASSWORD, valid_raw

PATIENT = "Selfreport, Sam"
CHART_NUMBER = "SELF-0001"


@pytest.fixture(scope="module")
def self_report_url(tmp_path_factory, app_server):
    """An approved patient screened yesterday with nothing in the use log: the link asks about yesterday and today."""
    path = tmp_path_factory.mktemp("self_report") / "clinic.duckdb"
    con = db.open_store(path)
    demo.build(con, 40, 17)
    screened = (datetime.now() - timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    raw = valid_raw(mrn=CHART_NUMBER, first_name="Sam", last_name="Selfreport",
                    last_use_date=(screened - timedelta(days=2)).date())
    saved = patients.save_screening(con, NURSE, validate_screening(raw, now=screened), now=screened)
    approvals.decide(con, PRESCRIBER, saved.screening_id, "approved", "Suitable", PRESCRIBER_PASSWORD,
                     now=screened + timedelta(hours=1))
    con.close()
    return app_server(CLINIC_DB=str(path))


def open_chart(tab) -> None:
    go(tab, "Patients")
    type_into(tab, "Search by name, chart number or date of birth", CHART_NUMBER)
    wait_for_roster(tab, 1, CHART_NUMBER)
    click_grid_row(tab, tab.get_by_test_id("stDataFrame").first, 0, 60)
    expect(tab.get_by_role("heading", name=PATIENT, level=2)).to_be_visible()


def test_a_nurse_issues_a_link_the_patient_answers_without_signing_in_and_the_nurse_accepts_it(new_tab,
                                                                                                self_report_url):
    nurse = new_tab()
    sign_in(nurse, self_report_url, "nurse", "demo-nurse-2026")
    open_chart(nurse)
    open_expander(nurse, nurse.get_by_test_id("stExpander").filter(has_text="Ask the patient to answer"))
    gad7 = nurse.get_by_test_id("stCheckbox").filter(has_text="GAD-7")
    gad7.locator("label").click()  # inside the form: nothing is sent until it is submitted
    expect(gad7.locator("input")).not_to_be_checked()
    act(nurse, nurse.get_by_role("button", name="Issue link and kiosk code").click)
    expect(nurse.get_by_text("cannot be shown again after that", exact=False)).to_be_visible()
    link = nurse.get_by_test_id("stCode").inner_text().strip()
    assert re.fullmatch(rf"{re.escape(self_report_url)}/self_report\?t=[A-Za-z0-9_-]{{43,}}", link), link
    expect(nurse.get_by_role("img", name="QR code of the link for the patient")).to_be_visible()
    assert serious_violations(nurse) == []

    patient = new_tab()  # another browser context: no sign-in, no session of the nurse's
    patient.goto(link)
    expect(patient.get_by_text("Hello Sam.")).to_be_visible()
    expect(patient).to_have_url(re.compile(r"/self_report$"))  # the token is out of the address
    expect(patient.get_by_test_id("stSidebar")).to_have_count(0)
    expect(patient.get_by_role("link")).to_have_count(1)  # Streamlit's own "Skip to main content", and nothing else
    expect(patient.get_by_role("link", name="Skip to main content")).to_have_count(1)
    expect(patient.get_by_text(CHART_NUMBER)).to_have_count(0)
    answer_scale(patient, instruments.get("phq9"), [1, 1, 0, 1, 0, 1, 0, 0, 0])
    type_into(patient, "How strong is your craving right now? (0 = Not at all, 100 = Extremely)", "30")
    for question in patient.get_by_text(re.compile(r": did you use\?$")).all():
        choose(patient, question.inner_text(), "No")
    assert serious_violations(patient) == []
    act(patient, patient.get_by_role("button", name="Send my answers").click)
    expect(patient.get_by_text("Thank you. Your answers were sent to the clinic.")).to_be_visible()
    expect(patient.get_by_text("988")).to_have_count(0)
    assert serious_violations(patient) == []

    act(nurse, nurse.get_by_role("button", name="Done: hide the link and code").click)
    expect(nurse.get_by_text(re.compile(r"Sent by the patient .* waiting for review"))).to_be_visible()
    choose(nurse, "Decision", "Accept into the record", reruns=False)
    act(nurse, nurse.get_by_role("button", name="Record the review").click)
    expect(nurse.get_by_text("Self-report accepted: its scales and use days are in the record.")).to_be_visible()
    expect(nurse.get_by_role("cell", name="Accepted into the record")).to_be_visible()
    expect(nurse.get_by_test_id("stExpander").filter(has_text="Follow-up check-in")).to_have_count(1)
    assert serious_violations(nurse) == []

    patient.goto(link)  # the link works once
    expect(patient.get_by_text("This link or code does not work.")).to_be_visible()
