"""The stand-in is as strict as Slack by default: membership, paging, tiers, deactivated people."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from app.sandbox.faults import TIER_3
from app.sandbox.slack_api import SlackStandIn
from tests.clocks import HandClock
from tests.conftest import BOT_TOKEN


def _error(call: object, **args: object) -> str:
    """The error code a slack-sdk call answers (it must fail)."""
    with pytest.raises(SlackApiError) as caught:
        call(**args)  # type: ignore[operator]
    return str(caught.value.response["error"])


# -- membership --------------------------------------------------------------------------------


def test_a_new_channel_does_not_have_the_bot(client: WebClient) -> None:
    assert client.conversations_info(channel="C0GENERAL")["channel"]["is_member"] is False
    assert _error(client.conversations_history, channel="C0GENERAL") == "not_in_channel"


def test_joining_a_public_channel_makes_the_bot_a_member(client: WebClient) -> None:
    joined = client.conversations_join(channel="C0GENERAL")
    assert joined["channel"]["id"] == "C0GENERAL"
    assert joined["channel"]["is_member"] is True
    assert "warning" not in joined.data
    assert client.conversations_info(channel="C0GENERAL")["channel"]["is_member"] is True
    assert client.conversations_history(channel="C0GENERAL")["messages"] == []
    again = client.conversations_join(channel="C0GENERAL")
    assert (again["ok"], again["warning"]) == (True, "already_in_channel")
    assert again["response_metadata"]["warnings"] == ["already_in_channel"]


def test_join_refuses_what_cannot_be_joined(client: WebClient, slack: SlackStandIn) -> None:
    slack.add_channel("G0PRIVATE", "private", is_private=True)
    slack.add_channel("C0OLD", "old", is_archived=True)
    dm = client.conversations_open(users="U0ALICE")["channel"]["id"]
    join = client.conversations_join
    assert _error(join, channel="G0PRIVATE") == "method_not_supported_for_channel_type"
    assert _error(join, channel=dm) == "method_not_supported_for_channel_type"
    assert _error(join, channel="C0OLD") == "is_archived"
    assert _error(join, channel="C0NOPE") == "channel_not_found"
    assert slack.channels["G0PRIVATE"].bot_is_member is False


def test_a_private_channel_is_invisible_until_the_bot_is_invited(
    client: WebClient, slack: SlackStandIn
) -> None:
    slack.add_channel("G0PRIVATE", "private", is_private=True)
    post = client.chat_postMessage
    assert _error(post, channel="G0PRIVATE", text="hi") == "channel_not_found"
    assert _error(client.conversations_info, channel="G0PRIVATE") == "channel_not_found"
    assert _error(client.conversations_history, channel="G0PRIVATE") == "channel_not_found"
    slack.set_bot_member("G0PRIVATE", True)  # someone typed /invite @Reciprocity
    assert post(channel="G0PRIVATE", text="hi")["ok"]
    assert [m["text"] for m in client.conversations_history(channel="G0PRIVATE")["messages"]] == [
        "hi"
    ]
    slack.set_bot_member("G0PRIVATE", False)
    assert _error(post, channel="G0PRIVATE", text="hi") == "channel_not_found"


def test_posting_in_a_public_channel_needs_no_membership_but_reading_does(
    client: WebClient,
) -> None:
    parent = client.chat_postMessage(channel="C0GENERAL", text="ask")["ts"]
    assert _error(client.conversations_replies, channel="C0GENERAL", ts=parent) == (
        "not_in_channel"
    )
    client.conversations_join(channel="C0GENERAL")
    thread = client.conversations_replies(channel="C0GENERAL", ts=parent)["messages"]
    assert [m["text"] for m in thread] == ["ask"]


def test_dms_with_the_bot_are_always_readable(client: WebClient, slack: SlackStandIn) -> None:
    written = slack.user_posts("D0CAROL", "U0CAROL", "hi")  # a person opens their DM
    assert client.conversations_open(users="U0CAROL")["channel"]["id"] == written["channel"]
    dm = client.conversations_open(users="U0BOB")["channel"]["id"]
    assert slack.hears(dm)
    # Asking about a DM takes im:read, which the app does not ask for (tests/sandbox/test_scopes).
    slack.add_token("xoxb-im-reader", scopes=(*slack.scopes_of(BOT_TOKEN), "im:read"))
    reader = WebClient(base_url=slack.base_url, token="xoxb-im-reader")
    assert reader.conversations_info(channel=dm)["channel"]["is_im"] is True
    event = slack.user_posts(dm, "U0BOB", "hello bot")
    assert event["channel_type"] == "im"
    assert [m["text"] for m in client.conversations_history(channel=dm)["messages"]] == [
        "hello bot"
    ]


def test_a_person_posting_shows_in_history_and_replies(
    client: WebClient, slack: SlackStandIn
) -> None:
    client.conversations_join(channel="C0GENERAL")
    parent = client.chat_postMessage(channel="C0GENERAL", text="who knows vault?")["ts"]
    reply = slack.user_posts("C0GENERAL", "U0BOB", "me", thread_ts=parent)
    top = slack.user_posts("C0GENERAL", "U0CAROL", "unrelated")
    assert reply["type"] == "message"
    assert (reply["user"], reply["channel"], reply["thread_ts"]) == ("U0BOB", "C0GENERAL", parent)
    assert reply["channel_type"] == "channel"
    assert float(reply["ts"]) > float(parent)
    thread = client.conversations_replies(channel="C0GENERAL", ts=parent)["messages"]
    assert [(m["user"], m["text"]) for m in thread] == [
        ("UBOT", "who knows vault?"),
        ("U0BOB", "me"),
    ]
    history = client.conversations_history(channel="C0GENERAL")["messages"]
    assert [m["ts"] for m in history] == [top["ts"], parent]


# -- users.list paging ---------------------------------------------------------------------------


def _all_pages(client: WebClient, limit: int) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = ""
    while True:
        page = client.users_list(limit=limit, cursor=cursor or None)
        pages.append([u["id"] for u in page["members"]])
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            return pages


def test_users_list_pages_are_short_sometimes_empty_and_complete(
    client: WebClient, slack: SlackStandIn
) -> None:
    for n in range(10):
        slack.add_user(f"U0P{n}", f"person{n}")
    pages = _all_pages(client, limit=4)
    assert all(len(page) <= 2 for page in pages)  # never the whole limit
    assert [] in pages[:-1]  # an empty page that still carries a cursor
    ids = [user for page in pages for user in page]
    assert ids == list(slack.users)  # everyone once, bots and deactivated people included
    assert next(u for u in client.users_list()["members"] if u["id"] == "U0DAVE")["deleted"]


def test_users_list_cursors_are_opaque_and_checked(client: WebClient) -> None:
    cursor = client.users_list(limit=2)["response_metadata"]["next_cursor"]
    assert base64.b64decode(cursor)  # base64, like Slack's
    for garbage in ("not-a-cursor", base64.b64encode(b"users:x:y").decode(), "MTIz"):
        assert _error(client.users_list, limit=2, cursor=garbage) == "invalid_cursor"


def test_users_list_is_tier_2() -> None:
    clock = HandClock()
    with (
        SlackStandIn(bot_token=BOT_TOKEN, clock=clock) as limited,
        httpx.Client(
            base_url=limited.base_url, headers={"Authorization": f"Bearer {BOT_TOKEN}"}
        ) as http,
    ):
        burst = [http.post("users.list", data={"limit": "10"}) for _ in range(21)]
        assert [r.status_code for r in burst[:20]] == [200] * 20
        refused = burst[20]
        assert refused.status_code == 429
        assert refused.json() == {"ok": False, "error": "ratelimited"}
        wait = int(refused.headers["Retry-After"])
        assert 1 <= wait <= 3
        # Other methods are not limited by default, and the limit is per method and workspace.
        assert http.post("users.info", data={"user": "UBOT"}).status_code == 200
        limited.add_team("T0002", "Other", "xoxb-other")
        other = {"Authorization": "Bearer xoxb-other"}
        assert http.post("users.list", data={"limit": "10"}, headers=other).status_code == 200
        clock.now += wait
        assert http.post("users.list", data={"limit": "10"}).status_code == 200
        assert http.post("users.list", data={"limit": "10"}).status_code == 429


def test_the_tier_table_is_extensible() -> None:
    clock = HandClock()
    with SlackStandIn(
        bot_token=BOT_TOKEN, clock=clock, method_tiers={"conversations.info": TIER_3}
    ) as limited:
        limited.add_channel("C0A", "a")
        with httpx.Client(
            base_url=limited.base_url, headers={"Authorization": f"Bearer {BOT_TOKEN}"}
        ) as http:
            codes = [
                http.post("conversations.info", data={"channel": "C0A"}).status_code
                for _ in range(51)
            ]
            # users.list is no longer limited once the table leaves it out.
            listed = {http.post("users.list").status_code for _ in range(25)}
    assert codes == [200] * 50 + [429]
    assert listed == {200}


# -- deactivated people --------------------------------------------------------------------------


def test_deactivated_people(client: WebClient, slack: SlackStandIn) -> None:
    assert _error(client.conversations_open, users="U0DAVE") == "user_disabled"
    # No DM was ever opened with them, so there is none to post in.
    assert _error(client.chat_postMessage, channel="U0DAVE", text="hi") == "channel_not_found"
    home = {"type": "home", "blocks": []}
    with pytest.raises(SlackApiError) as caught:
        client.views_publish(user_id="U0DAVE", view=home)
    assert caught.value.response["error"] == "invalid_arguments"
    assert caught.value.response["response_metadata"]["messages"] == ["invalid `user_id`"]
    assert _error(client.views_publish, user_id="U0NOBODY", view=home) == "invalid_arguments"


def test_an_old_dm_with_a_deactivated_person_still_takes_posts(
    client: WebClient, slack: SlackStandIn
) -> None:
    dm = client.conversations_open(users="U0BOB")["channel"]["id"]
    slack.set_user_deleted("U0BOB")
    # slackapi/python-slack-sdk#1156: their conversation history stays, so posting succeeds.
    assert client.chat_postMessage(channel="U0BOB", text="still there?")["channel"] == dm
    assert client.chat_postMessage(channel=dm, text="hello?")["ok"]
    assert _error(client.conversations_open, users="U0BOB") == "user_disabled"
    slack.set_user_deleted("U0BOB", False)
    assert client.conversations_open(users="U0BOB")["channel"]["id"] == dm


def test_ephemeral_messages_reach_only_people_who_can_see_them(client: WebClient) -> None:
    ephemeral = client.chat_postEphemeral
    assert ephemeral(channel="C0GENERAL", user="U0ALICE", text="psst")["ok"]
    assert _error(ephemeral, channel="C0GENERAL", user="U0DAVE", text="x") == (
        "user_not_in_channel"
    )
    assert _error(ephemeral, channel="C0GENERAL", user="U0NOBODY", text="x") == (
        "user_not_in_channel"
    )


# -- faults --------------------------------------------------------------------------------------


@pytest.fixture
def http(slack: SlackStandIn) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=slack.base_url, headers={"Authorization": f"Bearer {BOT_TOKEN}"}, timeout=5
    ) as session:
        yield session


def test_ratelimited_can_come_as_ok_false_with_http_200(
    http: httpx.Client, slack: SlackStandIn
) -> None:
    slack.fail_next("chat.postMessage", error="ratelimited")
    answer = http.post("chat.postMessage", data={"channel": "C0GENERAL", "text": "x"})
    assert (answer.status_code, answer.json()) == (200, {"ok": False, "error": "ratelimited"})
    assert slack.posted_messages("C0GENERAL") == []
    assert http.post("chat.postMessage", data={"channel": "C0GENERAL", "text": "x"}).json()["ok"]


@pytest.mark.parametrize(
    ("fault", "status", "error"),
    [
        ({"status": 500}, 500, "internal_error"),
        ({"status": 503}, 503, "internal_error"),
        ({"error": "fatal_error"}, 200, "fatal_error"),
        ({"error": "internal_error"}, 200, "internal_error"),
    ],
)
def test_a_failure_after_the_effect_leaves_the_post_in_the_channel(
    http: httpx.Client, slack: SlackStandIn, fault: dict[str, object], status: int, error: str
) -> None:
    slack.set_bot_member("C0GENERAL", True)
    slack.fail_next("chat.postMessage", after_effect=True, **fault)  # type: ignore[arg-type]
    answer = http.post("chat.postMessage", data={"channel": "C0GENERAL", "text": "once"})
    assert (answer.status_code, answer.json()["ok"], answer.json()["error"]) == (
        status,
        False,
        error,
    )
    history = http.post("conversations.history", data={"channel": "C0GENERAL"}).json()
    assert [m["text"] for m in history["messages"]] == ["once"]


def test_a_failure_before_the_effect_posts_nothing(http: httpx.Client, slack: SlackStandIn) -> None:
    slack.set_bot_member("C0GENERAL", True)
    slack.fail_next("chat.postMessage", error="fatal_error")
    assert http.post("chat.postMessage", data={"channel": "C0GENERAL", "text": "x"}).json() == {
        "ok": False,
        "error": "fatal_error",
    }
    assert (
        http.post("conversations.history", data={"channel": "C0GENERAL"}).json()["messages"] == []
    )


def test_a_bot_removed_from_a_private_channel_cannot_touch_its_messages(
    client: WebClient, slack: SlackStandIn
) -> None:
    slack.add_channel("G0TEAM", "team", is_private=True, bot_is_member=True)
    ts = client.chat_postMessage(channel="G0TEAM", text="v1")["ts"]
    slack.set_bot_member("G0TEAM", False)
    assert _error(client.chat_update, channel="G0TEAM", ts=ts, text="v2") == "channel_not_found"
    assert _error(client.chat_getPermalink, channel="G0TEAM", message_ts=ts) == (
        "channel_not_found"
    )
    assert _error(client.reactions_add, channel="G0TEAM", timestamp=ts, name="eyes") == (
        "channel_not_found"
    )
    assert _error(client.chat_delete, channel="G0TEAM", ts=ts) == "channel_not_found"


# -- request bodies ------------------------------------------------------------------------------


def test_json_bodies_are_read_for_write_methods_only(slack: SlackStandIn) -> None:
    headers = {"Authorization": f"Bearer {BOT_TOKEN}"}
    posted = httpx.post(
        f"{slack.base_url}chat.postMessage",
        json={"channel": "C0GENERAL", "text": "hello"},
        headers=headers,
    ).json()
    assert posted["ok"] is True
    # A read method sent the same way sees no arguments, as on Slack.
    read = httpx.post(
        f"{slack.base_url}conversations.info", json={"channel": "C0GENERAL"}, headers=headers
    ).json()
    assert read["ok"] is False
    as_form = httpx.post(
        f"{slack.base_url}conversations.info", data={"channel": "C0GENERAL"}, headers=headers
    ).json()
    assert as_form["ok"] is True
