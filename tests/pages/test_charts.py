"""Chart builders: what a clinician reads off a trend without looking up a cut-off."""

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
