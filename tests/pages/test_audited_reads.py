"""Every read of a patient's record is audited once per opening, and every list of patients once per visit of the
page with its size, not on every rerun; the Audit log narrows to one patient and shows who looked."""

from datetime import datetime, timedelta

from core import approvals
from tests.core.test_dosing_sessions import discharged
from tests.core.test_screening_and_approval import NURSE, PRESCRIBER, PRESCRIBER_PASSWORD, pending_screening
from tests.pages.conftest import all_text
from tests.pages.test_dosing_page import open_session, started_minutes_ago
from tests.pages.test_screening_pages import pick, stored

VIEWS = "SELECT actor_id, entity_id, detail FROM audit_log WHERE action = ? ORDER BY id"


def views(at, action):
    return stored(at, VIEWS, [action])


def test_a_screening_opened_in_the_queue_is_audited_once_naming_the_patient(page, demo_store):
    saved = pending_screening(demo_store, mrn="READ-0001", last_name="Readtest")
    demo_store.close()
    at = page("pages/approvals.py", "prescriber")
    assert views(at, "screening_viewed") == []
    at = pick(at, saved.screening_id)
    at = at.run()  # a rerun (any click on the page) is not another opening
    assert [(a, p) for a, p, _ in views(at, "screening_viewed")] == [(PRESCRIBER.id, saved.patient_id)]
    assert f'"screening_id": {saved.screening_id}' in views(at, "screening_viewed")[0][2]


def test_the_queue_as_a_list_is_audited_once_per_visit_with_the_patients_shown(page, demo_store):
    saved = pending_screening(demo_store, mrn="READ-0002", last_name="Listtest")
    demo_store.close()
    at = page("pages/approvals.py", "prescriber")
    at = at.run()
    listed = [d for _, _, d in views(at, "patients_listed") if "Approval queue" in d]
    assert len(listed) == 1 and str(saved.patient_id) in listed[0]
    at.switch_page("app.py")
    at = at.run()
    at.switch_page("pages/approvals.py")
    at = at.run()  # a second visit is a second read
    assert len([d for _, _, d in views(at, "patients_listed") if "Approval queue" in d]) == 2


def test_a_dosing_session_opened_is_audited_once_and_home_lists_once(page, demo_store):
    saved = pending_screening(demo_store, mrn="READ-0003", last_name="Sessiontest")
    approvals.decide(demo_store, PRESCRIBER, saved.screening_id, "approved", "Suitable", PRESCRIBER_PASSWORD,
                     now=datetime.now())
    session = started_minutes_ago(demo_store, saved.patient_id, 20)
    demo_store.close()
    at = page("app.py", "nurse")
    at = at.run()
    home = [d for _, _, d in views(at, "patients_listed") if "Home: sessions in progress" in d]
    assert len(home) == 1 and str(saved.patient_id) in home[0]
    at.switch_page("pages/dosing.py")
    at = open_session(at.run(), session)
    at = at.run()
    assert [(a, p) for a, p, _ in views(at, "dosing_session_viewed")] == [(NURSE.id, saved.patient_id)]
    board = [d for _, _, d in views(at, "patients_listed") if "today's board" in d]
    assert len(board) == 1 and str(saved.patient_id) in board[0]


def test_a_session_waiting_for_signature_opened_by_the_prescriber_is_audited(page, demo_store):
    saved = pending_screening(demo_store, mrn="READ-0004", last_name="Signtest")
    approvals.decide(demo_store, PRESCRIBER, saved.screening_id, "approved", "Suitable", PRESCRIBER_PASSWORD,
                     now=datetime.now())
    began = datetime.now() - timedelta(minutes=130)
    session = started_minutes_ago(demo_store, saved.patient_id, 130)
    discharged(demo_store, session, began)
    demo_store.close()
    at = open_session(page("pages/dosing.py", "prescriber"), session)
    assert [(a, p) for a, p, _ in views(at, "dosing_session_viewed")] == [(PRESCRIBER.id, saved.patient_id)]
    waiting = [d for _, _, d in views(at, "patients_listed") if "signature" in d]
    assert len(waiting) == 1 and str(saved.patient_id) in waiting[0]  # the list drawn on arrival, once


def test_the_audit_log_narrows_to_one_patient_and_shows_who_looked(page, demo_store):
    saved = pending_screening(demo_store, mrn="READ-0005", last_name="Audittest")
    approvals.record_view(demo_store, PRESCRIBER, saved.screening_id)
    demo_store.close()
    at = page("pages/audit_log.py", "admin")
    at.text_input(key="audit_chart_number").set_value("read-0005")
    at = at.run()
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table["Patient (chart number)"]) == {"READ-0005"}  # by chart number (issue 25.12), not record number
    assert "Screening opened in the approval queue" in set(table["What"])
    assert "prescriber" in set(table[table["What"] == "Screening opened in the approval queue"]["Who"])
    assert "Patient saved" not in all_text(at)
    assert [p for _, p, _ in views(at, "patient_looked_up")] == [saved.patient_id]


def test_an_unknown_chart_number_in_the_audit_log_is_said_and_narrows_nothing(page):
    at = page("pages/audit_log.py", "admin")
    at.text_input(key="audit_chart_number").set_value("NOPE-9999")
    at = at.run()
    said = "No patient has the chart number NOPE\\-9999\\: the log shows every entry\\."  # as markdown, escaped
    assert [e.value for e in at.error] == [said]
    assert len(at.dataframe[0].value) == stored(at, "SELECT count(*) FROM audit_log")[0][0]
    assert views(at, "patient_looked_up") == []
