"""The one way a click changes data: re-check the session and the account, then call core.

Streamlit runs a button's callback before the page script, so a guard that lives only in
the page frame runs after the write. `act(...)` builds the callback: it first checks,
from the database, that the user is still signed in, active, not idle and allowed, and
only then calls the handler as `handler(con, user, *args)`. A handler raises ValueError
(or `Stale`) to refuse in plain words; the message is kept for the page to show beside
the button, and nothing was written.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import duckdb
import streamlit as st

from core.access import ROLE_LABELS, AccessDenied
from core.db import Conflict
from ui import session
from ui.store import clinic
from ui.widgets import plain

_REFUSAL = "refusal~"
_DONE = "done~"
_ALERT = "alert~"


class Stale(ValueError):
    """The click belongs to a form, selection or signature that is no longer the one on screen."""


def act(handler: Callable[..., None], *args, allow: frozenset[str] | set[str], slot: str = "page",
        about: str | None = None) -> Callable[[], None]:
    """A callback for on_click / on_change that runs `handler` only for a live, allowed session.

    `about` names the record the click was for ("Last, First"), so a refusal shown after
    that record has left the screen still says whom it concerns.
    """
    return functools.partial(_guarded, handler, frozenset(allow), slot, about, args)


def _guarded(handler, allow: frozenset[str], slot: str, about: str | None, args: tuple) -> None:
    con = clinic().con
    # A message answers one attempt: a new attempt clears what the last one said in this slot, shown or not.
    earlier = {kind: st.session_state.pop(kind + slot) for kind in (_REFUSAL, _DONE, _ALERT)
               if kind + slot in st.session_state}
    user = session.verified(con)
    if user is None:
        return  # the session has ended; the frame shows the sign-in form and says why
    if user.role not in allow:
        refuse(slot, f"Your role ({ROLE_LABELS[user.role]}) cannot do this. Nothing was saved.")
        return
    try:
        handler(con, user, *args)
    except Stale as e:
        if _DONE in earlier:  # a second click on a form the first click saved (a double click): that save answers it
            st.session_state.update({kind + slot: message for kind, message in earlier.items() if kind != _REFUSAL})
        else:
            refuse(slot, f"{about}: {e}" if about else str(e))
    except (ValueError, AccessDenied, Conflict) as e:
        refuse(slot, f"{about}: {e}" if about else str(e))
    except duckdb.ConstraintException:
        # core validates first; this is the net under it, so a missed check never blanks the page
        refuse(slot, "Nothing was saved: a required value is missing or out of range. Check the form.")


def refuse(slot: str, message: str) -> None:
    st.session_state[_REFUSAL + slot] = message


def done(slot: str, message: str) -> None:
    """A confirmation for the next run to show once, in the slot where the user clicked."""
    st.session_state[_DONE + slot] = message


def alert(slot: str, message: str) -> None:
    """Something saved that needs action now (a severe reading): shown once, in red, where the user clicked."""
    st.session_state[_ALERT + slot] = message


def pending(slot: str) -> bool:
    """Whether the next `show(slot)` has something to say (to keep that part of the page open)."""
    return any(key + slot in st.session_state for key in (_REFUSAL, _DONE, _ALERT))


def show(slot: str = "page") -> None:
    """Show (once) what the last click in this slot did or why it was refused."""
    refusal = st.session_state.pop(_REFUSAL + slot, None)
    if refusal:
        st.error(plain(refusal), icon=":material/block:")
    warning = st.session_state.pop(_ALERT + slot, None)
    if warning:
        st.error(warning, icon=":material/emergency:")
    confirmation = st.session_state.pop(_DONE + slot, None)
    if confirmation:
        st.success(confirmation, icon=":material/check_circle:")
