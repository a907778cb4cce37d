"""The process-wide DuckDB connection (DuckDB allows one writer process per file), and the first start's progress.

The database is opened in a thread of its own, started once per process by the first visit (`st.cache_resource`
makes sure of once). Every visitor's script run waits for that thread: an existing database behind the usual short
spinner, a new one behind a progress bar that says what is being built and how far (the demo cohort takes a few
seconds). Because the work is not done in any visitor's script run, a second visitor arriving meanwhile sees the
same progress rather than starting a second build, and a visitor who reloads or closes the tab does not stop it
half way (Streamlit stops a script run at its next `st` call; the build makes none).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from core import backup, clinic_settings, db, first_start
from core.rules import settings

POLL_SECONDS = 0.2
"""How often a waiting visitor's progress bar is brought up to date."""
SHARE_OF_THE_BAR = {"Creating the database": (0.0, 0.1), "Creating the demo accounts": (0.1, 0.45),
                    "Adding synthetic patients": (0.45, 0.85), "Saving the synthetic patients": (0.85, 1.0)}
"""Where each step of a first start runs on the one bar, after the time each took on a 2-core machine (the five
password hashes are a third of it): the bar fills once, left to right, rather than starting again at each step."""
FIRST_START_NOTE = ("**Preparing the demo clinic.** This happens once, the first time the app starts: the database "
                    "is created and filled with synthetic patients. The sign-in screen follows by itself.")


@dataclass(frozen=True)
class Clinic:
    con: object
    demo: bool


class Opening:
    """The database being opened (and, new, seeded) in a thread of its own; what it has said so far, for any visitor
    to show. `steps` keeps the latest (done, total) of each step in the order they began."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.builds_demo = first_start.builds_demo(path)
        self.finished = threading.Event()
        self.clinic: Clinic | None = None
        self.error: BaseException | None = None
        self._lock = threading.Lock()
        self._steps: dict[str, tuple[int, int]] = {}
        threading.Thread(target=self._run, name="clinic-opening", daemon=True).start()

    def heard(self, step: str, done: int, total: int) -> None:
        """The progress callback handed to core: called from the opening thread."""
        with self._lock:
            self._steps[step] = (done, total)

    def steps(self) -> list[tuple[str, int, int]]:
        with self._lock:
            return [(step, done, total) for step, (done, total) in self._steps.items()]

    def _run(self) -> None:
        try:
            con = first_start.open_clinic(self.path, self.heard)
            settings.use(clinic_settings.load(con))
            if backup.wanted():
                backup.start_daily(con, backup.folder_for(self.path))
            self.clinic = Clinic(con, db.is_demo(con))
        except BaseException as e:  # noqa: BLE001 - handed to every visitor waiting, raised in their script run
            self.error = e
        finally:
            self.finished.set()


@st.cache_resource(show_spinner=False)
def _opening() -> Opening:
    """Start opening the database once per process; returns at once."""
    return Opening(db.configured_path())


def clinic() -> Clinic:
    """The open, migrated (and, new, seeded) database; waits for it the first time, showing how far it is. Raises
    db.StoreError naming the path and cause when it cannot be opened; the next run then tries again."""
    opening = _opening()
    if not opening.finished.is_set():
        if opening.builds_demo:
            _show_progress(opening)
        else:
            with st.spinner("Opening the clinic database…"):
                opening.finished.wait()
    if opening.error is not None:
        _opening.clear()  # not kept: the next run opens again (a lock released, a folder made meanwhile)
        raise opening.error
    return opening.clinic


def _show_progress(opening: Opening) -> None:
    """Until the opening thread finishes: the steps done, and a bar for the one under way ("Adding synthetic
    patients: 120 of 300…"). Only what changed is sent to the browser. Then the whole display goes, and the page
    carries on (the sign-in screen)."""
    place = st.empty()
    with place.container(border=True):
        st.markdown(FIRST_START_NOTE)
        finished_steps = st.empty()
        bar = st.progress(0.0, text="Starting…")
    shown_finished, shown_current, filled = [], None, 0.0
    while not opening.finished.wait(POLL_SECONDS):
        steps = opening.steps()
        if not steps:
            continue
        if steps[:-1] != shown_finished:
            shown_finished = steps[:-1]
            finished_steps.markdown("\n\n".join(f":material/check: {step}: {done:,} of {total:,}"
                                                 for step, done, total in shown_finished))
        if steps[-1] != shown_current:
            shown_current = step, done, total = steps[-1]
            start, end = SHARE_OF_THE_BAR.get(step, (0.0, 1.0))
            filled = max(filled, start + (end - start) * (done / total if total else 1.0))
            bar.progress(filled, text=f"{step}: {done:,} of {total:,}…")
    place.empty()
