"""The nudge tests' bot on an injected clock (so nudge rounds and offer checks can come due), the
kudos and ask tests' slash-command fixtures, and the bot invited to #general (events come only
from conversations the bot is in)."""

from __future__ import annotations

import pytest

from app.sandbox.slack_api import SlackStandIn
from tests.asks.conftest import ask_cmd
from tests.kudos.conftest import kudos_cmd
from tests.nudges.conftest import bot, clock

__all__ = ["ask_cmd", "bot", "clock", "kudos_cmd"]


@pytest.fixture(autouse=True)
def invited(slack: SlackStandIn) -> None:
    """Someone invited the bot to #general (/invite @Reciprocity)."""
    slack.set_bot_member("C0GENERAL", True)
