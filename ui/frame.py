"""The page frame every page calls first: store, demo banner, idle timeout, sign-in, role check, sidebar.

A page can be opened by URL without app.py running first, so the guard lives here and
each page calls it on its first line; it `st.stop()`s before the page body runs
whenever the viewer is not signed in or not allowed.
"""

from __future__ import annotations

import os
import time

import streamlit as st

from core import db, users
from core.access import ROLE_LABELS, User
from core.demo import DEMO_ACCOUNTS
from ui.nav import EVERYONE, links_for
from ui.store import Clinic, clinic

USER_KEY = "user"
LAST_SEEN_KEY = "last_seen"
NOTICE_KEY = "sign_in_notice"


def idle_limit_seconds() -> float:
    return float(os.environ.get("CLINIC_IDLE_MINUTES", "15")) * 60


def frame(title: str, allow: frozenset[str] | set[str] = EVERYONE) -> User:
    st.set_page_config(page_title=f"{title} · Clinic", page_icon=":material/medical_services:", layout="wide")
    store = _open_store()
    if store.demo:
        st.warning("**Synthetic demo data.** Every patient here is made up; do not enter real patient data.",
                   icon=":material/science:")
    user = _signed_in_user(store)
    if user is None:
        _sign_in_form(store)
        st.stop()
    _sidebar(store, user)
    if user.role not in allow:
        st.error(f"Your role ({ROLE_LABELS[user.role]}) cannot open {title}. Use the links in the sidebar.")
        st.stop()
    st.title(title)
    return user


def _open_store() -> Clinic:
    try:
        return clinic()
    except db.StoreError as e:
        st.error(str(e), icon=":material/error:")
        st.stop()


def _signed_in_user(store: Clinic) -> User | None:
    user = st.session_state.get(USER_KEY)
    if user is None:
        return None
    now = time.monotonic()
    if now - st.session_state.get(LAST_SEEN_KEY, now) > idle_limit_seconds():
        users.sign_out(store.con, user, reason="idle")
        _forget_user()
        st.session_state[NOTICE_KEY] = "You were signed out after a period without activity. Please sign in again."
        return None
    st.session_state[LAST_SEEN_KEY] = now
    return user


def _forget_user() -> None:
    for key in (USER_KEY, LAST_SEEN_KEY):
        st.session_state.pop(key, None)


def _sign_in_form(store: Clinic) -> None:
    st.title("Sign in")
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(notice)
    with st.form("sign_in", enter_to_submit=True):
        username = st.text_input("Username", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        user = users.authenticate(store.con, username, password)
        if user is None:
            st.error(users.SIGN_IN_FAILED)
        else:
            st.session_state[USER_KEY] = user
            st.session_state[LAST_SEEN_KEY] = time.monotonic()
            st.rerun()
    if not users.any_accounts(store.con):
        st.info("This clinic database has no accounts yet. Stop the app and create the first administrator with "
                "`python -m core.users add NAME --role admin` (see the README).")
    if store.demo:
        st.caption("Demo accounts (this database holds synthetic data only):")
        st.table({"Username": [a[0] for a in DEMO_ACCOUNTS], "Role": [ROLE_LABELS[a[2]] for a in DEMO_ACCOUNTS],
                  "Password": [a[3] for a in DEMO_ACCOUNTS]})


def _sidebar(store: Clinic, user: User) -> None:
    with st.sidebar:
        st.markdown(f"**{user.display_name}**  \n{ROLE_LABELS[user.role]}")
        for page in links_for(user.role):
            st.page_link(page.path, label=page.label, icon=page.icon)
        st.button("Sign out", on_click=_sign_out, args=(store, user), icon=":material/logout:")


def _sign_out(store: Clinic, user: User) -> None:
    users.sign_out(store.con, user)
    _forget_user()
    st.session_state[NOTICE_KEY] = "You are signed out."
