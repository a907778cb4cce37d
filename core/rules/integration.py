"""When an integration note may be dated: after its dosing session's discharge, never inside the session.

The integration session is the psychotherapy that follows a dose; until discharge the patient is still being
monitored, so a note dated before it describes a meeting that cannot have happened. Times are compared to the minute
(the form's time has no seconds): a note at the discharge minute is allowed, one a minute earlier is not.
"""

from __future__ import annotations

from datetime import datetime, timedelta

SOURCE = ("every cited trial paired ketamine with psychotherapy after the dose (integration session after the dosing "
          "session); esketamine REMS: the patient is monitored until discharge")
FIELD = "Date and time of the integration session"
QUARTER = timedelta(minutes=15)
LATE_BY = timedelta(minutes=1)
"""A time typed a moment after 'now' (the page's clock and the server's) is not in the future."""


def discharge_minute(discharged_at: datetime) -> datetime:
    """The earliest time a note may carry: the minute the patient was discharged."""
    return discharged_at.replace(second=0, microsecond=0)


def note_time(met_at, discharged_at: datetime, now: datetime) -> datetime:
    """The note's time, checked: present, not in the future, not before the session's discharge minute. Each
    refusal names the field."""
    if not isinstance(met_at, datetime):
        raise ValueError(f"{FIELD}: enter when you met the patient")
    if met_at > now + LATE_BY:
        raise ValueError(f"{FIELD} is in the future; enter when you met the patient")
    earliest = discharge_minute(discharged_at)
    if met_at < earliest:
        raise ValueError(f"{FIELD}: {met_at:%d %b %Y %H:%M} is before the patient was discharged from the dosing "
                         f"session at {earliest:%d %b %Y %H:%M}; the integration session follows the dosing session, "
                         "so enter a time at or after discharge")
    return met_at


def offered_time(discharged_at: datetime, booked_for: datetime | None, now: datetime) -> datetime:
    """The time a new note's form starts with: the booked integration session when it was booked after discharge
    and has come; otherwise the discharge, rounded up to the quarter hour the clinic books in (or the discharge
    minute itself while that quarter hour is still ahead). Never before discharge; the therapist changes it when
    they met at another time."""
    earliest = discharge_minute(discharged_at)
    if booked_for is not None and earliest <= booked_for <= now:
        return booked_for
    past_quarter = (earliest - earliest.replace(minute=0)) % QUARTER
    rounded = earliest + (QUARTER - past_quarter if past_quarter else timedelta(0))
    return rounded if rounded <= now else earliest
