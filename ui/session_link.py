"""Opening a dosing session on the Dosing page from elsewhere (the patient chart), by id, through the guarded action.

The Dosing page lists only the sessions in progress and those waiting for a signature, so an ended, signed session is
reached from the chart: for an addendum days later, or the integration-therapy booking nobody made at discharge."""

from __future__ import annotations

import streamlit as st

from core.dosing_sessions import DOSING_TEAM
from ui import selection
from ui.actions import act

SESSION = "dosing_session"
"""The Dosing page's selection: the session it shows."""


def choose(con, user, session_id: int) -> None:
    """The handler that opens a session on the Dosing page (which audits the view): run it through `act`."""
    selection.choose(SESSION, session_id)


def session_button(user, session_id: int) -> None:
    """'Open this session on the Dosing page', for the dosing team only."""
    if user.role not in DOSING_TEAM:
        return
    if st.button("Open this session on the Dosing page (addendum, booking)", key=f"open_session_{session_id}",
                 icon=":material/open_in_new:", on_click=act(choose, session_id, allow=DOSING_TEAM)) \
            and selection.chosen(SESSION) == session_id:
        st.switch_page("pages/dosing.py")
