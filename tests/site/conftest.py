"""The insights site under test: a bot served over HTTP, people in its directory, sign-in links."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.store.models import Member
from tests.conftest import SIGNING_SECRET, BotFactory, bot_settings
from tests.site.helpers import TEAM
from tests.waiting import eventually


def wait_for_directory(bot: BotServer, *users: str) -> None:
    """Wait until the bot's directory (filled from users.list at start) knows `users`."""

    def known() -> set[str]:
        with bot.runtime.sessions() as session:
            return set(session.scalars(select(Member.user_id).where(Member.team_id == TEAM)))

    eventually(known, lambda ids: set(users) <= ids, what=f"directory entries for {users}")


@pytest.fixture
def site_bot(database_url: str, slack: SlackStandIn, serve_bot: BotFactory) -> BotServer:
    """The bot over HTTP, its directory holding the stand-in's people (alice is an admin)."""
    bot = serve_bot(bot_settings(database_url, slack, "http"))
    wait_for_directory(bot, "U0ALICE", "U0BOB", "U0CAROL", "U0DAVE")
    return bot


@pytest.fixture
def site_driver(site_bot: BotServer, slack: SlackStandIn) -> Iterator[SlackDriver]:
    """Signed Slack requests to the site's bot."""
    with SlackDriver(site_bot.url, SIGNING_SECRET, slack=slack) as driver:
        yield driver
