"""A questionnaire answered at the speed of a click: each instrument drawn in a fragment of its own.

A radio clicked on a whole-page form reruns the whole page: its queries, its sixty widgets, its other tabs. Drawn
with `part`, an answer reruns only its own instrument, then `after_answer` runs: it keeps the draft on the server
and, when something drawn outside the instrument would change (on Check-ins, the Discard button that the first draft
brings), calls `st.rerun(scope="app")` so that the whole page is drawn from the answers again. Use it only for a form
where nothing else on the page is drawn from the answers as they are typed: Screening's live decision and same-day
banner are, so its answers still rerun the whole page.

The page frame (sign-in, idle and role checks, activity) does not run on a fragment's own run, so `part` does that
first: an ended or re-roled session reruns the whole page, where the frame shows why; an answer counts as activity.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from ui import session
from ui.store import clinic


def part(draw: Callable[[], None], after_answer: Callable[[], None], allow: frozenset[str] | set[str]) -> None:
    """Draw one instrument with `draw`; on a run of its own (an answer), check the session, then `after_answer`.

    On a whole-page run the page itself keeps the draft and draws the rest, so `after_answer` does not run then."""
    _part(draw, after_answer, frozenset(allow))


def alone() -> bool:
    """Whether this run is a fragment's own run (the page script above it did not run)."""
    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


@st.fragment
def _part(draw: Callable[[], None], after_answer: Callable[[], None], allow: frozenset[str]) -> None:
    own_run = alone()
    if own_run:
        user = session.verified(clinic().con)
        if user is None or user.role not in allow:
            st.rerun(scope="app")  # the frame signs out or refuses, and says why
        session.touch()
    draw()
    if own_run:
        after_answer()
