"""Clocks for tests that need the bot to live at another time than now."""

from __future__ import annotations

from app.clock import OffsetClock

__all__ = ["OffsetClock"]
