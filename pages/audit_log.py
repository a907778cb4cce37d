"""Audit log (administrators): every sign-in, change and decision, newest first."""

import streamlit as st

from core import audit_log
from ui.frame import frame
from ui.store import clinic

user = frame("Audit log", allow={"admin"})
con = clinic().con

action = st.selectbox("Action", ["All actions", *audit_log.actions(con, user)])
rows = audit_log.recent(con, user, None if action == "All actions" else action)
st.caption(f"Newest {len(rows)} entries (at most {audit_log.MAX_ROWS}).")
st.dataframe(rows, hide_index=True, width="stretch")
