"""Home: who is signed in, what needs attention today, and the pages this role may open."""

import pandas as pd
import streamlit as st

from core import drafts, safety, self_report, severe_events, worklist
from ui import forms, labels, reads, screening_state, selection, self_report_view
from ui.actions import act, done, show
from ui.frame import frame
from ui.nav import links_for
from ui.store import clinic
from ui.widgets import plain, urgent_banner

user = frame("Home")
con = clinic().con
CLINICIANS = safety.CLINICIANS
FOLLOWUP = "followup"


def record(con, user, token: str, followup_id: int) -> None:
    form = forms.current(FOLLOWUP, token, followup_id)
    safety.record_assessment(con, user, followup_id, form.get("outcome"), form.get("note"))
    forms.close(FOLLOWUP)
    selection.clear(FOLLOWUP)
    done("page", "Same-day safety assessment recorded.")


OCCASION = {"screening": "screened", "check-in": "check-in", "self-report": "sent by the patient (self-report)"}


def acknowledge(con, user, event_id: int, what: str) -> None:
    severe_events.acknowledge(con, user, event_id)
    done("severe", f"Acknowledged: {what}.")


def severe_worklist() -> None:
    """A prescriber learns of every severe adverse event here, whoever recorded it, until one acknowledges it."""
    st.subheader("Severe adverse events to acknowledge")
    show("severe")
    waiting = severe_events.open_events(con, user)
    if waiting.empty:
        st.caption("None waiting.")
        return
    reads.listed(con, user, "Home: severe adverse events to acknowledge", waiting["patient_id"])
    for row in waiting.itertuples():
        event = labels.ADVERSE_EVENT[row.code]
        what = f"{event} of {row.patient}"
        where = (f"session {row.session_number}" + (f", {row.chair}" if isinstance(row.chair, str) else "")
                 + (", in progress now" if row.session_in_progress else ", ended"))
        reading = f": {row.description}" if isinstance(row.description, str) else ""
        with st.container(border=True):
            left, right = st.columns([4, 1], vertical_alignment="center")
            left.markdown(f":red[:material/warning:] **{plain(row.patient)}** · chart number "
                          f"{plain(row.chart_number)} · {plain(where)}  \n"
                          f"**{event}{plain(reading)}** · action taken: {plain(row.action_taken)}  \n"
                          f"Recorded {labels.when(row.recorded_at)} by {plain(row.recorded_by or '-')}")
            right.button("Acknowledge", key=f"acknowledge_{row.event_id}", type="primary",
                         on_click=act(acknowledge, int(row.event_id), what, allow=severe_events.PRESCRIBERS,
                                      slot="severe", about=what))
    first_rows_note(len(waiting), severe_events.open_count(con, user), "sessions still running first, then the "
                    "oldest; acknowledge these to see the rest")


def signing_worklist() -> None:
    waiting = worklist.to_sign(con, user)
    if waiting.total == 0:
        return
    st.subheader("Sessions waiting for your signature")
    rows = waiting.rows
    reads.listed(con, user, "Home: sessions waiting for the prescriber's signature", rows["patient_id"])
    st.table(pd.DataFrame({
        "Patient": rows["patient"], "Chart number": rows["chart_number"], "Session": rows["session_number"],
        "Route": rows["route"].map(labels.ROUTE), "Outcome": rows["status"].map(labels.SESSION_STATUS),
        "Ended": rows["ended_at"].map(labels.when),
    }), hide_index=True)
    if waiting.total > len(rows):
        st.caption(f"The first {len(rows)} of {waiting.total}, oldest first.")
    st.page_link("pages/dosing.py", label="Open Dosing session to sign them", icon=":material/signature:")


def safety_worklist() -> None:
    st.subheader("Same-day safety assessments to record")
    waiting = safety.open_followups(con, user)
    chosen = selection.chosen(FOLLOWUP)
    if chosen not in set(waiting["followup_id"]):
        show("safety")  # a refusal for a follow-up someone else has just recorded
    if waiting.empty:
        st.caption("None waiting.")
        return
    reads.listed(con, user, "Home: same-day safety assessments to record", waiting["patient_id"])
    for row in waiting.itertuples():
        with st.container(border=True):
            left, right = st.columns([4, 1], vertical_alignment="center")
            left.markdown(f":red[:material/emergency:] **{plain(row.patient)}** · chart number "
                          f"{plain(row.chart_number)} · {OCCASION[row.occasion]} {row.raised_at:%d %b %Y, %H:%M}"
                          + (f" by {plain(row.seen_by or '-')}" if row.occasion != "self-report" else ""))
            right.button("Record the assessment", key=f"followup_{row.followup_id}",
                         on_click=selection.choose, args=(FOLLOWUP, row.followup_id))
            if chosen == row.followup_id:
                assessment_form(row.followup_id, row.patient)
    first_rows_note(len(waiting), safety.open_count(con, user), "oldest first; record these to see the rest")


def assessment_form(followup_id: int, patient: str) -> None:
    form = forms.instance(FOLLOWUP, subject=followup_id)
    with st.form(form.key("form")):
        st.radio("Outcome", list(safety.OUTCOME_LABELS), format_func=safety.OUTCOME_LABELS.get, index=None,
                 key=form.key("outcome"))
        st.text_area("Note (required)", key=form.key("note"))
        st.caption(f"Recorded as assessed by {plain(user.display_name)}, now.")
        show("safety")
        st.form_submit_button("Record assessment", type="primary",
                              on_click=act(record, form.token, followup_id, allow=CLINICIANS, slot="safety",
                                           about=f"Safety assessment for {patient}"))


st.write(f"Signed in as **{user.display_name}**.")
today = worklist.attention(con, user) if user.sees_identified_data else None
counts = worklist.attention_counts(con, user)
left, right = st.columns(2)
left.metric("Screenings waiting for approval", counts.pending_approvals)
right.metric("Dosing sessions in progress", counts.sessions_in_progress)


def first_rows_note(shown: int, total: int, where: str) -> None:
    if total > shown:
        st.caption(f"The first {shown} of {total}; {where}.")

if user.role == "prescriber":
    severe_worklist()
    signing_worklist()
if user.role in CLINICIANS:
    safety_worklist()
    unfinished = drafts.mine(con, user, "screening")
    if unfinished:
        st.subheader("Your unfinished screenings")
        st.caption(f"{len(unfinished)} kept for you only; resume or discard them on the Screening page.")
        for d in unfinished:
            draft_signals = screening_state.signals(screening_state.raw_from(d.content))
            if draft_signals:
                urgent_banner(draft_signals, screening_state.draft_who(d),
                              "The screening is not saved yet: resume it on the Screening page. ")
        st.page_link("pages/screening.py", label="Open Screening", icon=":material/assignment:")
if user.role in self_report.ISSUERS:
    self_report_view.home_section(con, user)

if today is not None:
    st.subheader("Waiting for prescriber approval")
    if today.pending_approvals.empty:
        st.caption("No screenings are waiting.")
    else:
        pending = today.pending_approvals
        reads.listed(con, user, "Home: waiting for prescriber approval", pending["patient_id"])
        st.table(pd.DataFrame({
            "Safety": pending["safety"].map(labels.SAFETY_STATUS), "Patient": pending["patient"],
            "Chart number": pending["chart_number"], "Screening result": pending["decision"].map(labels.DECISION),
            "Screened": pending["screened_at"].map(labels.when),
        }), hide_index=True)
        first_rows_note(len(pending), counts.pending_approvals,
                        "the Approval queue lists them all" if user.role == "prescriber" else
                        "same-day safety assessments first, then oldest first")
    st.subheader("Sessions in progress")
    if today.sessions_in_progress.empty:
        st.caption("No dosing session is in progress.")
    else:
        running = today.sessions_in_progress
        reads.listed(con, user, "Home: sessions in progress", running["patient_id"])
        st.table(pd.DataFrame({
            "Patient": running["patient"], "Chart number": running["chart_number"],
            "Session": running["session_number"], "Route": running["route"].map(labels.ROUTE),
            "Dosing began": running["started_at"].map(lambda t: f"{t:%H:%M}"),
        }), hide_index=True)
        first_rows_note(len(running), counts.sessions_in_progress, "longest running first")
elif user.role == "admin":
    st.info("Administrators manage accounts, clinic settings, the audit trail and backups (Administration, Audit "
            "log). Patient records are for the clinical team; Outcomes shows you de-identified figures.")
else:
    st.info("Your role sees de-identified, aggregated figures only.")

st.subheader("Your pages")
for page in links_for(user.role):
    st.page_link(page.path, label=page.label, icon=page.icon)
