"""Reads of identified records, audited: one row per opening of one patient's record, one per list a visit shows.

A page reruns on every click and the dosing board redraws itself every 30 seconds, so a read is audited once per
visit of the page (`frame` starts a visit on arrival from another page, a sign-in or a reload), not once per run:
the trail says who looked at whom, without a row per redraw.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable

import streamlit as st

from core import patients

VISIT_KEY = "reads~visit"
SEEN_KEY = "reads~seen"


def new_visit() -> None:
    st.session_state[VISIT_KEY] = secrets.token_hex(4)


def opened(con, user, kind: str, record_id: int, record_view: Callable[[object, object, int], None]) -> None:
    """One record (`kind` and id) drawn on this page: `record_view` audits it the first time this visit."""
    read = ("opened", kind, int(record_id))
    if read not in _seen():
        record_view(con, user, int(record_id))
        _seen().add(read)


def listed(con, user, what: str, patient_ids: Iterable) -> None:
    """A list of patients (`what`, in words) drawn on this page: audited the first time this visit, with its ids."""
    shown = [int(i) for i in patient_ids]
    read = ("listed", what)
    if shown and read not in _seen():
        patients.record_list(con, user, what, shown)
        _seen().add(read)


def searched(con, user, what: str, search: str, patient_ids: Iterable, total: int) -> None:
    """A list narrowed by what the user typed: each new search is audited once this visit, by the ids it showed and
    how many matched (never the words, which may be a name); the list before any search is `listed`."""
    term = search.strip() if isinstance(search, str) else ""
    if not term:
        listed(con, user, what, patient_ids)
        return
    read = ("searched", what, term)
    if read not in _seen():
        patients.record_search(con, user, term, [int(i) for i in patient_ids], total)
        _seen().add(read)


def _seen() -> set:
    """The reads audited so far this visit."""
    seen = st.session_state.get(SEEN_KEY)
    if seen is None or seen["visit"] != st.session_state.get(VISIT_KEY):
        seen = st.session_state[SEEN_KEY] = {"visit": st.session_state.get(VISIT_KEY), "reads": set()}
    return seen["reads"]
