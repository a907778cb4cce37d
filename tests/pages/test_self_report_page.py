"""The patient's self-report page (no account) and the staff side on the chart and Home."""

import re
import time
from datetime import datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from core import db, safety
from core import self_report as sr
from core.rules import self_report as rules
from tests.core.test_dosing_sessions import approved_patient
from tests.core.test_screening_and_approval import NURSE
from tests.pages.conftest import DEMO_USERS, ROOT, all_text
from tests.pages.test_frame_and_home import PATIENT_MARKERS
from ui import labels
from ui.store import clinic

PAGE = "pages/self_report.py"


@pytest.fixture
def patient_page(demo_db, monkeypatch):
    """The page opened as a patient's browser opens it: by link (a token in the address) or at the kiosk."""
    monkeypatch.setenv("CLINIC_DB", str(demo_db))
    monkeypatch.setenv("CLINIC_DEMO", "1")

    def open_page(token: str | None = None, role: str | None = None) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
        at.switch_page(PAGE)
        if token is not None:
            at.query_params["t"] = token
        if role:
            at.session_state["user"] = DEMO_USERS[role]
            at.session_state["last_seen"] = time.monotonic()
        return at.run()

    return open_page


def issued(demo_store, **kwargs):
    """A request issued now for a new approved patient, Robin O'Testcase (NEW-0001)."""
    patient = approved_patient(demo_store)
    kwargs = {"asks": ["phq9", "craving_vas"], "use_log": False, **kwargs}
    return patient, sr.issue(demo_store, NURSE, patient, now=datetime.now() - timedelta(minutes=5), **kwargs)


def answer(at: AppTest, phq9: list[int], craving: int) -> AppTest:
    for radio, value in zip(at.radio, phq9, strict=True):
        radio.set_value(value)
    at.number_input[0].set_value(craving)
    return at.run()


def staff_navigation(at: AppTest) -> list:
    return list(at.get("page_link")) + [b for b in at.button if b.label == "Sign out"]


def test_signed_out_without_a_link_the_page_asks_for_the_kiosk_code_and_nothing_else(patient_page):
    at = patient_page()
    assert not at.exception
    assert [t.value for t in at.title] == ["Your questions from the clinic"]
    assert at.text_input[0].label == "Code (6 letters and numbers)"
    assert at.text_input[1].label == "Your date of birth (day.month.year, for example 14.03.1988)"
    assert staff_navigation(at) == [] and not at.sidebar.children
    assert not any(marker in all_text(at) for marker in PATIENT_MARKERS) and len(at.dataframe) == 0


def test_a_link_shows_the_form_with_the_first_name_only_and_takes_the_token_out_of_the_address(
        patient_page, demo_store):
    _, request = issued(demo_store)
    demo_store.close()
    at = patient_page(request.token)
    assert not at.exception
    text = all_text(at)
    assert "Hello Robin." in text
    assert "NEW-0001" not in text and "Testcase" not in text
    assert not any(marker in text for marker in PATIENT_MARKERS)
    assert "t" not in at.query_params
    kept = at.session_state._state.filtered_state  # what the server keeps for this session
    assert request.token not in str(kept) and isinstance(kept["self_report~access"], sr.Access)
    assert staff_navigation(at) == [] and not at.sidebar.children
    assert [b.label for b in at.button] == ["Not you? Start again", "Send my answers"]


def test_a_signed_in_nurse_opening_a_link_sees_the_patient_page_without_the_staff_sidebar(patient_page, demo_store):
    _, request = issued(demo_store)
    demo_store.close()
    at = patient_page(request.token, role="nurse")
    assert "Hello Robin." in all_text(at)
    assert staff_navigation(at) == [] and not at.sidebar.children


def test_item_9_above_0_by_link_shows_the_crisis_text_and_raises_the_same_day_follow_up(patient_page, demo_db):
    con = db.open_store(demo_db)
    patient, request = issued(con)
    con.close()
    at = answer(patient_page(request.token), [0] * 8 + [1], 20)
    next(b for b in at.button if b.label == "Send my answers").click().run()
    assert not at.exception
    assert "988" in at.error[0].value and "Thank you" in at.success[0].value
    at.get("button")[0].click().run()  # Done: back to the kiosk entry, nothing of this patient left
    assert "Hello Robin" not in all_text(at) and "988" not in all_text(at)
    waiting = safety.open_followups(clinic().con, NURSE)
    assert list(waiting[waiting["patient_id"] == patient]["occasion"]) == ["self-report"]


def test_the_crisis_text_shows_as_item_9_is_answered_before_anything_is_sent(patient_page, demo_db):
    """Chromium review: the message waited for Send; a patient who stopped half-way never saw it."""
    con = db.open_store(demo_db)
    _, request = issued(con)
    con.close()
    at = patient_page(request.token)
    assert not any("988" in e.value for e in at.error)
    at.radio[8].set_value(2)
    at = at.run()
    assert any("988" in e.value for e in at.error)
    assert not at.success and any(b.label == "Send my answers" for b in at.button)


def test_not_you_closes_the_questions_on_a_shared_tablet(patient_page, demo_db):
    con = db.open_store(demo_db)
    _, request = issued(con)
    con.close()
    at = patient_page(request.token)
    assert "Hello Robin" in at.markdown[0].value or any("Hello Robin" in m.value for m in at.markdown)
    at = next(b for b in at.button if b.label == "Not you? Start again").click().run()
    assert not any("Robin" in m.value for m in at.markdown) and not at.radio
    assert any(t.label.startswith("Code") for t in at.text_input)


def test_a_bad_answer_is_named_and_the_answers_stay(patient_page, demo_db):
    con = db.open_store(demo_db)
    _, request = issued(con)
    con.close()
    at = answer(patient_page(request.token), [1] * 9, 150)
    next(b for b in at.button if b.label == "Send my answers").click().run()
    assert any("Not sent yet" in e.value and "Craving" in e.value for e in at.error)
    assert at.number_input[0].value == 150 and at.radio[0].value == 1


def test_a_half_filled_form_is_kept_on_the_server_and_offered_again(patient_page, demo_db):
    con = db.open_store(demo_db)
    _, request = issued(con)
    con.close()
    at = patient_page(request.token)
    at.radio[0].set_value(2).run()
    at.radio[1].set_value(1).run()
    again = patient_page(request.token)  # a new session: the tab was closed and the link opened again
    assert again.radio[0].value == 2 and again.radio[1].value == 1 and again.radio[2].value is None


def test_a_wrong_or_used_link_gets_one_plain_message(patient_page, demo_store):
    demo_store.close()
    at = patient_page("made-up-token")
    assert [e.value for e in at.error] == [rules.NOT_WORKING]
    assert at.text_input[0].label == "Code (6 letters and numbers)"


def test_the_kiosk_code_with_the_date_of_birth_opens_the_form(patient_page, demo_db):
    con = db.open_store(demo_db)
    _, request = issued(con)
    con.close()
    at = patient_page()
    at.text_input[0].input(request.kiosk_code.lower())
    at.text_input[1].input("14.03.1988")
    at.button[0].click().run()
    assert not at.exception
    assert "Hello Robin." in all_text(at)


def tables(at: AppTest) -> str:
    return "\n".join(t.value.to_string() for t in at.table)


def chart(page, patient_id: int, role: str = "nurse") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.switch_page("pages/patients.py")
    at.session_state["user"] = DEMO_USERS[role]
    at.session_state["last_seen"] = time.monotonic()
    at.session_state["chosen~patients"] = patient_id
    return at.run()


def test_a_nurse_issues_a_request_on_the_chart_and_sees_the_link_qr_and_kiosk_code_once(page, demo_store):
    patient = approved_patient(demo_store)
    demo_store.close()
    at = chart(page, patient)
    assert not at.exception
    assert "Self-report between visits" in [s.value for s in at.subheader]
    asked = [c.label for c in at.checkbox]
    assert asked == [labels.instrument(i) for i in ("phq9", "gad7", "craving_vas")] + [
        "Use of the main substance, day by day since the last recorded day"]  # no PACS: cocaine is the substance
    next(b for b in at.button if b.label == "Issue link and kiosk code").click().run()
    assert not at.exception
    assert "cannot be shown again" in at.success[0].value
    (link,) = [c.value for c in at.code]
    assert link.startswith("self_report?t=") and len(link) > 50
    assert any("QR code of the link for the patient" in h.proto.body for h in at.get("html"))
    token = link.split("t=", 1)[1]
    (hashed,) = clinic().con.execute("SELECT token_hash FROM self_reports WHERE patient_id = ?", [patient]).fetchone()
    assert hashed == rules.digest(token)
    (shown,) = [m.value for m in at.markdown if m.value.startswith("**Kiosk code:**")]
    code = re.search(r">([A-Z0-9]{6})</span>", shown).group(1)
    assert clinic().con.execute("SELECT kiosk_hash FROM self_reports WHERE patient_id = ?", [patient]).fetchone() \
        == (rules.digest(code),)
    assert "Open: waiting for the patient" in tables(at)
    next(b for b in at.button if b.label.startswith("Done: hide")).click().run()
    assert not at.code
    next(b for b in at.button if b.label.startswith("Cancel the request")).click().run()
    assert "Request cancelled" in at.success[0].value and "Cancelled" in tables(at)


def test_a_sent_report_waits_on_the_chart_and_home_until_a_clinician_accepts_it(page, demo_db):
    con = db.open_store(demo_db)
    patient, request = issued(con)
    access = sr.open_by_token(con, request.token)
    sr.send(con, access, {"phq9": [2] * 9, "craving_vas": [30]}, [])
    con.close()
    home = page("app.py", "therapist")
    assert "Sent: waiting for review" in tables(home) and "self-report waiting for review" in all_text(home)
    at = chart(page, patient, "therapist")
    assert "waiting for review" in all_text(at) and "18" in all_text(at)
    assert not any("Follow-up check-in" in e.label for e in at.expander)
    at.radio(key=next(r.key for r in at.radio if r.label == "Decision")).set_value("accepted")
    next(b for b in at.button if b.label == "Record the review").click().run()
    assert not at.exception
    assert "Self-report accepted" in at.success[0].value
    assert "Accepted into the record" in tables(at)
    assert any("Follow-up check-in" in e.label for e in at.expander)
    assert clinic().con.execute("SELECT count(*) FROM self_report_reviews").fetchone() == (1,)


def test_a_rejection_needs_a_reason(page, demo_db):
    con = db.open_store(demo_db)
    patient, request = issued(con)
    sr.send(con, sr.open_by_token(con, request.token), {"phq9": [0] * 9, "craving_vas": [5]}, [])
    con.close()
    at = chart(page, patient)
    at.radio(key=next(r.key for r in at.radio if r.label == "Decision")).set_value("rejected")
    next(b for b in at.button if b.label == "Record the review").click().run()
    assert "Reason for rejecting" in at.error[0].value
    assert clinic().con.execute("SELECT count(*) FROM self_report_reviews").fetchone() == (0,)


def test_the_administrator_sets_the_clinic_number_the_crisis_message_gives(page, patient_page, demo_db):
    from core.rules import settings
    from tests.pages.conftest import form_key
    from tests.pages.test_admin_page import click

    at = page("pages/admin.py", "admin")
    at.session_state[form_key(at, "admin_setting", "name")] = "crisis_phone"
    at = at.run()
    assert "988" in at.error[0].value and "You can also call the clinic." in at.error[0].value  # the preview
    at.session_state[form_key(at, "admin_setting", "text")] = "(555) 010-0100"
    at.session_state[form_key(at, "admin_setting", "reason")] = "Clinic's after-hours line, per director"
    at = click(at.run(), "Save the setting")
    assert "Saved and in force now." in all_text(at) and settings.current().crisis_phone == "(555) 010-0100"
    _, request = issued(clinic().con)
    sent = answer(patient_page(request.token), [0] * 8 + [2], 10)
    next(b for b in sent.button if b.label == "Send my answers").click().run()
    assert "(555) 010-0100" in sent.error[0].value and "988" in sent.error[0].value


def test_a_request_cancelled_while_the_patient_answers_leaves_one_plain_message_and_no_answers(patient_page, demo_db):
    con = db.open_store(demo_db)
    _, request = issued(con)
    con.close()
    at = patient_page(request.token)
    at.radio[0].set_value(2).run()
    sr.cancel(clinic().con, NURSE, request.report_id)
    at.radio[1].set_value(1).run()
    assert not at.exception
    assert [e.value for e in at.error] == [rules.NOT_WORKING] and not at.radio
    assert clinic().con.execute("SELECT count(*) FROM self_report_drafts").fetchone() == (0,)


def test_every_state_of_a_request_has_words_on_screen():
    assert set(labels.SELF_REPORT_STATE) == set(sr.STATE_WORDS)
