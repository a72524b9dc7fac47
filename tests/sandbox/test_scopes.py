"""Bot scopes in the stand-in: a token carries what its install granted (by default what the app
asks for), and each method refuses a token without the scope its page requires, as Slack does:
`missing_scope` with `needed` and `provided`."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from app.sandbox.scopes import DEFAULT_SCOPES
from app.sandbox.slack_api import SlackStandIn
from app.slack.oauth import BOT_SCOPES
from tests.clocks import HandClock
from tests.conftest import BOT_TOKEN

OLD = "xoxb-old-install"
ClientWithout = Callable[..., WebClient]


@pytest.fixture
def without(slack: SlackStandIn) -> ClientWithout:
    """A client whose token was granted the app's scopes but the ones named."""
    tokens = itertools.count()

    def build(*missing: str) -> WebClient:
        scopes = tuple(s for s in DEFAULT_SCOPES if s not in missing)
        token = f"{OLD}-{next(tokens)}"
        slack.add_token(token, scopes=scopes)
        return WebClient(base_url=slack.base_url, token=token)

    return build


def _refusal(call: Callable[..., Any], **args: object) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as caught:
        call(**args)
    return dict(caught.value.response.data)  # type: ignore[arg-type]


def _needed(call: Callable[..., Any], **args: object) -> str:
    answer = _refusal(call, **args)
    assert answer["error"] == "missing_scope", answer
    return str(answer["needed"])


def test_a_token_is_granted_what_the_app_asks_for_by_default(slack: SlackStandIn) -> None:
    assert slack.scopes_of(BOT_TOKEN) == tuple(BOT_SCOPES)
    assert {"mpim:write", "mpim:history", "im:write", "chat:write"} <= set(BOT_SCOPES)


def test_missing_scope_names_what_is_needed_and_what_was_granted(
    slack: SlackStandIn,
) -> None:
    slack.add_token(OLD, scopes="commands,chat:write,im:write")
    with httpx.Client(base_url=slack.base_url, timeout=5) as http:
        answer = http.post(
            "conversations.open",
            data={"users": "U0ALICE,U0BOB"},
            headers={"Authorization": f"Bearer {OLD}"},
        )
    assert answer.status_code == 200
    assert answer.json() == {
        "ok": False,
        "error": "missing_scope",
        "needed": "mpim:write",
        "provided": "commands,chat:write,im:write",
    }
    assert slack.group_dm_of(["U0ALICE", "U0BOB"]) is None


def test_opening_a_dm_needs_im_write_and_a_group_dm_mpim_write(without: ClientWithout) -> None:
    no_mpim = without("mpim:write")
    assert no_mpim.conversations_open(users="U0ALICE")["ok"]
    assert _needed(no_mpim.conversations_open, users="U0ALICE,U0BOB") == "mpim:write"
    no_im = without("im:write")
    assert _needed(no_im.conversations_open, users="U0ALICE") == "im:write"
    assert no_im.conversations_open(users="U0ALICE,U0BOB")["ok"]


def test_history_and_replies_need_the_scope_of_the_conversation_kind(
    client: WebClient, slack: SlackStandIn, without: ClientWithout
) -> None:
    slack.set_bot_member("C0GENERAL", True)
    slack.add_channel("G0PRIVATE", "private", is_private=True, bot_is_member=True)
    dm = client.conversations_open(users="U0ALICE")["channel"]["id"]
    group = client.conversations_open(users="U0ALICE,U0BOB")["channel"]["id"]
    kinds = {
        "C0GENERAL": "channels:history",
        "G0PRIVATE": "groups:history",
        dm: "im:history",
        group: "mpim:history",
    }
    for channel, scope in kinds.items():
        ts = client.chat_postMessage(channel=channel, text="hi")["ts"]
        assert client.conversations_history(channel=channel)["ok"]
        lacking = without(scope)
        assert _needed(lacking.conversations_history, channel=channel) == scope
        assert _needed(lacking.conversations_replies, channel=channel, ts=ts) == scope
        # The other kinds are still readable.
        other = next(c for c in kinds if c != channel)
        assert lacking.conversations_history(channel=other)["ok"]


def test_info_needs_the_read_scope_of_the_kind_which_the_app_has_only_for_channels(
    client: WebClient, slack: SlackStandIn, without: ClientWithout
) -> None:
    slack.add_channel("G0PRIVATE", "private", is_private=True, bot_is_member=True)
    dm = client.conversations_open(users="U0ALICE")["channel"]["id"]
    group = client.conversations_open(users="U0ALICE,U0BOB")["channel"]["id"]
    assert client.conversations_info(channel="C0GENERAL")["ok"]
    assert client.conversations_info(channel="G0PRIVATE")["ok"]
    # The app does not ask for im:read or mpim:read: the bot never asks about its DMs.
    assert _needed(client.conversations_info, channel=dm) == "im:read"
    assert _needed(client.conversations_info, channel=group) == "mpim:read"
    assert _needed(without("channels:read").conversations_info, channel="C0GENERAL") == (
        "channels:read"
    )
    assert _needed(without("groups:read").conversations_info, channel="G0PRIVATE") == (
        "groups:read"
    )
    # A conversation the bot may not know of is not found, whatever was granted.
    assert _refusal(client.conversations_info, channel="C0NOPE")["error"] == "channel_not_found"


def test_chat_methods_need_chat_write(client: WebClient, without: ClientWithout) -> None:
    ts = client.chat_postMessage(channel="C0GENERAL", text="hi")["ts"]
    mute = without("chat:write")
    assert _needed(mute.chat_postMessage, channel="C0GENERAL", text="hi") == "chat:write"
    assert _needed(mute.chat_update, channel="C0GENERAL", ts=ts, text="x") == "chat:write"
    assert _needed(mute.chat_delete, channel="C0GENERAL", ts=ts) == "chat:write"
    assert _needed(mute.chat_postEphemeral, channel="C0GENERAL", user="U0BOB", text="x") == (
        "chat:write"
    )


def test_posting_where_the_bot_is_not_needs_chat_write_public(
    slack: SlackStandIn, without: ClientWithout
) -> None:
    members_only = without("chat:write.public")
    answer = _refusal(members_only.chat_postMessage, channel="C0GENERAL", text="hi")
    assert answer["error"] == "not_in_channel"
    slack.set_bot_member("C0GENERAL", True)
    assert members_only.chat_postMessage(channel="C0GENERAL", text="hi")["ok"]


def test_joining_needs_channels_join_and_people_need_users_read(
    without: ClientWithout,
) -> None:
    assert _needed(without("channels:join").conversations_join, channel="C0GENERAL") == (
        "channels:join"
    )
    blind = without("users:read")
    assert _needed(blind.users_info, user="U0ALICE") == "users:read"
    assert _needed(blind.users_list) == "users:read"


def test_oauth_grants_what_the_authorize_url_asked_for(slack: SlackStandIn) -> None:
    slack.enable_oauth("client", "secret")
    asked = "commands,chat:write,im:write"
    code = slack.issue_oauth_code(team_id="T0002", team_name="Beta", installer="U0X", scopes=asked)
    default = slack.issue_oauth_code(
        team_id="T0003", team_name="Gamma", installer="U0Y", rotating=True
    )
    with httpx.Client(base_url=slack.base_url, timeout=5) as http:

        def access(**args: str) -> dict[str, Any]:
            form = {"client_id": "client", "client_secret": "secret", **args}
            return dict(http.post("oauth.v2.access", data=form).json())

        narrow = access(code=code)
        assert narrow["scope"] == asked
        assert slack.scopes_of(narrow["access_token"]) == ("commands", "chat:write", "im:write")
        full = access(code=default)
        assert full["scope"] == ",".join(BOT_SCOPES)
        refreshed = access(grant_type="refresh_token", refresh_token=full["refresh_token"])
        assert refreshed["scope"] == full["scope"]
        assert slack.scopes_of(refreshed["access_token"]) == tuple(BOT_SCOPES)


def test_a_rotating_token_expires_on_the_stand_ins_clock_and_its_successor_works() -> None:
    clock = HandClock()
    with SlackStandIn(team_id="T0001", team_name="Acme", bot_token=BOT_TOKEN, clock=clock) as slack:
        slack.enable_oauth("client", "secret")
        slack.token_lifetime_seconds = 3600
        code = slack.issue_oauth_code(
            team_id="T0003", team_name="Gamma", installer="U0Y", rotating=True
        )
        with httpx.Client(base_url=slack.base_url, timeout=5) as http:
            form = {"client_id": "client", "client_secret": "secret"}
            first = http.post("oauth.v2.access", data={**form, "code": code}).json()
            assert first["expires_in"] == 3600

            def auth_test(token: str) -> dict[str, Any]:
                return dict(http.post("auth.test", data={"token": token}).json())

            clock.now += 3599
            assert auth_test(first["access_token"])["ok"] is True
            refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
            second = http.post("oauth.v2.access", data={**form, **refresh}).json()
            clock.now += 1
            # Rotated or not, a token is refused once its lifetime is over; its successor works,
            # and a token that does not rotate never expires.
            assert auth_test(first["access_token"]) == {"ok": False, "error": "token_expired"}
            assert auth_test(second["access_token"])["ok"] is True
            clock.now += 10 * 3600
            assert auth_test(BOT_TOKEN)["ok"] is True
