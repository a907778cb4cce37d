import time

import pytest
from streamlit.testing.v1 import AppTest

from core import users
from core.approvals import QUEUE_SQL
from tests.pages.conftest import DEMO_USERS, PAGE_FILES, ROOT, all_text
from tests.pages.test_screening_pages import stored

PATIENT_MARKERS = ("DEMO-0", "Synthetic, ", "Testperson, ", "Example, ")


@pytest.mark.parametrize("path", PAGE_FILES)
def test_signed_out_page_shows_only_sign_in_and_no_patient_data(page, path):
    at = page(path)
    assert not at.exception
    assert [t.value for t in at.title] == ["Sign in"]
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    text = all_text(at)
    assert not any(marker in text for marker in PATIENT_MARKERS)
    assert len(at.dataframe) == 0


def test_demo_database_shows_banner_and_demo_accounts(page):
    at = page("app.py")
    assert "Synthetic demo data" in at.warning[0].value
    assert "demo-nurse-2026" in all_text(at)


def test_sign_in_through_the_form_shows_home(page):
    at = page("app.py")
    at.text_input[0].input("nurse")
    at.text_input[1].input("demo-nurse-2026")
    at.button[0].click().run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Home"]
    assert at.session_state["user"].role == "nurse"
    assert "Synthetic demo data" in at.warning[0].value


def test_wrong_password_gets_one_plain_message(page):
    at = page("app.py")
    at.text_input[0].input("nurse")
    at.text_input[1].input("not the password")
    at.button[0].click().run()
    assert [e.value for e in at.error] == [users.SIGN_IN_FAILED]
    assert "user" not in at.session_state


def test_the_administrator_manages_the_system_and_sees_no_patient(page, demo_store):
    names = [f"{last}, {first}" for first, last in demo_store.execute(
        "SELECT first_name, last_name FROM patients").fetchall()]
    demo_store.close()
    at = page("app.py", "admin")
    assert [m.label for m in at.metric] == ["Screenings waiting for approval", "Dosing sessions in progress"]
    assert not at.table and "Patient records are for the clinical team" in all_text(at)
    assert not [n for n in names if n in all_text(at)]
    assert "cannot open Patients" in page("pages/patients.py", "admin").error[0].value


@pytest.mark.parametrize("role", ["prescriber", "nurse", "therapist"])
def test_staff_home_shows_attention_lists(page, role):
    at = page("app.py", role)
    assert not at.exception
    assert [t.value for t in at.title] == ["Home"]
    labels = [m.label for m in at.metric]
    assert labels == ["Screenings waiting for approval", "Dosing sessions in progress"]
    assert f"Signed in as **{DEMO_USERS[role].display_name}**." in all_text(at)
    pending = at.table[0].value  # a static table: a second grid on one page repeats the grid's element ids
    assert int(at.metric[0].value) >= len(pending) > 0


def test_home_lists_the_first_ten_waiting_and_says_how_many_more(page, demo_store):
    """A clinic with hundreds waiting gets a worklist, not a page of hundreds of rows."""
    from tests.core.test_screening_and_approval import pending_screening

    for number in range(11):
        pending_screening(demo_store, mrn=f"WAIT-{number:04d}", last_name=f"Waiting{number}")
    demo_store.close()
    at = page("app.py", "prescriber")
    waiting = int(at.metric[0].value)
    assert waiting > 10
    pending = at.table[0].value
    assert len(pending) == 10
    queue = stored(at, QUEUE_SQL)
    assert list(pending["Patient"]) == [row[2] for row in queue[:10]]  # in the queue's order, urgent first
    assert f"The first 10 of {waiting}" in all_text(at)


def test_viewer_home_has_counts_but_no_identified_data(page):
    at = page("app.py", "viewer")
    assert [t.value for t in at.title] == ["Home"]
    assert len(at.dataframe) == 0
    assert not any(marker in all_text(at) for marker in PATIENT_MARKERS)


def test_sign_out_returns_to_sign_in_and_is_audited(page, demo_db):
    at = page("app.py", "nurse")
    sign_out = next(b for b in at.button if b.label == "Sign out")
    sign_out.click().run()
    assert [t.value for t in at.title] == ["Sign in"]
    assert "user" not in at.session_state


def test_idle_session_is_signed_out_after_30_minutes(page, monkeypatch):
    at = page("app.py", "nurse")
    at.session_state["last_seen"] = at.session_state["last_seen"] - 29 * 60
    at.run()
    assert "user" in at.session_state
    at.session_state["last_seen"] = at.session_state["last_seen"] - 31 * 60
    at.run()
    assert [t.value for t in at.title] == ["Sign in"]
    assert "signed out after a period without activity" in at.info[0].value


def test_a_sign_in_ends_after_12_hours_however_active(page):
    at = page("app.py", "nurse")
    at.session_state["signed_in_at"] = time.monotonic() - 11.9 * 3600
    at.run()
    assert "user" in at.session_state
    at.session_state["signed_in_at"] = time.monotonic() - 12.1 * 3600
    at.run()
    assert [t.value for t in at.title] == ["Sign in"]
    assert "a sign-in lasts at most 12 hours" in at.info[0].value
    assert stored(at, "SELECT detail FROM audit_log WHERE action = 'sign_out' ORDER BY id DESC LIMIT 1") == [
        ('{"reason": "session_limit"}',)]


@pytest.mark.parametrize("role", ["prescriber", "nurse", "therapist", "viewer"])
def test_audit_log_refuses_non_admins(page, role):
    at = page("pages/audit_log.py", role)
    assert not at.exception
    assert "cannot open Audit log" in at.error[0].value
    assert len(at.dataframe) == 0


def test_audit_log_shows_admin_the_trail(page):
    at = page("pages/audit_log.py", "admin")
    assert not at.exception
    actions = set(at.dataframe[0].value["What"])
    assert "Demo data created" in actions  # in words, not the stored code
    details = " ".join(at.dataframe[0].value["Details"])
    assert "seed: 2026" in details and "patients: 300" in details


def test_audit_details_are_in_words(page, demo_store):
    from core import db

    with db.transaction(demo_store) as cur:
        db.audit(cur, 3, "screening_saved", "screening", 1,
                 {"patient_id": 7, "decision": "needs_review", "urgent": True, "rules_version": "v1"})
        db.audit(cur, None, "sign_in_failed", "user", None, {"reason": "credentials"})
        db.audit(cur, 3, "patient_identity_changed", "patient", 7, {"fields": ["date_of_birth", "mrn"]})
        db.audit(cur, 3, "draft_created", "draft", 1, {"kind": "screening", "patient_id": None})
        db.audit(cur, 4, "draft_created", "draft", 2, {"kind": "integration_note", "patient_id": None})
        db.audit(cur, 3, "draft_created", "draft", 3, {"kind": "checkin", "patient_id": None})
    (chart_number,) = demo_store.execute("SELECT mrn FROM patients WHERE id = 7").fetchone()
    demo_store.close()
    shown = page("pages/audit_log.py", "admin").dataframe[0].value
    details = list(shown["Details"])
    assert details[:2] == ["form: follow-up check-in", "form: integration note"]
    details = details[2:]
    assert details[:4] == ["form: screening", "fields changed: date of birth, chart number",
                           "reason: wrong username or password",
                           "result: Needs review · rules version: v1 · same-day safety assessment: yes"]
    # the patient by chart number in a column of its own (issue 25.12), no longer 'patient record 7' in the details
    assert list(shown["Patient (chart number)"].iloc[2:6]) == ["", chart_number, "", chart_number]


def test_account_and_setting_entries_name_the_account_the_old_role_and_the_setting_in_words(page, demo_store):
    """Seen in review: 'Account, record number 3, role: Therapist' left the administrator to look up who 3 was
    and what the role had been; a setting change showed its field name."""
    from core import db

    with db.transaction(demo_store) as cur:
        db.audit(cur, 1, "user_role_changed", "user", 3, {"role": "therapist", "was": "nurse"})
        db.audit(cur, 1, "setting_changed", "setting", None, {"name": "older_adult_age", "value": "70",
                                                              "reason": "memo", "rules_version": "v2"})
    with db.transaction(demo_store) as cur:
        db.audit(cur, 1, "setting_changed", "setting", None, {
            "name": "dose_iv", "value": '{"low": 0.1, "high": 0.75, "maximum": 1.0}',
            "was": '{"low": 0.1, "high": 0.8, "maximum": 1.0}', "reason": "memo"})
    demo_store.close()
    at = page("pages/audit_log.py", "admin")
    assert at.dataframe[0].value["Details"][0] == (
        "setting: Intravenous dose band · reason: memo · value: usual 0.1-0.75 mg/kg, at most 1 · "
        "previous value: usual 0.1-0.8 mg/kg, at most 1")
    rows = at.dataframe[0].value.iloc[1:]
    assert list(rows["Record"][:2]) == ["Setting", "Account nurse"]
    assert list(rows["Details"][:2]) == [
        ("setting: Age from which a patient is an older adult (years) · reason: memo · rules version: v2 · "
         "value: 70"),
        "role: Therapist · previous role: Nurse"]


@pytest.mark.parametrize("make_bad", [lambda tmp: tmp, lambda tmp: tmp / "missing" / "clinic.duckdb"])
def test_unopenable_database_shows_a_clear_message_not_a_traceback(tmp_path, monkeypatch, make_bad):
    bad = make_bad(tmp_path)
    monkeypatch.setenv("CLINIC_DB", str(bad))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert not at.exception
    assert f"Cannot open the clinic database at {bad}" in at.error[0].value
    assert len(at.text_input) == 0


def test_real_database_lists_no_demo_accounts(tmp_path, monkeypatch):
    monkeypatch.setenv("CLINIC_DB", str(tmp_path / "real.duckdb"))
    monkeypatch.setenv("CLINIC_DEMO", "0")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert not at.exception
    assert len(at.warning) == 0
    assert "demo-" not in all_text(at)
    assert "python -m core.users add NAME --role admin" in at.info[0].value


def test_demo_accounts_are_never_shown_with_clinic_demo_off(page, monkeypatch):
    assert "demo-nurse-2026" in all_text(page("app.py"))
    monkeypatch.setenv("CLINIC_DEMO", "0")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert "demo-nurse-2026" not in all_text(at) and "Demo accounts" not in all_text(at)


def test_the_idle_watch_looks_every_quarter_of_the_idle_limit_unless_told(monkeypatch):
    """The browser tests lengthen the idle watch (CLINIC_IDLE_WATCH_SECONDS) so that its timer runs never interleave
    with their clicks; without the setting it looks four times per idle limit, 1 to 30 s apart."""
    from ui import session

    monkeypatch.delenv("CLINIC_IDLE_WATCH_SECONDS", raising=False)
    monkeypatch.setenv("CLINIC_IDLE_MINUTES", "30")
    assert session.watch_interval_seconds() == 30
    monkeypatch.setenv("CLINIC_IDLE_MINUTES", "0.25")
    assert session.watch_interval_seconds() == 3.75
    monkeypatch.setenv("CLINIC_IDLE_WATCH_SECONDS", "3600")
    assert session.watch_interval_seconds() == 3600


def test_the_prescriber_s_home_lists_the_sessions_waiting_for_a_signature(page, demo_store):
    """Issue 25.14: the prescriber's Home did not say which ended sessions wait for a signature."""
    from core import dosing_sessions, worklist
    from tests.core.test_dosing_sessions import approved_patient, discharged, started

    discharged(demo_store, started(demo_store, approved_patient(demo_store, mrn="SIGN-0001")))
    demo_store.close()
    at = page("app.py", "prescriber")
    waiting = dosing_sessions.awaiting_signature(_store(), DEMO_USERS["prescriber"])
    assert len(waiting) > 0
    text = all_text(at)
    assert "Sessions waiting for your signature" in text
    shown = next(t.value for t in at.table if "Ended" in t.value.columns)
    assert list(shown["Chart number"]) == list(waiting["chart_number"][:worklist.HOME_ROWS])
    nurse = page("app.py", "nurse")
    assert "Sessions waiting for your signature" not in all_text(nurse)


def _store():
    from ui.store import clinic

    return clinic().con
