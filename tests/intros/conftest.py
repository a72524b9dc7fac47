"""Helpers for introduction tests driven over signed HTTP against the stand-in."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.sandbox import payloads
from app.sandbox.answers import Call
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.store.models import Introduction

Intro = Callable[..., httpx.Response]


@pytest.fixture
def intro_cmd(driver: SlackDriver, slack: SlackStandIn) -> Intro:
    """Sends `/intro <text>` as a person, in a channel, the way Slack does."""

    def send(
        text: str, user: str = "U0ALICE", channel: str = "C0GENERAL", **extra: Any
    ) -> httpx.Response:
        return driver.command(
            command="/intro",
            text=text,
            user_id=user,
            channel_id=channel,
            response_url=slack.new_response_url(),
            trigger_id=slack.issue_trigger_id(),
            **extra,
        )

    return send


def invitation(slack: SlackStandIn, user: str) -> Call:
    """The invitation DM the bot posted to `user` (waits for it)."""
    return slack.wait_for(
        lambda c: (
            c.method == "chat.postMessage"
            and c.args.get("channel") == user
            and "would like to introduce you" in json.dumps(c.args)
        )
    )[-1]


def button(call: Call, action_id: str) -> dict[str, Any]:
    """The button `action_id` on the message `call` posted."""
    for block in call.args["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return dict(element)
    raise AssertionError(f"no {action_id} button")


def press(driver: SlackDriver, user: str, on: Call, action_id: str) -> dict[str, Any]:
    """Click `action_id` on the DM `on` as `user`; return the payload sent (to resend it)."""
    payload = payloads.block_actions(
        user_id=user,
        action_id=action_id,
        value=button(on, action_id)["value"],
        channel_id=on.response["channel"],
        message_ts=on.response["ts"],
    )
    assert driver.interactive(payload).status_code == 200
    return payload


def stored_intros(bot: BotServer) -> list[Introduction]:
    """Every introduction in the bot's database, oldest first, with its people loaded."""
    with bot.runtime.sessions() as session:
        rows = list(session.scalars(select(Introduction).order_by(Introduction.id)))
        for row in rows:
            _ = row.people
            session.expunge_all()
        return rows
