"""Issue 22.1 on the chart: a clinician prepares the patient's FHIR record (audited) and then downloads it; the viewer
never reaches it, and a file made for one patient is never offered on another's chart."""

import json

from fhir.resources.R4B.bundle import Bundle

from tests.pages.test_screening_pages import click, stored

PAGE = "pages/patients.py"
PREPARE = "Prepare FHIR record"
DOWNLOAD = "Download FHIR record (JSON)"


def chart(page, role: str, patient_id: int):
    at = page(PAGE, role)
    at.session_state["chosen~patients"] = patient_id
    return at.run()


def downloads(at) -> list:
    return [d for d in at.get("download_button") if d.proto.label == DOWNLOAD]


def test_a_clinician_prepares_then_downloads_the_record_and_the_export_is_audited(page):
    at = chart(page, "therapist", 3)
    assert not at.exception and [b for b in at.button if b.label == PREPARE]
    assert downloads(at) == []  # nothing to download before the export is made and audited
    at = click(at, PREPARE)
    assert not at.exception
    assert "FHIR record ready to download" in "\n".join(s.value for s in at.success)
    ((actor, entity_id, detail),) = stored(at, "SELECT actor_id, entity_id, detail FROM audit_log "
                                               "WHERE action = 'fhir_exported'")
    assert (actor, entity_id) == (4, 3)
    assert len(downloads(at)) == 1
    bundle = Bundle.model_validate_json(at.session_state["patients~fhir"]["json"])
    (mrn,) = stored(at, "SELECT mrn FROM patients WHERE id = 3")[0]
    assert [e.resource.identifier[0].value for e in bundle.entry if e.resource.get_resource_type() == "Patient"] \
        == [mrn]
    assert json.loads(detail)["resources"] == len(bundle.entry)


def test_a_file_made_for_one_patient_is_not_offered_on_another_s_chart(page):
    at = click(chart(page, "nurse", 3), PREPARE)
    assert len(downloads(at)) == 1
    at.session_state["chosen~patients"] = 4
    at = at.run()
    assert not at.exception and downloads(at) == []


def test_a_clinician_re_roled_to_viewer_is_refused_at_the_click_and_nothing_is_exported(page):
    at = chart(page, "nurse", 3)
    stored(at, "UPDATE users SET role = 'viewer' WHERE id = 3")
    at = click(at, PREPARE)
    assert downloads(at) == []
    assert stored(at, "SELECT count(*) FROM audit_log WHERE action = 'fhir_exported'") == [(0,)]


def test_the_viewer_and_the_signed_out_never_reach_the_export(page):
    viewer = page(PAGE, "viewer")
    assert "cannot open Patients" in viewer.error[0].value
    assert not [b for b in viewer.button if b.label == PREPARE] and downloads(viewer) == []
    signed_out = page(PAGE)
    assert [t.value for t in signed_out.title] == ["Sign in"]
    assert not [b for b in signed_out.button if b.label == PREPARE]
