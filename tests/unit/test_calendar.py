"""Local days and weeks, across time zones and DST changes."""

from __future__ import annotations

from datetime import UTC, datetime

from app.calendar import day_start, month_start, week_start, zone


def test_day_start_is_local_midnight() -> None:
    now = datetime(2026, 3, 10, 3, 30, tzinfo=UTC)  # still the 9th in New York
    assert day_start(now, zone("America/New_York")) == datetime(2026, 3, 9, 4, 0, tzinfo=UTC)
    assert day_start(now, zone("Asia/Tokyo")) == datetime(2026, 3, 9, 15, 0, tzinfo=UTC)


def test_week_starts_on_monday_across_a_dst_change() -> None:
    # Europe switched to summer time on Sunday 2026-03-29: the week began at UTC+1 midnight.
    now = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    assert week_start(now, zone("Europe/Berlin")) == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    sunday = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)
    assert week_start(sunday, zone("Europe/Berlin")) == datetime(2026, 3, 22, 23, 0, tzinfo=UTC)


def test_month_start_and_unknown_zones_fall_back() -> None:
    now = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    assert month_start(now, zone("America/Los_Angeles")) == datetime(2026, 10, 1, 7, 0, tzinfo=UTC)
    assert zone("Not/AZone", "Europe/Paris").key == "Europe/Paris"
    assert zone(None).key == "UTC"
