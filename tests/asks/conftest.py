"""Helpers for ask tests driven over signed HTTP against the stand-in."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import select

from app.sandbox import payloads
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.store.models import Ask
from tests.kudos.conftest import reply_text
from tests.waiting import eventually

Send = Callable[..., httpx.Response]
QUESTION = "How do I rotate the staging database password? Tried the runbook #postgres"


@pytest.fixture
def ask_cmd(driver: SlackDriver, slack: SlackStandIn) -> Send:
    """Sends `/ask <text>` as a person, the way Slack does."""

    def send(text: str, user: str = "U0ALICE", channel: str = "C0GENERAL") -> httpx.Response:
        return driver.command(
            command="/ask",
            text=text,
            user_id=user,
            channel_id=channel,
            response_url=slack.new_response_url(),
            trigger_id=slack.issue_trigger_id(),
        )

    return send


def stored_ask(bot: BotServer) -> Ask:
    with bot.runtime.sessions() as session:
        ask = session.scalars(select(Ask)).one()
        assert ask.helpers is not None  # loaded before the session closes
        session.expunge(ask)
        return ask


def posted(bot: BotServer, slack: SlackStandIn, ask_cmd: Send) -> tuple[Ask, dict]:
    assert "is posted" in reply_text(ask_cmd(QUESTION))
    post = slack.wait_for("chat.postMessage")[0]
    return recorded_ask(bot), post.response["message"]


def recorded_ask(bot: BotServer) -> Ask:
    """The ask once the worker has recorded its post's ts, which it does right after Slack
    answers."""
    return eventually(
        lambda: stored_ask(bot),
        lambda ask: ask.message_ts is not None,
        what="the ask's message_ts",
        timeout=5,
    )


def click(driver: SlackDriver, slack: SlackStandIn, user: str, action: str, ask: Ask) -> None:
    payload = payloads.block_actions(
        user_id=user,
        action_id=action,
        value=str(ask.id),
        channel_id=ask.channel_id,
        message_ts=ask.message_ts,
        trigger_id=slack.issue_trigger_id(),
        response_url=slack.new_response_url(),
    )
    assert driver.interactive(payload).status_code == 200


def reply(
    driver: SlackDriver,
    ask: Ask,
    user: str,
    ts: str,
    text: str = "try this",
    event_id: str | None = None,
    bot_id: str | None = None,
) -> None:
    event = payloads.message_event(
        user=user,
        channel=str(ask.channel_id),
        text=text,
        ts=ts,
        thread_ts=ask.message_ts,
        bot_id=bot_id,
    )
    assert driver.event(payloads.event_callback(event, event_id=event_id)).status_code == 200
