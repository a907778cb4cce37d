"""Substance-use history as told at screening: a last use that can be true of this patient.

Seen in use: a last use in 1985 for a patient born in 1990, who had used on 28 of the last 30 days, was accepted.
The window "the last 30 days" is today and the 29 days before it, so a patient who used on n of them (n at least 1)
last used at most 30 - n days ago, and one who used on none of them last used 30 days ago or longer.
"""

from __future__ import annotations

from datetime import date

WINDOW_DAYS = 30
"""The screening question's window ("Days used in the last 30"), a fixed part of the question, not a setting."""


def last_use_problem(last_use: date, days_used_30: int, born: date | None, today: date) -> str | None:
    """Why a last use cannot be right beside the date of birth and the days used in the last 30, or None."""
    if born is not None and last_use < born:
        return f"Date of last use: {last_use:%d %b %Y} is before the date of birth ({born:%d %b %Y}); check the year"
    if days_used_30 is None:
        return None
    ago = (today - last_use).days
    if days_used_30 >= 1 and ago > WINDOW_DAYS - days_used_30:
        return (f"Date of last use: {ago} days ago, but Days used in the last 30 is {days_used_30}: the last use is "
                f"then at most {WINDOW_DAYS - days_used_30} days ago. Check both")
    if days_used_30 == 0 and ago < WINDOW_DAYS:
        return (f"Date of last use: {ago} days ago, but Days used in the last 30 is 0: a use within the last "
                f"{WINDOW_DAYS} days counts as a day used. Check both")
    return None
