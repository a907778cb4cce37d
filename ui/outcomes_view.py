"""The outcomes page's data and headline figures: cached per cohort and per kind of viewer, and shown in words.

The dashboard re-reads the whole cohort for every figure, so results are cached for a
minute with a bounded number of entries; the key holds whether the viewer may see
identified data, so a viewer's suppressed figures and a clinician's full ones never mix.
Access is still checked from the database on every run, before the cache is read.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from core import outcomes
from core.access import EVERYONE, User, require
from core.outcomes import Cohort, Figure
from core.rules.references import REFERENCE_POINTS
from core.rules.settings import current
from ui.store import clinic

CACHE_SECONDS = 60
SHARE = "share"
LABELS = {
    "patients": ("Patients", "count"), "sessions": ("Dosing sessions", "count"),
    "completed_course": ("Completed the planned course (6 sessions)", SHARE),
    "left_after_first": ("Left after the first session", SHARE),
    "pda": ("Days abstinent (mean per patient)", SHARE),
    "heavy_drinking_days": ("Heavy drinking days (alcohol; mean per patient)", SHARE),
    "end_of_course_abstinence": ("Abstinent in the 14 days after the last session", SHARE),
    "phq9_response": ("PHQ-9 response (at least halved)", SHARE),
    "phq9_remission": ("PHQ-9 remission (below 5)", SHARE),
    "pcl5_meaningful_change": ("PCL-5 down 10 points or more", SHARE),
    "craving_change_per_session": ("Craving change per session (after minus before, 0-100)", "points"),
    "ae_per_session": ("Adverse events per session", "rate"),
    "severe_htn_per_session": ("Sessions with severe high blood pressure", SHARE),
}
N_WORDS = {"patients": "patients", "sessions": "patients", "craving_change_per_session": "sessions",
           "ae_per_session": "sessions", "severe_htn_per_session": "sessions"}


def checked(user: User) -> User:
    """The account as the database holds it now (a cached result must never skip this check)."""
    return require(clinic().con, user, EVERYONE)


@st.cache_data(ttl=CACHE_SECONDS, max_entries=64, show_spinner=False)
def figures(cohort: Cohort, as_of: date, identified: bool, _user: User) -> dict[str, Figure]:
    return outcomes.figures(clinic().con, _user, cohort, as_of=as_of)


@st.cache_data(ttl=CACHE_SECONDS, max_entries=256, show_spinner=False)
def series(cohort: Cohort, name: str, as_of: date, identified: bool, _user: User) -> pd.DataFrame:
    return outcomes.series(clinic().con, _user, cohort, name, as_of=as_of)


@st.cache_data(ttl=CACHE_SECONDS, max_entries=64, show_spinner=False)
def relapse(cohort: Cohort, as_of: date, identified: bool, _user: User) -> pd.DataFrame:
    return outcomes.relapse_curve(clinic().con, _user, cohort, as_of=as_of)


def value_text(name: str, f: Figure) -> str:
    """A figure as it reads on screen: '42 %', '-12.5 points', '0.09'; 'fewer than 11' when suppressed."""
    if f.suppressed:
        return f"fewer than {current().small_cell_min}"
    if f.value is None:
        return "no data yet"
    kind = LABELS[name][1]
    if kind == "count":
        return f"{f.value:,.0f}"
    if kind == SHARE:
        return f"{f.value:.0%}" if f.value >= 0.1 or f.value == 0 else f"{f.value:.1%}"
    if kind == "points":
        return f"{f.value:+.1f} points"
    return f"{f.value:.2f}"


def n_text(name: str, f: Figure) -> str:
    if f.suppressed or f.n is None:
        return f"n: fewer than {current().small_cell_min}"
    return f"n = {f.n:,} {N_WORDS.get(name, 'patients')}"


def metric(name: str, f: Figure) -> None:
    st.metric(LABELS[name][0], value_text(name, f), help=None, border=True)
    st.caption(n_text(name, f))


def references_for(names: tuple[str, ...]) -> None:
    points = [p for p in REFERENCE_POINTS if p.figure in names]
    for p in points:
        st.markdown(f"- **Published:** {p.finding}.  \n  :gray[{p.citation}]")
