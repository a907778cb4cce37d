"""Identity by id: a table's click chooses only from the table as it is on screen now."""

from streamlit.testing.v1 import AppTest


def replay_script(current_token: str, clicked_token: str) -> None:
    """A click event arriving for a grid drawn with `clicked_token` while the page's grid now carries
    `current_token`."""
    from types import SimpleNamespace

    import streamlit as st

    from ui import selection

    st.session_state["pick~patients~nonce"] = current_token
    grid = f"pick~patients~{clicked_token}"
    st.session_state[grid] = SimpleNamespace(selection=SimpleNamespace(rows=[2], cells=[]))
    selection._resolve("patients", grid, (11, 12, 13), lambda i: st.session_state.__setitem__("picked", i))


def test_a_click_on_the_grid_on_screen_chooses_its_row():
    at = AppTest.from_function(replay_script, args=("b", "b")).run()
    assert at.session_state["picked"] == 13


def test_a_stale_click_replayed_from_a_grid_no_longer_drawn_chooses_nothing():
    """Seen under load in Chromium: Back to the patient list clicked while a chart was still loading, then a
    search: the old grid's selection came back with the search's run and reopened the chart without a click."""
    at = AppTest.from_function(replay_script, args=("c", "b")).run()
    assert "picked" not in at.session_state
