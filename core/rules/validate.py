"""Type and range checks that raise ValueError in words a nurse understands.

Nothing here clamps or defaults: a value is either accepted as given or refused with
the field named, so a typo never turns silently into a different clinical number.
"""

from __future__ import annotations

import math


def whole_number(value, field: str, low: int | None = None, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{field} must be a whole number; got {value!r}")
    _in_range(value, field, low, high)
    return value


def number(value, field: str, low: float | None = None, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{field} must be a number; got {value!r}")
    _in_range(value, field, low, high)
    return float(value)


def positive_number(value, field: str) -> float:
    value = number(value, field)
    if value <= 0:
        raise ValueError(f"{field} must be more than 0; got {value:g}")
    return value


def yes_no(value, field: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{field} must be yes or no (True/False); got {value!r}")
    return value


def choice(value, field: str, allowed) -> str:
    if value is None:
        raise ValueError(f"{field}: choose one")
    if value not in allowed:
        options = ", ".join(sorted(allowed))
        raise ValueError(f"{field} must be one of: {options}; got {value!r}")
    return value


def choices(values, field: str, allowed) -> frozenset[str]:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ValueError(f"{field} must be a set of options; got {values!r}")
    values = frozenset(values)
    unknown = sorted(str(v) for v in values - frozenset(allowed))
    if unknown:
        options = ", ".join(sorted(allowed))
        raise ValueError(f"{field}: unknown option(s) {', '.join(unknown)}; allowed: {options}")
    return values


def _in_range(value, field: str, low, high) -> None:
    if low is not None and high is not None and not low <= value <= high:
        raise ValueError(f"{field} must be between {low:g} and {high:g}; got {value:g}")
    if low is not None and value < low:
        raise ValueError(f"{field} must be at least {low:g}; got {value:g}")
    if high is not None and value > high:
        raise ValueError(f"{field} must be at most {high:g}; got {value:g}")
