import json
from datetime import date, timedelta

import duckdb
import pytest

from core.approvals import QUEUE_SQL
from core.rules import eligibility, instruments
from core.screenings import intake_from_answers
from tests.pages.conftest import all_text, form_key

BASE = {
    "first_name": "Robin", "last_name": "Pagetest", "date_of_birth": "1988-03-14", "sex": "female",
    "mrn": "PAGE-0001", "phone": "555-0199", "emergency_contact": "Synthetic contact",
    "primary_substance": "cocaine", "days_used_30": 12,
    "last_use_date": (date.today() - timedelta(days=2)).isoformat(),  # fits 12 days used (issue 25.5)
    "last_use_time": "21:30", "years_of_use": 6, "prior_treatments": ["outpatient therapy"],
    "systolic_bp": 128, "diastolic_bp": 82, "pregnant": "no", "goal": "Stay off cocaine",
    "integration_therapy_willing": True, "escort_available": True,
}
PHQ9 = [1, 2, 1, 1, 0, 1, 1, 0, 0]
GAD7 = [1, 1, 1, 0, 0, 1, 0]
CSSRS = {"q1": False, "q2": False, "behavior_lifetime": False}


def scr(at, field):
    return form_key(at, "screening", field)


def fill(at, phq9=PHQ9, cssrs=CSSRS, **changes):
    for key, value in {**BASE, **changes}.items():
        at.session_state[scr(at, key)] = value
    for instrument, answers in ((instruments.PHQ9, phq9), (instruments.GAD7, GAD7)):
        for item, answer in zip(instrument.items, answers, strict=True):
            at.session_state[scr(at, f"{instrument.id}_{item.key}")] = answer
    for key, answer in cssrs.items():
        at.session_state[scr(at, f"cssrs_{key}")] = answer
    return at.run()


def click(at, label):
    next(b for b in at.button if b.label == label).click()
    return at.run()


def count(db_path, table):
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


def stored(at, sql, params=()):
    from ui.store import clinic

    return clinic().con.execute(sql, list(params)).fetchall()


def test_live_panel_shows_the_decision_before_saving(page):
    at = fill(page("pages/screening.py", "nurse"), phq9=[0] * 8 + [1])
    assert not at.exception
    text = all_text(at)
    assert "Screening result: **Needs review**" in text
    assert "Same-day safety assessment needed" in text
    assert r"PHQ\-9 item 9" in text and "Source:" in text


def test_complete_screening_is_saved_and_matches_the_rules(page):
    at = fill(page("pages/screening.py", "nurse"))
    typed_key = scr(at, "first_name")
    at = click(at, "Save screening")
    assert not at.exception
    assert "Screening saved for Pagetest, Robin: Eligible" in at.success[0].value
    rows = stored(at, """SELECT s.answers, s.decision, s.urgent, s.reasons, s.rules_version, p.status
                         FROM screenings s JOIN patients p ON p.id = s.patient_id WHERE p.mrn = 'PAGE-0001'""")
    assert len(rows) == 1
    answers, decision, urgent, reasons, version, status = rows[0]
    expected = eligibility.evaluate(intake_from_answers(answers))
    assert (decision, urgent, version) == (expected.status, expected.urgent, expected.rules_version)
    assert [r["code"] for r in json.loads(reasons)] == [r.code for r in expected.reasons]
    assert status == "screened"
    assert typed_key not in at.session_state  # the saved form is gone; the next patient gets a new instance


@pytest.mark.parametrize(
    ("changes", "label"),
    [
        ({"systolic_bp": 400}, "Systolic blood pressure"),
        ({"date_of_birth": "1826-01-01"}, "Date of birth"),
        ({"date_of_birth": "2030-01-01"}, "Date of birth"),
        ({"date_of_birth": "14 March"}, "Date of birth"),
        ({"phq9": [1, 2, 1, 1, None, None, None, None, None]}, "PHQ-9"),
        ({"first_name": ""}, "First name"),
        ({"diastolic_bp": 150}, "Diastolic blood pressure"),
    ],
)
def test_invalid_input_is_refused_named_and_kept(page, demo_db, changes, label):
    before = count(demo_db, "screenings")
    at = fill(page("pages/screening.py", "nurse"), **changes)
    at = click(at, "Save screening")
    assert not at.exception
    assert at.error[0].value.startswith("Nothing was saved. Please correct:")
    assert label in at.error[0].value
    assert len(at.success) == 0
    assert stored(at, "SELECT count(*) FROM screenings")[0][0] == before
    assert at.session_state[scr(at, "mrn")] == "PAGE-0001"


def test_probable_duplicate_is_shown_before_a_second_record(page):
    """Same name and date of birth: shown first; the nurse may then confirm a different person."""
    at = fill(page("pages/screening.py", "nurse"))
    click(at, "Save screening")
    at = click(at, "Screen another patient")
    at = fill(at, mrn="PAGE-0002")
    at = click(at, "Save screening")
    assert "already exists" in at.warning[-1].value
    assert stored(at, "SELECT count(*) FROM patients WHERE last_name = 'Pagetest'")[0][0] == 1
    at = click(at, "Different person: create a new record")
    assert "Screening saved" in at.success[0].value
    assert stored(at, "SELECT count(*) FROM patients WHERE last_name = 'Pagetest'")[0][0] == 2


def test_a_chart_number_in_use_is_never_given_to_a_second_patient(page):
    """A chart number match is never a different person: correct the number, or re-screen that patient afresh."""
    at = fill(page("pages/screening.py", "nurse"), mrn="DEMO-000001")
    at = click(at, "Save screening")
    assert "chart number" in at.error[-1].value.lower() and "belongs to someone else" in at.error[-1].value
    assert not any(b.label == "Different person: create a new record" for b in at.button)
    assert any(b.label.startswith("Start an empty re-screen") for b in at.button)
    assert stored(at, "SELECT count(*) FROM patients WHERE mrn = 'DEMO-000001'")[0][0] == 1


def test_free_text_is_stored_exactly_and_shown_escaped(page):
    text = "It's *not* [a link](http://x) '; DROP TABLE patients; -- 🙂 " + "é" * 4900
    at = fill(page("pages/screening.py", "nurse"), goal=text, last_name="**Bold** O'Neil")
    at = click(at, "Save screening")
    (answers,) = stored(at, "SELECT answers FROM screenings WHERE answers LIKE '%DROP TABLE%'")[0]
    assert json.loads(answers)["details"]["goal"] == text
    at = click(at, "Open the patient's chart")
    assert not at.exception
    assert r"\*\*Bold\*\* O'Neil" in at.header[0].value
    assert r"It's \*not\* \[a link\]\(http\:" in all_text(at)


@pytest.mark.parametrize("role", ["therapist", "viewer", "admin"])
def test_screening_page_refuses_other_roles(page, role):
    at = page("pages/screening.py", role)
    assert "cannot open Screening" in at.error[0].value
    assert len(at.radio) == 0


def test_input_survives_a_page_switch(page):
    at = fill(page("pages/screening.py", "nurse"))
    at.switch_page("app.py")
    at.run()
    at.switch_page("pages/screening.py")
    at.run()
    assert at.text_input(key=scr(at, "first_name")).value == "Robin"
    assert at.radio(key=scr(at, "phq9_item2")).value == 2


def as_prescriber(at):
    at.session_state["user"] = at.session_state["user"].__class__(2, "prescriber", "Dr Demo Prescriber",
                                                                  "prescriber")
    at.switch_page("pages/approvals.py")
    return at.run()


def ours(at):
    return stored(at, """SELECT s.id FROM screenings s JOIN patients p ON p.id = s.patient_id
                         WHERE p.mrn = 'PAGE-0001'""")[0][0]


def pick(at, screening_id):
    at.selectbox(key=form_key(at, "approval_pick", "screening")).set_value(screening_id)
    return at.run()


def decide(at, decision="approved", note="Suitable for treatment", password="demo-prescriber-2026"):
    for field, value in (("choice", decision), ("note", note), ("password", password)):
        at.session_state[form_key(at, "approval", field)] = value


def approval_setup(page):
    """A fresh eligible screening, then the prescriber's approval page on it."""
    at = fill(page("pages/screening.py", "nurse"))
    click(at, "Save screening")
    at = as_prescriber(at)
    return pick(at, ours(at))


def test_nurse_cannot_open_the_approval_queue(page):
    at = page("pages/approvals.py", "nurse")
    assert "cannot open Approval queue" in at.error[0].value
    assert len(at.dataframe) == 0


def test_prescriber_approves_with_password(page):
    at = approval_setup(page)
    decide(at)
    at = click(at, "Sign decision")
    assert not at.exception
    assert "Signed: approved" in at.success[0].value
    assert stored(at, "SELECT status FROM patients WHERE mrn = 'PAGE-0001'")[0][0] == "approved"


def test_wrong_password_does_not_sign(page):
    at = approval_setup(page)
    decide(at, note="Suitable", password="not my password")
    at = click(at, "Sign decision")
    assert "Password is not right" in all_text(at)
    assert stored(at, "SELECT status FROM patients WHERE mrn = 'PAGE-0001'")[0][0] == "screened"


def test_ineligible_screening_is_not_offered_for_approval(page):
    at = fill(page("pages/screening.py", "nurse"), pregnant="yes")
    click(at, "Save screening")
    at = as_prescriber(at)
    options = at.selectbox(key=form_key(at, "approval_pick", "screening")).options
    assert options and not any("Pagetest" in o for o in options)


def test_patients_roster_search_and_chart(page):
    at = page("pages/patients.py", "therapist")
    assert not at.exception
    at.text_input(key="patients_search").input("DEMO-000010").run()
    roster = at.dataframe[0].value
    assert list(roster["chart_number"]) == ["DEMO-000010"]
    assert "id" not in roster.columns  # ids stay on the server
    at.session_state["chosen~patients"] = 10
    at.run()
    assert not at.exception
    assert "Timeline" in [s.value for s in at.subheader]
    assert any("· Screening ·" in e.label for e in at.expander)
    assert "Chart number DEMO\\-000010" in all_text(at)


def test_viewer_cannot_open_patients(page):
    at = page("pages/patients.py", "viewer")
    assert "cannot open Patients" in at.error[0].value
    assert len(at.dataframe) == 0


def test_a_signature_is_refused_when_the_selection_changed_in_the_same_round_trip(page):
    """Choosing another screening and clicking the first one's Sign in one round trip signs neither."""
    at = fill(page("pages/screening.py", "nurse"))
    click(at, "Save screening")
    at = as_prescriber(at)
    first = stored(at, QUEUE_SQL)[0][0]
    at = pick(at, first)
    decide(at)
    at.selectbox(key=form_key(at, "approval_pick", "screening")).set_value(ours(at))
    next(b for b in at.button if b.label == "Sign decision").click()
    at.run()
    assert "screening on screen changed" in all_text(at)
    assert stored(at, "SELECT status FROM patients WHERE mrn = 'PAGE-0001'")[0][0] == "screened"
    assert stored(at, "SELECT count(*) FROM approvals WHERE screening_id = ?", [first])[0][0] == 0


def test_a_wrong_value_is_named_under_its_field_before_any_save(page):
    """31 February, 45 days in the last 30: the nurse is told at once, and the panel does not call them missing."""
    at = page("pages/screening.py", "nurse")
    at.session_state[scr(at, "date_of_birth")] = "31/02/1990"
    at.session_state[scr(at, "days_used_30")] = 45
    at.run()
    under_fields = [e.value for e in at.error]
    assert any("31/02/1990 is not a date in the calendar" in e for e in under_fields)
    assert any(e.startswith("Days used in the last 30") for e in under_fields)
    panel = next(i.value for i in at.info if i.value.startswith("The decision appears"))
    still_needed, to_correct = panel.split("To correct: ")
    assert "Date of birth" not in still_needed and "Days used in the last 30" not in still_needed
    assert "Date of birth" in to_correct and "Days used in the last 30" in to_correct
    assert "First name" in still_needed


def test_a_note_for_a_screening_someone_else_decided_first_stays_and_joins_the_record(page):
    """Issue 25.9: the second prescriber's note ("needs cardiology review") vanished with the refusal."""
    from core import approvals
    from core.access import User

    at = approval_setup(page)
    decide(at, decision="declined", note="needs cardiology review")
    approvals.decide(at_store(at), User(2, "prescriber", "Dr Demo Prescriber", "prescriber"), ours(at), "approved",
                     "Suitable", "demo-prescriber-2026")  # signed first, in another browser
    at = click(at, "Sign decision")
    text = all_text(at)
    assert "was not signed" in text and r"already been decided\: approved by Dr Demo Prescriber" in text
    kept = next(a for a in at.text_area if a.label.startswith("Your note, kept"))
    assert kept.value == "needs cardiology review"
    at = click(at, "Add my note to the record as a comment")
    assert "added to Pagetest, Robin's screening as a comment" in all_text(at)
    assert stored(at, "SELECT text FROM screening_comments") == [("needs cardiology review",)]
    assert not any(a.label.startswith("Your note, kept") for a in at.text_area)


def at_store(at):
    from ui.store import clinic

    return clinic().con
