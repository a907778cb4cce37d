"""Opening an intranasal session's REMS monitoring form on the REMS forms page from elsewhere (the dosing session), by
id, through the guarded action; the REMS forms page audits the opening."""

from __future__ import annotations

import streamlit as st

from core.rems import REMS_TEAM
from ui import selection
from ui.actions import act

FORM = "rems_form"
"""The REMS forms page's selection: the session whose form it shows."""


def choose(con, user, session_id: int) -> None:
    selection.choose(FORM, session_id)


def form_button(user, session_id: int, route: str, status: str) -> None:
    """'Open the REMS monitoring form', for an ended intranasal session, to nurses and prescribers only."""
    if user.role not in REMS_TEAM or route != "intranasal" or status == "in_progress":
        return
    if st.button("Open the REMS monitoring form", key=f"open_rems_{session_id}", icon=":material/description:",
                 on_click=act(choose, session_id, allow=REMS_TEAM)) and selection.chosen(FORM) == session_id:
        st.switch_page("pages/rems.py")
