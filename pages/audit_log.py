"""Audit log (administrators): every sign-in, change and decision, newest first."""

import streamlit as st

from core import audit_log
from ui.frame import frame
from ui.store import clinic

user = frame("Audit log", allow={"admin"})
con = clinic().con

action = st.selectbox("Action", ["All actions", *audit_log.actions(con, user)])
page = audit_log.page(con, user, None, None if action == "All actions" else action)
st.caption(f"Newest {len(page.rows)} entries.")
st.dataframe(page.rows, hide_index=True, width="stretch")
