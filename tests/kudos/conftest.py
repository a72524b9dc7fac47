"""Helpers for kudos tests driven over signed HTTP against the stand-in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.store.db import transaction
from app.store.models import Kudos, Member, Workspace
from tests.waiting import eventually

Kudo = Callable[..., httpx.Response]


@pytest.fixture
def kudos_cmd(driver: SlackDriver, slack: SlackStandIn) -> Kudo:
    """Sends `/kudos <text>` as a person, in a channel, the way Slack does."""

    def send(
        text: str, user: str = "U0ALICE", channel: str = "C0GENERAL", **extra: Any
    ) -> httpx.Response:
        fields: dict[str, Any] = {
            "command": "/kudos",
            "text": text,
            "user_id": user,
            "channel_id": channel,
            "response_url": slack.new_response_url(),
            "trigger_id": slack.issue_trigger_id(),
            **extra,
        }
        return driver.command(**fields)

    return send


def reply_text(response: httpx.Response) -> str:
    """The ephemeral text of an ack."""
    assert response.status_code == 200, response.text
    # Bolt answers a text-only ack as plain text, which Slack shows as an ephemeral message.
    if not response.headers.get("content-type", "").startswith("application/json"):
        return response.text
    return str(response.json().get("text", ""))


def stored_kudos(bot: BotServer) -> list[Kudos]:
    """Every kudos in the bot's database, oldest first."""
    with bot.runtime.sessions() as session:
        rows = list(session.scalars(select(Kudos).order_by(Kudos.id)))
        for row in rows:
            session.expunge(row)
        return rows


def configure(bot: BotServer, **settings: Any) -> None:
    """Change workspace T0001's settings."""
    with transaction(bot.runtime.sessions) as session:
        workspace = session.get_one(Workspace, "T0001")
        for key, value in settings.items():
            setattr(workspace, key, value)


def wait_for_member(bot: BotServer, user_id: str, timeout: float = 5.0) -> None:
    """Wait until the start-up directory sync has stored `user_id`."""

    def stored() -> bool:
        with bot.runtime.sessions() as session:
            return session.get(Member, ("T0001", user_id)) is not None

    eventually(stored, what=f"{user_id} in the directory", timeout=timeout)
