"""Signing in to the site in tests: links as `/kudos insights` hands them out, signed-in clients."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from app.server import BotServer
from app.signin import links
from app.store.db import transaction

TEAM = "T0001"


def sign_in_link(bot: BotServer, user_id: str, team_id: str = TEAM) -> str:
    """A fresh one-time sign-in link for the person, as `/kudos insights` hands out."""
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
        link = sign_in_link(bot, user_id, team_id)
        response = client.post("/insights/signin", data={"token": token_of(link)})
        assert response.status_code == 303, response.text
        yield client


def csrf_of(page: str) -> str:
    """The CSRF token in a page's sign-out form."""
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, page
    return found.group(1)
