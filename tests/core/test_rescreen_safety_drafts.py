"""Re-screen identity, duplicate acknowledgement, same-day safety follow-ups and server-side drafts, in core."""

from datetime import date, datetime, time

import pytest

from core import approvals, db, drafts, patients, safety
from core.access import AccessDenied, User
from core.screening_form import validate_screening
from tests.core.test_screening_and_approval import NOW, NURSE, PRESCRIBER, PRESCRIBER_PASSWORD, valid_raw

THERAPIST = User(4, "therapist", "Demo Therapist", "therapist")
URGENT_PHQ9 = [1] * 8 + [3]


def save(con, user=NURSE, patient_id=None, **kwargs):
    raw_changes = {k: kwargs.pop(k) for k in list(kwargs) if k not in
                   ("draft_id", "update_identity", "acknowledged_duplicates", "opened_as")}
    screening = validate_screening(valid_raw(**raw_changes), now=NOW)
    return patients.save_screening(con, user, screening, patient_id, now=NOW, **kwargs)


def count(con, sql, params=()):
    return con.execute(sql, list(params)).fetchone()[0]


def test_a_rescreen_with_a_changed_identity_is_refused_unless_deliberate(demo_store):
    first = save(demo_store)
    before = count(demo_store, "SELECT count(*) FROM screenings")
    with pytest.raises(ValueError, match="Correct identity details"):
        save(demo_store, patient_id=first.patient_id, date_of_birth=date(2010, 1, 1))
    assert count(demo_store, "SELECT count(*) FROM screenings") == before
    assert count(demo_store, "SELECT date_of_birth FROM patients WHERE id = ?", [first.patient_id]) \
        == date(1988, 3, 14)


def test_a_deliberate_identity_change_is_stored_audited_and_decided_on(demo_store):
    first = save(demo_store)
    again = save(demo_store, patient_id=first.patient_id, date_of_birth=date(2010, 1, 1), mrn="NEW-0001-B",
                 update_identity=True)
    row = demo_store.execute("SELECT date_of_birth, mrn, status FROM patients WHERE id = ?",
                             [first.patient_id]).fetchone()
    assert row == (date(2010, 1, 1), "NEW-0001-B", "ineligible")
    assert again.decision.status == "ineligible" and "minor" in {r.code for r in again.decision.reasons}
    (detail,) = demo_store.execute("SELECT detail FROM audit_log WHERE action = 'patient_identity_changed' "
                                   "AND entity_id = ?", [first.patient_id]).fetchone()
    assert "date_of_birth" in detail and "mrn" in detail and "2010" not in detail


def test_a_rescreen_decides_on_the_stored_identity(demo_store):
    first = save(demo_store)
    again = save(demo_store, patient_id=first.patient_id, systolic_bp=150)
    assert again.patient == "O'Testcase, Robin"
    assert "older_adult" not in {r.code for r in again.decision.reasons}
    assert {r.code for r in again.decision.reasons} >= {"elevated_bp"}


def test_a_new_patient_with_a_duplicate_is_refused_until_that_duplicate_is_ruled_out(demo_store):
    first = save(demo_store)
    with pytest.raises(patients.DuplicatesFound) as found:
        save(demo_store, mrn="NEW-0009")
    (dup,) = found.value.duplicates
    assert (dup["id"], dup["chart_number"], dup["same_chart_number"]) == (first.patient_id, "NEW-0001", False)
    saved = save(demo_store, mrn="NEW-0009", acknowledged_duplicates=frozenset({dup["id"]}))
    assert count(demo_store, "SELECT count(*) FROM patients WHERE last_name = 'O''Testcase'") == 2
    assert saved.patient_id != dup["id"]


def test_an_acknowledgement_does_not_cover_another_duplicate(demo_store):
    with pytest.raises(patients.DuplicatesFound) as found:
        save(demo_store, mrn="DEMO-000001")
    seen = frozenset(d["id"] for d in found.value.duplicates)
    with pytest.raises(patients.DuplicatesFound) as again:
        save(demo_store, mrn="DEMO-000002", acknowledged_duplicates=seen)
    assert [d["chart_number"] for d in again.value.duplicates] == ["DEMO-000002"]
    assert count(demo_store, "SELECT count(*) FROM patients WHERE mrn = 'DEMO-000002'") == 1


def test_a_rescreen_of_an_approved_patient_needs_a_new_approval(demo_store):
    first = save(demo_store)
    approvals.decide(demo_store, PRESCRIBER, first.screening_id, "approved", "Suitable", PRESCRIBER_PASSWORD)
    again = save(demo_store, patient_id=first.patient_id)
    assert count(demo_store, "SELECT status FROM patients WHERE id = ?", [first.patient_id]) == "screened"
    queued = set(approvals.queue(demo_store, PRESCRIBER)["screening_id"])
    assert again.screening_id in queued and first.screening_id not in queued


def test_a_superseded_screening_cannot_be_signed(demo_store):
    first = save(demo_store)
    second = save(demo_store, patient_id=first.patient_id)
    with pytest.raises(ValueError, match="replaced by a newer one"):
        approvals.decide(demo_store, PRESCRIBER, first.screening_id, "approved", "Old", PRESCRIBER_PASSWORD)
    approvals.decide(demo_store, PRESCRIBER, second.screening_id, "approved", "New", PRESCRIBER_PASSWORD)


def test_an_urgent_screening_opens_a_follow_up_until_it_is_recorded(demo_store):
    saved = save(demo_store, phq9=URGENT_PHQ9)
    waiting = safety.open_followups(demo_store, NURSE)
    row = waiting[waiting["patient_id"] == saved.patient_id].iloc[0]
    assert row["patient"] == "O'Testcase, Robin"
    safety.record_assessment(demo_store, PRESCRIBER, int(row["followup_id"]), "safety_plan", "Seen; plan made",
                             now=NOW)
    assert saved.patient_id not in set(safety.open_followups(demo_store, NURSE)["patient_id"])
    (recorded,) = safety.for_patient(demo_store, NURSE, saved.patient_id)
    assert (recorded.outcome, recorded.assessed_by, recorded.assessed_at) == ("safety_plan", "Dr Demo Prescriber", NOW)
    with pytest.raises(ValueError, match="Already recorded by Dr Demo Prescriber"):
        safety.record_assessment(demo_store, NURSE, int(row["followup_id"]), "emergency_care", "Again")
    assert count(demo_store, "SELECT action FROM audit_log ORDER BY id DESC LIMIT 1") == "safety_assessment_recorded"


def test_a_calm_screening_opens_no_follow_up(demo_store):
    saved = save(demo_store)
    assert count(demo_store, "SELECT count(*) FROM safety_followups WHERE patient_id = ?", [saved.patient_id]) == 0


@pytest.mark.parametrize(("outcome", "note", "words"), [(None, "Seen", "Outcome"), ("safety_plan", "  ", "Note"),
                                                        ("made_up", "Seen", "Outcome"),
                                                        ("safety_plan", "x" * 5001, "too long")])
def test_a_bad_assessment_is_refused_and_stores_nothing(demo_store, outcome, note, words):
    saved = save(demo_store, phq9=URGENT_PHQ9)
    (followup_id,) = demo_store.execute("SELECT id FROM safety_followups WHERE patient_id = ?",
                                        [saved.patient_id]).fetchone()
    with pytest.raises(ValueError, match=words):
        safety.record_assessment(demo_store, NURSE, followup_id, outcome, note)
    assert count(demo_store, "SELECT count(*) FROM safety_assessments WHERE followup_id = ?", [followup_id]) == 0


def test_only_nurses_and_prescribers_record_or_list_follow_ups(demo_store):
    with pytest.raises(AccessDenied):
        safety.open_followups(demo_store, THERAPIST)
    with pytest.raises(AccessDenied):
        safety.record_assessment(demo_store, THERAPIST, 1, "safety_plan", "x")


CONTENT = {"first_name": "Robin", "date_of_birth": date(1988, 3, 14), "last_use_time": time(21, 30),
           "phq9_item9": 2, "conditions": ["bipolar"], "integration_therapy_willing": True, "goal": None}


def test_a_draft_round_trips_with_its_types(demo_store):
    draft_id = drafts.save(demo_store, NURSE, "screening", CONTENT, now=NOW)
    (mine,) = drafts.mine(demo_store, NURSE, "screening")
    assert (mine.id, mine.content, mine.started_at) == (draft_id, CONTENT, NOW)
    later = datetime(2026, 11, 21, 10, 5)
    drafts.save(demo_store, NURSE, "screening", {**CONTENT, "first_name": "Rob"}, draft_id=draft_id, now=later)
    resumed = drafts.resume(demo_store, NURSE, draft_id)
    assert resumed.content["first_name"] == "Rob" and resumed.updated_at == later


def test_drafts_are_invisible_to_another_user(demo_store):
    draft_id = drafts.save(demo_store, NURSE, "screening", CONTENT)
    assert drafts.mine(demo_store, PRESCRIBER, "screening") == []
    for attempt in (lambda: drafts.resume(demo_store, PRESCRIBER, draft_id),
                    lambda: drafts.discard(demo_store, PRESCRIBER, draft_id),
                    lambda: drafts.save(demo_store, PRESCRIBER, "screening", {}, draft_id=draft_id)):
        with pytest.raises(ValueError, match="another screen"):
            attempt()
    assert len(drafts.mine(demo_store, NURSE, "screening")) == 1
    with pytest.raises(AccessDenied):
        drafts.mine(demo_store, THERAPIST, "screening")


def test_saving_the_screening_removes_its_draft_in_the_same_transaction(demo_store):
    draft_id = drafts.save(demo_store, NURSE, "screening", CONTENT)
    save(demo_store, draft_id=draft_id)
    assert drafts.mine(demo_store, NURSE, "screening") == []
    before = count(demo_store, "SELECT count(*) FROM screenings")
    with pytest.raises(ValueError, match="another screen"):
        save(demo_store, draft_id=draft_id, mrn="NEW-0002")
    assert count(demo_store, "SELECT count(*) FROM screenings") == before


def test_a_failed_save_keeps_the_draft_and_opens_no_follow_up(demo_store, monkeypatch):
    draft_id = drafts.save(demo_store, NURSE, "screening", CONTENT)
    followups = count(demo_store, "SELECT count(*) FROM safety_followups")

    def broken_audit(cur, actor, action, *args, **kwargs):
        if action == "screening_saved":
            raise RuntimeError("disk full")

    monkeypatch.setattr(db, "audit", broken_audit)
    with pytest.raises(RuntimeError):
        save(demo_store, draft_id=draft_id, phq9=URGENT_PHQ9)
    monkeypatch.undo()
    assert [d.id for d in drafts.mine(demo_store, NURSE, "screening")] == [draft_id]
    assert count(demo_store, "SELECT count(*) FROM safety_followups") == followups


def test_a_draft_refuses_what_it_cannot_keep(demo_store):
    with pytest.raises(ValueError, match="Unknown kind"):
        drafts.save(demo_store, NURSE, "invoice", {})
    with pytest.raises(ValueError, match="cannot hold"):
        drafts.save(demo_store, NURSE, "screening", {"x": object()})
    with pytest.raises(ValueError, match="too large"):
        drafts.save(demo_store, NURSE, "screening", {"goal": "x" * (drafts.MAX_CONTENT_CHARS + 1)})


def test_two_writers_of_one_row_conflict_and_the_later_is_rolled_back_whole(demo_store):
    draft_id = drafts.save(demo_store, NURSE, "screening", CONTENT)
    audit_rows = count(demo_store, "SELECT count(*) FROM audit_log")
    with db.transaction(demo_store) as first:
        first.execute("UPDATE drafts SET content = '{}' WHERE id = ?", [draft_id])
        with (pytest.raises(db.Conflict, match="at the same moment; nothing was saved"),
              db.transaction(demo_store) as second):
            db.audit(second, NURSE.id, "draft_updated", "draft", draft_id)
            second.execute("UPDATE drafts SET content = '{\"x\": 1}' WHERE id = ?", [draft_id])
    assert drafts.mine(demo_store, NURSE, "screening")[0].content == {}
    assert count(demo_store, "SELECT count(*) FROM audit_log") == audit_rows


def test_a_draft_autosave_tries_again_after_a_conflict(demo_store, monkeypatch):
    draft_id = drafts.save(demo_store, NURSE, "screening", CONTENT)
    real, failures = drafts._save, iter([True, False])

    def once_conflicting(*args):
        if next(failures):
            raise db.Conflict()
        return real(*args)

    monkeypatch.setattr(drafts, "_save", once_conflicting)
    assert drafts.save(demo_store, NURSE, "screening", {"first_name": "Again"}, draft_id=draft_id) == draft_id
    assert drafts.mine(demo_store, NURSE, "screening")[0].content == {"first_name": "Again"}


def test_opening_a_chart_is_audited(demo_store):
    patients.record_view(demo_store, NURSE, 10)
    assert demo_store.execute("SELECT actor_id, action, entity_id FROM audit_log ORDER BY id DESC LIMIT 1"
                              ).fetchone() == (NURSE.id, "chart_viewed", 10)
    with pytest.raises(ValueError, match="not available"):
        patients.record_view(demo_store, NURSE, 999_999)


def test_a_chart_number_in_use_cannot_be_given_to_a_different_person(demo_store):
    """Two charts with one number invite the wrong-patient mistake: 'different person' rules out a name match only."""
    with pytest.raises(patients.DuplicatesFound) as found:
        save(demo_store, mrn="DEMO-000001")
    seen = frozenset(d["id"] for d in found.value.duplicates)
    with pytest.raises(ValueError, match="Chart number DEMO-000001 already belongs to another patient"):
        save(demo_store, mrn="DEMO-000001", acknowledged_duplicates=seen)
    assert count(demo_store, "SELECT count(*) FROM patients WHERE mrn = 'DEMO-000001'") == 1


def test_a_name_and_birth_date_match_can_be_ruled_out(demo_store):
    first = save(demo_store)
    with pytest.raises(patients.DuplicatesFound) as found:
        save(demo_store, mrn="NEW-0002")
    assert not found.value.duplicates[0]["same_chart_number"]
    saved = save(demo_store, mrn="NEW-0002", acknowledged_duplicates=frozenset({first.patient_id}))
    assert saved.patient_id != first.patient_id


def test_approval_waits_for_the_same_day_safety_assessment(demo_store):
    saved = save(demo_store, phq9=URGENT_PHQ9)
    with pytest.raises(ValueError, match="same-day safety assessment is not recorded yet"):
        approvals.decide(demo_store, PRESCRIBER, saved.screening_id, "approved", "Fine", PRESCRIBER_PASSWORD)
    assert count(demo_store, "SELECT status FROM patients WHERE id = ?", [saved.patient_id]) == "screened"
    (followup_id,) = demo_store.execute("SELECT id FROM safety_followups WHERE screening_id = ?",
                                        [saved.screening_id]).fetchone()
    safety.record_assessment(demo_store, NURSE, followup_id, "safety_plan", "Seen; plan made")
    view = approvals.for_decision(demo_store, PRESCRIBER, saved.screening_id)
    assert view.safety is not None and view.safety.outcome == "safety_plan"
    approvals.decide(demo_store, PRESCRIBER, saved.screening_id, "approved", "Fine", PRESCRIBER_PASSWORD)


def test_a_decline_does_not_wait_for_the_safety_assessment(demo_store):
    saved = save(demo_store, phq9=URGENT_PHQ9)
    approvals.decide(demo_store, PRESCRIBER, saved.screening_id, "declined", "Not now", PRESCRIBER_PASSWORD)
    assert count(demo_store, "SELECT status FROM patients WHERE id = ?", [saved.patient_id]) == "declined"


