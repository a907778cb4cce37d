"""Patients (staff): the roster, paged and searchable; a click opens the chart in its place."""

import json
import re
from datetime import datetime

import pandas as pd
import streamlit as st

from core import dosing_sessions, fhir_export, integration_notes, patients, safety, screening_record, timeline
from core.access import STAFF
from ui import (
    charts,
    labels,
    paging,
    reads,
    screening_state,
    screening_view,
    selection,
    self_report_view,
    session_link,
    session_record,
)
from ui.actions import act, done, pending, show
from ui.chart_link import CHART, came_from, open_chart
from ui.frame import frame
from ui.store import clinic
from ui.widgets import plain

user = frame("Patients", allow=STAFF)
con = clinic().con
SCREENERS = frozenset({"nurse", "prescriber"})
PAGE = "patients_page"
SEARCH_AUDITED = "patients_search~audited"
"""The search last written to the audit trail: a search is audited once, not on every rerun of the page."""
STATUS_CHOICES = {"": "All patients", **labels.PATIENT_STATUS}
FHIR = "patients~fhir"
"""The FHIR file made by the last export, with the patient it is for: offered for download on that chart only."""


def first_page() -> None:
    st.session_state[PAGE] = 1


def roster_view() -> None:
    search_col, status_col = st.columns([3, 1])
    search = search_col.text_input("Search by name, chart number or date of birth", key="patients_search",
                                   placeholder="e.g. Demo, DEMO-000010 or 1988-03-14", persist_state="session",
                                   on_change=first_page)
    status = status_col.selectbox("Status", list(STATUS_CHOICES), format_func=STATUS_CHOICES.get,
                                  key="patients_status", persist_state="session", on_change=first_page)
    roster = patients.roster(con, user, search, status=status or None, page=st.session_state.get(PAGE, 1))
    st.session_state[PAGE] = roster.page
    searched = (search.strip(), status, roster.page)
    if search.strip() and st.session_state.get(SEARCH_AUDITED) != searched:
        patients.record_search(con, user, search, list(roster.rows["id"]), roster.total)
        st.session_state[SEARCH_AUDITED] = searched
    elif not search.strip():
        reads.listed(con, user, f"Patients: {STATUS_CHOICES[status]}, page {roster.page}", roster.rows["id"])
    if roster.total == 0:
        st.info("No patient matches. Check the spelling, or search by chart number or date of birth (YYYY-MM-DD).")
        return
    shown = roster.rows.assign(status=roster.rows["status"].map(labels.PATIENT_STATUS))
    selection.table(CHART, shown, "id", {
        "patient": "Patient", "chart_number": "Chart number",
        "date_of_birth": st.column_config.DateColumn("Born", format="DD MMM YYYY"), "status": "Status",
        "sessions": "Sessions", "last_activity": st.column_config.DatetimeColumn("Last activity", format="DD MMM YYYY"),
        "next_activity": "Next",
    }, choose_with=open_chart)
    paging.pager(PAGE, roster.page, roster.pages, f"{roster.total} patient(s), most recent activity first · "
                                                  f"page {roster.page} of {roster.pages}. Click a patient to open the "
                                                  "chart.")


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
    reads.opened(con, user, "chart", patient_id, patients.record_view)
    p = record.patient
    st.header(plain(f"{p['last_name']}, {p['first_name']}"))
    st.markdown(f"Chart number {plain(p['mrn'])} · born {p['date_of_birth']:%d %b %Y} · {labels.SEX[p['sex']]} · "
                f"primary substance {labels.SUBSTANCE[p['primary_substance']]} · "
                f"**{labels.PATIENT_STATUS[p['status']]}**")
    waiting = [f for f in safety.for_patient(con, user, p["id"]) if f.assessed_at is None]
    if waiting:
        where = ("the patient sent it from home: contact them today" if waiting[0].self_report_id is not None
                 else "record it on Home before the patient leaves")
        st.error(f"**Same-day safety assessment not recorded yet** (needed since {labels.when(waiting[0].raised_at)})."
                 f" {where[0].upper()}{where[1:]}.", icon=":material/emergency:")
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

    fhir_download(p)
    self_report_view.chart_section(con, user, p)
    trends(record.assessments, p["id"])
    timeline_view(record)


def prepare_fhir(con, user, patient_id: int) -> None:
    """Export the chart as FHIR (core checks the role and audits the export), then keep the file for the download
    button: nothing can be downloaded that the audit trail does not record."""
    data = fhir_export.patient_json(con, user, patient_id)
    st.session_state[FHIR] = {"patient_id": patient_id, "json": data, "made": datetime.now()}
    done(FHIR, "FHIR record ready to download. The export is recorded in the audit log.")


def fhir_download(p: dict) -> None:
    """Prepare, then download: the click that makes the file is the audited one, through the action wrapper."""
    with st.expander("Share this record with another clinic (FHIR)", expanded=pending(FHIR)):
        st.caption("The whole record (questionnaires and scores, vital signs, doses and adverse events) as a FHIR R4 "
                   "file that another clinic's system can read. It names the patient: send it only over a secure "
                   "channel, to someone who treats this patient.")
        st.button("Prepare FHIR record", icon=":material/description:",
                  on_click=act(prepare_fhir, p["id"], allow=STAFF, slot=FHIR))
        show(FHIR)
        ready = st.session_state.get(FHIR)
        if ready and ready["patient_id"] == p["id"]:
            st.download_button("Download FHIR record (JSON)", ready["json"],
                               f"fhir-{re.sub(r'[^A-Za-z0-9_-]', '_', p['mrn'])}-{ready['made']:%Y%m%d-%H%M}.json",
                               mime="application/fhir+json",
                               icon=":material/download:", on_click="ignore")


def trends(assessments, patient_id: int) -> None:
    st.subheader("Trends")
    scored = assessments.dropna(subset=["total"])
    craving = timeline.craving(con, user, patient_id)
    use = timeline.use_days(con, user, patient_id)
    shown = [i for i in ("phq9", "gad7", "pcl5", "pacs", "auditc") if i in set(scored["instrument"])]
    if not shown and craving.empty and use.empty:
        st.caption("No scored questionnaires, craving ratings or use days yet.")
        return
    charts_to_draw = [charts.score_trend(scored[scored["instrument"] == i], i) for i in shown]
    if not craving.empty:
        charts_to_draw.insert(min(1, len(charts_to_draw)), charts.craving_trend(craving))
    for pair in (charts_to_draw[i:i + 2] for i in range(0, len(charts_to_draw), 2)):
        for column, chart in zip(st.columns(2), pair, strict=False):
            column.altair_chart(chart, width="stretch")
    if not use.empty:
        st.altair_chart(charts.use_days(use, timeline.first_session_day(con, user, patient_id)), width="stretch")
        st.caption(" · ".join(f"{p.period}: {labels.days(p.days)} logged, {p.use_days} with use"
                              + (f", {p.heavy_days} heavy drinking" if p.heavy_days else "")
                              for p in timeline.use_by_period(use).itertuples())
                   + ". The outcomes count only the days from the first session on.")


def timeline_view(record) -> None:
    st.subheader("Timeline")
    events = timeline.events(con, user, record.patient["id"])
    if events.empty:
        st.caption("Nothing recorded yet.")
        return
    followups = {f.followup_id: f for f in safety.for_patient(con, user, record.patient["id"])}
    approvals = record.approvals.set_index("screening_id") if not record.approvals.empty else None
    for e in events.itertuples():
        title = f"{labels.when(e.occurred_at)} · {labels.TIMELINE[e.kind]}"
        if e.kind in ("screening", "approval", "dosing"):
            title += f" · {labels.TIMELINE_DETAIL[e.kind][e.detail]}"
        with st.expander(title, expanded=False):
            if e.kind == "screening":
                screening_view.show(screening_record.load(con, user, e.ref_id))
            elif e.kind == "approval" and approvals is not None:
                a = approvals.loc[[e.ref_id]].iloc[0]
                st.markdown(f"{labels.APPROVAL[a['decision']]} by {plain(a['prescriber'] or '-')}: {plain(a['note'])}")
            elif e.kind == "dosing":
                session(e.ref_id)
            elif e.kind == "checkin":
                checkin(e.ref_id)
            elif e.kind == "integration":
                integration(e.ref_id)
            elif e.kind == "safety":
                followup(followups[e.ref_id])
            elif e.kind == "booking":
                st.markdown(f"Integration-therapy session booked for {labels.when(e.occurred_at)}.")


def session(session_id: int) -> None:
    record = dosing_sessions.record(con, user, session_id)
    session_record.summary(record)
    if st.toggle("Show vital signs and adverse events", key=f"chart_vitals_{session_id}"):
        session_record.readings_and_events(record, heading=lambda text: st.markdown(f"**{text}**"))
    session_record.signature_and_addenda(record)
    session_link.session_button(user, session_id)


def checkin(checkin_id: int) -> None:
    scores = timeline.checkin_scores(con, user, checkin_id)
    if scores.empty:
        return
    results = [screening_record.Score(r.instrument, None if pd.isna(r.total) else int(r.total),
                                      r.band if isinstance(r.band, str) else None, tuple(json.loads(r.flags)))
               for r in scores.itertuples()]
    st.table(pd.DataFrame({"Scale": [labels.instrument(r.instrument) for r in results],
                           "Score": [screening_view.score_text(r) for r in results]}), hide_index=True)
    note = scores["note"].iloc[0]
    st.caption(f"Recorded by {plain(scores['recorded_by'].iloc[0] or '-')}"
               + (f" · note: {plain(note)}" if isinstance(note, str) and note else ""))


def integration(session_id: int) -> None:
    note = integration_notes.note_for(con, user, session_id)
    if note is None:
        return
    st.markdown(f"**Themes:** {plain(note.themes)}  \n**The patient's reflections:** {plain(note.reflections)}  \n"
                f"**Plan until the next session:** {plain(note.plan)}")
    st.caption(f"Signed by {plain(note.signed_by)} on {labels.when(note.signed_at)}")
    session_record.addenda_list(note.addenda)


def followup(f) -> None:
    if f.assessed_at is None:
        st.error("Same-day safety assessment not recorded yet. Record it on Home.", icon=":material/emergency:")
        return
    st.markdown(f"{safety.OUTCOME_LABELS[f.outcome]} · {plain(f.assessed_by or '-')} · "
                f"{labels.when(f.assessed_at)}  \n{plain(f.note or '')}")


patient_id = selection.chosen(CHART)
if patient_id is None:
    roster_view()
else:
    chart_view(patient_id)
