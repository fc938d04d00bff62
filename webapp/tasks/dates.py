"""Calendar days as people in the office mean them, and the instants stored for them.

People pick a day (in the app's time zone, Europe/Brussels); the database keeps aware UTC
instants. A due date is the last minute of its day (a task due on Friday is not late on Friday
evening), a follow-up date the first minute of its day (it comes up again from that morning).
The same conversion serves the filters, so "due on or before Friday" matches a task due Friday.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask_babel import get_timezone


def _zone() -> dt.tzinfo:
    # flask_babel gives a pytz zone, which must not be passed as tzinfo= (it would use LMT)
    configured = get_timezone()
    return ZoneInfo(str(configured)) if configured is not None else dt.UTC


def start_of_day(day: dt.date) -> dt.datetime:
    """The first instant of ``day`` in the app's time zone, in UTC."""
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=_zone()).astimezone(dt.UTC)


def end_of_day(day: dt.date) -> dt.datetime:
    """The last minute of ``day`` in the app's time zone, in UTC."""
    return dt.datetime.combine(day, dt.time(23, 59), tzinfo=_zone()).astimezone(dt.UTC)


def local_day(when: dt.datetime | None) -> dt.date | None:
    """The calendar day ``when`` falls on in the app's time zone."""
    if when is None:
        return None
    aware = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return aware.astimezone(_zone()).date()


def from_local(when: dt.datetime) -> dt.datetime:
    """A date and time typed in the app's time zone (a datetime-local input), in UTC."""
    if when.tzinfo is not None:
        return when.astimezone(dt.UTC)
    return when.replace(tzinfo=_zone()).astimezone(dt.UTC)


def to_local_input(when: dt.datetime) -> str:
    """``when`` as a datetime-local input shows it: YYYY-MM-DDTHH:MM in the app's time zone."""
    aware = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return aware.astimezone(_zone()).strftime("%Y-%m-%dT%H:%M")


def parse_day(text: str) -> dt.date:
    """A day typed as YYYY-MM-DD (what a date input sends); ValueError otherwise."""
    return dt.date.fromisoformat(text.strip())
