"""How numbers, shares, durations and instants read on the pages."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

# Deactivated and erased people have no name in the model; this is what the pages say instead.
FORMER_MEMBER = "a former member"


def count(value: int | float) -> str:
    """Return a whole number with thousands separators: 12,480."""
    return f"{round(value):,}"


def share(value: float | None) -> str:
    """Return a share in [0, 1] as a whole percentage, or an em dash when there is none."""
    return "—" if value is None else f"{round(value * 100)}%"


def duration(value: timedelta | None) -> str:
    """Return a span in its two largest units (2 d 4 h, 3 h 20 min, 45 min), or an em dash."""
    if value is None:
        return "—"
    minutes = max(round(value.total_seconds() / 60), 0)
    if minutes >= 24 * 60:
        # Shown in days and hours: round to the hour rather than drop the minutes.
        days, hours = divmod(round(minutes / 60), 24)
        return f"{days} d {hours} h" if hours else f"{days} d"
    hours, mins = divmod(minutes, 60)
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def day(value: date) -> str:
    """Return a date as people read it: Mon 30 Nov 2026."""
    return f"{value:%a} {value.day} {value:%b %Y}"


def local_day(value: datetime, tz: ZoneInfo) -> str:
    """Return the local date of an instant in the workspace's time zone: Mon 8 Dec 2025."""
    return day(value.astimezone(tz).date())


def instant(value: datetime, tz: ZoneInfo) -> str:
    """Return an instant in the workspace's time zone: Tue 1 Dec, 14:05."""
    local = value.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"


def person(name: str | None) -> str:
    """Return the name to show for a person, or the words for someone who may not be named."""
    return name if name else FORMER_MEMBER
