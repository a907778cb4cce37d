"""Nothing typed is dropped (issue 25.9): a second prescriber deciding a screening already decided lost the note
("needs cardiology review"). The refusal says who decided, and the note can still join the record as a comment."""

from datetime import datetime

import pytest

from core import approvals, screening_record, users
from core.access import AccessDenied, User
from tests.core.test_screening_and_approval import NURSE, PRESCRIBER, PRESCRIBER_PASSWORD, pending_screening

ADMIN = User(1, "admin", "Demo Admin", "admin")
LATER = datetime(2026, 11, 21, 11, 0)


@pytest.fixture
def decided(demo_store):
    """A screening the demo prescriber approved, and a second prescriber who had it open too."""
    saved = pending_screening(demo_store)
    approvals.decide(demo_store, PRESCRIBER, saved.screening_id, "approved", "Suitable", PRESCRIBER_PASSWORD)
    second = users.create_user(demo_store, ADMIN, "second", "Dr Second Opinion", "prescriber",
                               "second prescriber 2026")
    return demo_store, saved.screening_id, second


def test_the_second_decision_is_refused_as_already_decided_naming_who(decided):
    con, screening_id, second = decided
    with pytest.raises(approvals.AlreadyDecided, match="already been decided: approved by Dr Demo Prescriber"):
        approvals.decide(con, second, screening_id, "declined", "needs cardiology review", "second prescriber 2026")


def test_the_late_note_joins_the_record_as_a_comment_with_its_audit_row(decided):
    con, screening_id, second = decided
    approvals.add_comment(con, second, screening_id, "needs cardiology review", now=LATER)
    record = screening_record.load(con, PRESCRIBER, screening_id)
    assert [(c.author, c.added_at, c.text) for c in record.comments] == [
        ("Dr Second Opinion", LATER, "needs cardiology review")]
    action, entity, detail = con.execute(
        "SELECT action, entity, detail FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    assert (action, entity) == ("screening_comment_added", "screening_comment")
    assert "cardiology" not in detail  # the audit row says who and which record, not the note


@pytest.mark.parametrize(("note", "words"), [("   ", "Comment is required"), ("x" * 5001, "too long"),
                                              (None, "Comment is required")])
def test_a_bad_comment_is_refused_in_words_and_nothing_stored(decided, note, words):
    con, screening_id, second = decided
    with pytest.raises(ValueError, match=words):
        approvals.add_comment(con, second, screening_id, note)
    assert con.execute("SELECT count(*) FROM screening_comments").fetchone() == (0,)


def test_only_a_prescriber_comments_and_only_on_a_decided_screening(demo_store):
    waiting = pending_screening(demo_store).screening_id
    with pytest.raises(AccessDenied):
        approvals.add_comment(demo_store, NURSE, waiting, "a note")
    with pytest.raises(ValueError, match="not decided yet"):
        approvals.add_comment(demo_store, PRESCRIBER, waiting, "a note")
    with pytest.raises(ValueError, match="not found"):
        approvals.add_comment(demo_store, PRESCRIBER, 10**9, "a note")
