"""Approval queue (prescribers): sign approve or decline on each eligible or needs-review screening."""

import streamlit as st

from core import approvals
from ui import forms
from ui.actions import Stale, act, done, show
from ui.frame import frame
from ui.store import clinic
from ui.widgets import plain, show_reasons, show_status

PRESCRIBERS = frozenset({"prescriber"})
user = frame("Approval queue", allow=PRESCRIBERS)
con = clinic().con

PICK, DECISION = "approval_pick", "approval"
DECISION_LABELS = {"approved": "Approve", "declined": "Decline"}


def sign(con, user, token: str, screening_id: int, pick_token: str) -> None:
    """Sign the screening this form was drawn for, and only if it is still the one chosen on screen.

    The password is dropped whatever happens: a new form instance keeps the decision and
    note for another try, never the password.
    """
    form = forms.current(DECISION, token, screening_id)
    if forms.current(PICK, pick_token).get("screening") != screening_id:
        raise Stale("The screening on screen changed before the signature; nothing was signed. Check and sign again.")
    decision, note, password = form.get("decision"), form.get("note") or "", form.get("password") or ""
    forms.restart(DECISION, screening_id, {"decision": decision, "note": note})
    patient = approvals.decide(con, user, screening_id, decision, note, password)
    forms.close(DECISION)
    forms.close(PICK)
    done("page", f"Signed: {decision} for {plain(patient)}.")


pending = approvals.queue(con, user)
if pending.empty:
    st.info("No screenings are waiting for approval.")
    st.stop()

st.caption(f"{len(pending)} screening(s) waiting, oldest first.")
st.dataframe(pending[["patient", "chart_number", "decision", "urgent", "screened_at"]], hide_index=True, column_config={
    "patient": "Patient", "chart_number": "Chart number", "decision": "Decision",
    "urgent": st.column_config.CheckboxColumn("Same-day safety assessment"),
    "screened_at": st.column_config.DatetimeColumn("Screened", format="D MMM YYYY, HH:mm"),
})

rows = {int(row.screening_id): row for row in pending.itertuples()}
pick = forms.opened(PICK)


def describe(screening_id: int) -> str:
    r = rows[screening_id]
    return f"{r.patient} · {r.chart_number} · {r.screened_at:%Y-%m-%d}"


chosen = st.selectbox("Screening to decide", list(rows), index=None, key=pick.key("screening"),
                      placeholder="Choose a screening", format_func=describe)
if chosen is None:
    st.stop()

view = approvals.for_decision(con, user, chosen)
show_status(view.result, view.urgent)
show_reasons(view.reasons)

form = forms.instance(DECISION, subject=chosen)
with st.form(form.key("form"), enter_to_submit=True):
    st.subheader("Decision")
    st.radio("Decision", list(DECISION_LABELS), format_func=DECISION_LABELS.get, index=None, horizontal=True,
             key=form.key("decision"))
    st.text_area("Note (required)", key=form.key("note"), max_chars=5000)
    st.text_input("Your password (electronic signature)", type="password", key=form.key("password"),
                  autocomplete="current-password")
    st.form_submit_button("Sign decision", type="primary", icon=":material/signature:",
                          on_click=act(sign, form.token, chosen, pick.token, allow=PRESCRIBERS, slot="approval"))
show("approval")
