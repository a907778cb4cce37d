"""Reads of one patient's record and lists of patients leave one audit row each, naming whom they showed; the
audit log finds every entry about one patient."""

import pytest

from core import approvals, audit_log, dosing_sessions, patients
from core.access import AccessDenied, User
from tests.core.test_screening_and_approval import NURSE, PRESCRIBER, pending_screening

THERAPIST = User(4, "therapist", "Demo Therapist", "therapist")
ADMIN = User(1, "admin", "Demo Administrator", "admin")


def audit_rows(con) -> int:
    return con.execute("SELECT count(*) FROM audit_log").fetchone()[0]


def test_opening_a_dosing_session_or_a_queued_screening_is_refused_to_other_roles_and_for_unknown_records(demo_store):
    before = audit_rows(demo_store)
    with pytest.raises(AccessDenied):
        dosing_sessions.record_view(demo_store, THERAPIST, 1)
    with pytest.raises(AccessDenied):
        approvals.record_view(demo_store, NURSE, 1)
    with pytest.raises(ValueError, match="not available"):
        dosing_sessions.record_view(demo_store, NURSE, 10**9)
    with pytest.raises(ValueError, match="not available"):
        approvals.record_view(demo_store, PRESCRIBER, 10**9)
    with pytest.raises(ValueError, match="not available"):
        approvals.record_view(demo_store, PRESCRIBER, "1; DROP TABLE patients")
    assert audit_rows(demo_store) == before


@pytest.mark.parametrize("listed, shown", [("", [1]), ("x" * 81, [1]), ("Home", ["1"]), ("Home", [1.5]),
                                           (None, [1])])
def test_a_list_view_with_no_name_or_ids_that_are_not_record_numbers_is_refused(demo_store, listed, shown):
    before = audit_rows(demo_store)
    with pytest.raises(ValueError):
        patients.record_list(demo_store, NURSE, listed, shown)
    assert audit_rows(demo_store) == before


def test_the_audit_log_about_one_patient_holds_their_reads_and_writes_and_the_lists_that_showed_them(demo_store):
    saved = pending_screening(demo_store, mrn="READ-0100", last_name="Abouttest")
    other = pending_screening(demo_store, mrn="READ-0101", last_name="Othertest")
    approvals.record_view(demo_store, PRESCRIBER, saved.screening_id)
    approvals.record_view(demo_store, PRESCRIBER, other.screening_id)
    patients.record_list(demo_store, NURSE, "Home: waiting for prescriber approval", [other.patient_id,
                                                                                      saved.patient_id])
    patients.record_list(demo_store, NURSE, "Dosing: today's board", [other.patient_id])
    found = audit_log.page(demo_store, ADMIN, patient_id=saved.patient_id).rows
    assert set(found["action"]) == {"patient_created", "screening_saved", "screening_viewed", "patients_listed"}
    assert len(found[found["action"] == "patients_listed"]) == 1
    everything = audit_log.page(demo_store, ADMIN).rows
    assert len(everything) > len(found)


def test_a_chart_number_looked_up_for_the_audit_log_is_itself_audited_and_gives_no_name(demo_store):
    saved = pending_screening(demo_store, mrn="READ-0102", last_name="Lookuptest")
    assert audit_log.patient_by_chart_number(demo_store, ADMIN, " read-0102 ") == saved.patient_id
    assert demo_store.execute("SELECT actor_id, entity_id FROM audit_log WHERE action = 'patient_looked_up'"
                              ).fetchall() == [(ADMIN.id, saved.patient_id)]
    before = audit_rows(demo_store)
    assert audit_log.patient_by_chart_number(demo_store, ADMIN, "NOPE-1") is None
    assert audit_rows(demo_store) == before
    with pytest.raises(AccessDenied):
        audit_log.patient_by_chart_number(demo_store, NURSE, "READ-0102")
