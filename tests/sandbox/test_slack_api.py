"""The stand-in answers like Slack: tokens, required arguments, error codes, limits and faults."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from app.sandbox.slack_api import SlackStandIn
from tests.clocks import HandClock
from tests.conftest import BOT_TOKEN


@pytest.fixture
def http(slack: SlackStandIn) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=slack.base_url, timeout=5) as session:
        yield session


def _call(http: httpx.Client, method: str, token: str | None = BOT_TOKEN, **args: object) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return http.post(method, data=args, headers=headers).json()


def test_auth_test_names_the_workspace_and_bot(client: WebClient) -> None:
    answer = client.auth_test()
    assert (answer["team_id"], answer["user_id"], answer["bot_id"]) == ("T0001", "UBOT", "BBOT")


def test_tokens_are_checked(http: httpx.Client, slack: SlackStandIn) -> None:
    assert _call(http, "auth.test", token=None)["error"] == "not_authed"
    assert _call(http, "auth.test", token="xoxb-wrong")["error"] == "invalid_auth"
    # Slack also takes the token as an argument.
    assert http.post("auth.test", data={"token": BOT_TOKEN}).json()["ok"]
    slack.revoke_token(BOT_TOKEN)
    assert _call(http, "auth.test")["error"] == "token_revoked"


def test_post_message_is_recorded_with_increasing_ts(
    client: WebClient, slack: SlackStandIn
) -> None:
    first = client.chat_postMessage(channel="C0GENERAL", text="one")
    second = client.chat_postMessage(
        channel="C0GENERAL", blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "b"}}]
    )
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["user"] == "UBOT"
    assert [m["ts"] for m in slack.posted_messages("C0GENERAL")] == [first["ts"], second["ts"]]
    assert slack.calls_to("chat.postMessage")[1].args["blocks"][0]["type"] == "section"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ({"channel": "C0NOPE", "text": "x"}, "channel_not_found"),
        ({"channel": "C0GENERAL"}, "no_text"),
        ({"channel": "C0GENERAL", "text": "x" * 40_001}, "msg_too_long"),
        ({"channel": "C0GENERAL", "blocks": [{"type": "divider"}] * 51}, "invalid_blocks"),
        ({"channel": "C0GENERAL", "blocks": [{"no": "type"}]}, "invalid_blocks"),
        (
            {
                "channel": "C0GENERAL",
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
            },
            "invalid_blocks",
        ),
    ],
)
def test_post_message_errors_are_slacks(client: WebClient, args: dict, error: str) -> None:
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(**args)
    assert caught.value.response["error"] == error


def test_a_missing_channel_argument_is_channel_not_found(http: httpx.Client) -> None:
    assert _call(http, "chat.postMessage", text="x")["error"] == "channel_not_found"


def test_private_channels_need_the_bot_but_public_ones_do_not(
    client: WebClient, slack: SlackStandIn
) -> None:
    slack.add_channel("C0PUBLIC", "public", bot_is_member=False)
    slack.add_channel("G0PRIVATE", "private", is_private=True, bot_is_member=False)
    assert client.chat_postMessage(channel="C0PUBLIC", text="hi")["ok"]
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel="G0PRIVATE", text="hi")
    # A private channel the bot is not in does not exist as far as the bot can tell.
    assert caught.value.response["error"] == "channel_not_found"
    with pytest.raises(SlackApiError) as hidden:
        client.conversations_info(channel="G0PRIVATE")
    assert hidden.value.response["error"] == "channel_not_found"
    slack.set_bot_member("G0PRIVATE", True)
    assert client.conversations_info(channel="G0PRIVATE")["channel"]["is_private"] is True


def test_archived_channels_refuse_posts(client: WebClient, slack: SlackStandIn) -> None:
    slack.add_channel("C0OLD", "old", is_archived=True)
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel="C0OLD", text="hi")
    assert caught.value.response["error"] == "is_archived"


def test_ephemeral_update_delete_and_permalink(client: WebClient, slack: SlackStandIn) -> None:
    assert client.chat_postEphemeral(channel="C0GENERAL", user="U0ALICE", text="psst")["ok"]
    slack.add_channel("C0SMALL", "small", members=["U0ALICE"])
    with pytest.raises(SlackApiError) as outsider:
        client.chat_postEphemeral(channel="C0SMALL", user="U0BOB", text="psst")
    assert outsider.value.response["error"] == "user_not_in_channel"
    posted = client.chat_postMessage(channel="C0GENERAL", text="v1")
    assert client.chat_update(channel="C0GENERAL", ts=posted["ts"], text="v2")["text"] == "v2"
    with pytest.raises(SlackApiError) as missing:
        client.chat_update(channel="C0GENERAL", ts="1.000001", text="v2")
    assert missing.value.response["error"] == "message_not_found"
    link = client.chat_getPermalink(channel="C0GENERAL", message_ts=posted["ts"])["permalink"]
    assert link.endswith("/archives/C0GENERAL/p" + posted["ts"].replace(".", ""))
    assert client.chat_delete(channel="C0GENERAL", ts=posted["ts"])["ok"]


def test_dms_open_per_person(client: WebClient) -> None:
    opened = client.conversations_open(users="U0ALICE")["channel"]["id"]
    assert opened.startswith("D")
    assert client.conversations_open(users="U0ALICE")["channel"]["id"] == opened
    posted = client.chat_postMessage(channel="U0ALICE", text="hello")
    assert posted["channel"] == opened
    with pytest.raises(SlackApiError) as caught:
        client.conversations_open(users="U0NOBODY")
    assert caught.value.response["error"] == "user_not_found"


def test_users_info(client: WebClient) -> None:
    assert client.users_info(user="U0ALICE")["user"]["tz"] == "Europe/Berlin"
    assert client.users_info(user="U0DAVE")["user"]["deleted"] is True
    with pytest.raises(SlackApiError) as caught:
        client.users_info(user="U0NOBODY")
    assert caught.value.response["error"] == "user_not_found"


def test_views_open_needs_a_live_trigger(slack: SlackStandIn) -> None:
    clock = HandClock()
    with SlackStandIn(bot_token=BOT_TOKEN, clock=clock) as timed:
        client = WebClient(base_url=timed.base_url, token=BOT_TOKEN)
        view = {
            "type": "modal",
            "title": {"type": "plain_text", "text": "Give kudos"},
            "blocks": [],
        }
        fresh = timed.issue_trigger_id()
        assert client.views_open(trigger_id=fresh, view=view)["view"]["id"].startswith("V")
        stale = timed.issue_trigger_id()
        clock.now += 3.5
        with pytest.raises(SlackApiError) as expired:
            client.views_open(trigger_id=stale, view=view)
        assert expired.value.response["error"] == "expired_trigger_id"
        long_title = {**view, "title": {"type": "plain_text", "text": "x" * 25}}
        with pytest.raises(SlackApiError) as invalid:
            client.views_open(trigger_id=timed.issue_trigger_id(), view=long_title)
        assert invalid.value.response["error"] == "invalid_arguments"


def test_views_publish_home(client: WebClient) -> None:
    assert client.views_publish(user_id="U0ALICE", view={"type": "home", "blocks": []})["ok"]
    with pytest.raises(SlackApiError):
        client.views_publish(user_id="U0NOBODY", view={"type": "home", "blocks": []})


def test_a_429_carries_retry_after(http: httpx.Client, slack: SlackStandIn) -> None:
    slack.fail_next("chat.postMessage", times=1, status=429, retry_after=7)
    limited = http.post(
        "chat.postMessage",
        data={"channel": "C0GENERAL", "text": "x"},
        headers={"Authorization": f"Bearer {BOT_TOKEN}"},
    )
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "7"
    assert limited.json() == {"ok": False, "error": "ratelimited"}
    assert _call(http, "chat.postMessage", channel="C0GENERAL", text="x")["ok"]


def test_server_errors_then_success(http: httpx.Client, slack: SlackStandIn) -> None:
    slack.fail_next("auth.test", times=2, status=503)
    codes = [
        http.post("auth.test", headers={"Authorization": f"Bearer {BOT_TOKEN}"}).status_code
        for _ in range(3)
    ]
    assert codes == [503, 503, 200]
    assert [c.status for c in slack.calls_to("auth.test")] == [503, 503, 200]


def test_an_injected_error_answers_like_slack(client: WebClient, slack: SlackStandIn) -> None:
    slack.fail_next("chat.postMessage", error="account_inactive")
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel="C0GENERAL", text="x")
    assert caught.value.response.status_code == 200
    assert caught.value.response["error"] == "account_inactive"


def test_a_hang_outlasts_a_client_timeout_without_blocking_others(slack: SlackStandIn) -> None:
    slack.hang_next("chat.postMessage", seconds=2)
    headers = {"Authorization": f"Bearer {BOT_TOKEN}"}
    with httpx.Client(base_url=slack.base_url, timeout=0.3) as impatient:
        with pytest.raises(httpx.ReadTimeout):
            impatient.post(
                "chat.postMessage", data={"channel": "C0GENERAL", "text": "x"}, headers=headers
            )
        started = time.monotonic()
        assert impatient.post("auth.test", headers=headers).json()["ok"]
        assert time.monotonic() - started < 0.3


def test_the_per_channel_limit_allows_a_burst_then_429s() -> None:
    with SlackStandIn(bot_token=BOT_TOKEN, channel_rate_limit=True) as limited:
        limited.add_channel("C0BUSY", "busy")
        limited.add_channel("C0CALM", "calm")
        client = httpx.Client(
            base_url=limited.base_url, headers={"Authorization": f"Bearer {BOT_TOKEN}"}
        )
        busy = [
            client.post("chat.postMessage", data={"channel": "C0BUSY", "text": str(n)})
            for n in range(5)
        ]
        calm = client.post("chat.postMessage", data={"channel": "C0CALM", "text": "x"})
        client.close()
    assert [r.status_code for r in busy[:3]] == [200, 200, 200]
    assert 429 in [r.status_code for r in busy[3:]]
    assert busy[-1].headers["Retry-After"] == "1"
    assert calm.status_code == 200


def test_a_response_url_takes_five_posts(slack: SlackStandIn) -> None:
    url = slack.new_response_url()
    codes = [httpx.post(url, json={"text": f"n{n}"}).status_code for n in range(6)]
    assert codes == [200] * 5 + [404]
    recorded = slack.calls_to("response_url")
    assert [c.args["text"] for c in recorded] == [f"n{n}" for n in range(6)]
    assert recorded[-1].response["error"] == "used_up"


def test_wait_for_explains_a_timeout(slack: SlackStandIn) -> None:
    with pytest.raises(AssertionError, match=r"saw 0"):
        slack.wait_for("chat.postMessage", timeout=0.1)


def test_unknown_methods_are_404() -> None:
    # Its own stand-in: the `slack` fixture's teardown rightly refuses a method Slack lacks.
    with SlackStandIn(bot_token=BOT_TOKEN) as stand_in:
        response = httpx.post(
            stand_in.base_url + "chat.nonsense", headers={"Authorization": f"Bearer {BOT_TOKEN}"}
        )
    assert (response.status_code, response.json()["error"]) == (404, "unknown_method")


def test_message_ts_is_the_time_of_posting(client: WebClient) -> None:
    before = time.time()
    ts = client.chat_postMessage(channel="C0GENERAL", text="now")["ts"]
    assert before - 1 < float(ts) < time.time() + 1


TAG = {"event_type": "reciprocity_outbox", "event_payload": {"key": "k1"}}


def test_history_is_newest_first_in_pages(client: WebClient) -> None:
    client.conversations_join(channel="C0GENERAL")
    posted = [client.chat_postMessage(channel="C0GENERAL", text=f"m{n}")["ts"] for n in range(5)]
    first = client.conversations_history(channel="C0GENERAL", limit=2)
    assert [m["text"] for m in first["messages"]] == ["m4", "m3"]
    assert first["has_more"] is True
    cursor = first["response_metadata"]["next_cursor"]
    # A message posted between pages neither shifts nor repeats the older ones.
    client.chat_postMessage(channel="C0GENERAL", text="late")
    second = client.conversations_history(channel="C0GENERAL", limit=2, cursor=cursor)
    assert [m["text"] for m in second["messages"]] == ["m2", "m1"]
    last = client.conversations_history(
        channel="C0GENERAL", limit=2, cursor=second["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in last["messages"]] == ["m0"]
    assert (last["has_more"], last["response_metadata"]["next_cursor"]) == (False, "")
    window = client.conversations_history(channel="C0GENERAL", oldest=posted[1], latest=posted[3])
    assert [m["text"] for m in window["messages"]] == ["m2"]
    both_ends = client.conversations_history(
        channel="C0GENERAL", oldest=posted[1], latest=posted[3], inclusive=True
    )
    assert [m["text"] for m in both_ends["messages"]] == ["m3", "m2", "m1"]


def test_history_limit_defaults_to_100(slack: SlackStandIn, client: WebClient) -> None:
    slack.add_channel("C0BUSY", "busy", bot_is_member=True)
    for n in range(101):
        client.chat_postMessage(channel="C0BUSY", text=f"m{n}")
    answer = client.conversations_history(channel="C0BUSY")
    assert (len(answer["messages"]), answer["has_more"]) == (100, True)
    assert len(client.conversations_history(channel="C0BUSY", limit=5000)["messages"]) == 101


def test_metadata_is_returned_only_when_asked_for(client: WebClient) -> None:
    client.conversations_join(channel="C0GENERAL")
    parent = client.chat_postMessage(channel="C0GENERAL", text="p", metadata=TAG)["ts"]
    client.chat_postMessage(channel="C0GENERAL", text="r", thread_ts=parent, metadata=TAG)
    plain = client.conversations_history(channel="C0GENERAL")["messages"]
    # Thread replies live in the thread, not in the channel's history.
    assert [m["text"] for m in plain] == ["p"]
    assert "metadata" not in plain[0]
    full = client.conversations_history(channel="C0GENERAL", include_all_metadata=True)
    assert full["messages"][0]["metadata"] == TAG
    thread = client.conversations_replies(channel="C0GENERAL", ts=parent)["messages"]
    assert [m["text"] for m in thread] == ["p", "r"]
    assert all("metadata" not in m for m in thread)
    thread = client.conversations_replies(channel="C0GENERAL", ts=parent, include_all_metadata=1)
    assert [m["metadata"] for m in thread["messages"]] == [TAG, TAG]


def test_history_needs_a_channel_the_bot_can_read(client: WebClient, slack: SlackStandIn) -> None:
    slack.add_channel("C0PUBLIC", "public", bot_is_member=False)
    slack.add_channel("G0PRIVATE", "private", is_private=True, bot_is_member=False)
    for channel, error in [
        ("C0NOPE", "channel_not_found"),
        ("G0PRIVATE", "channel_not_found"),  # hidden from a bot outside it
        ("C0PUBLIC", "not_in_channel"),  # posting needs no membership; reading does
        ("U0BOB", "channel_not_found"),  # a user id is not a conversation
    ]:
        with pytest.raises(SlackApiError) as caught:
            client.conversations_history(channel=channel)
        assert caught.value.response["error"] == error, channel
    dm = client.conversations_open(users="U0BOB")["channel"]["id"]
    client.chat_postMessage(channel="U0BOB", text="hi")
    assert [m["text"] for m in client.conversations_history(channel=dm)["messages"]] == ["hi"]


def test_a_hung_post_is_in_the_history_once_the_hang_ends(slack: SlackStandIn) -> None:
    slack.set_bot_member("C0GENERAL", True)
    slack.hang_next("chat.postMessage", seconds=1)
    headers = {"Authorization": f"Bearer {BOT_TOKEN}"}
    with httpx.Client(base_url=slack.base_url, timeout=0.2) as impatient:
        with pytest.raises(httpx.ReadTimeout):
            impatient.post(
                "chat.postMessage", data={"channel": "C0GENERAL", "text": "x"}, headers=headers
            )
        assert _call(impatient, "conversations.history", channel="C0GENERAL")["messages"] == []
    slack.wait_for("chat.postMessage", timeout=5)
    with httpx.Client(base_url=slack.base_url, timeout=5) as patient:
        found = _call(patient, "conversations.history", channel="C0GENERAL")["messages"]
    assert [m["text"] for m in found] == ["x"]
