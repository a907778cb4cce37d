"""Issue 25.9 (dosing): two nurses prepare the same patient's dose on two screens; the first records it. The second
nurse's click is refused, saying who dosed and when, and what she typed stays on her screen with the refusal (it
used to vanish with the patient from the list)."""

from datetime import datetime

import pytest
from playwright.sync_api import expect

from core import approvals, db, demo, users
from core.access import User
from tests.browser.runs import act
from tests.browser.test_patient_safety import SETTLED_MS
from tests.browser.test_screening_journey import choose, go, pick, type_into
from tests.browser.test_sign_in_journey import sign_in
from tests.core.test_screening_and_approval import PRESCRIBER, PRESCRIBER_PASSWORD, pending_screening

PATIENT = "Twonurses, Kim"
SECOND_NURSE = ("nurse2", "Sam Second-Nurse", "second nurse password 2026")


@pytest.fixture(scope="module")
def clinic_url(tmp_path_factory, app_server):
    path = tmp_path_factory.mktemp("two_nurses") / "clinic.duckdb"
    con = db.open_store(path)
    demo.build(con, 20, 11)
    username, name, password = SECOND_NURSE
    users.create_user(con, User(1, "admin", "Demo Administrator", "admin"), username, name, "nurse", password)
    saved = pending_screening(con, mrn="TWO-0001", last_name="Twonurses", first_name="Kim")
    approvals.decide(con, PRESCRIBER, saved.screening_id, "approved", "Suitable", PRESCRIBER_PASSWORD,
                     now=datetime.now())
    con.close()
    return app_server(CLINIC_DB=str(path))


def prepare_the_dose(tab, url, username, password, intention: str) -> None:
    """Sign in, choose the patient, pass the pre-dose check and fill in the dose, up to the button."""
    sign_in(tab, url, username, password)
    go(tab, "Dosing session")
    type_into(tab, "Find the patient: name, chart number or date of birth", "TWO-0001")
    pick(tab, "Patient (approved for treatment)", f"{PATIENT} · born 14 Mar 1988 · TWO-0001 · session 1")
    for label, value in (("Systolic blood pressure (mmHg)", 128), ("Diastolic blood pressure (mmHg)", 80),
                         ("Heart rate (beats/min)", 72), ("SpO2 (%)", 98),
                         ("Hours since last use of the primary substance", 48)):
        field = tab.get_by_label(label, exact=True)
        field.fill(str(value))
        act(tab, lambda field=field: field.press("Enter"))
    choose(tab, "Fasting confirmed (no food 2 h, no liquids 30 min)", "Yes")
    choose(tab, "Escort or driver confirmed to take the patient home", "Yes")
    act(tab, tab.get_by_role("button", name="Check before dosing").click)
    expect(tab.get_by_text("Go: dosing may start")).to_be_visible()
    choose(tab, "Route", "IV infusion")
    for label, value in (("Weight today (kg)", "70"), ("Dose (mg)", "35"),
                         ("Craving before dosing (0 = none, 100 = the strongest ever)", "60")):
        field = tab.get_by_label(label, exact=True)
        field.fill(value)
        act(tab, lambda field=field: field.press("Enter"))
    intention_box = tab.get_by_label("Intention set with the patient", exact=True)
    intention_box.fill(intention)
    act(tab, lambda: intention_box.press("Tab"))


def test_the_second_nurse_keeps_what_she_typed_with_the_refusal(new_tab, clinic_url):
    first, second = new_tab(), new_tab()
    prepare_the_dose(first, clinic_url, "nurse", "demo-nurse-2026", "Notice the urge and let it pass")
    prepare_the_dose(second, clinic_url, SECOND_NURSE[0], SECOND_NURSE[2], "Breathe through the craving, Sam")

    act(first, first.get_by_role("button", name="Record the dose and start the clock").click)
    expect(first.get_by_text("Dose recorded: the monitoring clock has started.")).to_be_visible()

    act(second, second.get_by_role("button", name="Record the dose and start the clock").click)
    refusal = second.get_by_text(f"{PATIENT} already has a dosing session in progress")
    expect(refusal).to_be_visible()
    expect(second.get_by_text("dosed at")).to_be_visible()
    expect(second.get_by_text("by Demo Nurse")).to_be_visible()
    expect(second.get_by_text("What you typed, kept here")).to_be_visible()
    for kept in ("Intention set with the patient: Breathe through the craving, Sam", "Dose (mg): 35",
                 "Blood pressure: 128/80", "Route: IV infusion"):
        expect(second.get_by_text(kept, exact=True)).to_be_visible()

    act(second, second.get_by_role("button", name="Open the session that was recorded").click)
    expect(second.get_by_role("heading", name=PATIENT, level=2)).to_be_visible()
    expect(second.get_by_text("What you typed, kept here")).to_have_count(0, timeout=SETTLED_MS)
