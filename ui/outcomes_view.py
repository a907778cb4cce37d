"""The outcomes page's data and headline figures: cached per cohort and per kind of viewer, and shown in words.

The dashboard re-reads the whole cohort for every figure, so results are cached for a
minute with a bounded number of entries; the key holds whether the viewer may see
identified data, so a viewer's suppressed figures and a clinician's full ones never mix.
Access is still checked from the database on every run, before the cache is read.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from core import outcomes
from core.access import EVERYONE, User, require
from core.outcomes import AGE_BANDS, Cohort, Figure
from core.rules.references import REFERENCE_POINTS
from core.rules.settings import current
from ui import labels
from ui.store import clinic

CACHE_SECONDS = 60
SHARE = "share"
LABELS = {
    "patients": ("Patients", "count"), "sessions": ("Dosing sessions", "count"),
    "completed_course": ("Completed the course", SHARE), "left_after_first": ("Left after session 1", SHARE),
    "pda": ("Days abstinent", SHARE), "heavy_drinking_days": ("Heavy drinking days", SHARE),
    "end_of_course_abstinence": ("Abstinent after the course", SHARE),
    "phq9_response": ("PHQ-9 response", SHARE), "phq9_remission": ("PHQ-9 remission", SHARE),
    "pcl5_meaningful_change": ("PCL-5 clearly lower", SHARE),
    "craving_change_per_session": ("Craving change per session", "points"),
    "ae_per_session": ("Adverse events per session", "rate"),
    "severe_htn_per_session": ("Severe high blood pressure", SHARE),
}
"""Short labels that fit a metric box at 1024 px; each figure's definition is in its help (the ? beside it)."""


def definition(name: str) -> str:
    """The figure's definition in words, with the clinic's current thresholds (clinical-rules section 4)."""
    s = current()
    return {
        "patients": "Patients whose first dosing session is in the chosen dates and filters.",
        "sessions": "Sessions in which a dose was given (in progress, discharged or stopped early).",
        "completed_course": (f"Share with at least {s.planned_course_sessions} sessions (the planned course), among "
                             f"patients whose first session was {s.course_min_days} days or more ago."),
        "left_after_first": "Share with exactly one session, among the same patients.",
        "pda": (f"Per patient, the share of logged days in the first {s.follow_up_days} without use of the primary "
                "substance; then the mean over patients."),
        "heavy_drinking_days": (f"Alcohol patients: per patient, the share of logged days that were heavy (more than "
                                f"{s.hdd_drinks_male} drinks for men, {s.hdd_drinks_female} for women, or drinking "
                                "with no count); then the mean."),
        "end_of_course_abstinence": (f"Share with no use on any of the {s.end_of_course_days} days after the last "
                                     "session, among patients with all of those days logged."),
        "phq9_response": (f"Share whose latest PHQ-9 is at most {s.phq9_response_drop:.0%} of the baseline, among "
                          f"patients with a baseline of {s.phq9_baseline_min} or more and a follow-up."),
        "phq9_remission": f"Share whose latest PHQ-9 is below {s.phq9_remission_below}, among the same patients.",
        "pcl5_meaningful_change": (f"Share whose latest PCL-5 is at least {s.pcl5_meaningful_drop} points below the "
                                   "baseline, among patients with both."),
        "craving_change_per_session": ("Mean of craving after minus craving before (0-100; negative is better), "
                                       "over sessions with both."),
        "ae_per_session": "Adverse events recorded against sessions, divided by the sessions.",
        "severe_htn_per_session": (f"Share of sessions with at least one reading at or above "
                                   f"{s.severe_systolic_at}/{s.severe_diastolic_at}."),
    }[name]


N_WORDS = {"patients": "patients", "sessions": "patients", "craving_change_per_session": "sessions",
           "ae_per_session": "sessions", "severe_htn_per_session": "sessions"}


def checked(user: User) -> User:
    """The account as the database holds it now (a cached result must never skip this check)."""
    return require(clinic().con, user, EVERYONE)


@st.cache_data(ttl=CACHE_SECONDS, max_entries=64, show_spinner=False)
def overview(cohort: Cohort, as_of: date, identified: bool, _user: User) -> outcomes.Overview:
    """The figures and every chart's rows: the viewer's suppressed and rounded, cached apart from the staff's."""
    return outcomes.overview(clinic().con, _user, cohort, as_of=as_of)


@st.cache_data(ttl=CACHE_SECONDS, max_entries=64, show_spinner=False)
def behind(cohort: Cohort, figure: str, as_of: date, page: int, _user: User) -> outcomes.BehindPage:
    """Staff only (the page checks the account first; core checks it again on a miss): turning a page, or the
    rerun a click on a row makes, reads the cohort once a minute, not once a click."""
    return outcomes.behind_page(clinic().con, _user, cohort, figure, as_of=as_of, page=page)


def value_text(name: str, f: Figure) -> str:
    """A figure as it reads on screen: '42 %', '-12.5 points', '0.09'; 'fewer than 11' when suppressed."""
    if f.suppressed:
        return f"fewer than {current().small_cell_min}"
    if f.value is None:
        return "no alcohol use logged" if name == "heavy_drinking_days" else "no data yet"
    kind = LABELS[name][1]
    if kind == "count":
        return f"{f.value:,.0f}"
    if kind == SHARE:
        return f"{f.value:.0%}" if f.value >= 0.1 or f.value == 0 else f"{f.value:.1%}"
    if kind == "points":
        return f"{f.value:+.1f} points"
    return f"{f.value:.2f}"


def n_text(name: str, f: Figure, rounded: bool = False) -> str:
    """'n = 42 patients'; for the viewer, whose counts are rounded to a multiple of 11, 'n about 44 patients'."""
    if f.suppressed or f.n is None:
        return f"n: fewer than {current().small_cell_min}"
    counted = N_WORDS.get(name, "patients")
    return f"n {'about' if rounded else '='} {f.n:,} {counted.removesuffix('s') if f.n == 1 else counted}"


def metric(name: str, f: Figure, rounded: bool = False) -> None:
    shown = value_text(name, f)
    st.metric(LABELS[name][0], f"about {shown}" if rounded and LABELS[name][1] == "count" and f.value else shown,
              help=definition(name), border=True)
    st.caption(n_text(name, f, rounded))


def abstinence_and_relapse() -> None:
    """Two figures about use that a reader compares and finds at odds (seen in a day's use): they answer different
    questions, from different days, and count a silent log differently."""
    s = current()
    st.caption(f"Abstinent after the course and Time to relapse count different things. \"Abstinent after the "
               f"course\" looks only at the {s.end_of_course_days} days after a patient's last session, and only at "
               "patients who logged every one of those days. The relapse curve starts at the first session, ends at "
               f"the first day of use, and counts a log silent for more than {s.log_stopped_days} days as a relapse. "
               "A patient who used during the course and then stopped counts as relapsed on the curve and can still "
               "be abstinent after the course.")


def references_for(names: tuple[str, ...]) -> None:
    points = [p for p in REFERENCE_POINTS if p.figure in names]
    for p in points:
        st.markdown(f"- **Published:** {p.finding}.  \n  :gray[{p.citation}]")


def cohort_text(cohort: Cohort, as_of: date) -> str:
    """The filters in one sentence, on screen and on paper, where the filter widgets are not printed."""
    def chosen(values: frozenset, words: dict) -> str:
        return ", ".join(words[v] for v in words if v in values) or "all"

    return (f"Patients whose first dosing session was from {cohort.start:%d %b %Y} to {cohort.end:%d %b %Y}; "
            f"primary substance: {chosen(cohort.substances, labels.SUBSTANCE)}; "
            f"route: {chosen(cohort.routes, labels.ROUTE)}; sex at birth: {chosen(cohort.sexes, labels.SEX)}; "
            f"age: {chosen(cohort.age_bands, {band: band for band in AGE_BANDS})}. Figures as of {as_of:%d %b %Y}.")


def _share_column(label: str):
    return st.column_config.NumberColumn(label, format="percent")


BEHIND_COLUMNS = {
    "completed_course": ("sessions",),
    "left_after_first": ("sessions",),
    "pda": ("days_abstinent_share",),
    "heavy_drinking_days": ("heavy_days_share",),
    "end_of_course_abstinence": ("abstinent_after_course",),
    "phq9_response": ("phq9_baseline", "phq9_follow_up"),
    "phq9_remission": ("phq9_baseline", "phq9_follow_up"),
    "pcl5_meaningful_change": ("pcl5_baseline", "pcl5_follow_up"),
    "craving_change_per_session": ("craving_change", "craving_sessions"),
    "ae_per_session": ("sessions", "adverse_events"),
    "severe_htn_per_session": ("sessions", "severe_htn_sessions"),
}
"""The per-patient values each figure is worked out from, so the list behind a figure shows who counts and how."""
BEHIND_LABELS = {
    "sessions": "Sessions",
    "days_abstinent_share": _share_column("Days abstinent"),
    "heavy_days_share": _share_column("Heavy drinking days"),
    "abstinent_after_course": st.column_config.CheckboxColumn("Abstinent after the course"),
    "phq9_baseline": "PHQ-9 at baseline", "phq9_follow_up": "PHQ-9 at follow-up",
    "pcl5_baseline": "PCL-5 at baseline", "pcl5_follow_up": "PCL-5 at follow-up",
    "craving_change": st.column_config.NumberColumn("Mean craving change", format="%+.1f"),
    "craving_sessions": "Sessions with both cravings",
    "adverse_events": "Adverse events", "severe_htn_sessions": "Sessions with severe hypertension",
}


def behind_columns(figure: str) -> dict:
    """The drill-down's columns: who, when, and the figure's own values for each patient."""
    return {"patient": "Patient", "chart_number": "Chart number",
            "first_session": st.column_config.DateColumn("First session", format="DD MMM YYYY"),
            **{column: BEHIND_LABELS[column] for column in BEHIND_COLUMNS.get(figure, ("sessions",))}}
