"""ISO weeks in a workspace's zone: labels like "2026-W45" and the UTC instants that bound them.

A digest week runs from Monday 00:00 local to the next Monday 00:00 local, so a week that
contains a DST change is 167 or 169 hours long, never a fixed 7 x 24.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.calendar import week_start

_LABEL = re.compile(r"(\d{4})-W(\d{2})")
_USAGE = "use 'current', 'last' or an ISO week such as 2026-W07"


@dataclass(frozen=True)
class Week:
    """One local week: its ISO label and its [start, end) as aware UTC instants."""

    label: str
    start: datetime
    end: datetime


def _monday_bound(monday: date, tz: ZoneInfo) -> datetime:
    # Local noon on a Monday always exists; week_start then finds that Monday's midnight,
    # DST gaps included, the same way /kudos stats does.
    return week_start(datetime.combine(monday, time(12), tzinfo=tz), tz)


def iso_week_bounds(week: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Return the UTC [start, end) of ISO week `week` ("YYYY-Www") in `tz`; ValueError if bad."""
    monday = _monday(week)
    return _monday_bound(monday, tz), _monday_bound(monday + timedelta(days=7), tz)


def week_label(instant: datetime, tz: ZoneInfo) -> str:
    """Return the ISO week label ("YYYY-Www") of the local week containing `instant` in `tz`."""
    year, number, _ = instant.astimezone(tz).isocalendar()
    return f"{year}-W{number:02d}"


def week_of(instant: datetime, tz: ZoneInfo) -> Week:
    """Return the local week (label and bounds) that contains `instant` in `tz`."""
    label = week_label(instant, tz)
    start, end = iso_week_bounds(label, tz)
    return Week(label, start, end)


def parse_week(arg: str, now: datetime, tz: ZoneInfo) -> Week:
    """Read "current", "last" or "YYYY-Www" as of `now` in `tz`; ValueError names what is wrong."""
    text = arg.strip()
    if text.lower() == "current":
        return week_of(now, tz)
    if text.lower() == "last":
        return week_of(week_of(now, tz).start - timedelta(seconds=1), tz)
    start, end = iso_week_bounds(text, tz)
    label = text.upper()
    if start > now:
        raise ValueError(f"week {label} has not started yet; {_USAGE}")
    return Week(label, start, end)


def _monday(week: str) -> date:
    match = _LABEL.fullmatch(week.strip().upper())
    if match is None:
        raise ValueError(f"not a week: {week!r}; {_USAGE}")
    year, number = int(match.group(1)), int(match.group(2))
    try:
        return date.fromisocalendar(year, number, 1)
    except ValueError:
        raise ValueError(f"{year} has no ISO week {number}; {_USAGE}") from None
