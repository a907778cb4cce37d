"""Approval queue (prescribers): everything a screening found, in one view, and a signed approve or decline."""

import streamlit as st

from core import approvals
from ui import forms, labels, reads, screening_view
from ui.actions import Stale, act, done, show
from ui.chart_link import chart_button
from ui.frame import frame
from ui.store import clinic
from ui.widgets import plain

PRESCRIBERS = frozenset({"prescriber"})
user = frame("Approval queue", allow=PRESCRIBERS)
con = clinic().con

PICK, DECISION, LATE = "approval_pick", "approval", "approval_late_note"
PAGE = "approval~page"
CHOICES = {"approved": "Approve", "declined": "Decline"}


def sign(con, user, token: str, screening_id: int, pick_token: str, patient: str) -> None:
    """Sign the screening this form was drawn for, and only if it is still the one chosen on screen.

    The password is dropped whatever happens: a new form instance keeps the choice and
    note for another try, never the password.
    """
    form = forms.current(DECISION, token, screening_id)
    if forms.current(PICK, pick_token).get("screening") != screening_id:
        raise Stale("The screening on screen changed before the signature; nothing was signed. Check and sign again.")
    choice, note, password = form.get("choice"), form.get("note") or "", form.get("password") or ""
    forms.restart(DECISION, screening_id, {"choice": choice, "note": note})
    try:
        patient = approvals.decide(con, user, screening_id, choice, note, password)
    except approvals.AlreadyDecided as first:
        if not note.strip():
            raise
        # The screening has left the queue: the note stays on screen, with the refusal, until it is dealt with.
        forms.restart(LATE, screening_id, {"note": note}, meta={"refusal": str(first), "patient": patient})
        forms.close(DECISION)
        forms.close(PICK)
        return
    forms.close(DECISION)
    forms.close(PICK)
    done("page", f"Signed: {choice} for {plain(patient)}.")


def turn(by: int) -> None:
    """Another page of the queue: the chooser starts again empty, with that page's screenings."""
    st.session_state[PAGE] = max(1, st.session_state.get(PAGE, 1) + by)
    forms.close(PICK)


def add_late_note(con, user, token: str, screening_id: int) -> None:
    late = forms.current(LATE, token, screening_id)
    patient = approvals.add_comment(con, user, screening_id, late.get("note"))
    forms.close(LATE)
    done(LATE, f"Your note was added to {plain(patient)}'s screening as a comment.")


def discard_late_note(con, user, token: str, screening_id: int) -> None:
    forms.current(LATE, token, screening_id)
    forms.close(LATE)


def late_note() -> None:
    """A note typed for a decision another prescriber signed first: on screen until added as a comment or
    discarded, whatever the queue shows meanwhile."""
    show(LATE)
    late = forms.existing(LATE)
    if late is None:
        return
    with st.container(border=True):
        st.error(f"**Signature for {plain(late.meta['patient'])}: your decision was not signed.** "
                 f"{plain(late.meta['refusal'])}", icon=":material/block:")
        st.text_area("Your note, kept (it can join the screening's record as a comment)", key=late.key("note"))
        show("late_note_action")
        left, right = st.columns(2)
        left.button("Add my note to the record as a comment", type="primary", icon=":material/add_comment:",
                    on_click=act(add_late_note, late.token, late.subject, allow=PRESCRIBERS, slot="late_note_action",
                                 about=late.meta["patient"]))
        right.button("Discard my note", icon=":material/delete:",
                     on_click=act(discard_late_note, late.token, late.subject, allow=PRESCRIBERS,
                                  slot="late_note_action"))


late_note()
queue = approvals.queue_page(con, user, page=st.session_state.get(PAGE, 1))
st.session_state[PAGE] = queue.page
pending = queue.rows
if pending.empty:
    show("approval")
    st.info("No screenings are waiting for approval.")
    st.stop()

reads.listed(con, user, f"Approval queue, page {queue.page}", pending["patient_id"])
st.caption(f"{queue.total} waiting: same-day safety assessments first, then oldest first"
           + (f" · page {queue.page} of {queue.pages}, {approvals.QUEUE_PAGE_SIZE} to a page." if queue.pages > 1
              else "."))
if queue.urgent:
    st.error(f"**{queue.urgent} waiting with a same-day safety assessment still to record**: listed first, marked "
             "**URGENT**.", icon=":material/emergency:")
st.dataframe(
    pending.assign(
        safety=pending["safety"].map(labels.SAFETY_STATUS),
        decision=pending["decision"].map(labels.DECISION),
    )[["safety", "patient", "chart_number", "decision", "screened_at"]],
    hide_index=True,
    column_config={
        "safety": st.column_config.TextColumn("Safety", width="medium"), "patient": "Patient",
        "chart_number": "Chart number", "decision": "Screening result",
        "screened_at": st.column_config.DatetimeColumn("Screened", format="DD MMM YYYY, HH:mm"),
    },
)

if queue.pages > 1:
    back, _, forward = st.columns([1, 2, 1])
    back.button("Previous page", icon=":material/chevron_left:", on_click=turn, args=(-1,), disabled=queue.page == 1)
    forward.button("Next page", icon=":material/chevron_right:", on_click=turn, args=(1,),
                   disabled=queue.page == queue.pages)

rows = {int(row.screening_id): row for row in pending.itertuples()}


def describe(screening_id: int) -> str:
    r = rows[screening_id]
    flag = "URGENT · " if r.safety == "to_record" else ""
    return f"{flag}{r.patient} · {r.chart_number} · screened {r.screened_at:%d %b %Y}"


pick = forms.opened(PICK)
chosen = st.selectbox("Screening to decide", list(rows), index=None, key=pick.key("screening"),
                      placeholder="Choose a screening", format_func=describe)
if chosen is None:
    show("approval")  # a refusal for a screening that has just left the queue (decided by someone else)
    st.stop()

view = approvals.for_decision(con, user, chosen)
reads.opened(con, user, "screening", chosen, approvals.record_view)
st.header(plain(view.patient))
chart_button(view.patient_id, ("pages/approvals.py", "Approval queue"))
screening_view.show(view)

form = forms.instance(DECISION, subject=chosen)
with st.form(form.key("form"), enter_to_submit=True):
    st.radio("Your decision", list(CHOICES), format_func=CHOICES.get, index=None, horizontal=True,
             key=form.key("choice"))
    st.text_area("Note (required)", key=form.key("note"))
    st.text_input("Your password (electronic signature)", type="password", key=form.key("password"),
                  autocomplete="current-password")
    show("approval")
    st.form_submit_button("Sign decision", type="primary", icon=":material/signature:",
                          on_click=act(sign, form.token, chosen, pick.token, view.patient, allow=PRESCRIBERS,
                                       slot="approval",
                                       about=f"Signature for {view.patient}"))
