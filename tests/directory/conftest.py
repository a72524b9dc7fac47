"""What the directory tests share: a workspace in a real database, the Web API client pointed at
the stand-in, a recorder of the waits a sync asks for, and a workspace big enough to page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.delivery.tokens import SingleWorkspaceTokens
from app.directory.slack_lookup import SlackLookup
from app.sandbox.slack_api import SlackStandIn
from app.slackapi.web_api import WebApi
from app.store.db import SessionFactory, make_engine, make_session_factory, transaction
from app.store.models import Member
from app.workspaces.service import Identity, ensure_workspace
from tests.conftest import BOT_TOKEN

TEAM = "T0001"
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
# More people than one `users.list` page of 200 holds, so a sync has several pages to follow.
CROWD = 450


@pytest.fixture
def sessions(database_url: str) -> Iterator[SessionFactory]:
    """Sessions on a fresh database that knows workspace T0001."""
    engine = make_engine(database_url, pool_size=2)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        ensure_workspace(session, Identity(TEAM, "Acme", "UBOT", "BBOT"), START)
    yield factory
    engine.dispose()


@pytest.fixture
def api(slack: SlackStandIn) -> Iterator[WebApi]:
    """The pooled Web API client, talking to the stand-in."""
    client = WebApi(slack.base_url)
    yield client
    client.close()


@pytest.fixture
def lookup(api: WebApi) -> SlackLookup:
    """The directory read-through, with the stand-in's bot token for T0001."""
    return SlackLookup(api, SingleWorkspaceTokens(TEAM, BOT_TOKEN))


@pytest.fixture
def crowd(slack: SlackStandIn) -> set[str]:
    """Add CROWD people to the stand-in; return every user id it now lists."""
    for n in range(CROWD):
        slack.add_user(f"U{n:05d}", f"person{n}")
    return set(slack.users)


class Waits:
    """Stands in for sleeping: records each wait asked for and returns at once.

    `stop_after` makes the n-th wait (counting from 1) and every later one answer "stop", as a
    set `threading.Event` does.
    """

    def __init__(self, stop_after: int | None = None) -> None:
        self.asked: list[float] = []
        self.stop_after = stop_after

    def __call__(self, seconds: float) -> bool:
        """Record `seconds`; return whether the caller should stop."""
        self.asked.append(seconds)
        return self.stop_after is not None and len(self.asked) >= self.stop_after


@pytest.fixture
def waits() -> Waits:
    """A wait that never sleeps and records what was asked."""
    return Waits()


def member_ids(sessions: SessionFactory) -> set[str]:
    """Every user id in T0001's directory."""
    with sessions() as session:
        return set(session.scalars(select(Member.user_id).where(Member.team_id == TEAM)))
