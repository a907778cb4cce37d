"""Issue 22.1: a patient's record as a FHIR R4 Bundle, and the whole cohort as NDJSON.

Every Bundle of a demo cohort must parse with fhir.resources' R4B models, and hold exactly the totals, vital signs
and doses the store holds: the expected values are read here in SQL of the test's own, with the codes written out
here, so neither a wrong query nor a wrong code in the exporter can agree with itself."""

from collections import Counter
from datetime import datetime, timedelta

import duckdb
import pytest
from fhir.resources.R4B.bundle import Bundle

from core import db, demo, dosing_sessions, fhir_export
from core.access import AccessDenied, User
from tests.conftest import DEMO_TODAY, copy_store
from tests.core.test_dosing_sessions import NOW, NURSE, approved_patient, discharged, started

ADMIN = User(1, "admin", "Demo Administrator", "admin")
VIEWER = User(5, "viewer", "Demo Stakeholder", "viewer")
THERAPIST = User(4, "therapist", "Demo Therapist", "therapist")
SCORE_CODES = {"phq9": "44261-6", "gad7": "70274-6", "auditc": "75626-2"}
LOCAL_SCORES = {"pcl5": "pcl5-total", "pacs": "pacs-total", "craving_vas": "craving-vas"}
ROUTE_CODES = {"iv": "47625008", "im": "78421000", "intranasal": "46713006", "oral": "26643006"}
VITAL_CODES = {"heart_rate": ("8867-4", "/min"), "spo2": ("2708-6", "%"), "respiratory_rate": ("9279-1", "/min")}


@pytest.fixture(scope="module")
def small_cohort(tmp_path_factory):
    """Fifteen demo patients (every instrument, route and kind of record the demo makes), built once."""
    path = tmp_path_factory.mktemp("fhir") / "demo.duckdb"
    con = db.open_store(path)
    demo.build(con, 15, 22, today=DEMO_TODAY)
    con.close()
    return path


@pytest.fixture
def store(small_cohort, tmp_path):
    con = db.open_store(copy_store(small_cohort, tmp_path / "clinic.duckdb"))
    yield con
    con.close()


def dosed_with_less_than_planned(con) -> int:
    """A patient whose session was stopped after 20 of the 35 mg planned, with a moderate adverse event."""
    patient_id = approved_patient(con, mrn="FHIR-0001", last_name="Fhirtest")
    session = started(con, patient_id)
    dosing_sessions.add_adverse_event(con, NURSE, session, code="nausea_vomiting", severity="moderate",
                                      action_taken="Dose stopped, antiemetic", now=NOW + timedelta(minutes=15))
    dosing_sessions.stop(con, NURSE, session, "adverse_event", delivered_mg=20, now=NOW + timedelta(minutes=20))
    discharged(con, session, given=None)
    return patient_id


def q(con, sql, params=()):
    return con.execute(sql, params if isinstance(params, dict) else list(params)).fetchall()


def instant(value) -> datetime:
    """A stored local time, or a FHIR dateTime, as one comparable moment."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone() if value.tzinfo is None else value


def resources(bundle: Bundle, kind: str) -> list:
    return [e.resource for e in bundle.entry if e.resource.get_resource_type() == kind]


def coded(observation) -> str:
    return observation.code.coding[0].code


def expected(con, patient_id: int) -> dict[str, Counter]:
    """What the store holds for the patient, read without the exporter."""
    scores = Counter()
    for instrument, total, taken_at in q(con, "SELECT instrument, total, taken_at FROM assessments "
                                              "WHERE patient_id = ? AND total IS NOT NULL", [patient_id]):
        scores[(SCORE_CODES.get(instrument) or LOCAL_SCORES[instrument], total, instant(taken_at))] += 1
    for before, after, started_at, discharged_at in q(
            con, "SELECT craving_before, craving_after, started_at, discharged_at FROM dosing_sessions "
                 "WHERE patient_id = ?", [patient_id]):
        if before is not None:
            scores[("craving-vas", before, instant(started_at))] += 1
        if after is not None:
            scores[("craving-vas", after, instant(discharged_at or started_at))] += 1
    pressures = Counter((s, d, instant(t)) for s, d, t in q(
        con, """SELECT systolic_bp, diastolic_bp, screened_at FROM screenings WHERE patient_id = $p
                UNION ALL
                SELECT v.systolic_bp, v.diastolic_bp, v.taken_at FROM session_vitals v
                JOIN dosing_sessions d ON d.id = v.session_id WHERE d.patient_id = $p""", {"p": patient_id}))
    others = Counter()
    for column, (code, _) in VITAL_CODES.items():
        for value, taken_at in q(con, "SELECT v." + column + ", v.taken_at FROM session_vitals v JOIN "  # names above
                                 "dosing_sessions d ON d.id = v.session_id WHERE d.patient_id = ? AND v." + column
                                 + " IS NOT NULL", [patient_id]):
            others[(code, float(value), instant(taken_at))] += 1
    for weight, started_at in q(con, "SELECT weight_kg, started_at FROM dosing_sessions WHERE patient_id = ?",
                                [patient_id]):
        others[("29463-7", float(weight), instant(started_at))] += 1
    doses = Counter((ROUTE_CODES[route], float(mg), instant(started_at)) for route, mg, started_at in q(
        con, """SELECT d.route, coalesce(g.mg, d.dose_mg), d.started_at FROM dosing_sessions d
                LEFT JOIN doses_given g ON g.id = d.id WHERE d.patient_id = ?""", [patient_id]))
    risks = Counter((band, instant(t)) for band, t in q(
        con, "SELECT band, taken_at FROM assessments WHERE patient_id = ? AND instrument = 'cssrs'", [patient_id]))
    events = Counter((code, instant(t)) for code, t in q(
        con, "SELECT code, recorded_at FROM adverse_events WHERE patient_id = ?", [patient_id]))
    responses = Counter(instant(t) for (t,) in q(con, "SELECT taken_at FROM assessments WHERE patient_id = ?",
                                                 [patient_id]))
    return {"scores": scores, "pressures": pressures, "others": others, "doses": doses, "risks": risks,
            "events": events, "responses": responses}


def exported(bundle: Bundle) -> dict[str, Counter]:
    observations = resources(bundle, "Observation")
    survey = [o for o in observations if o.category[0].coding[0].code == "survey"]
    vitals = [o for o in observations if o.category[0].coding[0].code == "vital-signs"]
    pressures = Counter()
    for o in vitals:
        if coded(o) == "85354-9":
            parts = {c.code.coding[0].code: c.valueQuantity for c in o.component}
            assert {p.code for p in parts.values()} == {"mm[Hg]"}
            assert {p.system for p in parts.values()} == {"http://unitsofmeasure.org"}
            pressures[(parts["8480-6"].value, parts["8462-4"].value, instant(o.effectiveDateTime))] += 1
    units = {code: unit for code, unit in VITAL_CODES.values()} | {"29463-7": "kg"}
    others = Counter()
    for o in vitals:
        if coded(o) != "85354-9":
            assert o.valueQuantity.code == units[coded(o)] and o.valueQuantity.system == "http://unitsofmeasure.org"
            others[(coded(o), float(o.valueQuantity.value), instant(o.effectiveDateTime))] += 1
    doses = Counter()
    for m in resources(bundle, "MedicationAdministration"):
        assert m.dosage.dose.code == "mg" and m.dosage.route.coding[0].system == "http://snomed.info/sct"
        doses[(m.dosage.route.coding[0].code, float(m.dosage.dose.value), instant(m.effectivePeriod.start))] += 1
    return {
        "scores": Counter((coded(o), o.valueQuantity.value, instant(o.effectiveDateTime)) for o in survey
                          if coded(o) not in ("93374-7", "44249-1")),
        "pressures": pressures, "others": others, "doses": doses,
        "risks": Counter((o.valueCodeableConcept.text, instant(o.effectiveDateTime)) for o in survey
                         if coded(o) == "93374-7"),
        "events": Counter((a.event.coding[0].code, instant(a.date)) for a in resources(bundle, "AdverseEvent")),
        "responses": Counter(instant(r.authored) for r in resources(bundle, "QuestionnaireResponse")),
    }


def test_every_bundle_of_a_demo_cohort_validates_and_holds_what_the_store_holds(store, tmp_path):
    given_less = dosed_with_less_than_planned(store)
    out = tmp_path / "cohort.ndjson"
    assert fhir_export.cohort_ndjson(store, NURSE, out) == 16
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 16
    seen_codes = set()
    for line in lines:
        bundle = Bundle.model_validate_json(line)  # the R4B models: a resource breaking FHIR's rules raises
        assert bundle.type == "collection"
        (patient,) = resources(bundle, "Patient")
        (patient_id,) = q(store, "SELECT id FROM patients WHERE mrn = ?", [patient.identifier[0].value])[0]
        name, born, sex = q(store, "SELECT last_name, date_of_birth, sex FROM patients WHERE id = ?", [patient_id])[0]
        assert (patient.name[0].family, patient.birthDate, patient.gender) == (name, born, sex)
        assert exported(bundle) == expected(store, patient_id)
        urls = {e.fullUrl for e in bundle.entry}
        subject = "urn:uuid:" + patient.id
        for entry in bundle.entry:
            r = entry.resource
            assert entry.fullUrl == "urn:uuid:" + r.id
            if r is not patient:
                assert r.subject.reference == subject  # every resource about this patient...
                assert (getattr(r, "effectiveDateTime", None) or getattr(r, "authored", None)
                        or getattr(r, "date", None) or r.effectivePeriod.start)  # ... and when
            for reference in (*(getattr(r, "derivedFrom", None) or []), *(getattr(r, "partOf", None) or []),
                              *(getattr(r, "hasMember", None) or [])):
                assert reference.reference in urls
            if r.get_resource_type() == "Observation":
                seen_codes.add(coded(r))
        if patient_id == given_less:
            (dose,) = resources(bundle, "MedicationAdministration")
            assert (dose.dosage.dose.value, dose.status) == (20, "stopped")  # given, not the 35 planned
            (event,) = resources(bundle, "AdverseEvent")
            assert event.severity.coding[0].code == "moderate"
            assert event.suspectEntity[0].instance.reference == "urn:uuid:" + dose.id
    assert {"44261-6", "44249-1", "70274-6", "93374-7", "85354-9", "8867-4", "2708-6", "9279-1",
            "29463-7"} <= seen_codes  # the demo cohort exercised every standard code
    (detail,) = q(store, "SELECT detail FROM audit_log WHERE action = 'fhir_cohort_exported' AND actor_id = ?",
                  [NURSE.id])[0]
    assert '"patients": 16' in detail


def test_one_patient_s_export_is_audited_once_per_export_and_names_the_patient(store):
    bundle = fhir_export.patient_bundle(store, THERAPIST, 3)
    fhir_export.patient_json(store, NURSE, 3)
    audited = q(store, "SELECT actor_id, entity, entity_id, detail FROM audit_log WHERE action = 'fhir_exported' "
                       "ORDER BY id")
    assert [row[:3] for row in audited] == [(THERAPIST.id, "patient", 3), (NURSE.id, "patient", 3)]
    assert audited[0][3] == f'{{"resources": {len(bundle.entry)}}}'
    assert exported(bundle) == expected(store, 3)


@pytest.mark.parametrize("who", [VIEWER, ADMIN, None])
def test_a_viewer_or_an_administrator_cannot_export_and_nothing_is_written(store, tmp_path, who):
    out = tmp_path / "cohort.ndjson"
    with pytest.raises(AccessDenied):
        fhir_export.patient_bundle(store, who, 3)
    with pytest.raises(AccessDenied):
        fhir_export.cohort_ndjson(store, who, out)
    assert not out.exists() and not list(tmp_path.glob("*.partial"))
    assert q(store, "SELECT count(*) FROM audit_log WHERE action LIKE 'fhir%'") == [(0,)]


def test_the_role_is_read_from_the_database_not_the_sign_in(store):
    """A nurse re-roled to viewer after signing in still holds a User saying 'nurse': core refuses all the same."""
    with db.transaction(store) as cur:
        cur.execute("UPDATE users SET role = 'viewer' WHERE id = ?", [NURSE.id])
    with pytest.raises(AccessDenied, match="Viewer"):
        fhir_export.patient_bundle(store, NURSE, 3)


def test_an_unknown_patient_is_refused_in_words_and_not_audited(store):
    with pytest.raises(ValueError, match="That patient's record was not found"):
        fhir_export.patient_bundle(store, NURSE, 999_999)
    assert q(store, "SELECT count(*) FROM audit_log WHERE action LIKE 'fhir%'") == [(0,)]


def test_the_command_writes_one_bundle_a_line_for_a_clinician_and_refuses_a_wrong_password(small_cohort, tmp_path,
                                                                                          monkeypatch, capsys):
    path = copy_store(small_cohort, tmp_path / "clinic.duckdb")
    out = tmp_path / "cohort.ndjson"
    monkeypatch.setattr("getpass.getpass", lambda prompt: "not the password")
    assert fhir_export.main(["--db", str(path), "--by", "nurse", "--out", str(out)]) == 1
    assert not out.exists() and "Refused" in capsys.readouterr().err
    monkeypatch.setattr("getpass.getpass", lambda prompt: "demo-nurse-2026")
    assert fhir_export.main(["--db", str(path), "--by", "nurse", "--out", str(out)]) == 0
    assert "Exported 15 patients' records" in capsys.readouterr().out
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 15 and all(Bundle.model_validate_json(line).type == "collection" for line in lines)
    assert out.stat().st_mode & 0o077 == 0  # identified records: the owner only
    monkeypatch.setattr("getpass.getpass", lambda prompt: "demo-admin-2026")
    assert fhir_export.main(["--db", str(path), "--by", "admin", "--out", str(tmp_path / "admin.ndjson")]) == 1
    assert "cannot do this" in capsys.readouterr().err and not (tmp_path / "admin.ndjson").exists()
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert q(con, "SELECT a.action, u.username FROM audit_log a JOIN users u ON u.id = a.actor_id "
                      "WHERE a.action LIKE 'fhir%'") == [("fhir_cohort_exported", "nurse")]
    finally:
        con.close()


def test_every_standard_code_names_where_it_was_confirmed_and_the_readme_lists_it():
    from pathlib import Path

    from core import fhir_codes

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    codes = [value for value in vars(fhir_codes).values() if isinstance(value, fhir_codes.Code)]
    codes += [c for table in (fhir_codes.SCORE_TOTALS, fhir_codes.CSSRS_ITEMS, fhir_codes.ROUTES)
              for c in table.values()]
    for code in codes:
        if code.system.startswith(fhir_codes.LOCAL):
            assert code.source.startswith("local:") and code.code in readme
        else:
            assert code.source.startswith("https://") and code.code in readme, code
