"""Previous / Next under a long table: a person reads a screenful, so a page draws one (issue 21)."""

from __future__ import annotations

import streamlit as st


def _turn(key: str, step: int) -> None:
    st.session_state[key] = st.session_state.get(key, 1) + step


def pager(key: str, page: int, pages: int, caption: str) -> None:
    """The buttons, and between them where the reader is."""
    back, where, forward = st.columns([1, 2, 1], vertical_alignment="center")
    back.button("Previous page", icon=":material/chevron_left:", on_click=_turn, args=(key, -1),
                disabled=page == 1, key=f"{key}~back")
    where.caption(caption)
    forward.button("Next page", icon=":material/chevron_right:", on_click=_turn, args=(key, 1),
                   disabled=page == pages, key=f"{key}~forward")
