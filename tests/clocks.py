"""Clocks for tests that need the bot to live at another time than now."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class OffsetClock:
    """The wall clock moved to start at `start`; `advance` jumps it forward.

    It keeps ticking, unlike a manual clock, so paced and retried messages come due as in life.
    """

    def __init__(self, start: datetime) -> None:
        self._offset = start - datetime.now(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The moved wall-clock time."""
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> None:
        """Jump forward by `delta`."""
        with self._lock:
            self._offset += delta
