"""The Network page: staff upload export files and see each clinic and the pool; a bad file refuses them all."""

import io

import pyarrow as pa
import pyarrow.parquet as pq

from core.safe_harbor import COLUMNS, SCHEMA_VERSION
from tests.pages.conftest import all_text

PAGE = "pages/network.py"


def export_file(clinic: str, patients: int, version: str = SCHEMA_VERSION) -> bytes:
    """A hand-made export file: every patient alike, one session each."""
    row = {"clinic": clinic, "sex": "female", "age_band": "18+", "primary_substance": "alcohol",
           "first_route": "any", "first_year": "2025-2029", "follow_up_weeks": 30, "sessions": 1, "in_course": True,
           "days_abstinent_share": 0.75, "heavy_days_share": 0.1, "abstinent_after_course": True,
           "phq9_baseline": 12, "phq9_follow_up": 5, "pcl5_baseline": None, "pcl5_follow_up": None,
           "craving_change": -10.0, "craving_sessions": 1, "adverse_events": 0, "severe_htn_sessions": 0,
           "relapse_week": 20, "relapsed": False}
    table = pa.Table.from_pylist([row] * patients, schema=COLUMNS).replace_schema_metadata({
        "schema_version": version, "clinic_pseudonym": clinic, "rules_version": "2026.11-test", "as_of_year": "2026",
        "rows": str(patients), "rows_withheld": "3", "withheld_reasons": "{}"})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def test_staff_pool_two_clinics_and_see_small_cells_as_fewer_than_11(page):
    at = page(PAGE, "nurse")
    assert not at.exception and len(at.get("file_uploader")) == 1
    at.get("file_uploader")[0].set_value([("north.parquet", export_file("north-1", 12), "application/octet-stream"),
                                          ("south.parquet", export_file("south-2", 5), "application/octet-stream")])
    at = at.run()
    assert not at.exception and not at.error
    clinics, figures = at.table[0].value, at.table[1].value
    assert clinics["Clinic"].tolist() == ["north-1", "south-2"] and clinics["Withheld for small groups"].sum() == 6
    patients = figures.set_index("Figure").loc["Patients"]
    assert (patients["north-1"], patients["south-2"], patients["Pooled"]) == ("12", "fewer than 11", "17")
    assert figures.set_index("Figure").loc["Days abstinent", "Pooled"] == "75% (n = 17 patients)"
    assert "Dakwar E, et al." in all_text(at)


def test_a_file_of_another_version_refuses_them_all_by_name(page):
    at = page(PAGE, "prescriber")
    at.get("file_uploader")[0].set_value([("north.parquet", export_file("north-1", 12), "application/octet-stream"),
                                          ("old.parquet", export_file("west-4", 12, "1"), "application/octet-stream")])
    at = at.run()
    assert "Nothing was pooled" in at.error[0].value and "old.parquet: schema version 1" in at.error[0].value
    assert len(at.table) == 0


def test_the_viewer_and_the_signed_out_cannot_open_the_network(page):
    viewer = page(PAGE, "viewer")
    assert "cannot open Network" in viewer.error[0].value and not viewer.get("file_uploader")
    signed_out = page(PAGE)
    assert [t.value for t in signed_out.title] == ["Sign in"] and not signed_out.get("file_uploader")
