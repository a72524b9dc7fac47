"""The working clock agrees with the nudges' working hours, across weekends and DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from app.asks.working_hours import WorkingHours
from app.insights.working_time import WorkingClock

NEW_YORK = ZoneInfo("America/New_York")
SCHEDULES = [
    WorkingHours(NEW_YORK),
    WorkingHours(ZoneInfo("Europe/Berlin"), frozenset({0, 2, 6}), 7, 24),
    WorkingHours(ZoneInfo("Asia/Kolkata"), frozenset(range(7)), 0, 24),
]
FIRST, LAST = date(2026, 9, 1), date(2027, 5, 1)


@settings(max_examples=300, deadline=None)
@given(
    schedule=st.sampled_from(SCHEDULES),
    start=st.datetimes(datetime(2026, 9, 2), datetime(2027, 3, 31), timezones=st.just(UTC)),
    hours=st.floats(0, 40),
)
def test_working_time_to_the_nudges_deadline_is_those_hours(
    schedule: WorkingHours, start: datetime, hours: float
) -> None:
    clock = WorkingClock(schedule, FIRST, LAST)
    deadline = schedule.add(start, hours)
    assert abs(clock.between(start, deadline) - hours * 3600) < 1e-3


def test_a_day_of_working_time_and_the_weekend() -> None:
    clock = WorkingClock(WorkingHours(NEW_YORK), FIRST, LAST)
    friday_4pm = datetime(2026, 10, 30, 20, 0, tzinfo=UTC)
    monday_11am = datetime(2026, 11, 2, 16, 0, tzinfo=UTC)  # EST by then
    assert clock.day_seconds == 9 * 3600
    assert clock.between(friday_4pm, monday_11am) == 4 * 3600
    assert clock.between(monday_11am, friday_4pm) == 0
    saturday = datetime(2026, 10, 31, 15, 0, tzinfo=UTC)
    assert clock.between(saturday, saturday + timedelta(hours=20)) == 0
