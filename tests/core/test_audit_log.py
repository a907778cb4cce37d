"""Reading the audit trail (issue 25.12): entries by chart number, filtered by account, patient, action and date,
autosaves left out unless asked for, one entry in full, and the administrator's audited CSV export."""

import json
from datetime import date, datetime, timedelta

import pytest

from core import audit_log, db
from core.access import AccessDenied, User
from tests.core.test_screening_and_approval import NURSE, pending_screening

ADMIN = User(1, "admin", "Demo Administrator", "admin")


def write(con, *entries):
    """Append audit rows as the app does: (actor, action, entity, entity_id, detail)."""
    with db.transaction(con) as cur:
        for actor, action, entity, entity_id, detail in entries:
            db.audit(cur, actor, action, entity, entity_id, detail)


def newest(con) -> int:
    return con.execute("SELECT max(id) FROM audit_log").fetchone()[0]


def moved_back(con, days: int, after_id: int) -> None:
    """Date the entries after `after_id` `days` earlier, to test the date filter."""
    con.execute("UPDATE audit_log SET occurred_at = occurred_at - to_days(?) WHERE id > ?", [days, after_id])


def test_entries_about_a_patient_carry_the_chart_number_and_others_none(demo_store):
    saved = pending_screening(demo_store, mrn="AUDIT-0001", last_name="Charttest")
    rows = audit_log.page(demo_store, ADMIN, patient_id=saved.patient_id).rows
    assert set(rows["chart_number"]) == {"AUDIT-0001"}  # the patient's own row and the screening naming them
    assert {"patient_created", "screening_saved"} <= set(rows["action"])
    demo = audit_log.page(demo_store, ADMIN, action="demo_seeded").rows
    assert demo["chart_number"].isna().all()
    assert "first_name" not in rows.columns and "last_name" not in rows.columns


def test_entries_are_filtered_by_the_account_that_acted_or_was_acted_on(demo_store):
    start = newest(demo_store)
    write(demo_store, (3, "sign_in", "user", 3, {}), (None, "account_locked", "user", 3, {"minutes": 15}),
          (2, "sign_in", "user", 2, {}), (1, "account_unlocked", "user", 3, {"failures": 5}))
    rows = audit_log.page(demo_store, ADMIN, account_id=3).rows
    mine = rows[rows["id"] > start]
    assert list(mine["action"]) == ["account_unlocked", "account_locked", "sign_in"]
    assert set(audit_log.page(demo_store, ADMIN, account_id=2).rows["action"]) == {"sign_in"}


def test_entries_are_filtered_by_day_both_ends_included(demo_store):
    start = newest(demo_store)
    write(demo_store, (3, "sign_in", "user", 3, {}))
    moved_back(demo_store, 10, start)
    middle = newest(demo_store)
    write(demo_store, (3, "sign_out", "user", 3, {"reason": "user"}))
    moved_back(demo_store, 5, middle)
    today = date.today()
    ten, five = today - timedelta(days=10), today - timedelta(days=5)
    assert list(audit_log.page(demo_store, ADMIN, start=ten, end=ten).rows["action"]) == ["sign_in"]
    assert list(audit_log.page(demo_store, ADMIN, start=five, end=five).rows["action"]) == ["sign_out"]
    assert list(audit_log.page(demo_store, ADMIN, start=ten, end=five).rows["action"]) == ["sign_out", "sign_in"]
    assert "sign_in" not in set(audit_log.page(demo_store, ADMIN, start=five).rows["action"])
    assert "sign_out" not in set(audit_log.page(demo_store, ADMIN, end=ten).rows["action"])


def test_a_reversed_date_range_is_refused_naming_the_field(demo_store):
    with pytest.raises(ValueError, match="^To: 1 March 2026 is before the From date, 5 March 2026"):
        audit_log.page(demo_store, ADMIN, start=date(2026, 3, 5), end=date(2026, 3, 1))
    with pytest.raises(ValueError, match="^From:"):
        audit_log.page(demo_store, ADMIN, start="yesterday")


def test_autosaves_are_left_out_unless_asked_for_or_chosen_as_the_action(demo_store):
    start = newest(demo_store)
    write(demo_store, (3, "draft_created", "draft", 1, {"kind": "screening", "patient_id": None}),
          (3, "draft_updated", "draft", 1, {"kind": "screening"}),
          (3, "draft_updated", "draft", 1, {"kind": "screening"}))
    def actions(**filters):
        rows = audit_log.page(demo_store, ADMIN, **filters).rows
        return list(rows[rows["id"] > start]["action"])
    assert actions() == ["draft_created"]
    assert actions(autosaves=True) == ["draft_updated", "draft_updated", "draft_created"]
    assert actions(action="draft_updated") == ["draft_updated", "draft_updated"]


def test_one_entry_in_full_for_the_administrator_only(demo_store):
    saved = pending_screening(demo_store, mrn="AUDIT-0002", last_name="Fulltest")
    (entry_id,) = demo_store.execute("SELECT id FROM audit_log WHERE action = 'screening_saved' ORDER BY id DESC "
                                     "LIMIT 1").fetchone()
    full = audit_log.entry(demo_store, ADMIN, entry_id)
    assert (full["action"], full["actor"], full["actor_name"]) == ("screening_saved", "nurse", "Demo Nurse")
    assert full["chart_number"] == "AUDIT-0002" and full["patient_id"] == saved.patient_id
    assert json.loads(full["detail"])["seal"]
    assert audit_log.entry(demo_store, ADMIN, 10**9) is None
    with pytest.raises(AccessDenied):
        audit_log.entry(demo_store, NURSE, entry_id)


def test_the_export_is_for_the_administrator_only_and_a_refusal_writes_nothing(demo_store):
    before = newest(demo_store)
    with pytest.raises(AccessDenied):
        audit_log.export(demo_store, NURSE)
    assert newest(demo_store) == before


def test_the_export_holds_the_filtered_entries_and_is_audited_with_the_filters_and_row_count(demo_store):
    saved = pending_screening(demo_store, mrn="AUDIT-0003", last_name="Exporttest")
    today = date.today()
    rows = audit_log.export(demo_store, ADMIN, patient_id=saved.patient_id, start=today, end=today)
    assert set(rows["chart_number"]) == {"AUDIT-0003"} and len(rows) >= 2
    (actor, action, detail), = demo_store.execute(
        "SELECT actor_id, action, detail FROM audit_log ORDER BY id DESC LIMIT 1").fetchall()
    assert (actor, action) == (ADMIN.id, "audit_exported")
    assert json.loads(detail) == {"rows": len(rows), "patient_id": saved.patient_id, "action": None,
                                  "account_id": None, "start": today.isoformat(), "end": today.isoformat(),
                                  "autosaves": False}
    assert "AUDIT-0003" not in detail and "Exporttest" not in detail  # ids, never patient data


def test_the_export_is_newest_first_and_refuses_more_than_it_can_hold(demo_store, monkeypatch):
    rows = audit_log.export(demo_store, ADMIN)
    assert list(rows["id"]) == sorted(rows["id"], reverse=True)
    assert rows["id"].iloc[0] < newest(demo_store)  # the export's own audit row comes after what it exported
    before = newest(demo_store)
    monkeypatch.setattr(audit_log, "EXPORT_MAX", 3)
    with pytest.raises(ValueError, match=r"at most 3 entries and these filters match \d+: narrow them"):
        audit_log.export(demo_store, ADMIN)
    assert newest(demo_store) == before
    assert datetime.now() - rows["occurred_at"].iloc[0] < timedelta(hours=1)
