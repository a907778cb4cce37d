"""The frame of the one page a patient opens: the store and the demo banner, and nothing of the staff frame.

The staff frame (ui/frame.py) signs in, watches idle time and draws the sidebar of staff pages. A patient answering
a self-report has no account, so none of that applies, and the page must not offer a way into the staff pages: this
frame draws no sidebar, no page links and no sign-in form. A staff session that happens to open the page (a nurse
trying a link) sees the same patient page, without its own sidebar.
"""

from __future__ import annotations

import streamlit as st

from core import db
from ui.frame import PAGE_CSS
from ui.store import Clinic, clinic

NO_SIDEBAR = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"] {
  display: none !important; }
</style>"""
"""Belt and braces: this page draws nothing in the sidebar, and the control that opens one is hidden too."""


def patient_frame(title: str) -> Clinic:
    st.set_page_config(page_title=f"{title} · Clinic", page_icon=":material/medical_services:", layout="centered",
                       initial_sidebar_state="collapsed")
    st.html(PAGE_CSS + NO_SIDEBAR)
    try:
        store = clinic()
    except db.StoreError:
        st.error("This page is not available just now. Please try again later, or ask the clinic.")
        st.stop()
    if store.demo:
        st.warning("**Synthetic demo data.** This is a demonstration; do not enter real answers.",
                   icon=":material/science:")
    st.title(title)
    return store


def address() -> str | None:
    """The browser's address, so that wrong codes slow the device they come from (ui/frame.py says why)."""
    value = st.context.ip_address
    return value if isinstance(value, str) else None
