"""Home: who is signed in, what needs attention today, and the pages this role may open."""

import streamlit as st

from core import worklist
from ui.frame import frame
from ui.nav import links_for
from ui.store import clinic

user = frame("Home")
con = clinic().con

st.write(f"Signed in as **{user.display_name}**.")
today = worklist.attention(con, user) if user.sees_identified_data else None
if today is None:
    counts = worklist.attention_counts(con, user)
    pending, in_progress = counts.pending_approvals, counts.sessions_in_progress
else:
    pending, in_progress = len(today.pending_approvals), len(today.sessions_in_progress)
left, right = st.columns(2)
left.metric("Screenings waiting for approval", pending)
right.metric("Dosing sessions in progress", in_progress)

if today is not None:
    st.subheader("Waiting for prescriber approval")
    if today.pending_approvals.empty:
        st.caption("No screenings are waiting.")
    else:
        st.dataframe(today.pending_approvals, hide_index=True, column_config={
            "screening_id": None, "patient_id": None, "reasons": None, "patient": "Patient",
            "chart_number": "Chart number", "decision": "Decision",
            "urgent": st.column_config.CheckboxColumn("Same-day safety assessment"),
            "screened_at": st.column_config.DatetimeColumn("Screened", format="D MMM YYYY, HH:mm"),
        })
    st.subheader("Sessions in progress")
    if today.sessions_in_progress.empty:
        st.caption("No dosing session is in progress.")
    else:
        st.dataframe(today.sessions_in_progress, hide_index=True, column_config={
            "session_id": None, "patient": "Patient", "chart_number": "Chart number", "session_number": "Session",
            "route": "Route", "started_at": st.column_config.DatetimeColumn("Dosing began", format="HH:mm"),
        })
else:
    st.info("Your role sees de-identified, aggregated figures only.")

st.subheader("Your pages")
for page in links_for(user.role):
    st.page_link(page.path, label=page.label, icon=page.icon)
