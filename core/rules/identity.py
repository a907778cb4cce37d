"""When answers typed for one person may be filed in an existing patient's chart.

A chart number is one identifier, and one identifier is how a stranger's PHQ-9 ended up in
another patient's chart: a new person typed with a chart number that was already taken. A
form's answers therefore move to an existing chart only when the person typed matches that
chart on two identifiers, the name and the date of birth. The chart number never counts
towards them: it is the identifier in question whenever a form is moved.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from core.rules.validate import as_date

SOURCE = ("The Joint Commission, National Patient Safety Goal NPSG.01.01.01: use at least two patient "
          "identifiers (such as the name and the date of birth) when providing care, treatment and services; "
          "a room or bed number is never one")
IDENTIFIERS = ("name", "date of birth")


@dataclass(frozen=True)
class Person:
    """Who a form or a chart says the patient is; the date of birth as typed (text) or stored (a date)."""

    first_name: object
    last_name: object
    date_of_birth: object


def _name(value) -> str | None:
    """A name as a person would compare it: case, accents' composed form and runs of spaces do not matter."""
    if not isinstance(value, str):
        return None
    folded = " ".join(unicodedata.normalize("NFC", value).split()).casefold()
    return folded or None


def _birth(value) -> date | None:
    return as_date(value)


def differences(typed: Person, chart: Person) -> tuple[str, ...]:
    """The identifiers on which the person typed and the chart differ (an empty or unreadable one differs)."""
    different = []
    first, last = _name(typed.first_name), _name(typed.last_name)
    if first is None or last is None or (first, last) != (_name(chart.first_name), _name(chart.last_name)):
        different.append("name")
    born = _birth(typed.date_of_birth)
    if born is None or born != _birth(chart.date_of_birth):
        different.append("date of birth")
    return tuple(different)


def same_person(typed: Person, chart: Person) -> bool:
    """Whether answers typed for `typed` may be filed in `chart`: name and date of birth both match."""
    return not differences(typed, chart)
