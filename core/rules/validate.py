"""Type and range checks that raise ValueError in words a nurse understands.

Nothing here clamps or defaults: a value is either accepted as given or refused with
the field named, so a typo never turns silently into a different clinical number.
"""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from datetime import date, datetime, time


class FieldErrors(ValueError):
    """Every bad field of one form, each message naming its field, so one refusal says all (issue 25.11): a nurse
    with five slips should not need five clicks to find them."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(self.errors.values()))


def every(checks: dict) -> dict:
    """Run each named check (a function of no arguments) and return their values, or raise FieldErrors naming every
    one that refused."""
    values, errors = {}, {}
    for name, check in checks.items():
        try:
            values[name] = check()
        except ValueError as e:
            errors[name] = str(e)
    if errors:
        raise FieldErrors(errors)
    return values


def whole_number(value, field: str, low: int | None = None, high: int | None = None) -> int:
    _given(value, field)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{field} must be a whole number")
    _in_range(value, field, low, high)
    return value


def number(value, field: str, low: float | None = None, high: float | None = None) -> float:
    _given(value, field)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{field} must be a number")
    _in_range(value, field, low, high)
    return float(value)


def positive_number(value, field: str) -> float:
    value = number(value, field)
    if value <= 0:
        raise ValueError(f"{field} must be more than 0 (entered {value:g})")
    return value


def yes_no(value, field: str) -> bool:
    if value is None:
        raise ValueError(f"{field}: answer yes or no")
    if not isinstance(value, bool):
        raise ValueError(f"{field} must be yes or no")
    return value


def choice(value, field: str, allowed) -> str:
    if value is None:
        raise ValueError(f"{field}: choose one")
    if not _among(value, allowed):
        options = ", ".join(sorted(allowed))
        raise ValueError(f"{field} must be one of: {options}")
    return value


def choices(values, field: str, allowed) -> frozenset[str]:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ValueError(f"{field} must be a set of options")
    try:
        values = frozenset(values)
    except TypeError:
        raise ValueError(f"{field} must be a set of options") from None
    unknown = sorted(str(v) for v in values - frozenset(allowed))
    if unknown:
        options = ", ".join(sorted(allowed))
        raise ValueError(f"{field}: unknown option(s) {', '.join(unknown)}; allowed: {options}")
    return values


def _among(value, allowed) -> bool:
    """Membership that answers no, instead of failing, for a value that cannot be looked up (a list, a dict)."""
    try:
        return value in allowed
    except TypeError:
        return False


RECORD_ID_MAX = 2**31 - 1
"""Records are numbered by the database's INTEGER ids; a larger number names no record and cannot be looked up."""


def record_id(value, not_found: str) -> int:
    """A record chosen on screen, held as its id: anything that cannot be such an id is a record that is not there,
    said in the caller's words ("That patient was not found"), rather than a database error about types. An id read
    from a table on screen may be one of numpy's integers; it is the same number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 1 <= value <= RECORD_ID_MAX:
        raise ValueError(not_found)
    return int(value)


def optional_record_id(value, not_found: str) -> int | None:
    return None if value is None else record_id(value, not_found)


def record_ids(values, not_found: str) -> tuple[int, ...]:
    """Several chosen records (a set, list or tuple of ids) in their order, each checked as `record_id` checks one."""
    if not isinstance(values, (set, frozenset, list, tuple)):
        raise ValueError(not_found)
    return tuple(record_id(v, not_found) for v in values)


def optional_date(value, field: str) -> date | None:
    return None if value is None else calendar_date(value, field)


def _given(value, field: str) -> None:
    if value is None or value == "":
        raise ValueError(f"{field} is required")


def _in_range(value, field: str, low, high) -> None:
    if low is not None and high is not None and not low <= value <= high:
        raise ValueError(f"{field} must be between {low:g} and {high:g} (entered {value:g})")
    if low is not None and value < low:
        raise ValueError(f"{field} must be at least {low:g} (entered {value:g})")
    if high is not None and value > high:
        raise ValueError(f"{field} must be at most {high:g} (entered {value:g})")


ZWJ = "\u200d"


def characters(text: str) -> int:
    """Characters as a reader counts them: an emoji, a flag or a letter with its accents is one.

    A text limit in code points would call a family emoji seven characters; the browser's
    own limit counts UTF-16 units and silently cuts a paste. This counts user-perceived
    characters closely enough for a limit: marks, joiners, variation selectors, skin
    tones and tags extend the character before them, and regional indicators pair up.
    """
    count, joined, pending_flag = 0, False, False
    for ch in text:
        code = ord(ch)
        extends = (unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me")
                   or ch == ZWJ or 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF
                   or 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F)
        if 0x1F1E6 <= code <= 0x1F1FF:
            if pending_flag:
                pending_flag = False
                continue
            pending_flag = True
        else:
            pending_flag = False
        if not (extends or joined):
            count += 1
        joined = ch == ZWJ
    return count


def text(value, field: str, limit: int, required: bool = False) -> str:
    """Free text kept exactly as typed, refused (never cut) when it is longer than `limit` characters."""
    value = "" if value is None else value
    if not isinstance(value, str):
        raise ValueError(f"{field} must be text")
    if required and not value.strip():
        raise ValueError(f"{field} is required")
    length = characters(value)
    if length > limit:
        raise ValueError(f"{field} is too long: {length:,} characters, at most {limit:,}. Shorten it; "
                         "nothing was cut")
    return value


DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d %b %Y", "%d %B %Y")
"""How a date may be typed: 1988-03-14, 14.03.1988 or 14/03/1988 (day first, as written in clinics here), or
14 Mar 1988 as the app itself shows dates."""
DATE_SHAPE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./]\d{1,2}[./]\d{4}")
"""Digits in the shape of a date: when they do not make one, the day or month is wrong, not the format."""


def as_date(value) -> date | None:
    """A typed date read in any of DATE_FORMATS, or None when it is not one."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        for fmt in DATE_FORMATS:
            try:
                return datetime.strptime(value.strip(), fmt).date()
            except ValueError:
                continue
    return None


SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def ambiguity(value) -> str | None:
    """Why a date typed with slashes cannot be read without guessing (day and month both 12 or less, and different:
    03/04/1990 is 3 April here and 4 March in the United States), or None."""
    match = SLASHED.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        return None
    first, second, year = (int(part) for part in match.groups())
    if first == second or first > 12 or second > 12:
        return None
    try:
        day_first, month_first = date(year, second, first), date(year, first, second)
    except ValueError:
        return None
    return (f"{value.strip()} could be {_words(day_first)} or {_words(month_first)}: type it as year-month-day "
            f"({day_first:%Y-%m-%d}) or with the month in words ({day_first.day} {day_first:%b %Y})")


def _words(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def date_in_words(value) -> str | None:
    """What a typed date is read as, in words, to show beside the field as it is typed (None while it is empty)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return f"Read as {_words(calendar_date(value, 'Date'))}"
    except ValueError as e:
        return str(e).removeprefix("Date: ")


def calendar_date(value, field: str) -> date:
    """A date as entered (never a search): a slash date that could be read two ways is refused, not guessed."""
    _given(value, field)
    unclear = ambiguity(value)
    if unclear:
        raise ValueError(f"{field}: {unclear}")
    parsed = as_date(value)
    if parsed is None and isinstance(value, str) and DATE_SHAPE.fullmatch(value.strip()):
        raise ValueError(f"{field}: {value.strip()} is not a date in the calendar; check the day and the month")
    if parsed is None:
        raise ValueError(f"{field}: enter a date such as 1988-03-14 (year-month-day) or 14.03.1988")
    return parsed


def clock_time(value, field: str) -> time:
    _given(value, field)
    if isinstance(value, time):
        return value
    try:
        return datetime.strptime(str(value).strip(), "%H:%M").time()
    except ValueError:
        raise ValueError(f"{field}: enter a time such as 08:30 (24-hour clock)") from None
