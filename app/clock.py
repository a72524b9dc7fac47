"""The injected clock: domain code asks a `Clock` for the time and never reads the wall itself."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current instant."""

    def now(self) -> datetime:
        """Return the current instant as an aware UTC datetime."""
        ...


class SystemClock:
    """The real wall clock, in UTC."""

    def now(self) -> datetime:
        """Return the wall clock's current instant in UTC."""
        return datetime.now(UTC)


class ManualClock:
    """A clock that stands still until told to move: for tests, benchmarks and the demo."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Return the instant the clock was last set to."""
        with self._lock:
            return self._now

    def advance(self, delta: timedelta | float) -> datetime:
        """Move the clock forward by `delta` (seconds or a timedelta) and return the new instant."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        with self._lock:
            self._now += step
            return self._now

    def set(self, instant: datetime) -> None:
        """Jump to `instant` (aware)."""
        with self._lock:
            self._now = instant.astimezone(UTC)


class OffsetClock:
    """The wall clock moved to start at `start`; `advance` jumps it forward.

    It keeps ticking, unlike a manual clock, so paced and retried messages come due as in life:
    for the demo and for tests that live at another time than now.
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
