"""The browser-state rules on the pages: guarded clicks, fresh forms, full sign-out, drafts, safety follow-ups."""

import time

from core import approvals, safety, users
from core.approvals import QUEUE_SQL
from tests.pages.conftest import DEMO_USERS, all_text, form_key
from tests.pages.test_screening_pages import as_prescriber, click, decide, fill, ours, pick, scr, stored

ADMIN = DEMO_USERS["admin"]
URGENT_PHQ9 = [1, 2, 1, 1, 0, 1, 1, 0, 3]


def screenings(at):
    return stored(at, "SELECT count(*) FROM screenings")[0][0]


def test_an_idle_click_writes_nothing_and_signs_out(page):
    at = fill(page("pages/screening.py", "nurse"))
    before = screenings(at)
    at.session_state["last_seen"] -= 31 * 60
    at = click(at, "Save screening")
    assert screenings(at) == before
    assert [t.value for t in at.title] == ["Sign in"]
    assert "signed out after a period without activity" in at.info[0].value


def test_a_deactivated_account_click_writes_nothing(page):
    at = fill(page("pages/screening.py", "nurse"))
    before = screenings(at)
    users.set_active(_con(), ADMIN, DEMO_USERS["nurse"].id, False)
    at = click(at, "Save screening")
    assert screenings(at) == before
    assert "not active any more" in at.info[0].value


def test_a_role_change_ends_the_session_on_the_next_run(page):
    at = page("pages/patients.py", "nurse")
    users.set_role(_con(), ADMIN, DEMO_USERS["nurse"].id, "therapist")
    at.run()
    assert [t.value for t in at.title] == ["Sign in"]
    assert "role was changed" in at.info[0].value
    assert "user" not in at.session_state


def test_sign_out_forgets_the_unsaved_form(page):
    at = fill(page("pages/screening.py", "nurse"))
    typed = scr(at, "first_name")
    at = click(at, "Sign out")
    assert typed not in at.session_state and "form~screening" not in at.session_state
    at.session_state["user"] = DEMO_USERS["prescriber"]  # the prescriber signs in on the same tab
    at.session_state["last_seen"] = time.monotonic()
    at.run()
    assert at.text_input(key=scr(at, "first_name")).value in ("", None)
    assert "Robin" not in all_text(at)


def test_saving_starts_a_new_form_instance(page):
    at = fill(page("pages/screening.py", "nurse"))
    first_token = at.session_state["form~screening"]["token"]
    at = click(at, "Save screening")
    at = click(at, "Screen another patient")
    assert at.session_state["form~screening"]["token"] != first_token
    assert at.text_input(key=scr(at, "first_name")).value in ("", None)
    assert "Screening result if saved now" not in all_text(at)


def test_the_urgent_banner_shows_from_one_answer(page):
    at = page("pages/screening.py", "nurse")
    at.session_state[scr(at, "phq9_item9")] = 1
    at.run()
    assert "Same-day safety assessment needed" in all_text(at)
    assert "The decision appears when the form is complete" in all_text(at)


def test_an_urgent_save_names_the_patient_and_reaches_the_home_worklist(page):
    at = fill(page("pages/screening.py", "nurse"), phq9=URGENT_PHQ9, date_of_birth="01.05.2010")
    at = click(at, "Save screening")
    text = all_text(at)
    assert "Screening saved for Pagetest, Robin: Ineligible" in text
    assert "Same-day safety assessment needed** for Pagetest, Robin" in text
    at.switch_page("app.py")
    at.run()
    assert "Same-day safety assessments to record" in [s.value for s in at.subheader]
    assert "Pagetest, Robin" in all_text(at)
    (followup_id,) = stored(at, """SELECT f.id FROM safety_followups f JOIN patients p ON p.id = f.patient_id
                                   WHERE p.last_name = 'Pagetest'""")[0]
    at = click_key(at, f"followup_{followup_id}")
    at.session_state[form_key(at, "followup", "outcome")] = "safety_plan"
    at.session_state[form_key(at, "followup", "note")] = "Seen by the prescriber; safety plan made"
    at = click(at, "Record assessment")
    assert "Same-day safety assessment recorded." in all_text(at)
    assert "Pagetest, Robin" not in all_text(at)
    assert stored(at, "SELECT outcome, assessed_by FROM safety_assessments WHERE followup_id = ?",
                  [followup_id]) == [("safety_plan", DEMO_USERS["nurse"].id)]


def test_an_assessment_without_outcome_is_refused_and_the_note_kept(page):
    at = fill(page("pages/screening.py", "nurse"), phq9=URGENT_PHQ9)
    click(at, "Save screening")
    at.switch_page("app.py")
    at.run()
    (followup_id,) = stored(at, """SELECT f.id FROM safety_followups f JOIN patients p ON p.id = f.patient_id
                                   WHERE p.last_name = 'Pagetest'""")[0]
    at = click_key(at, f"followup_{followup_id}")
    at.session_state[form_key(at, "followup", "note")] = "Seen"
    at = click(at, "Record assessment")
    assert "choose what happened" in all_text(at)
    assert at.session_state[form_key(at, "followup", "note")] == "Seen"
    assert stored(at, "SELECT count(*) FROM safety_assessments WHERE followup_id = ?", [followup_id])[0][0] == 0


def test_a_draft_is_offered_back_to_its_author_only(page):
    at = page("pages/screening.py", "nurse")
    at.session_state[scr(at, "first_name")] = "Robin"
    at.session_state[scr(at, "last_name")] = "Drafttest"
    at.session_state[scr(at, "phq9_item3")] = 2
    at.run()
    other = page("pages/screening.py", "prescriber")
    assert not any(b.label.startswith("Resume") for b in other.button)
    again = page("pages/screening.py", "nurse")  # a reload: a new session, signed in again
    resume = next(b for b in again.button if b.label.startswith("Resume the screening of Drafttest, Robin"))
    resume.click()
    again.run()
    assert again.text_input(key=scr(again, "last_name")).value == "Drafttest"
    assert again.radio(key=scr(again, "phq9_item3")).value == 2


def test_a_saved_draft_is_gone_and_a_discarded_one_too(page):
    at = fill(page("pages/screening.py", "nurse"))
    assert stored(at, "SELECT count(*) FROM drafts")[0][0] == 1
    click(at, "Save screening")
    assert stored(at, "SELECT count(*) FROM drafts")[0][0] == 0
    at = page("pages/screening.py", "nurse")
    at.session_state[scr(at, "first_name")] = "Discardme"
    at.run()
    later = page("pages/screening.py", "nurse")
    later = click(later, "Discard")
    assert stored(later, "SELECT count(*) FROM drafts")[0][0] == 1  # nothing goes before the nurse confirms
    assert "Discard the unfinished screening of Discardme" in all_text(later)
    later = click(later, "No, keep it")
    assert stored(later, "SELECT count(*) FROM drafts")[0][0] == 1
    later = click(click(later, "Discard"), "Yes, discard it")
    assert stored(later, "SELECT count(*) FROM drafts")[0][0] == 0
    assert "The unfinished screening was discarded." in all_text(later)


def test_a_rescreen_locks_identity_until_unlocked(page):
    at = page("pages/patients.py", "nurse")
    at.session_state["chosen~patients"] = 10
    at.run()
    at = click(at, "Re-screen this patient")
    at.switch_page("pages/screening.py")
    at.run()
    assert at.text_input(key=scr(at, "mrn")).value == "DEMO-000010"
    assert at.text_input(key=scr(at, "mrn")).disabled
    at.checkbox(key=scr(at, "identity_unlocked")).check()
    at.run()
    assert not at.text_input(key=scr(at, "mrn")).disabled
    at = click(at, "Cancel the re-screen")
    assert not at.exception
    assert "cancelled; nothing was saved" in all_text(at)
    assert at.text_input(key=scr(at, "mrn")).value in ("", None)
    assert stored(at, "SELECT count(*) FROM drafts")[0][0] == 0


def test_a_duplicate_acknowledgement_is_void_after_the_chart_number_changes(page):
    at = fill(page("pages/screening.py", "nurse"))
    at = click(click(at, "Save screening"), "Screen another patient")
    at = fill(at, mrn="PAGE-0002")  # the same name and date of birth: perhaps a different person
    at = click(at, "Save screening")
    assert any(b.label == "Different person: create a new record" for b in at.button)
    at.text_input(key=scr(at, "mrn")).input("DEMO-000002").run()
    assert not any(b.label == "Different person: create a new record" for b in at.button)
    at = click(at, "Save screening")
    assert any(b.label.startswith("Start an empty re-screen") and "DEMO\\-000002" in b.label for b in at.button)
    assert stored(at, "SELECT count(*) FROM patients WHERE mrn = 'DEMO-000002'")[0][0] == 1


def test_after_a_signature_the_next_screening_gets_an_empty_form(page):
    at = fill(page("pages/screening.py", "nurse"))
    click(at, "Save screening")
    at = as_prescriber(at)
    at = pick(at, ours(at))
    decide(at)
    at = click(at, "Sign decision")
    assert "Signed: approved for Pagetest, Robin." in all_text(at)
    assert at.selectbox(key=form_key(at, "approval_pick", "screening")).value is None
    nxt = stored(at, QUEUE_SQL)[0][0]
    at = pick(at, nxt)
    assert at.radio(key=form_key(at, "approval", "choice")).value is None
    assert at.text_area(key=form_key(at, "approval", "note")).value in ("", None)
    assert at.text_input(key=form_key(at, "approval", "password")).value in ("", None)
    at = click(at, "Sign decision")
    assert stored(at, "SELECT count(*) FROM approvals WHERE screening_id = ?", [nxt])[0][0] == 0


def click_key(at, key):
    at.button(key=key).click()
    return at.run()


def _con():
    from ui.store import clinic

    return clinic().con



def test_a_signature_on_a_screening_decided_meanwhile_names_the_patient_at_once(page):
    at = fill(page("pages/screening.py", "nurse"))
    click(at, "Save screening")
    at = pick(as_prescriber(at), ours(at))
    decide(at)
    approvals.decide(_con(), DEMO_USERS["prescriber"], ours(at), "declined", "Second prescriber",
                     "demo-prescriber-2026")
    at = click(at, "Sign decision")
    text = all_text(at)
    assert "Signature for Pagetest, Robin" in text and "already been decided" in text
    assert stored(at, "SELECT count(*) FROM approvals WHERE screening_id = ?", [ours(at)])[0][0] == 1


def test_a_safety_assessment_recorded_meanwhile_is_refused_by_name_at_once(page):
    at = fill(page("pages/screening.py", "nurse"), phq9=URGENT_PHQ9)
    click(at, "Save screening")
    at.switch_page("app.py")
    at.run()
    (followup_id,) = stored(at, """SELECT f.id FROM safety_followups f JOIN patients p ON p.id = f.patient_id
                                   WHERE p.last_name = 'Pagetest'""")[0]
    at = click_key(at, f"followup_{followup_id}")
    at.session_state[form_key(at, "followup", "outcome")] = "emergency_care"
    at.session_state[form_key(at, "followup", "note")] = "Sent to the emergency department"
    safety.record_assessment(_con(), DEMO_USERS["prescriber"], followup_id, "safety_plan", "Seen first")
    at = click(at, "Record assessment")
    text = all_text(at)
    assert "Safety assessment for Pagetest, Robin" in text and "Already recorded by Dr Demo Prescriber" in text
    assert stored(at, "SELECT outcome FROM safety_assessments WHERE followup_id = ?", [followup_id]) == [
        ("safety_plan",)]


def test_after_a_save_other_pages_start_fresh(page):
    at = fill(page("pages/screening.py", "nurse"))
    at = click(at, "Save screening")
    at.switch_page("pages/patients.py")
    at.run()
    assert at.text_input(key="patients_search")  # the roster, not the saved patient's chart
    at.switch_page("pages/screening.py")
    at.run()
    assert "Screening saved for" not in all_text(at)
    assert at.text_input(key=scr(at, "first_name")).value in ("", None)


def test_a_rescreen_warns_that_an_approved_patient_goes_back_to_the_queue(page):
    approved = stored(page("app.py", "nurse"), "SELECT id FROM patients WHERE status = 'approved' ORDER BY id")[0][0]
    at = page("pages/patients.py", "nurse")
    at.session_state["chosen~patients"] = approved
    at.run()
    at = click(at, "Re-screen this patient")
    at.switch_page("pages/screening.py")
    at.run()
    assert "sends them back to the approval queue" in all_text(at)


def test_the_chart_shows_a_deliberate_identity_correction(page):
    from core import patients
    from core.screening_form import validate_screening
    from tests.core.test_screening_and_approval import NOW, valid_raw

    at = page("pages/patients.py", "nurse")
    # valid_raw's last use fits its days used as of NOW (issue 25.5 checks the two together)
    first = patients.save_screening(_con(), DEMO_USERS["nurse"], validate_screening(valid_raw(), now=NOW))
    patients.save_screening(_con(), DEMO_USERS["nurse"], validate_screening(valid_raw(mrn="NEW-0001-B"), now=NOW),
                            first.patient_id, update_identity=True)
    at.session_state["chosen~patients"] = first.patient_id
    at.run()
    assert "Identity corrected on" in all_text(at) and "chart number" in all_text(at)
