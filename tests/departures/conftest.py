"""A bot on an injected clock (so nudge rounds and offer checks can come due), with the kudos
and ask tests' slash-command fixtures, and the bot a member of #general (events come only from
conversations the bot is in)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from tests.asks.conftest import ask_cmd
from tests.clocks import OffsetClock
from tests.conftest import bot_settings, slack_driver
from tests.kudos.conftest import kudos_cmd

__all__ = ["ask_cmd", "kudos_cmd"]
# Monday 2026-11-23, 10:00 in New York.
MONDAY_10_NY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> OffsetClock:
    """The bot's clock."""
    return OffsetClock(MONDAY_10_NY)


@pytest.fixture
def bot(
    database_url: str, slack: SlackStandIn, clock: OffsetClock, slack_mode: str
) -> Iterator[BotServer]:
    """The bot on `clock`, served in-process against the stand-in."""
    slack.set_bot_member("C0GENERAL", True)
    settings = bot_settings(database_url, slack, slack_mode)
    server = BotServer(settings, clock=clock, host="127.0.0.1", port=0).start()
    yield server
    server.stop()


@pytest.fixture
def driver(bot: BotServer, slack: SlackStandIn, slack_mode: str) -> Iterator[SlackDriver]:
    """Requests to the bot, as Slack sends them."""
    with slack_driver(bot, slack, slack_mode) as connected:
        yield connected
