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


def mark_types(chart) -> list[str]:
    spec = chart.to_dict()
    return [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
            for layer in spec.get("layer", [spec])]


def test_the_retention_axis_ends_at_the_last_session_anyone_reached():
    """Issue 25.14: the axis ran to 12 under 6 bars (sessions nobody reached drawn as zero)."""
    rows = pd.DataFrame({"session_number": range(1, 13), "value": [1.0, 0.8, 0.4, 0.2, 0.2, 0.2] + [0.0] * 6,
                         "n": [5] * 12})
    spec = charts.outcome_retention(rows).to_dict()
    (data,) = spec["datasets"].values()
    assert [row["Session"] for row in data] == [1, 2, 3, 4, 5, 6]


def test_severity_bands_are_told_apart_at_a_glance():
    """Issue 25.14: the PHQ-9 bands' colours were nearly equal (a faint scheme at 18 % opacity)."""
    for chart in (charts.score_trend(trend_rows([12, 8]), "phq9"),
                  charts.outcome_phq9(pd.DataFrame({"week": [0, 1], "value": [14.0, 9.0], "n": [20, 20]}))):
        (shading,) = [layer for layer in chart.to_dict()["layer"] if layer["mark"]["type"] == "rect"]
        colours = shading["encoding"]["color"]["scale"]["range"]
        assert len(set(colours)) == 5 and shading["mark"]["opacity"] >= 0.3


def test_the_session_chart_names_its_limits_in_a_legend_not_over_the_lines():
    """Issue 25.14: the limits' names were written across the chart, over the readings' lines."""
    readings = pd.DataFrame({"minutes_after_dose": [None, 15, 30], "systolic_bp": [130, 150, 186],
                             "diastolic_bp": [80, 90, 112], "heart_rate": [70, 80, 90]})
    chart = charts.session_vitals(readings)
    assert "text" not in mark_types(chart)
    assert "text" not in mark_types(charts.score_trend(trend_rows([20, 12]), "pacs"))  # the cut-off's name too
    (rules,) = [layer for layer in chart.to_dict()["layer"] if layer["mark"]["type"] == "rule"]
    assert rules["encoding"]["strokeDash"]["title"] == "Limits"
