"""Approval queue (prescribers): sign approve or decline on each eligible or needs-review screening."""

import streamlit as st

from core import approvals
from core.screenings import reasons_from_json
from ui.frame import frame
from ui.store import clinic
from ui.widgets import plain, show_reasons, show_status

user = frame("Approval queue", allow={"prescriber"})
con = clinic().con

KEY = "appr_"
done = st.session_state.pop(KEY + "done", None)
if done:
    st.success(done)

pending = approvals.queue(con, user)
if pending.empty:
    st.info("No screenings are waiting for approval.")
    st.stop()

st.caption(f"{len(pending)} screening(s) waiting, oldest first.")
st.dataframe(pending, hide_index=True, column_config={
    "screening_id": None, "patient_id": None, "reasons": None, "patient": "Patient", "chart_number": "Chart number",
    "decision": "Decision", "urgent": st.column_config.CheckboxColumn("Same-day safety assessment"),
    "screened_at": st.column_config.DatetimeColumn("Screened", format="D MMM YYYY, HH:mm"),
})

rows = {row.screening_id: row for row in pending.itertuples()}
chosen = st.selectbox("Screening to decide", list(rows), key=KEY + "screening",
                      format_func=lambda i: f"{rows[i].patient} · {rows[i].chart_number} · "
                                            f"{rows[i].screened_at:%Y-%m-%d}")
row = rows[chosen]
show_status(row.decision, bool(row.urgent))
show_reasons(reasons_from_json(row.reasons))


def sign(con, user) -> None:
    """Sign the screening selected in the widget at the moment of the click.

    Nothing is taken from the run that drew the button: if the selection changed in the
    same round trip, that run's screening is not the one the prescriber is looking at.
    """
    state = st.session_state
    screening_id = state.get(KEY + "screening")
    waiting = approvals.queue(con, user)
    names = dict(zip(waiting["screening_id"], waiting["patient"], strict=True))
    try:
        if screening_id not in names:
            raise ValueError("That screening is no longer waiting for a decision; choose another.")
        approvals.decide(con, user, screening_id, state[KEY + "decision"], state.get(KEY + "note") or "",
                         state.get(KEY + "password") or "")
    except ValueError as e:
        state[KEY + "error"] = str(e)
        state[KEY + "password"] = ""
        return
    state[KEY + "done"] = f"Signed: {state[KEY + 'decision']} for {plain(names[screening_id])}."
    for field in ("note", "password", "error", "screening"):
        state.pop(KEY + field, None)


st.subheader("Decision")
st.radio("Decision", ["approved", "declined"], format_func={"approved": "Approve", "declined": "Decline"}.get,
         horizontal=True, key=KEY + "decision")
st.text_area("Note (required)", key=KEY + "note", max_chars=5000)
st.text_input("Your password (electronic signature)", type="password", key=KEY + "password",
              autocomplete="current-password")
error = st.session_state.get(KEY + "error")
if error:
    st.error(plain(error))
st.button("Sign decision", type="primary", on_click=sign, args=(con, user), icon=":material/signature:")
