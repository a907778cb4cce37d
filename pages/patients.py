"""Patients (staff): the roster, paged and searchable; a click opens the chart in its place."""

import pandas as pd
import streamlit as st

from core import patients, safety, screening_record
from core.access import STAFF
from ui import charts, labels, screening_state, screening_view, selection
from ui.actions import act
from ui.chart_link import CHART, came_from, open_chart
from ui.frame import frame
from ui.store import clinic
from ui.widgets import plain

user = frame("Patients", allow=STAFF)
con = clinic().con
SCREENERS = frozenset({"nurse", "prescriber"})
PAGE = "patients_page"
STATUS_CHOICES = {"": "All patients", **labels.PATIENT_STATUS}


def first_page() -> None:
    st.session_state[PAGE] = 1


def turn(by: int) -> None:
    st.session_state[PAGE] = max(1, st.session_state.get(PAGE, 1) + by)


def roster_view() -> None:
    search_col, status_col = st.columns([3, 1])
    search = search_col.text_input("Search by name, chart number or date of birth", key="patients_search",
                                   placeholder="e.g. Demo, DEMO-000010 or 1988-03-14", persist_state="session",
                                   on_change=first_page)
    status = status_col.selectbox("Status", list(STATUS_CHOICES), format_func=STATUS_CHOICES.get,
                                  key="patients_status", persist_state="session", on_change=first_page)
    roster = patients.roster(con, user, search, status=status or None, page=st.session_state.get(PAGE, 1))
    st.session_state[PAGE] = roster.page
    if roster.total == 0:
        st.info("No patient matches. Check the spelling, or search by chart number or date of birth (YYYY-MM-DD).")
        return
    shown = roster.rows.assign(status=roster.rows["status"].map(labels.PATIENT_STATUS))
    selection.table(CHART, shown, "id", {
        "patient": "Patient", "chart_number": "Chart number",
        "date_of_birth": st.column_config.DateColumn("Born", format="D MMM YYYY"), "status": "Status",
        "sessions": "Sessions", "last_activity": st.column_config.DatetimeColumn("Last activity", format="D MMM YYYY"),
        "next_activity": "Next",
    }, choose_with=open_chart)
    back, where, forward = st.columns([1, 2, 1], vertical_alignment="center")
    back.button("Previous page", icon=":material/chevron_left:", on_click=turn, args=(-1,),
                disabled=roster.page == 1)
    where.caption(f"{roster.total} patient(s), most recent activity first · page {roster.page} of {roster.pages}. "
                  "Click a patient to open the chart.")
    forward.button("Next page", icon=":material/chevron_right:", on_click=turn, args=(1,),
                   disabled=roster.page == roster.pages)


def chart_view(patient_id: int) -> None:
    origin = came_from()
    if origin and st.button(f"Back to {origin[1]}", icon=":material/arrow_back:"):
        st.switch_page(origin[0])
    st.button("Back to the patient list", icon=":material/arrow_back:", on_click=selection.clear, args=(CHART,))
    try:
        record = patients.chart(con, user, patient_id)
    except ValueError:
        selection.clear(CHART)
        st.warning("That patient's chart is not available.")
        return
    p = record.patient
    st.header(plain(f"{p['last_name']}, {p['first_name']}"))
    st.markdown(f"Chart number {plain(p['mrn'])} · born {p['date_of_birth']:%d %b %Y} · {labels.SEX[p['sex']]} · "
                f"primary substance {labels.SUBSTANCE[p['primary_substance']]} · "
                f"**{labels.PATIENT_STATUS[p['status']]}**")
    waiting = [f for f in safety.for_patient(con, user, p["id"]) if f.assessed_at is None]
    if waiting:
        st.error(f"**Same-day safety assessment not recorded yet** (needed since {labels.when(waiting[0].raised_at)})."
                 " Record it on Home before the patient leaves.", icon=":material/emergency:")
    for changed_at, changed_by, fields in record.identity_changes:
        st.info(f"Identity corrected on {labels.when(changed_at)} by {plain(changed_by)}: "
                f"{', '.join(labels.IDENTITY_FIELD[f] for f in fields)}.", icon=":material/edit_note:")
    if p["phone"] or p["emergency_contact"]:
        st.markdown(f"Phone {plain(p['phone'] or '-')} · emergency contact {plain(p['emergency_contact'] or '-')}")
    if user.role in SCREENERS:
        rescreen = st.button("Re-screen this patient",
                             on_click=act(screening_state.start_rescreen, p["id"], allow=SCREENERS))
        if rescreen and screening_state.form().subject == p["id"]:
            st.switch_page("pages/screening.py")

    trends(record.assessments)

    st.subheader("Screenings")
    for number, s in enumerate(record.screenings.itertuples()):
        title = f"{labels.when(s.screened_at)} · {labels.DECISION[s.decision]}"
        title += " · same-day safety assessment" if s.urgent else ""
        with st.expander(title, expanded=number == 0):
            screening_view.show(screening_record.load(con, user, s.id))

    st.subheader("Approvals")
    if record.approvals.empty:
        st.caption("No approval decision yet.")
    else:
        a = record.approvals
        st.table(pd.DataFrame({"Signed": a["signed_at"].map(labels.when),
                               "Decision": a["decision"].map(labels.APPROVAL), "Note": a["note"],
                               "Prescriber": a["prescriber"]}), hide_index=True)

    st.subheader("Dosing sessions")
    if record.sessions.empty:
        st.caption("No dosing session yet.")
    else:
        s = record.sessions
        st.table(pd.DataFrame({
            "Session": s["session_number"], "Dosing began": s["started_at"].map(labels.when),
            "Route": s["route"].map(labels.ROUTE), "Dose (mg)": s["dose_mg"].map(lambda v: f"{v:g}"),
            "mg/kg": s["mg_per_kg"].map(lambda v: f"{v:.2f}"), "Status": s["status"].map(labels.SESSION_STATUS),
            "Craving before (0-100)": s["craving_before"].astype("Int64").astype("string").fillna("-"),
            "Craving after (0-100)": s["craving_after"].astype("Int64").astype("string").fillna("-"),
        }), hide_index=True)


def trends(assessments) -> None:
    st.subheader("Score trends")
    scored = assessments.dropna(subset=["total"])
    if scored.empty:
        st.caption("No scored questionnaires yet.")
        return
    shown = [i for i in ("phq9", "gad7", "pcl5", "auditc") if i in set(scored["instrument"])]
    for pair in (shown[i:i + 2] for i in range(0, len(shown), 2)):
        for column, instrument_id in zip(st.columns(2), pair, strict=False):
            with column:
                rows = scored[scored["instrument"] == instrument_id]
                st.altair_chart(charts.score_trend(rows, instrument_id), width="stretch")


patient_id = selection.chosen(CHART)
if patient_id is None:
    roster_view()
else:
    chart_view(patient_id)
