"""Form instances: every widget key carries a token, and a new instance means new, empty widgets.

The browser keeps showing (and sends back) a widget's value after the server forgot it,
so popping keys does not clear a form: the old values return on the next interaction.
A form therefore lives under a token; saving, cancelling, signing or switching to
another record starts a new instance, whose widgets the browser has never seen. Tokens
are random, so an instance after sign-out never reuses a key the browser still holds.
An instance is bound to a subject (the patient, screening or follow-up it is for), and
a click carries the token and subject it was drawn with, so a click meant for one
record cannot act on another.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import streamlit as st

from ui.actions import Stale

STALE = "This form was already saved, closed or changed on screen; nothing was saved. Check it and try again."


@dataclass(frozen=True)
class FormInstance:
    name: str
    token: str
    subject: object

    @property
    def prefix(self) -> str:
        return f"{self.name}~{self.token}~"

    def key(self, field: str) -> str:
        return self.prefix + field

    def get(self, field: str, default=None):
        return st.session_state.get(self.key(field), default)

    def set(self, field: str, value) -> None:
        st.session_state[self.key(field)] = value

    @property
    def meta(self) -> dict:
        """Server-side facts about this instance (its draft id, the re-screen it is for); never widget values."""
        return st.session_state[_slot(self.name)]["meta"]


def instance(name: str, subject=None) -> FormInstance:
    """The open instance of form `name` for `subject`, or a fresh one if none is open or it is for another subject."""
    current = st.session_state.get(_slot(name))
    if current is None or current["subject"] != subject:
        return restart(name, subject)
    return FormInstance(name, current["token"], subject)


def opened(name: str) -> FormInstance:
    """Whatever instance of form `name` is open (its subject was set when it was started), or a new empty one."""
    current = st.session_state.get(_slot(name))
    if current is None:
        return restart(name)
    return FormInstance(name, current["token"], current["subject"])


def existing(name: str) -> FormInstance | None:
    """The open instance of form `name`, or None: for a form that exists only once something happened."""
    current = st.session_state.get(_slot(name))
    return None if current is None else FormInstance(name, current["token"], current["subject"])


def restart(name: str, subject=None, values: dict | None = None, meta: dict | None = None) -> FormInstance:
    """Forget the open instance (its widgets too) and open a new one, optionally filled with `values`."""
    old = st.session_state.get(_slot(name))
    if old is not None:
        prefix = f"{name}~{old['token']}~"
        for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
            del st.session_state[key]
    form = FormInstance(name, secrets.token_hex(8), subject)
    st.session_state[_slot(name)] = {"token": form.token, "subject": subject, "meta": dict(meta or {})}
    for field, value in (values or {}).items():
        form.set(field, value)
    return form


def is_open(name: str, subject) -> bool:
    """Whether an instance of form `name` for `subject` is already open in this session (its widgets drawn)."""
    current = st.session_state.get(_slot(name))
    return current is not None and current["subject"] == subject


def close(name: str) -> None:
    """Forget the open instance; the next `instance(name)` starts empty."""
    restart(name)
    del st.session_state[_slot(name)]


def current(name: str, token: str, subject=None) -> FormInstance:
    """The instance a click was drawn with, if it is still the open one for that subject; else `Stale`."""
    open_now = st.session_state.get(_slot(name))
    if open_now is None or open_now["token"] != token or open_now["subject"] != subject:
        raise Stale(STALE)
    return FormInstance(name, token, subject)


def _slot(name: str) -> str:
    return f"form~{name}"
