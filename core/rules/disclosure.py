"""What the de-identified viewer may be shown, so that no two screens reveal a group of 1 to 10 by subtraction.

Suppressing each small cell on its own screen is not enough: two screens that differ by one step (a date moved, a
substance ticked) can be subtracted, and a share shown with its n gives a count. The viewer's figures therefore
follow two rules besides the suppression of section 4, each a pure function here:

- **Quarters, and a fixed cut-off.** The viewer's dates are whole calendar quarters, and the figures are as of the
  last day of the month before, the same all month: moving a date by a day, or coming back tomorrow, changes nothing.
- **Every count rounded.** Every count a viewer can read, or multiply out of a share and its n (patients, sessions,
  patients who completed the course, events, each figure's n), is rounded to the nearest multiple of the small-cell
  minimum before any share is worked out. The difference between two screens is then always a multiple of 11, never
  1 to 10, and the same group always gets the same answer, so asking again averages nothing out. A chart's mean, which
  is a sum over a count, is rounded too, so that it does not give its count away.
"""

from __future__ import annotations

from datetime import date, timedelta

SOURCE = ("CMS/ResDAC cell-size suppression policy (no cell of 1-10, none derivable by subtraction); PCORnet "
          "threshold of 11; rounding of published counts to a base, as statistical agencies' table builders do "
          "(ONS, ABS), with the base raised to the small-cell minimum")


def rounded(count: int, base: int) -> int:
    """`count` to the nearest multiple of `base` (halves up): 1-5 become 0, 6-16 become 11 for a base of 11."""
    return base * ((2 * count + base) // (2 * base))


MEAN_DECIMALS = 1
"""A chart's mean of whole-number scores (craving 0-100, a PHQ-9 total) reaches the viewer to one decimal. Shown
exactly, a mean names its count (63.651163... is 2737/43, read beside "about 44"); to one decimal it fits every
count of 10 or more (sums one apart are at most 0.1 apart over such a count), and the viewer sees no point with
fewer than 11 behind it."""
SHARE_DECIMALS = 2
"""A chart's mean of shares (days abstinent by month) reaches the viewer as a whole percentage, as the page shows it."""


def mean_shown(value: float) -> float:
    return round(value, MEAN_DECIMALS)


def share_shown(value: float) -> float:
    return round(value, SHARE_DECIMALS)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_end(day: date) -> date:
    first_of_next = quarter_start(day).replace(day=28) + timedelta(days=100)
    return quarter_start(first_of_next) - timedelta(days=1)


def cut_off(as_of: date) -> date:
    """The viewer's figures are as of the last day of the month before `as_of`."""
    return as_of.replace(day=1) - timedelta(days=1)
