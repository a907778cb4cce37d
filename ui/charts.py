"""Altair chart builders shared by pages: readable with one point or fifty, in words, bands shaded."""

from __future__ import annotations

from datetime import date, timedelta

import altair as alt
import pandas as pd

from core.rules import instruments
from core.rules.settings import resolve
from core.timeline import BASELINE

PADDING = timedelta(days=7)
"""Space either side of the first and last date, so a single reading shows as a dated point."""
BAND_COLOURS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
"""Severity bands from mild to severe (ColorBrewer YlOrRd), each a clear step from the next; shaded at BAND_OPACITY
so the trend's line stays the darkest thing on the chart."""
BAND_OPACITY = 0.35


def _band_scale(count: int) -> alt.Scale:
    """The band colours for `count` bands, the most severe always the darkest."""
    return alt.Scale(range=list(BAND_COLOURS[len(BAND_COLOURS) - count:]))


def score_trend(rows: pd.DataFrame, instrument_id: str, settings=None) -> alt.LayerChart:
    """One instrument's totals over time on its own scale, with its severity bands shaded behind, if it has any.

    `rows` holds `taken_at` and `total` (already one instrument's, aggregated per reading).
    """
    instrument = instruments.get(instrument_id)
    first, last = rows["taken_at"].min() - PADDING, rows["taken_at"].max() + PADDING
    x = alt.X("taken_at:T", title="Date", scale=alt.Scale(domain=[first.isoformat(), last.isoformat()]),
              axis=alt.Axis(format="%d %b %Y", labelAngle=0, tickCount=5, labelOverlap="greedy"))
    y = alt.Y("total:Q", title="Total score", scale=alt.Scale(domain=[0, instrument.max_total]))
    line = alt.Chart(rows).mark_line(point=alt.OverlayMarkDef(size=60)).encode(
        x=x, y=y,
        tooltip=[alt.Tooltip("taken_at:T", title="Date", format="%d %b %Y"),
                 alt.Tooltip("total:Q", title=instrument.name), alt.Tooltip("band:N", title="Band")],
    )
    layers = [line]
    if instrument.bands:
        bands = pd.DataFrame([{"low": b.low, "high": b.high + 1 if b.high < instrument.max_total else b.high,
                               "band": b.label} for b in instrument.bands])
        shading = alt.Chart(bands).mark_rect(opacity=BAND_OPACITY).encode(
            y="low:Q", y2="high:Q",
            color=alt.Color("band:N", title="Severity", sort=[b.label for b in instrument.bands],
                            scale=_band_scale(len(instrument.bands))),
        )
        layers = [shading, line]
    if instrument_id in CUT_OFFS:
        layers.append(_cut_off(instrument_id, settings))
    return alt.layer(*layers).properties(title=f"{instrument.name} over time", height=220)


CUT_OFFS = {"pcl5": ("pcl5_provisional_total", "Provisional PTSD"), "pacs": ("pacs_elevated", "Elevated craving")}
"""Instruments without severity bands whose clinic cut-off is drawn across the trend instead."""


def _cut_off(instrument_id: str, settings=None) -> alt.Chart:
    """The cut-off as a dashed line named in the legend: written on the chart, it lay over the readings' line."""
    setting, words = CUT_OFFS[instrument_id]
    value = getattr(resolve(settings), setting)
    mark = pd.DataFrame([{"value": value, "label": f"{words} ({value} or more)"}])
    return alt.Chart(mark).mark_rule(color="#b42318").encode(
        y="value:Q", tooltip=[alt.Tooltip("label:N", title="Cut-off")],
        strokeDash=alt.StrokeDash("label:N", title="Cut-off", scale=alt.Scale(range=[[4, 4]]),
                                  legend=alt.Legend(labelLimit=0)))


def session_vitals(readings: pd.DataFrame, settings=None) -> alt.LayerChart:
    """Blood pressure and heart rate by minute after the dose, with the severe and the hold limits drawn across.

    `readings` holds `minutes_after_dose` (empty for the pre-dose reading, drawn at minute 0's left as -5),
    `systolic_bp`, `diastolic_bp` and `heart_rate`.
    """
    s = resolve(settings)
    minute = readings["minutes_after_dose"].astype("Float64").fillna(-5).astype(float)
    long = pd.concat([
        pd.DataFrame({"minute": minute, "value": readings[column].astype(float), "measure": name})
        for column, name in (("systolic_bp", "Systolic BP"), ("diastolic_bp", "Diastolic BP"),
                             ("heart_rate", "Heart rate"))
    ]).dropna(subset=["value"])
    lines = alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("minute:Q", title="Minutes after the dose (before the dose at -5)", axis=alt.Axis(format="d")),
        y=alt.Y("value:Q", title="mmHg or beats/min", scale=alt.Scale(domain=[40, 200])),
        color=alt.Color("measure:N", title=None),
        tooltip=[alt.Tooltip("measure:N", title="Measure"), alt.Tooltip("minute:Q", title="Minute"),
                 alt.Tooltip("value:Q", title="Value")],
    )
    limits = pd.DataFrame([
        {"value": s.severe_systolic_at, "limit": f"Severe systolic {s.severe_systolic_at}"},
        {"value": s.severe_diastolic_at, "limit": f"Severe diastolic {s.severe_diastolic_at}"},
        {"value": s.hold_systolic_above, "limit": f"Pre-dose hold above {s.hold_systolic_above}"},
    ])
    rules = alt.Chart(limits).mark_rule(color="#b42318").encode(
        y="value:Q", tooltip=[alt.Tooltip("limit:N", title="Limit")],
        strokeDash=alt.StrokeDash("limit:N", title="Limits", sort=list(limits["limit"]),
                                  scale=alt.Scale(range=[[6, 3], [2, 2], [10, 4]])))
    return alt.layer(rules, lines).resolve_legend(strokeDash="independent").properties(
        title="Blood pressure and heart rate during the session", height=240)


def craving_trend(rows: pd.DataFrame) -> alt.Chart:
    """Craving (0-100) over time, one colour per moment: before a dose, after it, at a check-in.

    `rows` holds `occurred_at`, `moment` and `craving`."""
    first, last = rows["occurred_at"].min() - PADDING, rows["occurred_at"].max() + PADDING
    return alt.Chart(rows).mark_line(point=alt.OverlayMarkDef(size=50)).encode(
        x=alt.X("occurred_at:T", title="Date", scale=alt.Scale(domain=[first.isoformat(), last.isoformat()]),
                axis=alt.Axis(format="%d %b %Y", labelAngle=0, tickCount=5, labelOverlap="greedy")),
        y=alt.Y("craving:Q", title="Craving (0-100)", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("moment:N", title="When", sort=["Before the dose", "After the session", "At a check-in"]),
        tooltip=[alt.Tooltip("occurred_at:T", title="Date", format="%d %b %Y"), alt.Tooltip("moment:N", title="When"),
                 alt.Tooltip("craving:Q", title="Craving")],
    ).properties(title="Craving over time", height=220)


USE_KINDS = ["No use", "Used", "Heavy drinking day"]
USE_COLOURS = ["#2e7d32", "#e69f00", "#b42318"]


def use_days(rows: pd.DataFrame, first_session: date | None) -> alt.LayerChart:
    """One bar per recorded day, green for no use, so abstinent runs read as unbroken green stretches; the days
    before the first session (the baseline) shaded grey and named, with the first session's day marked.

    `rows` holds `day`, `used`, `heavy` and `period` (core.timeline's BASELINE or COURSE), and `drinks`, shown in
    the tooltip; `first_session` is the day of the first dosing session, None before any."""
    shown = rows.assign(
        kind=["Heavy drinking day" if h else "Used" if u else "No use" for u, h in zip(rows["used"], rows["heavy"],
                                                                                        strict=True)],
        drinks=rows["drinks"].astype("Float64").astype("string").fillna("-"))
    x = alt.X("day:T", title="Day", axis=alt.Axis(format="%d %b %Y", labelAngle=0, tickCount=5, labelOverlap="greedy"))
    ticks = alt.Chart(shown).mark_tick(thickness=3, size=30).encode(
        x=x, y=alt.Y("kind:N", title=None, sort=USE_KINDS),
        color=alt.Color("kind:N", title="Day", scale=alt.Scale(domain=USE_KINDS, range=USE_COLOURS)),
        tooltip=[alt.Tooltip("day:T", title="Day", format="%d %b %Y"), alt.Tooltip("kind:N", title="Use"),
                 alt.Tooltip("drinks:N", title="Standard drinks"), alt.Tooltip("period:N", title="Part of the log")])
    layers = [*_baseline(shown, first_session), ticks]
    return alt.layer(*layers).properties(title="Substance use by day (green runs are days without use)", height=180)


def _baseline(rows: pd.DataFrame, first_session: date | None) -> list[alt.Chart]:
    """A line at the first session, and the baseline's band (from its first logged day to the first session) with
    its name; nothing before any session (every day logged is then the baseline, with no boundary to draw)."""
    if first_session is None:
        return []
    first = pd.DataFrame([{"day": first_session.isoformat(), "words": "First session"}])
    layers = [
        alt.Chart(first).mark_rule(color="#1f4e79", strokeDash=[4, 4]).encode(x="day:T"),
        alt.Chart(first).mark_text(align="left", baseline="top", dx=4, dy=4, color="#1f4e79", fontSize=11).encode(
            x="day:T", y=alt.value(0), text="words:N"),
    ]
    baseline = rows[rows["period"] == BASELINE]["day"]
    if baseline.empty:
        return layers
    band = pd.DataFrame([{"start": baseline.min().isoformat(), "end": first["day"].iloc[0], "label": BASELINE}])
    return [
        alt.Chart(band).mark_rect(color="#d0d0d0", opacity=0.45).encode(x="start:T", x2="end:T"),
        alt.Chart(band).mark_text(align="left", baseline="top", dx=4, dy=4, color="#333333", fontSize=11).encode(
            x="start:T", y=alt.value(0), text="label:N"),
        *layers,
    ]


def _percent_axis(field: str, title: str) -> alt.Y:
    return alt.Y(f"{field}:Q", title=title, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1]))


def _in_words(rows: pd.DataFrame, words: dict[str, str]) -> pd.DataFrame:
    """The chart menu's "Show data" shows a chart's own columns, so they carry the words a reader knows."""
    return rows.rename(columns=words)


def outcome_craving(rows: pd.DataFrame) -> alt.Chart:
    """Mean craving before and after each session, by session number (rows: session_number, moment, value, n)."""
    rows = _in_words(rows, {"session_number": "Session", "moment": "When", "value": "Mean craving", "n": "Sessions"})
    return alt.Chart(rows).mark_line(point=True).encode(
        x=alt.X("Session:O", title="Session number", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("Mean craving:Q", title="Mean craving (0-100)", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("When:N", title=None, sort=["Before the dose", "After the session"],
                        legend=alt.Legend(orient="bottom", direction="vertical")),
        tooltip=[alt.Tooltip("Session:O"), alt.Tooltip("When:N"), alt.Tooltip("Mean craving:Q", format=".1f"),
                 alt.Tooltip("Sessions:Q")],
    ).properties(height=260)


def outcome_phq9(rows: pd.DataFrame) -> alt.LayerChart:
    """Mean PHQ-9 by week since the first session, the severity bands shaded (rows: week, value, n)."""
    instrument = instruments.get("phq9")
    bands = pd.DataFrame([{"From": b.low, "To": b.high + 1 if b.high < instrument.max_total else b.high,
                           "Severity": b.label} for b in instrument.bands])
    shading = alt.Chart(bands).mark_rect(opacity=BAND_OPACITY).encode(
        y="From:Q", y2="To:Q", color=alt.Color("Severity:N", sort=[b.label for b in instrument.bands],
                                               scale=_band_scale(len(instrument.bands)),
                                               legend=alt.Legend(orient="bottom", columns=2, labelLimit=0)))
    rows = _in_words(rows, {"week": "Week", "value": "Mean PHQ-9", "n": "Patients"})
    line = alt.Chart(rows).mark_line(point=True, color="#1f4e79").encode(
        x=alt.X("Week:Q", title="Weeks since the first session",
                axis=alt.Axis(format="d", tickMinStep=1)),
        y=alt.Y("Mean PHQ-9:Q", title="Mean PHQ-9 total", scale=alt.Scale(domain=[0, instrument.max_total])),
        tooltip=[alt.Tooltip("Week:Q"), alt.Tooltip("Mean PHQ-9:Q", format=".1f"), alt.Tooltip("Patients:Q")])
    return alt.layer(shading, line).properties(height=260)


def outcome_use(rows: pd.DataFrame) -> alt.Chart:
    """Percent days abstinent and heavy drinking days by month since the first session (rows: month, measure,
    value, n)."""
    rows = _in_words(rows, {"month": "Month", "measure": "Measure", "value": "Share", "n": "Patients"})
    return alt.Chart(rows).mark_line(point=True).encode(
        x=alt.X("Month:O", title="Month since the first session", axis=alt.Axis(labelAngle=0)),
        y=_percent_axis("Share", "Share of logged days"),
        color=alt.Color("Measure:N", title=None,
                        legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=0)),
        tooltip=[alt.Tooltip("Month:O"), alt.Tooltip("Measure:N"), alt.Tooltip("Share:Q", format=".0%"),
                 alt.Tooltip("Patients:Q")],
    ).properties(height=260)


def outcome_retention(rows: pd.DataFrame) -> alt.Chart:
    """Share of patients who reached each session number (rows: session_number, value, n)."""
    rows = rows[rows["value"] > 0]  # a session nobody reached has no bar, and no place on the axis
    rows = _in_words(rows, {"session_number": "Session", "value": "Reached it", "n": "Patients"})
    return alt.Chart(rows).mark_bar(color="#1f4e79").encode(
        x=alt.X("Session:O", title="Session number", axis=alt.Axis(labelAngle=0)),
        y=_percent_axis("Reached it", "Patients who reached it"),
        tooltip=[alt.Tooltip("Session:O"), alt.Tooltip("Reached it:Q", format=".0%"), alt.Tooltip("Patients:Q")],
    ).properties(height=260)


def outcome_relapse(rows: pd.DataFrame) -> alt.Chart:
    """Kaplan-Meier survival without relapse as a step curve, from 100 % at day 0 (rows: day, at_risk, survival, and
    events for the staff)."""
    start = pd.DataFrame({"day": [0], "at_risk": [None], "survival": [1.0]}).assign(
        **({"events": [0]} if "events" in rows else {}))
    steps = pd.concat([start, rows], ignore_index=True) if rows.empty or rows["day"].iloc[0] > 0 else rows
    steps = _in_words(steps, {"day": "Day", "at_risk": "Patients at risk", "events": "Relapses",
                              "survival": "Without relapse"})
    tooltip = [alt.Tooltip("Day:Q"), alt.Tooltip("Without relapse:Q", format=".0%"), alt.Tooltip("Patients at risk:Q")]
    return alt.Chart(steps).mark_line(interpolate="step-after", color="#1f4e79").encode(
        x=alt.X("Day:Q", title="Days since the first session"),
        y=alt.Y("Without relapse:Q", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        tooltip=tooltip + ([alt.Tooltip("Relapses:Q")] if "Relapses" in steps else []),
    ).properties(height=260)


def outcome_adverse(rows: pd.DataFrame) -> alt.Chart:
    """Adverse events per session by calendar month of the session (rows: month, value, n)."""
    rows = _in_words(rows, {"month": "Month", "value": "Per session", "n": "Sessions"})
    return alt.Chart(rows).mark_bar(color="#b42318").encode(
        x=alt.X("Month:T", title="Month", timeUnit="yearmonth", axis=alt.Axis(format="%b %Y", labelAngle=0)),
        y=alt.Y("Per session:Q", title="Adverse events per session"),
        tooltip=[alt.Tooltip("Month:T", title="Month", timeUnit="yearmonth", format="%b %Y"),
                 alt.Tooltip("Per session:Q", format=".2f"), alt.Tooltip("Sessions:Q")],
    ).properties(height=260)
