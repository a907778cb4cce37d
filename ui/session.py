"""Who is signed in on this browser session, re-checked against the database on every run and every click.

The User kept in session state is only what the account was at sign-in. Each check reads
the account again, so deactivation or a role change takes effect on the next click; an
idle session, a deactivated account and a changed role all end the session the same way:
the audit row, then every key in session state dropped, so nothing typed for one person
survives into the next sign-in on the same tab.
"""

from __future__ import annotations

import os
import secrets
import time

import streamlit as st

from core import access, users
from core.access import User

USER_KEY = "user"
LAST_SEEN_KEY = "last_seen"
SIGNED_IN_AT_KEY = "signed_in_at"
SIGN_IN_KEY = "sign_in_token"
NOTICE_KEY = "sign_in_notice"

IDLE_NOTICE = "You were signed out after a period without activity. Please sign in again."
LONG_NOTICE = "You were signed out: a sign-in lasts at most 12 hours. Please sign in again."
INACTIVE_NOTICE = "You were signed out: this account is not active any more."
ROLE_NOTICE = "You were signed out because your role was changed. Please sign in again."
SIGNED_OUT_NOTICE = "You are signed out."


def idle_limit_seconds() -> float:
    return float(os.environ.get("CLINIC_IDLE_MINUTES", "30")) * 60


def session_limit_seconds() -> float:
    """However active, a sign-in ends after this long: a shared clinic PC left signed in all day gets a new sign-in."""
    return float(os.environ.get("CLINIC_SESSION_HOURS", "12")) * 3600


def watch_interval_seconds() -> float:
    """How often the browser-side timer looks: often enough that an idle screen blanks within a minute.

    `CLINIC_IDLE_WATCH_SECONDS` sets it outright. The browser tests lengthen it, so that a timer run of their own
    never lands in the middle of a test's click; their idle tests keep the default, since the timer is what they test.
    """
    if "CLINIC_IDLE_WATCH_SECONDS" in os.environ:
        return float(os.environ["CLINIC_IDLE_WATCH_SECONDS"])
    return max(1.0, min(30.0, idle_limit_seconds() / 4))


def start(user: User) -> None:
    st.session_state.clear()
    st.session_state[USER_KEY] = user
    st.session_state[SIGN_IN_KEY] = secrets.token_hex(8)
    st.session_state[SIGNED_IN_AT_KEY] = time.monotonic()
    touch()


def widget_key(name: str) -> str:
    """A key that belongs to this sign-in only: a click the browser still holds from before cannot replay."""
    return f"{name}~{st.session_state.get(SIGN_IN_KEY, '')}"


def touch() -> None:
    st.session_state[LAST_SEEN_KEY] = time.monotonic()


def end(con, user: User, reason: str, notice: str) -> None:
    users.sign_out(con, user, reason=reason)
    st.session_state.clear()
    st.session_state[NOTICE_KEY] = notice


def verified(con) -> User | None:
    """The signed-in account as stored now, or None after ending a session that is idle, inactive or re-roled."""
    user = st.session_state.get(USER_KEY)
    if user is None:
        return None
    now = time.monotonic()
    if now - st.session_state.get(SIGNED_IN_AT_KEY, now) > session_limit_seconds():
        end(con, user, "session_limit", LONG_NOTICE)
        return None
    if now - st.session_state.get(LAST_SEEN_KEY, 0.0) > idle_limit_seconds():
        end(con, user, "idle", IDLE_NOTICE)
        return None
    current = access.current_user(con, user.id)
    if current is None:
        end(con, user, "inactive", INACTIVE_NOTICE)
        return None
    if current.role != user.role:
        end(con, user, "role_changed", ROLE_NOTICE)
        return None
    return current
