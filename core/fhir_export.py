"""A patient's record as a FHIR R4 Bundle, for a referring psychiatrist's EHR, a primary care doctor or a research
network; and every patient's, one Bundle a line (NDJSON), from the command line.

    python -m core.fhir_export --db data/clinic.duckdb --by USERNAME --out cohort.ndjson

The command opens the database itself, so the app must be stopped (DuckDB lets one process open the file); it asks
for the password of USERNAME, a clinician's account, and the export is recorded under that account.

An identified record is for the clinical team only (core.access.STAFF): the role is read from the database on every
call, and every export writes one audit row, in the same process, before any byte of the file can be used. Each
Bundle is built and validated with fhir.resources' R4B models (FHIR 4.3, which keeps R4's shape for every resource
used here), so a file that would not parse at the receiving end is never written. The codes and where each was
confirmed are in core/fhir_codes.py and the README ("FHIR export").

Every record is read in one snapshot, so a Bundle never mixes a session with readings saved after it was read. Times
are stored as the clinic's local time without a zone; FHIR requires one, so each is sent with this machine's offset.
Identifiers are UUIDs derived from the record's kind and number, so the same record exports under the same id each
time, and a receiving system can replace rather than duplicate it.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from core import db, fhir_codes, users
from core.access import STAFF, AccessDenied, User, require
from core.fhir_codes import Code
from core.rules import instruments, validate

if TYPE_CHECKING:
    from fhir.resources.R4B.bundle import Bundle
from core.rules.dosing import ADVERSE_EVENT_WORDS

NO_PATIENT = "That patient's record was not found"
ID_NAMESPACE = uuid.UUID("6f1d3a52-8f0e-4c57-9a43-0d6b1f5e2c11")
"""Fixed, so a record's resource id is the same in every export (uuid5 of its kind and record number)."""

PATIENT_SQL = """
    SELECT id, mrn, first_name, last_name, date_of_birth, sex, phone FROM patients WHERE id = ?
"""
PATIENT_IDS_SQL = "SELECT id FROM patients ORDER BY id"
ASSESSMENTS_SQL = """
    SELECT id, instrument, taken_at, total, band, answers FROM assessments WHERE patient_id = ? ORDER BY taken_at, id
"""
SCREENING_BP_SQL = """
    SELECT id, screened_at, systolic_bp, diastolic_bp FROM screenings WHERE patient_id = ? ORDER BY screened_at, id
"""
SESSIONS_SQL = """
    SELECT d.id, d.route, coalesce(g.mg, d.dose_mg) AS mg, coalesce(g.mg_per_kg, d.mg_per_kg) AS mg_per_kg,
           d.weight_kg, d.started_at, d.discharged_at, d.status, d.craving_before, d.craving_after
    FROM dosing_sessions d LEFT JOIN doses_given g ON g.id = d.id
    WHERE d.patient_id = ? ORDER BY d.session_number
"""
"""The dose actually given where one was recorded, else the dose the session started with: what the chart shows."""
VITALS_SQL = """
    SELECT v.id, v.session_id, v.taken_at, v.systolic_bp, v.diastolic_bp, v.heart_rate, v.spo2, v.respiratory_rate
    FROM session_vitals v JOIN dosing_sessions d ON d.id = v.session_id
    WHERE d.patient_id = ? ORDER BY v.taken_at, v.id
"""
ADVERSE_EVENTS_SQL = """
    SELECT e.id, e.session_id, e.code, e.description, e.recorded_at, x.severity
    FROM adverse_events e LEFT JOIN adverse_event_details x ON x.adverse_event_id = e.id
    WHERE e.patient_id = ? ORDER BY e.recorded_at, e.id
"""


def _id(kind: str, *parts) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, "/".join([kind, *map(str, parts)])))


def _ref(resource_id: str) -> dict:
    return {"reference": "urn:uuid:" + resource_id}


def _when(moment: datetime) -> str:
    """A stored local time with this machine's offset, as FHIR's dateTime requires a zone."""
    return moment.astimezone().isoformat()


def _rows(cur, sql: str, patient_id: int) -> list[dict]:
    cur.execute(sql, [patient_id])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


class _Record:
    """One patient's resources as plain FHIR JSON, each with the subject and the time FHIR expects of it."""

    def __init__(self, patient: dict):
        self.subject_id = _id("patient", patient["id"])
        self.subject = _ref(self.subject_id)
        self.resources: list[dict] = [{
            "resourceType": "Patient", "id": self.subject_id,
            "identifier": [{"use": "usual", "system": fhir_codes.CHART_NUMBERS, "value": patient["mrn"]}],
            "name": [{"use": "official", "family": patient["last_name"], "given": [patient["first_name"]]}],
            "gender": patient["sex"], "birthDate": patient["date_of_birth"].isoformat(),
            **({"telecom": [{"system": "phone", "value": patient["phone"]}]} if patient["phone"] else {}),
        }]

    def add(self, resource: dict) -> dict:
        self.resources.append(resource)
        return resource

    def observation(self, kind: str, key, category: str, code: Code, moment: datetime, **value) -> dict:
        return self.add({
            "resourceType": "Observation", "id": _id("observation", kind, key), "status": "final",
            "category": [{"coding": [{"system": fhir_codes.OBSERVATION_CATEGORY, "code": category,
                                      "display": {"survey": "Survey", "vital-signs": "Vital Signs"}[category]}]}],
            "code": code.concept(), "subject": self.subject, "effectiveDateTime": _when(moment), **value})

    def assessment(self, row: dict) -> None:
        """The questionnaire as answered, and its total (the C-SSRS: its risk level, with each answer)."""
        instrument = instruments.get(row["instrument"])
        answers = json.loads(row["answers"]) if row["answers"] else None
        response_id = _id("questionnaire-response", row["id"])
        if instrument.answer_kind == "yes_no":
            items = [{"linkId": fhir_codes.CSSRS_ITEMS[key].code, "text": fhir_codes.CSSRS_ITEMS[key].display,
                      "answer": [{"valueBoolean": answers[key]}]}
                     for key in fhir_codes.CSSRS_ITEMS if (answers or {}).get(key) is not None]
        else:
            items = [{"linkId": item.key, "text": item.text, "answer": [{"valueInteger": value}]}
                     for item, value in zip(instrument.items, answers or [], strict=False)]
        self.add({
            "resourceType": "QuestionnaireResponse", "id": response_id,
            "questionnaire": (fhir_codes.PHQ9_QUESTIONNAIRE if row["instrument"] == "phq9"
                              else fhir_codes.QUESTIONNAIRES + row["instrument"]),
            "status": "completed", "subject": self.subject, "authored": _when(row["taken_at"]),
            **({"item": items} if items else {})})
        derived = {"derivedFrom": [_ref(response_id)]}
        if instrument.answer_kind == "yes_no":
            self.observation("cssrs", row["id"], "survey", fhir_codes.CSSRS_RISK, row["taken_at"], **derived,
                             valueCodeableConcept={"text": row["band"]},
                             component=[{"code": {"coding": [{"system": fhir_codes.LOINC, "code": i["linkId"]}],
                                                  "text": i["text"]},
                                         "valueBoolean": i["answer"][0]["valueBoolean"]} for i in items])
        elif row["total"] is not None:
            total = self.observation("score", row["id"], "survey", fhir_codes.SCORE_TOTALS[row["instrument"]],
                                     row["taken_at"], **derived,
                                     valueQuantity=fhir_codes.SCORE.quantity(int(row["total"])))
            if row["instrument"] == "phq9":  # LOINC places the total in the PHQ-9 panel, as US Core's example does
                self.observation("phq9-panel", row["id"], "survey", fhir_codes.PHQ9_PANEL, row["taken_at"],
                                 **derived, hasMember=[_ref(total["id"])])

    def blood_pressure(self, kind: str, key, moment: datetime, systolic: int, diastolic: int, **more) -> None:
        self.observation(kind, key, "vital-signs", fhir_codes.BLOOD_PRESSURE, moment, **more, component=[
            {"code": fhir_codes.SYSTOLIC.concept(), "valueQuantity": fhir_codes.MM_HG.quantity(systolic)},
            {"code": fhir_codes.DIASTOLIC.concept(), "valueQuantity": fhir_codes.MM_HG.quantity(diastolic)}])

    def session(self, row: dict) -> None:
        """The dose as a MedicationAdministration; the weight it was worked out on, and the craving ratings before
        and after, as Observations that are part of it."""
        given_id = _id("medication-administration", row["id"])
        period = {"start": _when(row["started_at"]),
                  **({"end": _when(row["discharged_at"])} if row["discharged_at"] else {})}
        self.add({
            "resourceType": "MedicationAdministration", "id": given_id,
            "status": fhir_codes.SESSION_STATUS[row["status"]],
            "medicationCodeableConcept": {"text": fhir_codes.MEDICATION[row["route"]]},
            "subject": self.subject, "effectivePeriod": period,
            "dosage": {"text": f"{row['mg']:g} mg ({row['mg_per_kg']:g} mg/kg)",
                       "route": fhir_codes.ROUTES[row["route"]].concept(),
                       "dose": fhir_codes.MG.quantity(float(row["mg"]))}})
        part_of = {"partOf": [_ref(given_id)]}
        self.observation("weight", row["id"], "vital-signs", fhir_codes.BODY_WEIGHT, row["started_at"], **part_of,
                         valueQuantity=fhir_codes.KG.quantity(float(row["weight_kg"])))
        if row["craving_before"] is not None:
            self.observation("craving-before", row["id"], "survey", fhir_codes.SCORE_TOTALS["craving_vas"],
                             row["started_at"], **part_of,
                             valueQuantity=fhir_codes.SCORE.quantity(int(row["craving_before"])))
        if row["craving_after"] is not None:
            self.observation("craving-after", row["id"], "survey", fhir_codes.SCORE_TOTALS["craving_vas"],
                             row["discharged_at"] or row["started_at"], **part_of,
                             valueQuantity=fhir_codes.SCORE.quantity(int(row["craving_after"])))

    def vitals(self, row: dict) -> None:
        part_of = {"partOf": [_ref(_id("medication-administration", row["session_id"]))]}
        self.blood_pressure("session-bp", row["id"], row["taken_at"], row["systolic_bp"], row["diastolic_bp"],
                            **part_of)
        for column, code, unit in (("heart_rate", fhir_codes.HEART_RATE, fhir_codes.PER_MINUTE),
                                   ("spo2", fhir_codes.SPO2, fhir_codes.PERCENT),
                                   ("respiratory_rate", fhir_codes.RESPIRATORY_RATE, fhir_codes.PER_MINUTE)):
            if row[column] is not None:
                self.observation("session-" + column, row["id"], "vital-signs", code, row["taken_at"], **part_of,
                                 valueQuantity=unit.quantity(int(row[column])))

    def adverse_event(self, row: dict) -> None:
        words = ADVERSE_EVENT_WORDS[row["code"]]
        self.add({
            "resourceType": "AdverseEvent", "id": _id("adverse-event", row["id"]), "actuality": "actual",
            "event": {"coding": [{"system": fhir_codes.LOCAL_ADVERSE_EVENTS, "code": row["code"], "display": words}],
                      "text": row["description"] or words},
            "subject": self.subject, "date": _when(row["recorded_at"]), "recordedDate": _when(row["recorded_at"]),
            **({"severity": {"coding": [{"system": fhir_codes.AE_SEVERITY, "code": row["severity"],
                                         "display": row["severity"].capitalize()}]}} if row["severity"] else {}),
            **({"suspectEntity": [{"instance": _ref(_id("medication-administration", row["session_id"]))}]}
               if row["session_id"] is not None else {})})

    def bundle(self) -> Bundle:
        """Validated whole by the R4B models: a resource that breaks FHIR's rules raises here, before any export."""
        from fhir.resources.R4B.bundle import Bundle  # 0.2 s of models: imported when exporting, not with the page

        return Bundle.model_validate({
            "resourceType": "Bundle", "id": _id("bundle", self.subject_id), "type": "collection",
            "entry": [{"fullUrl": "urn:uuid:" + r["id"], "resource": r} for r in self.resources]})


def _build(cur, patient_id: int) -> Bundle:
    found = _rows(cur, PATIENT_SQL, patient_id)
    if not found:
        raise ValueError(NO_PATIENT)
    record = _Record(found[0])
    for row in _rows(cur, ASSESSMENTS_SQL, patient_id):
        record.assessment(row)
    for row in _rows(cur, SCREENING_BP_SQL, patient_id):
        record.blood_pressure("screening-bp", row["id"], row["screened_at"], row["systolic_bp"], row["diastolic_bp"])
    for row in _rows(cur, SESSIONS_SQL, patient_id):
        record.session(row)
    for row in _rows(cur, VITALS_SQL, patient_id):
        record.vitals(row)
    for row in _rows(cur, ADVERSE_EVENTS_SQL, patient_id):
        record.adverse_event(row)
    return record.bundle()


@contextmanager
def _snapshot(con) -> Iterator:
    """A read-only transaction: every query of the export sees the store at one moment."""
    with db.read(con) as cur:
        cur.execute("BEGIN TRANSACTION")
        try:
            yield cur
        finally:
            cur.execute("ROLLBACK")


def patient_bundle(con, user: User, patient_id: int) -> Bundle:
    """Staff only, and audited: one patient's record as a validated R4B Bundle (type collection)."""
    user = require(con, user, STAFF)
    patient_id = validate.record_id(patient_id, NO_PATIENT)
    with _snapshot(con) as cur:
        bundle = _build(cur, patient_id)
    with db.transaction(con) as cur:
        db.audit(cur, user.id, "fhir_exported", "patient", patient_id, {"resources": len(bundle.entry)})
    return bundle


def patient_json(con, user: User, patient_id: int) -> bytes:
    """The chart's download: the Bundle as FHIR JSON (audited by patient_bundle)."""
    return patient_bundle(con, user, patient_id).model_dump_json(indent=2).encode("utf-8")


def _private(path, flags: int) -> int:
    """Identified records: readable by the owner only, like the database itself."""
    return os.open(path, flags, 0o600)


def cohort_ndjson(con, user: User, out: Path) -> int:
    """Staff only: every patient's Bundle, one JSON line each, into `out`; returns the number of patients.

    The file is written beside `out` under a temporary name and moved into place only after the audit row is
    committed, so no file exists that the audit trail does not record, and a failure leaves no partial file."""
    user = require(con, user, STAFF)
    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    exported, resources = [], 0
    try:
        partial.unlink(missing_ok=True)  # created afresh below, so it is the owner's only from its first byte
        with _snapshot(con) as cur, open(partial, "w", encoding="utf-8", opener=_private) as file:
            for (patient_id,) in cur.execute(PATIENT_IDS_SQL).fetchall():
                bundle = _build(cur, patient_id)
                file.write(bundle.model_dump_json() + "\n")
                exported.append(patient_id)
                resources += len(bundle.entry)
        with db.transaction(con) as cur:
            db.audit(cur, user.id, "fhir_cohort_exported", "patient", None,
                     {"patients": len(exported), "resources": resources, "exported": exported})
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return len(exported)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.fhir_export",
                                     description="Export every patient's record as FHIR R4 Bundles, one per line.")
    parser.add_argument("--db", default=None, help="database file (defaults to $CLINIC_DB or data/clinic.duckdb); "
                                                   "the app must be stopped")
    parser.add_argument("--by", required=True, help="a clinician's username (asks for that password); the export "
                                                    "is recorded under this account")
    parser.add_argument("--out", required=True, type=Path, help="the NDJSON file to write (replaced if it exists)")
    args = parser.parse_args(argv)
    try:
        con = db.open_store(args.db or db.configured_path())
    except db.StoreError as e:
        print(e, file=sys.stderr)
        return 1
    try:
        user = users.authenticate(con, args.by, getpass.getpass(f"Password of {args.by}: "))
        if user is None:
            raise ValueError(users.SIGN_IN_FAILED)
        count = cohort_ndjson(con, user, args.out)
    except (ValueError, AccessDenied, OSError) as e:
        print(f"Refused: {e} Nothing was exported.", file=sys.stderr)
        return 1
    finally:
        con.close()
    print(f"Exported {count} patients' records to {args.out}, one FHIR Bundle a line. The export is recorded in the "
          "audit log.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
