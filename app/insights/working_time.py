"""Working time elapsed between two instants, read from a running total over a span of days.

The same working hours as `app.asks.working_hours.WorkingHours` (its days, hours and zone, each
day's window ending at local closing time), counted once for a span of days so that thousands of
asks are each measured with two binary searches instead of a walk over days per ask.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, datetime, timedelta

from app.asks.working_hours import WorkingHours


class WorkingClock:
    """Working seconds since the start of a span of local days, for any instant in or near it."""

    def __init__(self, hours: WorkingHours, first: date, last: date) -> None:
        """Lay out the working windows of the local days `first` to `last`, both included."""
        self.day_seconds = _day_seconds(hours)
        self._opens: list[float] = []
        self._closes: list[float] = []
        self._before: list[float] = []
        total = 0.0
        day = first
        while day <= last:
            if day.weekday() in hours.days:
                opens, closes = (moment.timestamp() for moment in hours.window(day))
                self._opens.append(opens)
                self._closes.append(closes)
                self._before.append(total)
                total += closes - opens
            day += timedelta(days=1)
        self._total = total

    def elapsed(self, instant: datetime) -> float:
        """Working seconds from the span's start to `instant` (clamped to the span)."""
        moment = instant.timestamp()
        index = bisect_right(self._opens, moment) - 1
        if index < 0:
            return 0.0
        return self._before[index] + min(moment, self._closes[index]) - self._opens[index]

    def between(self, start: datetime, end: datetime) -> float:
        """Working seconds from `start` to `end` (0 when `end` is not after `start`)."""
        return max(0.0, self.elapsed(end) - self.elapsed(start))


def _day_seconds(hours: WorkingHours) -> float:
    """The length of one working day in seconds: its hours, as the workspace sets them."""
    return float((hours.end_hour - hours.start_hour) * 3600)
