"""Local days, weeks and months: the boundaries that limits, stats and digests count within."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    """Return the IANA zone `name`, or `fallback` when it is missing or unknown."""
    for candidate in (name, fallback, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    # Local midnight can fall in a DST gap; fold=0 and normalising through UTC picks the instant.
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def day_start(now: datetime, tz: ZoneInfo) -> datetime:
    """Return the UTC instant at which `now`'s local day began in `tz`."""
    return _midnight(now.astimezone(tz).date(), tz)


def week_start(now: datetime, tz: ZoneInfo) -> datetime:
    """Return the UTC instant at which `now`'s local week (Monday first) began in `tz`."""
    local = now.astimezone(tz).date()
    return _midnight(local - timedelta(days=local.weekday()), tz)


def month_start(now: datetime, tz: ZoneInfo) -> datetime:
    """Return the UTC instant at which `now`'s local month began in `tz`."""
    return _midnight(now.astimezone(tz).date().replace(day=1), tz)
