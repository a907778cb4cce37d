"""Outcomes (staff and the de-identified viewer): what the clinic achieves, beside the published reference points."""

from datetime import date, datetime, timedelta

import streamlit as st

from core import outcomes, safe_harbor
from core.access import EVERYONE, STAFF
from core.outcomes import AGE_BANDS, SEXES, Cohort
from core.rules import disclosure
from core.rules.references import NOT_A_TRIAL_ARM
from core.rules.settings import current
from ui import charts, labels, paging, reads, selection
from ui import outcomes_view as view
from ui.actions import act, done, show
from ui.chart_link import CHART, open_chart
from ui.frame import frame
from ui.store import clinic

user = frame("Outcomes", allow=EVERYONE)
con = clinic().con

PAGE_CSS = """<style>
[data-testid="stMetricLabel"] *, [data-testid="stMetricValue"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
@media print {
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
  .st-key-outcome_filters, .st-key-outcome_staff, .stButton, .stDownloadButton { display: none !important; }
  [data-testid="stMain"] { margin: 0 !important; padding: 0 !important; }
  .stVegaLiteChart, [data-testid="stMetric"] { break-inside: avoid; }
}</style>"""
"""On screen, a figure's label and value wrap rather than end in '...' ('Dosing ses...' at 1,024 px); on paper, the
sidebar and every widget are left out."""
EARLIEST = date(2000, 1, 1)
CHART_HEIGHT = 340
"""Each chart's whole height, legend and title included; left to itself a chart with a legend below was squeezed
to a strip."""
BEHIND = "outcomes_behind"
BEHIND_PAGE = "outcomes_behind~page"
OPENING = "outcomes~opening"
EXPORT = "outcomes_export"
GROUPS = (
    ("Patients and retention", ("patients", "sessions", "completed_course", "left_after_first")),
    ("Substance use", ("pda", "heavy_drinking_days", "end_of_course_abstinence")),
    ("Mood and trauma", ("phq9_response", "phq9_remission", "pcl5_meaningful_change")),
    ("Craving and safety", ("craving_change_per_session", "ae_per_session", "severe_htn_per_session")),
)


def quarters(today: date) -> dict[date, str]:
    """The calendar quarters a viewer can choose, newest first: the viewer's dates are whole quarters."""
    shown, day = {}, disclosure.quarter_start(today)
    while day >= EARLIEST:
        shown[day] = f"{day.year} Q{(day.month - 1) // 3 + 1}"
        day = disclosure.quarter_start(day - timedelta(days=1))
    return shown


def date_filters(start, end, identified: bool) -> tuple[date, date]:
    today = date.today()
    if not identified:
        offered = quarters(today)
        choices = list(offered)
        first = start.selectbox("First session from (quarter)", choices, index=min(8, len(choices) - 1),
                                format_func=offered.get, key="outcomes_start_quarter", persist_state="session")
        last = end.selectbox("First session to (quarter)", choices, index=0, format_func=offered.get,
                             key="outcomes_end_quarter", persist_state="session")
        return first, disclosure.quarter_end(last)
    first = start.date_input("First session from", value=date(today.year - 2, 1, 1), min_value=EARLIEST,
                             max_value=today, key="outcomes_start", format="DD.MM.YYYY", persist_state="session")
    last = end.date_input("First session to", value=today, min_value=EARLIEST, max_value=today, key="outcomes_end",
                          format="DD.MM.YYYY", persist_state="session")
    return first, last


def cohort_from_filters(identified: bool) -> Cohort | None:
    with st.container(key="outcome_filters"):
        start, end, substance, route = st.columns(4)
        first, last = date_filters(start, end, identified)
        substances = substance.multiselect("Primary substance", list(labels.SUBSTANCE),
                                           format_func=labels.SUBSTANCE.get, placeholder="All",
                                           key="outcomes_substances", persist_state="session")
        routes = route.multiselect("Route of the first session", list(labels.ROUTE), format_func=labels.ROUTE.get,
                                   placeholder="All", key="outcomes_routes", persist_state="session")
        sex, age, _ = st.columns([1, 1, 2])
        sexes = sex.multiselect("Sex at birth", list(SEXES), format_func=labels.SEX.get, placeholder="All",
                                key="outcomes_sexes", persist_state="session")
        bands = age.multiselect("Age at the first session", list(AGE_BANDS), placeholder="All",
                                key="outcomes_ages", persist_state="session")
    try:
        return Cohort(first, last, frozenset(substances), frozenset(routes), frozenset(sexes), frozenset(bands))
    except ValueError as bad:
        end.error(str(bad), icon=":material/block:")  # the lists offer only valid choices: what is left is the dates
        return None


def headline(figures: dict, identified: bool) -> None:
    for title, names in GROUPS:
        st.subheader(title)
        for column, name in zip(st.columns(len(names)), names, strict=True):
            with column:
                view.metric(name, figures[name], rounded=not identified)
        view.references_for(names)


def chart_grid(overview: outcomes.Overview, identified: bool) -> None:
    st.subheader("Over the course")
    st.caption("Time to relapse counts a patient whose use log stops as relapsed (Dakwar 2019), so dropout is never "
               "read as success.")
    view.abstinence_and_relapse()
    series = overview.series
    drawn = [
        ("Craving before and after each session", charts.outcome_craving, series["craving"]),
        ("Depression (PHQ-9) over the course", charts.outcome_phq9, series["phq9"]),
        ("Days abstinent and heavy drinking days", charts.outcome_use, series["use"]),
        ("Retention by session number", charts.outcome_retention, series["retention"]),
        ("Time to relapse", charts.outcome_relapse, overview.relapse),
        ("Adverse events per session", charts.outcome_adverse, series["adverse"]),
    ]
    shown = [(title, build, rows) for title, build, rows in drawn if not rows.empty]
    for pair in (shown[i:i + 2] for i in range(0, len(shown), 2)):
        for column, (title, build, rows) in zip(st.columns(2), pair, strict=False):
            column.altair_chart(build(rows).properties(title=title), width="stretch", height=CHART_HEIGHT)
    hidden = [title for title, _build, rows in drawn if rows.empty]
    if hidden:
        why = (f"fewer than {current().small_cell_min} patients behind every point" if not identified
               else "no data for these filters yet")
        st.caption(f"Not drawn ({why}): {'; '.join(hidden)}.")


def prepare_export(con, user, cohort: Cohort, as_of: date) -> None:
    made = safe_harbor.export(con, user, cohort, as_of=as_of)
    st.session_state[EXPORT] = {"csv": made.csv(), "parquet": made.parquet(), "rows": len(made.rows),
                                "made": datetime.now(), "clinic": made.metadata["clinic_pseudonym"]}
    withheld = (f" {made.withheld} patient(s) withheld: too few patients share their sex, age, substance, route and "
                "year, even with these generalised." if made.withheld else "")
    done(EXPORT, f"De-identified export ready (Safe Harbor): {len(made.rows)} patient(s).{withheld} "
                 "The export is recorded in the audit log.")


def first_page() -> None:
    st.session_state[BEHIND_PAGE] = 1


def open_from_outcomes(patient_id: int) -> None:
    """Open the chart (checked and audited) and go there after this run, with a way back to Outcomes."""
    open_chart(patient_id, ("pages/outcomes.py", "Outcomes"))
    st.session_state[OPENING] = patient_id


def staff_tools(cohort: Cohort, as_of: date) -> None:
    with st.container(key="outcome_staff"):
        st.subheader("Patients behind a figure")
        names = {n: view.LABELS[n][0] for n in outcomes.FIGURES}
        figure = st.selectbox("Figure", list(names), format_func=names.get, index=None,
                              placeholder="Choose a figure", key="outcomes_figure", persist_state="session",
                              on_change=first_page)
        if figure is not None:
            behind = view.behind(cohort, figure, as_of, st.session_state.get(BEHIND_PAGE, 1), user)
            st.session_state[BEHIND_PAGE] = behind.page
            rows = behind.rows
            if rows.empty:
                st.caption("No patient is counted in this figure.")
            else:
                reads.listed(con, user, f"Patients behind {names[figure]}, page {behind.page}", rows["patient_id"])
                selection.table(BEHIND, rows, "patient_id", view.behind_columns(figure),
                                choose_with=open_from_outcomes)
                paging.pager(BEHIND_PAGE, behind.page, behind.pages,
                             f"{behind.total} patient(s), earliest first session first · page {behind.page} of "
                             f"{behind.pages}. Click a patient to open the chart.")
                if st.session_state.pop(OPENING, None) is not None and selection.chosen(CHART) is not None:
                    st.switch_page("pages/patients.py")
        st.subheader("De-identified export")
        st.caption("One row per patient in these filters, for pooling with other clinics (HIPAA Safe Harbor): no "
                   "name, chart number or code, no date finer than the year, age in bands, and every combination of "
                   f"sex, age, substance, route and year shared by at least {current().small_cell_min} patients "
                   "(generalised, or the rows withheld and counted). The Parquet file names the clinic by its "
                   "pseudonym and carries its schema version; the columns are described in the README.")
        st.button("Prepare the export", icon=":material/download:",
                  on_click=act(prepare_export, cohort, as_of, allow=STAFF, slot=EXPORT))
        show(EXPORT)
        ready = st.session_state.get(EXPORT)
        if ready:
            left, right = st.columns(2)
            stamp = f"{ready['clinic']}-{ready['made']:%Y%m%d-%H%M}"
            left.download_button("Download Parquet", ready["parquet"], f"outcomes-{stamp}.parquet",
                                 mime="application/octet-stream")
            right.download_button("Download CSV", ready["csv"], f"outcomes-{stamp}.csv", mime="text/csv")


st.html(PAGE_CSS)
st.caption("A treatment-start cohort: patients whose first dosing session falls in the dates chosen, followed from "
           "that day. Each figure's definition is behind its question mark. Figures are recomputed at most once a "
           "minute.")
identified = view.checked(user).sees_identified_data
cohort = cohort_from_filters(identified)
if cohort is not None:
    as_of = date.today()
    shown = outcomes.scope(user, cohort, as_of, current())
    st.markdown(f"**{view.cohort_text(shown.cohort, shown.as_of)}**")
    with st.spinner("Working out the figures..."):
        overview = view.overview(cohort, as_of, identified, user)
    figures = overview.figures
    if figures["patients"].value == 0 and not figures["patients"].suppressed:
        st.info("No patients match these filters.", icon=":material/filter_alt_off:")
    else:
        if not identified:
            k = current().small_cell_min
            st.info(f"De-identified view: so that no one can be picked out by comparing two screens, dates are whole "
                    f"calendar quarters, figures are as of the end of last month, every count is rounded to a "
                    f"multiple of {k}, and groups of fewer than {k} patients show \"fewer than {k}\". The shares are "
                    f"worked out from the rounded counts, so in a group of a few dozen a share can be far from the "
                    f"clinic's own (7 of 12 reads as {k} of {k}: 100%).", icon=":material/visibility_off:")
            st.caption(f"The method follows: {disclosure.SOURCE}.")
        st.warning(NOT_A_TRIAL_ARM, icon=":material/info:")
        headline(figures, identified)
        chart_grid(overview, identified)
        if identified:
            staff_tools(cohort, as_of)
