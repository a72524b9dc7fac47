"""Waiting in tests for something another thread or process does: one polling helper that fails
with what it waited for and what it last saw, instead of a loop per file; and the wait for the
bot's outbox to drain, before a test says what was (or was not) posted."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import select

from app.clock import OffsetClock
from app.server import BotServer
from app.store.models import OutboxMessage
from app.store.statuses import OutboxStatus

T = TypeVar("T")


def eventually(
    probe: Callable[[], T],
    until: Callable[[T], object] = bool,
    *,
    what: str = "",
    timeout: float = 10.0,
    interval: float = 0.02,
    ignoring: tuple[type[Exception], ...] = (),
) -> T:
    """Return the first value of `probe()` that `until` accepts (by default, a truthy one),
    asking every `interval` seconds; after `timeout` seconds fail naming `what` and the last
    value seen.

    The timeout is a liveness guard, never a measure: a test passes however fast things happen.
    An exception of a type in `ignoring` counts as "not yet"; any other ends the wait at once.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = probe()
        except ignoring as error:
            last: object = error
        else:
            if until(value):
                return value
            last = value
        if time.monotonic() >= deadline:
            name = what or getattr(probe, "__name__", repr(probe))
            raise AssertionError(f"waited {timeout:g}s for {name}; last saw {last!r}")
        time.sleep(interval)


def outbox_drained(bot: BotServer, timeout: float = 10.0) -> None:
    """Wait until the bot's outbox has no row waiting or being sent, so every post it owes so far
    was made (or given up) and the stand-in's record of what it posted is final."""

    def unfinished() -> list[str]:
        with bot.runtime.sessions() as session:
            query = select(OutboxMessage.dedupe_key).where(
                OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING))
            )
            return list(session.scalars(query))

    eventually(unfinished, lambda keys: not keys, what="the outbox to drain", timeout=timeout)


def outbox_still(bot: BotServer, timeout: float = 10.0) -> None:
    """Wait until the bot's outbox has no row being sent and none due now: nothing can be claimed
    until the bot's clock moves (rows waiting for a later time may stay)."""

    def busy() -> list[str]:
        now = bot.runtime.clock.now()
        with bot.runtime.sessions() as session:
            query = select(OutboxMessage.dedupe_key).where(
                (OutboxMessage.status == OutboxStatus.SENDING)
                | (
                    (OutboxMessage.status == OutboxStatus.PENDING)
                    & (OutboxMessage.next_attempt_at <= now)
                )
            )
            return list(session.scalars(query))

    eventually(busy, lambda keys: not keys, what="the outbox to be still", timeout=timeout)


def jump(bot: BotServer, clock: OffsetClock, delta: timedelta) -> None:
    """Move `bot`'s clock forward by `delta` once its outbox is still.

    A jump while a message is being sent would make its lease look lapsed: another round would
    take the row over and post it a second time, which no real clock does within a call.
    """
    outbox_still(bot)
    clock.advance(delta)
