"""Seals binding each signed clinical record to its audit row, so a record changed in the file is named by verify.

A seal is an HMAC under the audit key (core/audit_chain.py) over the record's fields that never change after it is
signed, read back as stored. It travels in the `seal` field of the audit row written with the record, which the
keyed chain protects in turn. Records written in bulk (the demo cohort, and records older than the seals at the
migration that keyed the chain) are sealed by one `records_sealed` row per table: a digest over the seals of a range
of ids.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from core.audit_chain import Anchor, append


@dataclass(frozen=True)
class Sealed:
    """A kind of signed record: its table, what verify calls one, the fields sealed, the audit actions that seal one,
    and the detail field holding the record's id when the row's entity_id is another record's (an approval's row is
    about its screening)."""

    table: str
    label: str
    changed: str
    columns: tuple[str, ...]
    actions: tuple[str, ...]
    id_field: str | None = None


SEALED = (
    Sealed("screenings", "screening", "the screening changed after it was saved",
           ("id", "patient_id", "screened_at", "screened_by", "answers", "systolic_bp", "diastolic_bp", "decision",
            "urgent", "reasons", "rules_version"), ("screening_saved",)),
    Sealed("approvals", "decision", "the prescriber's decision changed after it was signed",
           ("id", "screening_id", "patient_id", "prescriber_id", "decision", "note", "signed_at"),
           ("screening_approved", "screening_declined"), "approval_id"),
    Sealed("dosing_sessions", "dosing session", "the dose record changed after it was recorded",
           ("id", "patient_id", "session_number", "route", "dose_mg", "weight_kg", "mg_per_kg", "started_at",
            "craving_before", "nurse_id", "prescriber_id", "override_reason", "rules_version"), ("session_started",)),
    Sealed("doses_given", "dose given", "the dose given changed after it was recorded",
           ("id", "mg", "mg_per_kg", "recorded_at", "recorded_by"), ("session_stopped", "session_discharged")),
    Sealed("integration_notes", "integration note", "the note changed after it was signed",
           ("id", "patient_id", "session_id", "met_at", "themes", "reflections", "plan", "signed_by", "signed_at"),
           ("integration_note_signed",)),
)
BY_TABLE = {s.table: s for s in SEALED}
BULK_ACTION = "records_sealed"
FETCHED = 10_000
"""Records read at a time when sealing in bulk, rather than all at once: a 100,000-patient demo seals 100,000
screenings, answers and all, and 340,000 dosing sessions."""


def _select(sealed: Sealed) -> str:
    return "SELECT " + ", ".join(sealed.columns) + " FROM " + sealed.table  # names from the constants above


def seal(cur, anchor: Anchor, table: str, record_id: int) -> str:
    """The seal of one record as it is stored now, inside the transaction that wrote it."""
    sealed = BY_TABLE[table]
    row = cur.execute(_select(sealed) + " WHERE id = ?", [record_id]).fetchone()
    return anchor.seal(table, row)


def seal_range(cur, anchor: Anchor, table: str, from_id: int) -> tuple[int, str] | None:
    """Seal every record of `table` from `from_id` on with one `records_sealed` audit row (the records written in
    bulk, with no audit row each); returns that row's id and hash, None when there was nothing to seal."""
    sealed = BY_TABLE[table]
    cur.execute(_select(sealed) + " WHERE id >= ? ORDER BY id", [from_id])
    record_seals, to_id = [], None
    while rows := cur.fetchmany(FETCHED):
        record_seals += [anchor.seal(table, row) for row in rows]
        to_id = rows[-1][0]
    if not record_seals:
        return None
    return append(cur, anchor, None, BULK_ACTION, table, None,
           {"table": table, "from_id": from_id, "to_id": to_id, "records": len(record_seals),
            "digest": anchor.digest(record_seals)})


def check(cur, anchor: Anchor) -> list[str]:
    """Every sealed record that changed, has no seal, or whose sealed record is gone, in words."""
    found = []
    actions = [action for sealed in SEALED for action in sealed.actions] + [BULK_ACTION]
    audit = cur.execute("SELECT action, entity_id, detail FROM audit_log WHERE list_contains(?, action) ORDER BY id",
                        [actions]).fetchall()
    for sealed in SEALED:
        records = {row[0]: row for row in cur.execute(_select(sealed) + " ORDER BY id").fetchall()}
        covered = set()
        for action, entity_id, detail in audit:
            detail = json.loads(detail)
            if action == BULK_ACTION and detail.get("table") == sealed.table:
                ids = [i for i in records if detail["from_id"] <= i <= detail["to_id"]]
                covered.update(ids)
                digest = anchor.digest([anchor.seal(sealed.table, records[i]) for i in ids])
                if len(ids) != detail["records"] or digest != detail["digest"]:
                    found.append(f"{sealed.label.capitalize()}s {detail['from_id']} to {detail['to_id']}, sealed "
                                 f"together when they were written in bulk: at least one of these {detail['records']} "
                                 f"records was changed, removed or added since.")
            elif action in sealed.actions and "seal" in detail:
                record_id = detail[sealed.id_field] if sealed.id_field else entity_id
                covered.add(record_id)
                if record_id not in records:
                    found.append(f"{sealed.label.capitalize()} {record_id}: the record is missing; it was removed "
                                 "from the file.")
                elif anchor.seal(sealed.table, records[record_id]) != detail["seal"]:
                    found.append(f"{sealed.label.capitalize()} {record_id}: {sealed.changed}.")
        found += [f"{sealed.label.capitalize()} {record_id}: no audit row records it; it was added to the file "
                  "outside the app." for record_id in records if record_id not in covered]
    return found
