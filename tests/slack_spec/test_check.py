"""The spec check catches what Slack would not accept, and the table says what Slack documents."""

from __future__ import annotations

import json

import httpx

from app.sandbox.answers import Call
from app.sandbox.files import FILE_METHODS
from app.sandbox.slack_api import SlackStandIn
from app.sandbox.slack_methods import METHODS
from tests.conftest import BOT_TOKEN
from tests.slack_spec.check import TABLE, table, violations
from tests.slack_spec.generate import METHODS as TABLE_METHODS
from tests.slack_spec.supplement import ADDED_METHODS


def _call(method: str, args: dict[str, object], error: str | None = None) -> Call:
    response: dict[str, object] = {"ok": error is None}
    if error is not None:
        response["error"] = error
    return Call(method, dict(args), BOT_TOKEN, 0.0, 200, response)


def test_a_documented_call_passes() -> None:
    calls = [
        _call("chat.postMessage", {"channel": "C1", "text": "x", "metadata": {}}),
        _call("conversations.open", {"users": "U1"}, error="user_disabled"),
        _call("users.list", {"limit": 200, "cursor": "x", "token": BOT_TOKEN}),
    ]
    assert violations(calls) == []


def test_an_undocumented_argument_is_caught() -> None:
    found = violations([_call("chat.postMessage", {"channel": "C1", "txt": "typo"})])
    assert found == ["chat.postMessage: argument 'txt' is not one of its documented arguments"]


def test_an_undocumented_error_is_caught_unless_declared() -> None:
    wrong = _call("conversations.history", {"channel": "C1"}, error="user_disabled")
    assert violations([wrong]) == [
        "conversations.history: answered error 'user_disabled', not one Slack documents for it"
    ]
    declared = Call(**{**wrong.__dict__, "undocumented": True})
    assert violations([declared]) == []


def test_a_method_outside_the_table_is_caught() -> None:
    assert violations([_call("chat.scheduleMessage", {})]) == [
        "chat.scheduleMessage: not a method in the Slack spec table (tests/slack_spec)"
    ]


def test_the_check_sees_real_calls_to_the_stand_in() -> None:
    with SlackStandIn(bot_token=BOT_TOKEN) as stand_in:
        stand_in.add_channel("C0A", "a")
        headers = {"Authorization": f"Bearer {BOT_TOKEN}"}
        httpx.post(
            stand_in.base_url + "conversations.join", data={"chanel": "C0A"}, headers=headers
        )
        httpx.post(
            stand_in.base_url + "conversations.join", data={"channel": "C0A"}, headers=headers
        )
        found = violations(stand_in.calls)
    assert found == ["conversations.join: argument 'chanel' is not one of its documented arguments"]


def test_the_table_covers_every_method_the_stand_in_serves() -> None:
    served = set(METHODS) | set(FILE_METHODS)
    served |= {"auth.test", "oauth.v2.access", "apps.connections.open"}
    served |= {"openid.connect.token", "openid.connect.userInfo"}
    assert served == set(TABLE_METHODS) | set(ADDED_METHODS) == set(table())


def test_the_table_is_the_spec_s_and_says_where_it_came_from() -> None:
    document = json.loads(TABLE.read_text())
    assert document["_source"]["repository"] == "https://github.com/slackapi/slack-api-specs"
    assert len(document["_source"]["commit"]) == 40
    join = document["methods"]["conversations.join"]
    assert "method_not_supported_for_channel_type" in join["errors"]
    assert "user_disabled" in document["methods"]["conversations.open"]["errors"]
