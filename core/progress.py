"""How a long piece of work in `core/` says how far it is, without knowing who listens.

A progress callback is a plain function `progress(step, done, total)`: `step` says in words what is being done
("Adding synthetic patients"), `done` counts from 0 up to `total` within that step. The app turns the calls into a
progress bar (ui/store.py), the command line into lines on the terminal (core/first_start.py); core never imports
Streamlit. A callback must be quick: it is called from inside the work, and any exception it raises stops the work.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]

REPORTS_PER_STEP = 100
"""At most about this many calls per step however large the total: a 100,000-patient build calls 100 times, not
100,000."""


def ignore(step: str, done: int, total: int) -> None:
    """The callback of work nobody watches."""


class Step:
    """One step of counted work: says (step, 0, total) when made, then at every hundredth of the total and at the
    total itself, so the counts a callback sees rise and the last one is the total."""

    def __init__(self, progress: Progress | None, step: str, total: int) -> None:
        self.progress = progress or ignore
        self.step = step
        self.total = total
        self.done = 0
        self._every = max(1, -(-total // REPORTS_PER_STEP))  # rounded up: never more than REPORTS_PER_STEP
        self._next = min(self._every, total)
        self.progress(step, 0, total)

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self.done >= self._next:
            self.progress(self.step, min(self.done, self.total), self.total)
            self._next = min(self.total, (self.done // self._every + 1) * self._every)
            if self.done >= self.total:
                self._next = self.total + 1  # said once: nothing after the total
