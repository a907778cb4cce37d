"""What the prescriber and the nurse see: the queue's order, the full decision view, a roster of any size."""

from datetime import date, timedelta

import pytest

from core import db, demo
from tests.conftest import DEMO_TODAY
from tests.pages.conftest import all_text, form_key
from tests.pages.test_screening_pages import as_prescriber, click, fill, ours, pick, stored


def queue_options(at) -> list[int]:
    return list(at.selectbox(key=form_key(at, "approval_pick", "screening")).options)


def test_the_queue_lists_urgent_screenings_first_then_oldest(page):
    at = fill(page("pages/screening.py", "nurse"), phq9=[1, 2, 1, 1, 0, 1, 1, 0, 2])  # item 9 positive: urgent
    at = as_prescriber(click(at, "Save screening"))
    waiting = stored(at, """
        SELECT s.id, s.urgent, s.screened_at, p.last_name || ', ' || p.first_name,
               s.urgent AND NOT EXISTS (SELECT 1 FROM safety_followups f
                                        JOIN safety_assessments a ON a.followup_id = f.id
                                        WHERE f.screening_id = s.id) AS to_record
        FROM screenings s JOIN patients p ON p.id = s.patient_id
        WHERE p.status = 'screened' AND s.decision IN ('eligible', 'needs_review')
          AND s.id = (SELECT max(id) FROM screenings WHERE patient_id = p.id)""")
    expected = sorted(waiting, key=lambda r: (not r[4], not r[1], r[2], r[0]))
    assert any(r[4] for r in waiting) and not all(r[1] for r in waiting)
    options = at.selectbox(key=form_key(at, "approval_pick", "screening")).options
    assert len(options) == len(expected)
    for shown, (_id, _urgent, screened_at, name, to_record) in zip(options, expected, strict=True):
        assert shown.startswith("URGENT · ") == to_record and name in shown and f"{screened_at:%d %b %Y}" in shown
    assert f"{sum(r[4] for r in waiting)} waiting with a same-day safety assessment still to record" in all_text(at)


def test_no_decision_is_preselected(page):
    at = fill(page("pages/screening.py", "nurse"))
    at = as_prescriber(click(at, "Save screening"))
    assert at.selectbox(key=form_key(at, "approval_pick", "screening")).value is None
    at = pick(at, ours(at))
    assert at.radio(key=form_key(at, "approval", "choice")).value is None
    assert at.text_input(key=form_key(at, "approval", "password")).value == ""


def test_the_prescriber_view_shows_each_field(page):
    at = fill(page("pages/screening.py", "nurse"), primary_substance="alcohol", other_substances=["cocaine"],
              escort_available=False, goal="Drink on no more than two days a week", conditions=["hepatic"],
              medications=["benzodiazepine"])
    for item, answer in (("auditc_item1", 3), ("auditc_item2", 2), ("auditc_item3", 1)):
        at.session_state[form_key(at, "screening", item)] = answer
    at = as_prescriber(click(at.run(), "Save screening"))
    at = pick(at, ours(at))
    assert not at.exception
    text = all_text(at)
    for shown in (
        "Pagetest, Robin", "Chart number PAGE\\-0001", "(born 14 Mar 1988)", "Female",       # identity and age
        "**Primary substance:** Alcohol", "**Also uses:** Cocaine",                           # substance and co-use
        "**Days used in the last 30:** 12", f"**Last use:** {date.today() - timedelta(days=2):%d %b %Y}, 21:30",
        "**Blood pressure at screening:** 128/82 mmHg",
        "**PHQ-9:** 7 (mild)", "**GAD-7:** 4 (minimal)", "**C-SSRS screener:** no risk identified",  # bands
        "**AUDIT-C:** 6 (positive screen)", "AUDIT-C is positive",                           # and flags
        "**Conditions:** Liver disease", "**Current medications:** Benzodiazepine", "**Pregnancy:** Not pregnant",
        "No one can drive the patient home", "**Someone can drive the patient home:** No",
        "**Patient's goal:** Drink on no more than two days a week",
        "Every reason, with its source",
    ):
        assert shown in text, shown
    assert "age 38 at screening" in text or "age 37 at screening" in text
    assert any(b.label == "Open the patient's chart" for b in at.button)


@pytest.fixture
def big_roster(tmp_path, monkeypatch):
    """A clinic with 620 patients: more than any one-query cap a roster might have had."""
    path = tmp_path / "big.duckdb"
    con = db.open_store(path)
    demo.build(con, 620, 7, today=DEMO_TODAY)
    con.close()
    return path


def test_the_roster_reaches_patients_past_500(page, big_roster, monkeypatch):
    monkeypatch.setenv("CLINIC_DB", str(big_roster))
    at = page("pages/patients.py", "nurse")
    seen = set(at.dataframe[0].value["chart_number"])
    assert "page 1 of 13" in all_text(at)
    for _ in range(12):
        at = click(at, "Next page")
        seen |= set(at.dataframe[0].value["chart_number"])
    assert "page 13 of 13" in all_text(at)
    assert next(b for b in at.button if b.label == "Next page").disabled
    assert len(seen) == 620


def test_a_page_past_the_end_shows_the_last_page(page):
    at = page("pages/patients.py", "nurse")
    at.session_state["patients_page"] = 999
    at.run()
    assert not at.exception
    assert "page 6 of 6" in all_text(at)
    assert len(at.dataframe[0].value) == 50


@pytest.mark.parametrize("search", ["O'Brien", '"; DROP TABLE patients; --', "' OR 1=1 --", "%", "_", "x" * 1000,
                                    "1988-02-30", "Demo\\"])
def test_a_hostile_search_finds_nothing_and_breaks_nothing(page, search):
    at = page("pages/patients.py", "nurse")
    at.text_input(key="patients_search").input(search).run()
    assert not at.exception
    assert "No patient matches" in all_text(at) or len(at.dataframe[0].value) > 0
    assert stored(at, "SELECT count(*) FROM patients")[0][0] == 300


def test_the_chart_says_a_safety_assessment_is_still_to_record(page):
    at = fill(page("pages/screening.py", "nurse"), phq9=[1, 2, 1, 1, 0, 1, 1, 0, 2])
    at = click(at, "Save screening")
    patient_id = stored(at, "SELECT id FROM patients WHERE mrn = 'PAGE-0001'")[0][0]
    at.switch_page("pages/patients.py")
    at.session_state["chosen~patients"] = patient_id
    at.run()
    assert any("Same-day safety assessment not recorded yet" in e.value for e in at.error)


def test_a_man_is_not_shown_as_not_pregnant(page):
    at = fill(page("pages/screening.py", "nurse"), sex="male")
    at = as_prescriber(click(at, "Save screening"))
    at = pick(at, ours(at))
    text = all_text(at)
    assert "**Pregnancy:** Not asked (male)" in text and "Not pregnant" not in text


def test_a_chart_opened_from_the_queue_leads_back_to_it(page):
    at = fill(page("pages/screening.py", "nurse"))
    at = as_prescriber(click(at, "Save screening"))
    at = pick(at, ours(at))
    at = click(at, "Open the patient's chart")
    assert not at.exception
    assert "Chart number PAGE\\-0001" in all_text(at)
    at = click(at, "Back to Approval queue")
    assert [t.value for t in at.title] == ["Approval queue"]


def test_a_search_is_audited_once_with_the_records_shown_and_never_the_words(page):
    at = page("pages/patients.py", "nurse")
    at.text_input(key="patients_search").input("Example").run()
    at.run()
    rows = stored(at, "SELECT detail FROM audit_log WHERE action = 'patients_searched'")
    assert len(rows) == 1 and "Example" not in rows[0][0] and '"shown": [' in rows[0][0]


def test_a_chart_draws_the_pacs_trend_with_its_cut_off(page):
    """Seen in review: PACS scores were recorded at every check-in but the chart drew no PACS trend."""
    import json
    at = page("pages/patients.py", "prescriber")
    (patient,) = stored(at, "SELECT patient_id FROM assessments WHERE instrument = 'pacs' GROUP BY patient_id "
                            "HAVING count(*) >= 2 ORDER BY patient_id LIMIT 1")[0]
    at.session_state["chosen~patients"] = patient
    titles = [json.loads(c.proto.spec).get("title") for c in at.run().get("vega_lite_chart")]
    assert "Penn Alcohol Craving Scale (PACS) over time" in titles
