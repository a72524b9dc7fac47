"""Working hours in a person's time zone: whether an instant falls in them, and adding them up.

All arithmetic is done on UTC instants; local wall-clock times only mark where each working day
starts and ends, so a DST change shortens or lengthens that day as it does for the person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.calendar import zone
from app.store.models import Workspace

# A schedule with no working day at all would never come due; a year bounds every search.
_HORIZON_DAYS = 366


@dataclass(frozen=True)
class WorkingHours:
    """Working days (0 = Monday) and hours [start, end) in one time zone."""

    tz: ZoneInfo
    days: frozenset[int] = frozenset(range(5))
    start_hour: int = 9
    end_hour: int = 18

    @classmethod
    def of(cls, workspace: Workspace, tz: str | None) -> WorkingHours:
        """The workspace's working hours, counted in a person's zone `tz` (if they have one,
        else in the workspace's)."""
        days = frozenset(d for d in workspace.work_days if 0 <= d <= 6) or frozenset(range(7))
        start, end = workspace.work_start_hour, workspace.work_end_hour
        if not 0 <= start < end <= 24:
            start, end = 0, 24
        return cls(zone(tz, workspace.timezone), days, start, end)

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        if day.weekday() not in self.days:
            return None
        return self.window(day)

    def window(self, day: date) -> tuple[datetime, datetime]:
        """The UTC instants at which local `day`'s working hours open and close (a day's window
        ends at local closing time, or at the next local midnight for an end hour of 24)."""
        opens = datetime.combine(day, time(self.start_hour), tzinfo=self.tz).astimezone(UTC)
        closes = (
            datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz)
            if self.end_hour == 24
            else datetime.combine(day, time(self.end_hour), tzinfo=self.tz)
        ).astimezone(UTC)
        return opens, closes

    def contains(self, instant: datetime) -> bool:
        """Whether `instant` falls within working hours."""
        window = self._window(instant.astimezone(self.tz).date())
        return window is not None and window[0] <= instant < window[1]

    def next_open(self, instant: datetime) -> datetime:
        """`instant` if it is within working hours, else the next moment working hours begin."""
        return self.add(instant, 0.0)

    def add(self, start: datetime, hours: float) -> datetime:
        """The instant at which `hours` working hours have passed since `start`."""
        remaining = timedelta(hours=hours)
        day = start.astimezone(self.tz).date()
        for _ in range(_HORIZON_DAYS):
            window = self._window(day)
            if window is not None:
                begin = max(start, window[0])
                if begin < window[1]:
                    available = window[1] - begin
                    # Ending exactly at closing time counts as the next working moment.
                    if remaining < available:
                        return begin + remaining
                    remaining -= available
            day += timedelta(days=1)
        return start + timedelta(hours=hours)
