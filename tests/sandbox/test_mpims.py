"""Group DMs (mpims) in the stand-in, as strict as Slack's `conversations.open`: 2 to 8 people
(the bot implied), the same people in any order find the same conversation, and it behaves like
a private conversation the bot is always in."""

from __future__ import annotations

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from app.sandbox.driver import check_deliverable
from app.sandbox.scopes import DEFAULT_SCOPES
from app.sandbox.slack_api import SlackStandIn
from tests.conftest import BOT_TOKEN

READER = "xoxb-reader"


def _error(call: object, **args: object) -> str:
    """The error code a slack-sdk call answers (it must fail)."""
    with pytest.raises(SlackApiError) as caught:
        call(**args)  # type: ignore[operator]
    return str(caught.value.response["error"])


@pytest.fixture
def reader(slack: SlackStandIn) -> WebClient:
    """A client whose install also granted mpim:read and im:read (the app asks for neither)."""
    slack.add_token(READER, scopes=(*DEFAULT_SCOPES, "im:read", "mpim:read"))
    return WebClient(base_url=slack.base_url, token=READER)


def test_several_people_open_one_group_dm_whatever_their_order(
    client: WebClient, slack: SlackStandIn
) -> None:
    opened = client.conversations_open(users="U0ALICE,U0BOB,U0CAROL")["channel"]["id"]
    # Slack issues C ids for new group DMs; the stand-in's are unique in the workspace.
    assert opened.startswith("C")
    for order in ("U0CAROL,U0ALICE,U0BOB", "U0BOB,U0CAROL,U0ALICE"):
        assert client.conversations_open(users=order)["channel"]["id"] == opened
    group = slack.group_dm_of({"U0BOB", "U0ALICE", "U0CAROL"})
    assert group is not None
    assert group.id == opened
    assert group.members == {"U0ALICE", "U0BOB", "U0CAROL"}
    assert group.bot_is_member
    assert group.kind == "mpim"
    # The order first given is kept (in its name, as Slack keeps it).
    assert group.name == "mpdm-alice--bob--carol-1"


def test_other_people_are_another_group_dm_and_one_person_is_still_a_dm(
    client: WebClient, slack: SlackStandIn
) -> None:
    three = client.conversations_open(users="U0ALICE,U0BOB,U0CAROL")["channel"]["id"]
    two = client.conversations_open(users="U0ALICE,U0BOB")["channel"]["id"]
    assert two != three
    assert slack.group_dm_of(["U0ALICE", "U0BOB"]) is not None
    assert slack.group_dm_of(["U0ALICE", "U0CAROL"]) is None
    assert client.conversations_open(users="U0ALICE")["channel"]["id"].startswith("D")
    # A person listed twice is listed once.
    assert client.conversations_open(users="U0BOB,U0ALICE,U0BOB")["channel"]["id"] == two


def test_return_im_answers_the_whole_conversation(client: WebClient) -> None:
    whole = client.conversations_open(users="U0ALICE,U0BOB", return_im=True)["channel"]
    assert (whole["is_mpim"], whole["is_im"], whole["is_private"]) == (True, False, True)
    assert set(client.conversations_open(users="U0ALICE,U0BOB")["channel"]) == {"id"}


def test_a_group_dm_is_private_with_the_bot_in_it(client: WebClient, reader: WebClient) -> None:
    opened = client.conversations_open(users="U0ALICE,U0BOB")["channel"]["id"]
    info = reader.conversations_info(channel=opened)["channel"]
    assert info["is_mpim"] is True
    assert info["is_im"] is False
    assert info["is_private"] is True
    assert (info["is_channel"], info["is_group"]) == (False, False)
    assert info["is_member"] is True
    # A channel says it is no group DM.
    assert reader.conversations_info(channel="C0GENERAL")["channel"]["is_mpim"] is False


@pytest.mark.parametrize(
    ("users", "error"),
    [
        ("U0ALICE,U0NOBODY", "user_not_found"),
        # Deactivated.
        ("U0ALICE,U0DAVE", "user_disabled"),
        # Another bot, or the bot itself.
        ("U0ALICE,U0HELPER", "cannot_dm_bot"),
        ("U0ALICE,UBOT", "cannot_dm_bot"),
    ],
)
def test_opening_refuses_who_cannot_be_in_it(
    client: WebClient, slack: SlackStandIn, users: str, error: str
) -> None:
    assert _error(client.conversations_open, users=users) == error
    assert not [c for c in slack.channels.values() if c.is_mpim]


def test_no_users_or_more_than_eight_are_refused(client: WebClient, slack: SlackStandIn) -> None:
    with httpx.Client(base_url=slack.base_url, timeout=5) as http:
        answer = http.post(
            "conversations.open", headers={"Authorization": f"Bearer {BOT_TOKEN}"}
        ).json()
    assert answer == {"ok": False, "error": "users_list_not_supplied"}
    people = [f"U0P{n}" for n in range(9)]
    for n, user in enumerate(people):
        slack.add_user(user, f"person{n}")
    assert _error(client.conversations_open, users=",".join(people)) == "too_many_users"
    eight = client.conversations_open(users=",".join(people[:8]))["channel"]["id"]
    assert slack.channels[eight].members == set(people[:8])


def test_messages_in_a_group_dm(client: WebClient, slack: SlackStandIn) -> None:
    opened = client.conversations_open(users="U0ALICE,U0BOB")["channel"]["id"]
    posted = client.chat_postMessage(channel=opened, text="meet each other")
    assert posted["channel"] == opened
    assert [m["text"] for m in slack.posted_messages(opened)] == ["meet each other"]
    ts = posted["ts"]
    client.chat_update(channel=opened, ts=ts, text="meet, again")
    link = client.chat_getPermalink(channel=opened, message_ts=ts)["permalink"]
    assert link.endswith(f"/archives/{opened}/p{ts.replace('.', '')}")
    slack.user_posts(opened, "U0BOB", "hello alice", thread_ts=ts)
    history = client.conversations_history(channel=opened)["messages"]
    assert [m["text"] for m in history] == ["meet, again"]
    thread = client.conversations_replies(channel=opened, ts=ts)["messages"]
    assert [m["text"] for m in thread] == ["meet, again", "hello alice"]
    assert client.chat_postEphemeral(channel=opened, user="U0ALICE", text="psst")["ok"]
    assert _error(client.chat_postEphemeral, channel=opened, user="U0CAROL", text="x") == (
        "user_not_in_channel"
    )
    assert client.chat_delete(channel=opened, ts=ts)["ok"]
    assert client.conversations_history(channel=opened)["messages"] == []
    joined = _error(client.conversations_join, channel=opened)
    assert joined == "method_not_supported_for_channel_type"


def test_a_person_posting_in_a_group_dm_is_heard(client: WebClient, slack: SlackStandIn) -> None:
    opened = client.conversations_open(users="U0ALICE,U0BOB")["channel"]["id"]
    event = slack.user_posts(opened, "U0ALICE", "hi both")
    assert (event["channel"], event["channel_type"], event["user"]) == (opened, "mpim", "U0ALICE")
    assert slack.hears(opened)
    envelope = {"type": "event_callback", "team_id": "T0001", "event": event}
    check_deliverable(slack, envelope)  # does not raise: the bot is in it
    # Only its people can write in it.
    with pytest.raises(AssertionError, match="not in group DM"):
        slack.user_posts(opened, "U0CAROL", "let me in")
