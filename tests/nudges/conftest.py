"""A bot living on Monday 2026-11-23, 10:00 in New York, whose clock tests move forward."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from app.sandbox.answers import Call
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from tests.asks.conftest import ask_cmd
from tests.clocks import OffsetClock
from tests.conftest import BotFactory, bot_settings

__all__ = ["ask_cmd"]
MONDAY_10_NY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> OffsetClock:
    """The bot's clock."""
    return OffsetClock(MONDAY_10_NY)


@pytest.fixture
def bot(
    database_url: str,
    slack: SlackStandIn,
    clock: OffsetClock,
    slack_mode: str,
    serve_bot: BotFactory,
) -> BotServer:
    """The bot on `clock`, served in-process against the stand-in."""
    return serve_bot(bot_settings(database_url, slack, slack_mode), clock=clock)


def dm_to(slack: SlackStandIn, user: str, containing: str) -> Call:
    """The newest DM the bot posted to `user` whose arguments contain `containing`."""
    return slack.wait_for(
        lambda c: (
            c.method == "chat.postMessage"
            and c.args.get("channel") == user
            and containing in json.dumps(c.args)
        )
    )[-1]
