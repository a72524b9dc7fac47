"""Working hours: contains, next opening and adding hours, across zones, weekends and DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from app.asks.working_hours import WorkingHours

NY = WorkingHours(ZoneInfo("America/New_York"))
BERLIN = WorkingHours(ZoneInfo("Europe/Berlin"))


def local(tz: str, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def test_contains_in_the_persons_own_zone() -> None:
    assert NY.contains(local("America/New_York", 2026, 11, 24, 9, 0))
    assert not NY.contains(local("America/New_York", 2026, 11, 24, 18, 0))
    assert not NY.contains(local("America/New_York", 2026, 11, 28, 12, 0))  # Saturday
    # 15:00 UTC is 10:00 in New York and 16:00 in Berlin: both working; 18:30 UTC only NY.
    assert NY.contains(datetime(2026, 11, 24, 18, 30, tzinfo=UTC))
    assert not BERLIN.contains(datetime(2026, 11, 24, 18, 30, tzinfo=UTC))


def test_adding_hours_skips_nights_and_weekends() -> None:
    friday_4pm = local("America/New_York", 2026, 11, 27, 16, 0)
    # Two hours left on Friday, two more on Monday morning.
    assert NY.add(friday_4pm, 4) == local("America/New_York", 2026, 11, 30, 11, 0)
    saturday = local("America/New_York", 2026, 11, 28, 12, 0)
    assert NY.next_open(saturday) == local("America/New_York", 2026, 11, 30, 9, 0)
    assert NY.add(saturday, 24) == local("America/New_York", 2026, 12, 2, 15, 0)
    # Exactly at closing time is the next morning.
    assert NY.add(local("America/New_York", 2026, 11, 24, 9, 0), 9) == local(
        "America/New_York", 2026, 11, 25, 9, 0
    )


def test_dst_changes_move_the_utc_hours_not_the_local_ones() -> None:
    # New York leaves DST on Sunday 2026-11-01: 9:00 local is 13:00 UTC before, 14:00 after.
    before = local("America/New_York", 2026, 10, 30, 17, 0)  # Friday 17:00 EDT
    after = NY.add(before, 2)
    assert after == local("America/New_York", 2026, 11, 2, 10, 0)
    assert after == datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    # Berlin: a working day spanning nothing odd still counts 9 hours on the change week.
    monday = local("Europe/Berlin", 2026, 10, 26, 9, 0)
    assert BERLIN.add(monday, 9 * 5) == local("Europe/Berlin", 2026, 11, 2, 9, 0)


def test_a_week_with_no_working_days_falls_back_to_wall_hours() -> None:
    never = WorkingHours(ZoneInfo("UTC"), frozenset())
    start = datetime(2026, 11, 24, tzinfo=UTC)
    assert never.add(start, 5) == start + timedelta(hours=5)


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
    st.floats(min_value=0.0, max_value=200.0),
    st.sampled_from(["America/New_York", "Europe/Berlin", "Asia/Kolkata", "Pacific/Auckland"]),
)
def test_added_time_lands_in_working_hours_and_counts_exactly(
    naive: datetime, hours: float, tz: str
) -> None:
    schedule = WorkingHours(ZoneInfo(tz))
    start = naive.replace(tzinfo=UTC)
    end = schedule.add(start, hours)
    assert end >= start
    assert schedule.contains(end)
    # Count the working minutes between start and end by walking them: they match `hours`.
    step = timedelta(minutes=15)
    counted, cursor = timedelta(0), start
    while cursor < end:
        nxt = min(cursor + step, end)
        if schedule.contains(cursor):
            counted += nxt - cursor
        cursor = nxt
    assert abs(counted - timedelta(hours=hours)) <= step
