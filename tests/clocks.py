"""Clocks for tests that need the bot to live at another time than now."""

from __future__ import annotations

from app.clock import OffsetClock

__all__ = ["HandClock", "OffsetClock"]


class HandClock:
    """A monotonic clock (seconds) that moves only when a test sets or advances `now`."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        """The current reading."""
        return self.now
