"""Waiting for the app, not for the clock: `act(tab, action)` returns when the script run the action caused has ended.

Every click, Enter or blur that changes a Streamlit widget makes the browser send a `BackMsg` asking for a rerun
(`rerun_script`; a timer fragment's own request says `is_auto_rerun`). The server answers each run with a
`new_session` ForwardMsg when it starts and a `script_finished` one when it ends, both tagged with the run's id and
the fragments it ran (`metadata.run`). `act` listens on the tab's websocket around the action and returns at the
successful end of a run that

- started after the last rerun the action itself asked for (a run already going, or queued by an earlier step,
  is not this action's answer), and
- is this action's run: the whole page, or the fragment the action was in (a timer fragment's run, the idle watch
  or the dosing board's refresh, is not).

A run that asks for another (`st.rerun()`, `st.switch_page`, a fragment opening the whole page) ends with
`FINISHED_EARLY_FOR_RERUN`, and the run it asked for is waited for in turn. An action that asks for no run at all
fails (after three tries) instead of passing silently: use `act` only for steps that rerun the app (a click on a button,
radio, checkbox, link or grid row, Enter or Tab out of a changed field), and plain Playwright for the others (typing
without leaving the field, opening a select box's list).

The websocket frame reaches the test a moment before the page's own JavaScript has drawn it, so `act` then waits
for the page to say it is not running (`data-test-script-state`), and every step after it starts with a positive,
specific `expect()` (what this run drew) before any check that something is absent.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from playwright.sync_api import Page, WebSocket, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

APP_SOCKET = "/_stcore/stream"
RUN_TIMEOUT_MS = 30_000
"""A run's patience, the same as every other wait here: a loaded machine is slow, not wrong."""
ENDED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
         ForwardMsg.FINISHED_WITH_COMPILE_ERROR}

_sockets: dict[Page, WebSocket] = {}


def watch(page: Page) -> None:
    """Follow the tab's connection to the app; a reload or a new address opens a new one, which replaces it."""

    def opened(socket: WebSocket) -> None:
        if socket.url.endswith(APP_SOCKET):
            _sockets[page] = socket

    page.on("websocket", opened)


def forget(page: Page) -> None:
    """Drop a closed tab's connection, so that a later test's act() cannot listen on a dead socket."""
    _sockets.pop(page, None)


def act(tab: Page, action: Callable[[], object], timeout: float = RUN_TIMEOUT_MS) -> None:
    """Do `action` (a click, a key press) and return once the app has finished the run it caused.

    A click right after a change of layout (a grid redrawn by a search, an expander just opened, a form drawn by
    the step before) was seen to be taken by nothing: no request left the browser, the button stayed on screen,
    and the wait ran out (in an idle CI run and in loaded ones). A person clicks again, and so does this, only
    when no request has left the browser within SENT_WITHIN_MS: a step whose request left by then is not taken
    again (one held up longer in a stalled browser would be)."""
    socket = _sockets.get(tab)
    assert socket is not None and not socket.is_closed(), "the tab has no connection to the app: open it first"
    with run_ended(tab, timeout):
        for _ in range(TRIES):
            done = False
            try:
                with socket.expect_event("framesent", predicate=_asks_for_a_run, timeout=SENT_WITHIN_MS):
                    action()
                    done = True
            except PlaywrightTimeoutError:
                if not done:  # the action's own timeout (an option gone from its list) is the caller's to handle
                    raise
                continue
            return
        raise AssertionError(f"the app was asked for no run after {TRIES} tries of the step")


TRIES = 3
SENT_WITHIN_MS = 5_000
"""A click's request leaves the browser at once (no server is involved), so a step with no request after this long
was not taken."""


def _asks_for_a_run(payload: str | bytes) -> bool:
    if isinstance(payload, str):
        return False
    message = BackMsg.FromString(payload)
    return message.WhichOneof("type") == "rerun_script" and not message.rerun_script.is_auto_rerun


@contextlib.contextmanager
def run_ended(tab: Page, timeout: float = RUN_TIMEOUT_MS) -> Iterator[None]:
    """act() as a block: on leaving it, wait for the end of the run that the block's steps started in this tab.
    For several people clicking at once: open one block per tab (contextlib.ExitStack), click in each, and the
    runs are waited for together when the blocks close."""
    socket = _sockets.get(tab)
    assert socket is not None and not socket.is_closed(), "the tab has no connection to the app: open it first"
    asked: set[str] = set()
    ours: set[str] = set()

    def sent(payload: str | bytes) -> None:
        if _asks_for_a_run(payload):
            asked.add(BackMsg.FromString(payload).rerun_script.fragment_id)  # "" for the whole page
            ours.clear()  # a run that started before this request is not its answer

    def ends_our_run(payload: str | bytes) -> bool:
        if not asked or isinstance(payload, str):
            return False
        message = ForwardMsg.FromString(payload)
        kind, run = message.WhichOneof("type"), message.metadata.run
        if kind == "new_session":
            if not run.fragment_ids or asked.intersection(run.fragment_ids):
                ours.add(run.script_run_id)
            return False
        return kind == "script_finished" and run.script_run_id in ours and message.script_finished in ENDED

    socket.on("framesent", sent)
    try:
        with socket.expect_event("framereceived", predicate=ends_our_run, timeout=timeout) as finished:
            yield
        status = ForwardMsg.FromString(finished.value).script_finished
    finally:
        socket.remove_listener("framesent", sent)
    assert status != ForwardMsg.FINISHED_WITH_COMPILE_ERROR, "the page failed to compile"
    expect(tab.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")
