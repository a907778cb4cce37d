"""De-identification rules of the pooled export: what a row may say, and how small groups are generalised.

A file that leaves the clinic must not let anyone pick a patient out of it. Two published
rules decide what it may hold, and both are applied here as plain functions, without the
database, so a reviewer can read them beside their sources:

- HIPAA Safe Harbor (45 CFR 164.514(b)(2)(i)(C)): no element of a date finer than the
  year, and all ages over 89 in one group. The app's age bands end in "65+", a wider top
  group than Safe Harbor's "90 or older", so every band already satisfies it.
- A smallest cell of 11: CMS's cell-size suppression policy and PCORnet's data-sharing
  rules publish no group of 1 to 10 people. Here it is applied as k-anonymity on the
  quasi-identifiers a file holds (sex, age band, substance, route, year of the first
  session): every combination present in the file belongs to at least 11 patients.

Rows in a smaller group are generalised one step at a time, in a fixed order that gives
up the least useful detail first (route, then year, then age), and only rows whose group
is still small after the last step are withheld. Rows already in a group of 11 or more
are left as they are (local recoding), so one rare patient does not blur a whole file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

SOURCES = ("HIPAA Privacy Rule, 45 CFR 164.514(b)(2) (Safe Harbor: dates no finer than the year; ages over 89 "
           "grouped); minimum cell size 11: CMS cell-size suppression policy, PCORnet data-sharing rules")
MIN_GROUP = 11
"""The smallest group a file may hold (CMS; PCORnet). A clinic with a higher small-cell setting uses its own."""

QUASI_IDENTIFIERS = ("sex", "age_band", "primary_substance", "first_route", "first_year")
"""The columns that, together, could single a patient out to someone who knows them; a row is a tuple in this order."""

ANY_ROUTE = "any"
ANY_AGE = "18+"
YEARS_PER_RANGE = 5
WIDE_AGE = {"18-25": "18-35", "26-35": "18-35", "36-45": "36-55", "46-55": "36-55", "56-64": "56+", "65+": "56+"}
"""The second rung of the age ladder: the six bands in three; 56+ is still wider than Safe Harbor's 90+."""


def year_range(year: str) -> str:
    """A year as the five-year range it falls in ('2026' -> '2025-2029'); a range already given stays as it is.

    Ranges are fixed on the calendar, not fitted to one clinic's data, so files from several clinics agree."""
    if "-" in year:
        return year
    start = int(year) - int(year) % YEARS_PER_RANGE
    return f"{start}-{start + YEARS_PER_RANGE - 1}"


@dataclass(frozen=True)
class Step:
    column: str
    words: str
    change: Callable[[str], str]


LADDER = (
    Step("first_route", "route of the first session replaced by 'any'", lambda _route: ANY_ROUTE),
    Step("first_year", f"year of the first session replaced by its {YEARS_PER_RANGE}-year range", year_range),
    Step("age_band", "age band widened to 18-35, 36-55 or 56+", lambda band: WIDE_AGE.get(band, band)),
    Step("age_band", f"age band replaced by '{ANY_AGE}'", lambda _band: ANY_AGE),
)
"""Applied in this order, each only to the rows whose group is still smaller than the minimum."""

WITHHELD_REASONS = {
    "small_group": "fewer than the minimum number of patients share its sex, age band, substance, route and year, "
                   "even after every generalisation step",
}
"""Why a row can be left out of a file: the only reason. The count is given per reason, never per group, since a
count for one sex and substance would itself be a small cell."""


@dataclass(frozen=True)
class Generalised:
    rows: list[tuple[str, ...] | None]
    """Each input row's quasi-identifiers as the file gives them, in input order; None where the row is withheld."""
    steps: dict[str, int]
    """For each step of the ladder (its words), how many rows it changed."""
    withheld: dict[str, int]
    """For each reason in WITHHELD_REASONS, how many rows were left out."""


def generalise(rows: Sequence[tuple[str, ...]], minimum: int = MIN_GROUP) -> Generalised:
    """Each row's quasi-identifiers (a tuple in QUASI_IDENTIFIERS order), generalised until its group holds at least
    `minimum` rows, or withheld. The result depends only on the rows, not their order."""
    if minimum < MIN_GROUP:
        raise ValueError(f"Smallest group in an export: at least {MIN_GROUP}; got {minimum}")
    current = [tuple(row) for row in rows]
    steps = {}
    for step in LADDER:
        at = QUASI_IDENTIFIERS.index(step.column)
        sizes = Counter(current)
        changed = 0
        for i, row in enumerate(current):
            if sizes[row] < minimum:
                new = (*row[:at], step.change(row[at]), *row[at + 1:])
                changed += new != row
                current[i] = new
        steps[step.words] = changed
    sizes = Counter(current)
    kept = [row if sizes[row] >= minimum else None for row in current]
    return Generalised(kept, steps, {"small_group": sum(row is None for row in kept)})


def smallest_group(rows: Sequence[tuple[str, ...]]) -> int | None:
    """The size of the smallest combination of quasi-identifiers among the rows (None for no rows): the check that
    a file meets the minimum."""
    sizes = Counter(tuple(row) for row in rows)
    return min(sizes.values()) if sizes else None


def whole_weeks(days: int) -> int:
    """An interval from the first session in whole weeks (day 0 to 6 is week 0): finer than a week is not given."""
    return int(days) // 7
