"""Chart builders: what a clinician reads off a trend without looking up a cut-off."""

from datetime import date

import pandas as pd

from core.rules.settings import DEFAULTS
from ui import charts


def trend_rows(totals: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"taken_at": pd.date_range("2026-01-05", periods=len(totals), freq="28D"),
                         "total": totals, "band": [None] * len(totals)})


def cut_offs(chart) -> list[tuple[float, str]]:
    spec = chart.to_dict()
    return [(row["value"], row["label"]) for layer in spec["layer"] for row in
            spec.get("datasets", {}).get(layer.get("data", {}).get("name", ""), []) if "label" in row]


def test_a_pcl5_trend_marks_the_provisional_ptsd_cut_off():
    """Seen in review: PCL-5 has no severity bands, so its trend showed no reference at all."""
    assert cut_offs(charts.score_trend(trend_rows([48, 40, 30]), "pcl5")) == [
        (DEFAULTS.pcl5_provisional_total, f"Provisional PTSD ({DEFAULTS.pcl5_provisional_total} or more)")]


def test_a_pacs_trend_marks_elevated_craving():
    assert cut_offs(charts.score_trend(trend_rows([20, 12]), "pacs")) == [
        (DEFAULTS.pacs_elevated, f"Elevated craving ({DEFAULTS.pacs_elevated} or more)")]


def test_a_banded_trend_keeps_its_bands_and_needs_no_line():
    assert cut_offs(charts.score_trend(trend_rows([12, 8]), "phq9")) == []


def test_the_use_chart_marks_the_baseline_before_the_first_session():
    """Issue 25.6: the days logged before the first session are the baseline the course is read against, shaded and
    named on the chart, with the first session's day marked."""
    from core import timeline

    days = pd.DataFrame({"day": pd.date_range("2026-01-01", periods=10), "used": [True] * 3 + [False] * 7,
                         "drinks": [None] * 10, "heavy": [False] * 10,
                         "period": [timeline.BASELINE] * 4 + [timeline.COURSE] * 6})
    assert marks(charts.use_days(days, date(2026, 1, 5))) == [
        ("Baseline, before the first session", "2026-01-01", "2026-01-05"), ("First session", "2026-01-05")]
    assert marks(charts.use_days(days.assign(period=timeline.COURSE), date(2026, 1, 1))) == [
        ("First session", "2026-01-01")]
    assert marks(charts.use_days(days.assign(period=timeline.BASELINE), None)) == []   # no session yet
    assert marks(charts.use_days(days.head(4), date(2026, 3, 1))) == [   # only the baseline logged so far
        ("Baseline, before the first session", "2026-01-01", "2026-03-01"), ("First session", "2026-03-01")]


def marks(chart) -> list[tuple]:
    """The baseline's band (name, from, to) and the first session's line (words, day) drawn on a use chart."""
    rows = [row for rows in chart.to_dict()["datasets"].values() for row in rows]
    return ([(r["label"], r["start"][:10], r["end"][:10]) for r in rows if "label" in r]
            + [(r["words"], r["day"][:10]) for r in rows if "words" in r])

def test_the_chart_page_shows_the_baseline_beside_the_course_in_numbers(page, demo_db):
    """A demo patient with a course has the month before the screening logged, and the days up to the first
    session: the chart names both parts, with the days of each."""
    import duckdb

    con = duckdb.connect(str(demo_db), read_only=True)
    patient, baseline = con.execute(
        """SELECT u.patient_id, count(*) FROM substance_use_days u
           JOIN (SELECT patient_id, CAST(min(started_at) AS DATE) AS day0 FROM dosing_sessions GROUP BY 1) f
             ON f.patient_id = u.patient_id
           WHERE u.day < f.day0 GROUP BY 1 ORDER BY 1 LIMIT 1""").fetchone()
    con.close()
    at = page("pages/patients.py", "therapist")
    at.session_state["chosen~patients"] = patient
    at = at.run()
    assert not at.exception
    text = "\n".join(str(c.value) for c in at.caption)
    assert f"Baseline, before the first session: {baseline} days logged" in text
    assert "From the first session on:" in text
