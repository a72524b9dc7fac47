"""Signing in to the site in tests: links as `/kudos insights` hands them out, signed-in clients."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from app.sandbox.driver import SlackDriver
from app.server import BotServer
from app.signin import links
from app.store.db import transaction
from tests.conftest import SIGNING_SECRET

TEAM = "T0001"


def sign_in_link(bot: BotServer, user_id: str) -> str:
    """The sign-in link the bot answers `/kudos insights` with, asked as the person over signed
    HTTP as Slack would; its base is PUBLIC_URL, which in tests cannot know the bot's random
    port, so the link returned points at the bot's real address."""
    with SlackDriver(bot.url, SIGNING_SECRET) as driver:
        answer = driver.command(
            command="/kudos", text="insights", user_id=user_id, channel_id="C0GENERAL"
        )
    assert answer.status_code == 200, answer.text
    [url] = [
        block["accessory"]["url"]
        for block in answer.json()["blocks"]
        if block.get("accessory", {}).get("type") == "button"
    ]
    base = bot.runtime.settings.public_url
    assert url.startswith(f"{base}/insights/signin?token="), url
    return bot.url + url.removeprefix(base)


def issued_link(bot: BotServer, user_id: str, team_id: str = TEAM) -> str:
    """A link issued straight in the store, for a workspace this single-workspace bot does not
    serve over Slack (its `/kudos` would never reach the bot)."""
    with transaction(bot.runtime.sessions) as session:
        secret = links.issue(session, team_id, user_id, bot.runtime.clock.now())
    return f"{bot.url}/insights/signin?token={secret}"


def token_of(link: str) -> str:
    """The secret in a sign-in link."""
    found = re.search(r"token=([A-Za-z0-9_-]+)", link)
    assert found is not None, link
    return found.group(1)


@contextmanager
def signed_in_client(bot: BotServer, user_id: str, team_id: str = TEAM) -> Iterator[httpx.Client]:
    """An HTTP client that signed in through a link as the person (its cookie jar holds the
    session), closed after the block."""
    with httpx.Client(base_url=bot.url, timeout=10) as client:
        link = sign_in_link(bot, user_id) if team_id == TEAM else issued_link(bot, user_id, team_id)
        response = client.post("/insights/signin", data={"token": token_of(link)})
        assert response.status_code == 303, response.text
        yield client


def csrf_of(page: str) -> str:
    """The CSRF token in a page's sign-out form."""
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, page
    return found.group(1)
