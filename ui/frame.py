"""The page frame every page calls first: store, demo banner, sign-in, idle timer, role check, sidebar.

A page can be opened by URL without app.py running first, so the guard lives here and
each page calls it on its first line; it `st.stop()`s before the page body runs
whenever the viewer is not signed in or not allowed. The account is re-read from the
database on every run (`session.verified`), and a timer in the browser ends an idle
session and blanks the screen without waiting for a click.
"""

from __future__ import annotations

import streamlit as st

from core import db, users
from core.access import EVERYONE, ROLE_LABELS, User
from core.demo import DEMO_ACCOUNTS
from ui import actions, reads, session
from ui.nav import links_for
from ui.store import Clinic, clinic

PAGE_CSS = """<style>
div[data-testid="stCaptionContainer"] { opacity: 1 !important; }
div[data-testid="stCaptionContainer"], div[data-testid="stCaptionContainer"] p { color: #595c66 !important; }
div[role="radiogroup"] { column-gap: 0.75rem !important; }
section[data-testid="stFileUploaderDropzone"] [data-testid="stIconMaterial"] { color: #595c66 !important; }
[data-testid="stHeaderActionElements"] a[aria-label="Link to heading"] { display: none !important; }
@media (max-width: 1400px) {
  [data-testid="stMainBlockContainer"] { padding-left: 1.5rem !important; padding-right: 1.5rem !important; } }
</style>"""
"""Captions, and the file uploader's "add another file" icon: Streamlit draws them in a faded grey (about 3:1 and
3.8:1 on their backgrounds, under WCAG AA's 4.5:1); this is 6.6:1. Answer choices: a little closer together, so a
questionnaire item's answers fit on one line at 1440 px. Each heading's "link to heading" anchor: a Tab stop per
heading (a dozen on Outcomes) between a nurse and the next field, for a link nobody here shares. Below 1,400 px the
main area's side margins shrink from 5rem to 1.5rem: 676 px beside the sidebar at 1,024 px instead of 564, room for
today's board."""
PASSWORD_TOGGLE_OUT_OF_TAB_ORDER = """<script>
if (!window.passwordToggleOutOfTabOrder) {
  window.passwordToggleOutOfTabOrder = true;
  const quiet = () => document.querySelectorAll(
    'button[aria-label="Show password"], button[aria-label="Hide password"]').forEach(b => { b.tabIndex = -1; });
  new MutationObserver(quiet).observe(document.body, {childList: true, subtree: true});
  quiet();
}
</script>"""
"""Streamlit puts a "Show password" button between a password and the form's submit button, so "type the
password, Tab, Enter" showed the password instead of signing. The button stays for the mouse, out of Tab's way."""
PAGE_KEY = "page~current"
ARRIVED_KEY = "page~arrived"


def frame(title: str, allow: frozenset[str] | set[str] = EVERYONE) -> User:
    st.set_page_config(page_title=f"{title} · Clinic", page_icon=":material/medical_services:", layout="wide")
    st.html(PAGE_CSS)
    st.html(PASSWORD_TOGGLE_OUT_OF_TAB_ORDER, unsafe_allow_javascript=True)
    store = _open_store()
    if store.demo:
        st.warning("**Synthetic demo data.** Every patient here is made up; do not enter real patient data.",
                   icon=":material/science:")
    user = session.verified(store.con)
    if user is None:
        _sign_in_form(store)
        st.stop()
    session.touch()
    st.session_state[ARRIVED_KEY] = st.session_state.get(PAGE_KEY) != title
    st.session_state[PAGE_KEY] = title
    if just_arrived():
        reads.new_visit()
    _idle_watch()
    _sidebar(store, user)
    if user.role not in allow:
        st.error(f"Your role ({ROLE_LABELS[user.role]}) cannot open {title}. Use the links in the sidebar.")
        st.stop()
    st.title(title)
    actions.show("page")
    return user


def just_arrived() -> bool:
    """Whether this run opened the page (from another page or a sign-in) rather than reran it after a click."""
    return st.session_state.get(ARRIVED_KEY, True)


def _open_store() -> Clinic:
    try:
        return clinic()
    except db.StoreError as e:
        st.error(str(e), icon=":material/error:")
        st.stop()


@st.fragment(run_every=session.watch_interval_seconds())
def _idle_watch() -> None:
    """Runs on its own timer and never counts as activity; once the session has ended, redraw the whole page."""
    if session.verified(clinic().con) is None:
        st.rerun()


def _sign_in_form(store: Clinic) -> None:
    st.title("Sign in")
    notice = st.session_state.get(session.NOTICE_KEY)
    if notice:
        st.info(notice)
    with st.form("sign_in", enter_to_submit=True):
        username = st.text_input("Username", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            user = users.authenticate(store.con, username, password, source=_address())
        except users.SignInBusy as busy:
            st.error(str(busy))
            return
        if user is None:
            st.error(users.SIGN_IN_FAILED)
        else:
            session.start(user)
            st.rerun()
    if not users.any_accounts(store.con):
        st.info("This clinic database has no accounts yet. Stop the app and create the first administrator with "
                "`python -m core.users add NAME --role admin` (see the README).")
    if store.demo and db.demo_wanted():  # never on a real clinic's database, nor with CLINIC_DEMO=0
        st.caption("Demo accounts (this database holds synthetic data only):")
        st.table({"Username": [a[0] for a in DEMO_ACCOUNTS], "Role": [ROLE_LABELS[a[2]] for a in DEMO_ACCOUNTS],
                  "Password": [a[3] for a in DEMO_ACCOUNTS]})


def _address() -> str | None:
    """The browser's address, so failed sign-ins slow the address they come from, not the whole clinic. Behind the
    README's reverse proxy it is still the browser's (uvicorn reads the proxy's X-Forwarded-For from 127.0.0.1). None
    on the server itself, and where there is no browser connection (page tests)."""
    address = st.context.ip_address
    return address if isinstance(address, str) else None


def _sidebar(store: Clinic, user: User) -> None:
    with st.sidebar:
        st.markdown(f"**{user.display_name}**  \n{ROLE_LABELS[user.role]}")
        for page in links_for(user.role):
            st.page_link(page.path, label=page.label, icon=page.icon)
        st.button("Sign out", key=session.widget_key("sign_out"), icon=":material/logout:",
                  on_click=session.end, args=(store.con, user, "user", session.SIGNED_OUT_NOTICE))
