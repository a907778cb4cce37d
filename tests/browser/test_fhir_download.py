"""Issue 22.1 in Chromium: from a chart, prepare the FHIR record, then download it; the file is the patient's R4B
Bundle, and the opened export passes axe-core."""

import duckdb
from fhir.resources.R4B.bundle import Bundle
from playwright.sync_api import expect

from tests.browser.runs import act
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_patient_safety import open_chart
from tests.browser.test_sign_in_journey import sign_in


def a_dosed_patient(database) -> str:
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.execute("""SELECT p.mrn FROM patients p JOIN dosing_sessions d ON d.patient_id = p.id
                              ORDER BY p.id LIMIT 1""").fetchone()[0]
    finally:
        con.close()


def test_a_nurse_prepares_and_downloads_the_chart_as_fhir(tab, app_url, demo_database):
    mrn = a_dosed_patient(demo_database)
    sign_in(tab, app_url, "nurse", "demo-nurse-2026")
    open_chart(tab, mrn)
    tab.get_by_text("Share this record with another clinic (FHIR)").click()  # an expander opens in the browser alone
    act(tab, tab.get_by_role("button", name="Prepare FHIR record").click)
    expect(tab.get_by_text("FHIR record ready to download").first).to_be_visible()
    assert serious_violations(tab) == []
    with tab.expect_download() as download:
        tab.get_by_role("button", name="Download FHIR record (JSON)").click()
    bundle = Bundle.model_validate_json(download.value.path().read_bytes())
    (patient,) = [e.resource for e in bundle.entry if e.resource.get_resource_type() == "Patient"]
    assert patient.identifier[0].value == mrn
    assert any(e.resource.get_resource_type() == "MedicationAdministration" for e in bundle.entry)
