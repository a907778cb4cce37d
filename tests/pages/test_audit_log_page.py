"""The Audit log page (issue 25.12 and 25.14): patients by chart number, filters by account, patient, action and
date, autosaves hidden until asked for, an entry in full on demand, and the administrator's audited CSV export."""

import ast
import io
import json
from datetime import date
from pathlib import Path

import pandas as pd

from core import db
from tests.core.test_screening_and_approval import pending_screening
from tests.pages.conftest import all_text
from tests.pages.test_screening_pages import click, stored
from ui import labels

PAGE = "pages/audit_log.py"
EXPORT = "Export these entries as CSV"


def table(at) -> pd.DataFrame:
    return at.dataframe[0].value


def test_a_nurse_and_the_signed_out_are_refused(page):
    at = page(PAGE, "nurse")
    assert "cannot open Audit log" in at.error[0].value and len(at.dataframe) == 0
    assert not [b for b in at.button if b.label == EXPORT]
    signed_out = page(PAGE)
    assert [t.value for t in signed_out.title] == ["Sign in"] and len(signed_out.dataframe) == 0


def test_patients_are_shown_by_chart_number_and_nothing_shows_none(page, demo_store):
    saved = pending_screening(demo_store, mrn="AUDIT-0101", last_name="Pagetest")
    demo_store.close()
    at = page(PAGE, "admin")
    assert not at.exception
    shown = table(at)
    assert "Record number" not in shown.columns
    mine = shown[shown["Patient (chart number)"] == "AUDIT-0101"]
    assert set(mine["What"]) >= {"Patient created", "Screening saved"}
    assert set(mine["Record"]) >= {"Patient", "Screening"}
    assert not any(f"patient record {saved.patient_id}" in d for d in shown["Details"])
    assert "None" not in shown.astype(str).to_string()
    assert set(shown[shown["What"] == "Records written in bulk sealed"]["Record"]) == {
        "Screenings", "Prescriber's decisions", "Dosing sessions", "Integration notes"}


def test_every_action_record_and_detail_the_app_writes_has_words():
    """Seen in review: 'draft_used' and 'use_day_added' reached the action list as codes. Every action, record
    kind and detail key written by core/ (read from the source) must have its words."""
    found = {"actions": set(), "entities": set(), "keys": set()}
    for path in (Path(__file__).parents[2] / "core").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            args = node.args
            if node.func.attr == "audit" and len(args) >= 3:
                constant = [a.value if isinstance(a, ast.Constant) else None for a in args]
                found["actions"].add(constant[2])
                found["entities"].add(constant[3] if len(args) > 3 else "")
                if len(args) > 5 and isinstance(args[5], ast.Dict):
                    found["keys"] |= {k.value for k in args[5].keys if isinstance(k, ast.Constant)}
            if node.func.attr == "remove" and len(args) == 4 and isinstance(args[3], ast.Constant):
                found["actions"].add(args[3].value)
    found["actions"] |= {"screening_approved", "screening_declined", "records_sealed", "audit_head_missing",
                         "audit_rows_missing"}  # written through an f-string or a constant
    found["entities"] |= {"screenings", "approvals", "dosing_sessions", "integration_notes"}  # bulk seals
    found["keys"] |= {"from_id", "to_id", "records", "digest", "table", "rows_found", "head_rows", "head_last_id",
                      "problem", "action", "account_id", "start", "end", "autosaves", "rows"}
    assert {"draft_used", "use_day_added", "account_unlocked", "audit_exported"} <= found["actions"]
    for kind, words in (("actions", labels.AUDIT_ACTION), ("entities", labels.AUDIT_ENTITY),
                        ("keys", {**labels.AUDIT_DETAIL, "patient_id": ""})):
        assert found[kind] - {None} - set(words) == set(), kind


def test_the_action_list_is_in_words(page, demo_store):
    with db.transaction(demo_store) as cur:
        db.audit(cur, 3, "draft_used", "draft", 1)
        db.audit(cur, 3, "use_day_added", "patient", 1, {"patient_id": 1, "day": "2026-11-20", "reason": "phone"})
    demo_store.close()
    at = page(PAGE, "admin")
    box = at.selectbox(key="audit_action")
    assert {"Draft used (record saved)", "Use day added"} <= set(box.options)
    assert not [o for o in box.options if "_" in o]


def test_the_log_is_filtered_by_account(page, demo_store):
    with db.transaction(demo_store) as cur:
        db.audit(cur, 3, "sign_in", "user", 3)
        db.audit(cur, None, "account_locked", "user", 3, {"minutes": 15})
        db.audit(cur, 2, "sign_in", "user", 2)
    demo_store.close()
    at = page(PAGE, "admin")
    at.selectbox(key="audit_account").set_value(3).run()
    shown = table(at)
    assert list(shown["What"]) == ["Account locked", "Signed in"]
    assert set(shown["Record"]) == {"Account nurse"}


def test_a_reversed_date_range_is_refused_in_words_beside_the_dates_and_no_entry_is_shown(page):
    at = page(PAGE, "admin")
    assert not at.get("date_input")  # no empty date box (axe: aria-required-attr); every entry until asked
    at = at.checkbox(key="audit_dated").check().run()
    at.date_input(key="audit_from").set_value(date(2026, 3, 5))
    at.date_input(key="audit_to").set_value(date(2026, 3, 1)).run()
    assert not at.exception
    assert [e.value.replace("\\", "") for e in at.error] == [  # as markdown, escaped
        "To: 1 March 2026 is before the From date, 5 March 2026; the range runs from the earlier day to the later one"]
    assert len(at.dataframe) == 0
    assert not [b for b in at.button if b.label == EXPORT]


def test_autosaves_are_hidden_until_asked_for(page, demo_store):
    with db.transaction(demo_store) as cur:
        db.audit(cur, 3, "draft_updated", "draft", 1, {"kind": "screening"})
    demo_store.close()
    at = page(PAGE, "admin")
    assert "Draft autosaved" not in set(table(at)["What"])
    at.checkbox(key="audit_autosaves").check().run()
    assert "Draft autosaved" in set(table(at)["What"])


def test_an_entry_is_shown_in_full_on_demand(page, demo_store):
    with db.transaction(demo_store) as cur:
        db.audit(cur, 1, "setting_changed", "setting", None, {
            "name": "older_adult_age", "value": "70", "was": "65",
            "reason": "Medical director, memo of 30 Nov: " + "a long reason " * 10})
    demo_store.close()
    at = page(PAGE, "admin")
    (entry_id,) = stored(at, "SELECT max(id) FROM audit_log")[0]
    at.session_state["chosen~audit"] = entry_id  # what a click on the row leaves (ui.selection)
    at.run()
    text = all_text(at).replace("\\", "")
    assert f"Entry {entry_id} in full" in text
    assert "Who: Demo Administrator (admin)" in text
    assert "previous value: 65" in text and "a long reason " * 10 in text
    assert "Record: Setting\n" in text + "\n" or "Record: Setting  \n" in text  # a setting has no record number
    assert "None" not in text and "<NA>" not in text


def test_the_csv_export_is_audited_and_then_offered_for_download(page, demo_store):
    pending_screening(demo_store, mrn="AUDIT-0102", last_name="Csvtest")
    demo_store.close()
    at = page(PAGE, "admin")
    assert len(at.get("download_button")) == 0  # nothing to download before the export is made and audited
    at.text_input(key="audit_chart_number").set_value("AUDIT-0102").run()
    at = click(at, EXPORT)
    assert not at.exception
    (detail,) = stored(at, "SELECT detail FROM audit_log WHERE action = 'audit_exported'")[0]
    recorded = json.loads(detail)
    assert recorded["rows"] >= 2 and recorded["patient_id"] and "AUDIT-0102" not in detail
    assert len(at.get("download_button")) == 1
    assert f"CSV export ready: {recorded['rows']} entries" in all_text(at)
    exported = pd.read_csv(io.BytesIO(at.session_state["audit~export"]["csv"]))
    assert list(exported.columns) == ["Entry", "When", "Who", "What", "Record", "Patient (chart number)", "Details"]
    assert set(exported["Patient (chart number)"]) == {"AUDIT-0102"} and len(exported) == recorded["rows"]
    assert "Screening saved" in set(exported["What"])
    at.checkbox(key="audit_autosaves").check().run()  # other filters: the file made for the last ones is gone
    assert len(at.get("download_button")) == 0


def test_a_chart_number_that_a_spreadsheet_would_run_is_exported_as_text(page, demo_store):
    """A chart number is free text: '=1+2' typed as one must reach the administrator's spreadsheet as text."""
    pending_screening(demo_store, mrn="=1+2", last_name="Formulatest")
    demo_store.close()
    at = page(PAGE, "admin")
    at.text_input(key="audit_chart_number").set_value("=1+2").run()
    at = click(at, EXPORT)
    exported = pd.read_csv(io.BytesIO(at.session_state["audit~export"]["csv"]))
    assert set(exported["Patient (chart number)"]) == {"'=1+2"}
