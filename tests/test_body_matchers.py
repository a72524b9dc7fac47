"""Listener matching by the body alone (`app.slack.body_matchers`): the bot's Bolt app picks the
same listener for every kind of request as Bolt's own matchers would, and serves an event
without building a listener's arguments for each listener it passes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.listener_matcher import builtins

from app.home.blocks import OFFER_ADD
from app.kudos.blocks import MODAL_CALLBACK, SHORTCUT_CALLBACK
from app.sandbox import payloads
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.slack.body_matchers import BodyMatcher
from tests.kudos.conftest import configure, stored_kudos

REQUESTS: list[dict[str, Any]] = [
    *(
        payloads.slash_command(command=name, text="x", user_id="U0ALICE", channel_id="C1")
        for name in ("/kudos", "/ask", "/offer", "/intro", "/nope")
    ),
    payloads.block_actions(user_id="U0ALICE", action_id=OFFER_ADD),
    payloads.block_actions(user_id="U0ALICE", action_id="no.such.button"),
    payloads.view_submission(user_id="U0ALICE", callback_id=MODAL_CALLBACK, values={}),
    payloads.message_shortcut(
        user_id="U0ALICE",
        callback_id=SHORTCUT_CALLBACK,
        channel_id="C1",
        message={"type": "message", "user": "U0BOB", "text": "hi", "ts": "1.000100"},
    ),
    *(
        payloads.event_callback(event)
        for event in (
            payloads.message_event(user="U0ALICE", channel="C1", text="hi", ts="1.000200"),
            payloads.message_event(
                user="U0ALICE", channel="C1", text="hi", ts="1.000300", thread_ts="1.000100"
            ),
            payloads.reaction_added_event(
                user="U0ALICE", reaction="tada", channel="C1", ts="1.000100", item_user="U0BOB"
            ),
            payloads.app_home_opened_event(user="U0ALICE"),
            payloads.app_uninstalled_event(),
            {"type": "pin_added", "user": "U0ALICE", "channel_id": "C1"},
        )
    ),
]


def test_the_bot_picks_the_listener_bolts_own_matchers_would(bot: BotServer) -> None:
    # The listeners as Bolt holds them: there is no public way to list them.
    listeners = bot.bolt._listeners
    assert all(isinstance(listener.matchers[0], BodyMatcher) for listener in listeners)
    response = BoltResponse(status=200)

    def first(request: BoltRequest, by_bolt: bool) -> int | None:
        for index, listener in enumerate(listeners):
            matcher = listener.matchers[0]
            if by_bolt:
                matcher = builtins.BuiltinListenerMatcher(func=matcher.func)
            if matcher.matches(request, response):
                return index
        return None

    for body in REQUESTS:
        request = BoltRequest(body=body, mode="socket_mode")
        ours, bolts = first(request, by_bolt=False), first(request, by_bolt=True)
        assert ours == bolts, _name(body)
    # Each known kind of request found a listener, and only those.
    found = [first(BoltRequest(body=body, mode="socket_mode"), False) for body in REQUESTS]
    assert [_name(body) for body, index in zip(REQUESTS, found, strict=True) if index is None] == [
        "/nope",
        "block_actions",
        'event "pin_added"',
    ]


def test_an_event_is_served_without_building_arguments_for_the_listeners_it_passes(
    bot: BotServer,
    slack: SlackStandIn,
    driver: SlackDriver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configure(bot, reaction_emoji=":raised_hands:")
    slack.set_bot_member("C0GENERAL", True)
    builds = 0
    build = builtins.build_required_kwargs

    def counted(**kwargs: Any) -> dict[str, Any]:
        nonlocal builds
        builds += 1
        return build(**kwargs)

    monkeypatch.setattr(builtins, "build_required_kwargs", counted)
    event = payloads.reaction_added_event(
        user="U0ALICE",
        reaction="raised_hands",
        channel="C0GENERAL",
        ts="1700000000.000200",
        item_user="U0BOB",
    )
    assert driver.event(payloads.event_callback(event)).status_code == 200
    [kudos] = stored_kudos(bot)
    assert (kudos.source, kudos.giver_id) == ("reaction", "U0ALICE")
    assert builds == 0


def _name(body: dict[str, Any]) -> str:
    if "command" in body:
        return str(body["command"])
    if body.get("type") == "event_callback":
        return "event " + json.dumps(body["event"].get("type"))
    return str(body.get("type"))
