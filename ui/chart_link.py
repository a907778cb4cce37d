"""Opening a patient's chart from any page: by id, through the guarded action; the Patients page audits the view."""

from __future__ import annotations

import streamlit as st

from core.access import STAFF
from ui import selection
from ui.actions import act

CHART = "patients"
"""The Patients page's selection: the chart it shows."""
CAME_FROM = "chart~came_from"
"""The page (path, title) a chart was opened from, for its way back; none when opened from the roster."""


def _open(con, user, patient_id: int) -> None:
    selection.choose(CHART, patient_id)


def open_chart(patient_id: int, came_from: tuple[str, str] | None = None) -> None:
    """Choose the chart after the session and account checks."""
    st.session_state[CAME_FROM] = came_from
    act(_open, patient_id, allow=STAFF)()


def came_from() -> tuple[str, str] | None:
    return st.session_state.get(CAME_FROM)


def chart_button(patient_id: int, came_from: tuple[str, str], key: str | None = None) -> None:
    """'Open the patient's chart': opens it on the Patients page, where the chart replaces the roster, with a way
    back to `came_from` (page path, title)."""
    if st.button("Open the patient's chart", key=key, icon=":material/folder_shared:",
                 on_click=open_chart, args=(patient_id, came_from)) and selection.chosen(CHART) == patient_id:
        st.switch_page("pages/patients.py")
