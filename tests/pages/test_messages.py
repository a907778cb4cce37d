"""A form's message belongs to the attempt it answers (issue 25.1): never an error left over from an earlier click
beside a save that succeeded, never a success beside a later refusal."""

from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import DEMO_USERS


def form_page():
    import streamlit as st

    from ui import forms
    from ui.actions import act, done, show

    def save(con, user, token):
        form = forms.current("f", token)
        if not form.get("x"):
            raise ValueError("Name: enter one")
        forms.close("f")
        done("f", "Saved.")

    form = forms.opened("f")
    st.text_input("Name", key=form.key("x"))
    show("f")
    once = act(save, form.token, allow={"admin"}, slot="f")
    st.button("Save", on_click=once)
    st.button("Save twice", on_click=lambda: (once(), once()))  # a double click: two callbacks, one token


@pytest.fixture
def at(monkeypatch):
    from ui import actions

    monkeypatch.setattr(actions, "clinic", lambda: SimpleNamespace(con=None))
    monkeypatch.setattr(actions.session, "verified", lambda con: DEMO_USERS["admin"])
    return AppTest.from_function(form_page, default_timeout=30).run()


def click(at, label):
    next(b for b in at.button if b.label == label).click()
    return at.run()


def messages(at):
    return [e.value.replace("\\", "") for e in at.error], [s.value for s in at.success]


def test_a_double_click_on_save_says_saved_and_nothing_stale(at):
    at.text_input[0].set_value("Kim")
    at = click(at, "Save twice")
    assert messages(at) == ([], ["Saved."])


def test_a_refusal_then_a_save_shows_only_the_save(at):
    at = click(at, "Save")
    assert messages(at) == (["Name: enter one"], [])
    at.text_input[0].set_value("Kim")
    at = click(at, "Save")
    assert messages(at) == ([], ["Saved."])


def test_a_message_is_shown_once(at):
    at = click(at, "Save")
    assert messages(at.run()) == ([], [])
