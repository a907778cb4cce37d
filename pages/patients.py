"""Patients (staff): the roster with search, and a chart with screenings, approvals, sessions and trends."""

import json

import altair as alt
import streamlit as st

from core import patients, safety
from core.access import STAFF
from core.screenings import reasons_from_json
from ui import labels, screening_state, selection
from ui.actions import act
from ui.frame import frame
from ui.store import clinic
from ui.widgets import STATUS_LABELS, plain, show_reasons

user = frame("Patients", allow=STAFF)
con = clinic().con
SCREENERS = frozenset({"nurse", "prescriber"})
PICK = screening_state.PATIENTS
IDENTITY_LABELS = {"first_name": "first name", "last_name": "last name", "date_of_birth": "date of birth",
                   "sex": "sex at birth", "mrn": "chart number"}

patient_id = selection.chosen(PICK)
if patient_id is None:
    search = st.text_input("Search by name or chart number", key="patients_search", persist_state="session")
    number = st.number_input("Page", min_value=1, step=1, key="patients_page", persist_state="session")
    roster = patients.roster(con, user, search, page=number)
    st.caption(f"{roster.total} patient(s){' matching' if search.strip() else ''}, most recent activity first; "
               f"page {roster.page} of {roster.pages}. Click a patient to open the chart.")
    selection.table(PICK, roster.rows, "id", {
        "patient": "Patient", "chart_number": "Chart number", "status": "Status", "sessions": "Sessions",
        "last_activity": st.column_config.DatetimeColumn("Last activity", format="D MMM YYYY"),
        "next_activity": "Next",
    })
    st.stop()

st.button("Back to the patient list", icon=":material/arrow_back:", on_click=selection.clear, args=(PICK,))
try:
    record = patients.chart(con, user, patient_id)
except ValueError:
    selection.clear(PICK)
    st.warning("That patient's chart is not available.")
    st.stop()
p = record.patient
st.header(plain(f"{p['last_name']}, {p['first_name']}"))
st.markdown(f"Chart number {plain(p['mrn'])} · born {p['date_of_birth']:%Y-%m-%d} · {p['sex']} · "
            f"primary substance {p['primary_substance']} · status **{p['status']}**")
for changed_at, changed_by, fields in record.identity_changes:
    st.info(f"Identity corrected on {labels.when(changed_at)} by {plain(changed_by)}: "
            f"{', '.join(IDENTITY_LABELS[f] for f in fields)}.", icon=":material/edit_note:")
if p["phone"] or p["emergency_contact"]:
    st.markdown(f"Phone {plain(p['phone'] or '-')} · emergency contact {plain(p['emergency_contact'] or '-')}")
if user.role in SCREENERS:
    rescreen = st.button("Re-screen this patient",
                         on_click=act(screening_state.start_rescreen, p["id"], allow=SCREENERS))
    if rescreen and screening_state.form().subject == p["id"]:
        st.switch_page("pages/screening.py")

followups = safety.for_patient(con, user, p["id"])
st.subheader("Screenings")
for s in record.screenings.itertuples():
    title = f"{s.screened_at:%Y-%m-%d %H:%M} · {STATUS_LABELS[s.decision]}"
    title += " · same-day safety" if s.urgent else ""
    with st.expander(title, expanded=s.Index == 0):
        st.caption(f"BP {s.systolic_bp}/{s.diastolic_bp} · screened by {plain(s.screened_by or '-')} · "
                   f"rules version {s.rules_version}")
        f = followups.get(s.id)
        if f and f.assessed_at is None:
            st.error("Same-day safety assessment still to record (on the Home worklist).", icon=":material/emergency:")
        elif f:
            st.markdown(f"Same-day safety assessment: {safety.OUTCOME_LABELS[f.outcome]}, recorded by "
                        f"{plain(f.assessed_by)} at {f.assessed_at:%H:%M on %d %b %Y}. Note: {plain(f.note)}")
        details = json.loads(s.answers)["details"]
        if details:
            st.markdown(f"Primary substance {details['primary_substance']} · used {details['days_used_30']} of the "
                        f"last 30 days · {details['years_of_use']} years of use · last use {details['last_use']}")
            st.markdown(f"Patient's goal: {plain(details['goal']) or '-'}")
        show_reasons(reasons_from_json(s.reasons))

st.subheader("Approvals")
if record.approvals.empty:
    st.caption("No approval decision yet.")
else:
    st.dataframe(record.approvals[["signed_at", "decision", "note", "prescriber"]], hide_index=True, column_config={
        "signed_at": st.column_config.DatetimeColumn("Signed", format="D MMM YYYY, HH:mm"), "decision": "Decision",
        "note": "Note", "prescriber": "Prescriber"})

st.subheader("Dosing sessions")
if record.sessions.empty:
    st.caption("No dosing session yet.")
else:
    st.dataframe(record.sessions, hide_index=True, column_config={
        "session_number": "Session", "started_at": st.column_config.DatetimeColumn("Dosing began",
                                                                                   format="D MMM YYYY, HH:mm"),
        "route": "Route", "dose_mg": "Dose (mg)", "mg_per_kg": "mg/kg", "status": "Status",
        "craving_before": "Craving before", "craving_after": "Craving after"})

st.subheader("Assessment trends")
if record.assessments.empty:
    st.caption("No scored assessments yet.")
else:
    st.altair_chart(
        alt.Chart(record.assessments).mark_line(point=True).encode(
            x=alt.X("taken_at:T", title="Date"), y=alt.Y("total:Q", title="Total score"),
            color=alt.Color("instrument:N", title="Instrument"), tooltip=["taken_at:T", "instrument", "total", "band"],
        ),
        width="stretch",
    )
