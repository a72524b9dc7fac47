"""The bot joins a public channel before it posts an ask or kudos there, so it hears the replies.

Slack sends thread replies (and reactions) only from conversations the bot is a member of; the
stand-in's driver refuses to deliver any other, so these tests fail if the bot does not join.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from app.sandbox import payloads
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.store.models import Channel
from tests.asks.conftest import QUESTION, Send, recorded_ask, reply, stored_ask
from tests.kudos.conftest import Kudo, configure, reply_text, wait_for_member
from tests.waiting import outbox_drained


@pytest.fixture
def kudos_cmd(driver: SlackDriver, slack: SlackStandIn) -> Kudo:
    """Sends `/kudos <text>` as Alice in `channel`, the way Slack does."""

    def send(text: str, channel: str) -> httpx.Response:
        return driver.command(
            command="/kudos",
            text=text,
            user_id="U0ALICE",
            channel_id=channel,
            response_url=slack.new_response_url(),
            trigger_id=slack.issue_trigger_id(),
        )

    return send


def _membership_event(kind: str, channel: str, **fields: str) -> dict[str, object]:
    return payloads.event_callback(
        {"type": kind, "channel": channel, "event_ts": "1700000000.000100", **fields}
    )


def _methods(slack: SlackStandIn) -> list[str]:
    return [call.method for call in slack.calls if call.ok]


def test_an_ask_in_a_channel_the_bot_was_never_invited_to_is_tracked_to_its_answer(
    bot: BotServer, slack: SlackStandIn, ask_cmd: Send, driver: SlackDriver
) -> None:
    slack.add_channel("C0RANDOM", "random", bot_is_member=False)
    assert "is posted" in reply_text(ask_cmd(QUESTION, channel="C0RANDOM"))
    post = slack.wait_for("chat.postMessage")[0]
    joins = [c for c in slack.calls_to("conversations.join") if c.ok]
    assert [c.args["channel"] for c in joins] == ["C0RANDOM"]
    methods = _methods(slack)
    assert methods.index("conversations.join") < methods.index("chat.postMessage")
    assert slack.channels["C0RANDOM"].bot_is_member
    assert post.response["channel"] == "C0RANDOM"

    ask = recorded_ask(bot)
    reply(driver, ask, "U0CAROL", "9000000001.000001", text="Rotate it with the CLI")
    assert stored_ask(bot).status == "answered"
    assert stored_ask(bot).answered_by == "U0CAROL"


def test_a_kudos_joins_the_public_channel_once_and_posts_there(
    bot: BotServer, slack: SlackStandIn, kudos_cmd: Kudo
) -> None:
    slack.add_channel("C0RANDOM", "random", bot_is_member=False)
    wait_for_member(bot, "U0BOB")
    assert kudos_cmd("<@U0BOB> thanks for the review", channel="C0RANDOM").status_code == 200
    assert kudos_cmd("<@U0CAROL> thanks for the pairing", channel="C0RANDOM").status_code == 200
    posts = slack.wait_for(
        lambda c: c.method == "chat.postMessage" and c.args.get("channel") == "C0RANDOM", count=2
    )
    assert {p.response["channel"] for p in posts} == {"C0RANDOM"}
    # The worker remembers the join: the second post does not ask again.
    assert len([c for c in slack.calls_to("conversations.join") if c.ok]) == 1
    assert slack.channels["C0RANDOM"].bot_is_member


def test_a_workspace_without_the_join_scope_still_gets_its_post(
    bot: BotServer, slack: SlackStandIn, kudos_cmd: Kudo
) -> None:
    slack.add_channel("C0RANDOM", "random", bot_is_member=False)
    slack.fail_next("conversations.join", error="missing_scope")
    wait_for_member(bot, "U0BOB")
    assert kudos_cmd("<@U0BOB> thanks for the review", channel="C0RANDOM").status_code == 200
    post = slack.wait_for(lambda c: c.method == "chat.postMessage")[0]
    # chat:write.public still posts; only the replies go unheard.
    assert post.response["channel"] == "C0RANDOM"


def test_an_invitation_to_a_private_channel_lets_the_next_kudos_be_posted_there(
    bot: BotServer, slack: SlackStandIn, kudos_cmd: Kudo, driver: SlackDriver
) -> None:
    slack.add_channel("G0TEAM", "team", is_private=True, bot_is_member=False)
    wait_for_member(bot, "U0BOB")
    first = reply_text(kudos_cmd("<@U0BOB> thanks for the review", channel="G0TEAM"))
    assert "invite me" in first

    # Someone types /invite @Reciprocity: Slack adds the bot and tells it.
    slack.set_bot_member("G0TEAM", True)
    invited = _membership_event(
        "member_joined_channel", "G0TEAM", user="UBOT", channel_type="G", inviter="U0ALICE"
    )
    assert driver.event(invited).status_code == 200
    with bot.runtime.sessions() as session:
        cached = session.scalars(select(Channel).where(Channel.channel_id == "G0TEAM")).one()
        assert cached.bot_is_member
        assert cached.is_private

    second = reply_text(kudos_cmd("<@U0BOB> and for the release", channel="G0TEAM"))
    assert "invite me" not in second
    post = slack.wait_for(
        lambda c: c.method == "chat.postMessage" and c.args.get("channel") == "G0TEAM"
    )[0]
    assert post.response["channel"] == "G0TEAM"


def test_removing_the_bot_from_a_private_channel_is_remembered(
    bot: BotServer, slack: SlackStandIn, kudos_cmd: Kudo, driver: SlackDriver
) -> None:
    slack.add_channel("G0TEAM", "team", is_private=True, bot_is_member=True)
    wait_for_member(bot, "U0BOB")
    assert "invite me" not in reply_text(kudos_cmd("<@U0BOB> thanks", channel="G0TEAM"))
    slack.set_bot_member("G0TEAM", False)
    assert driver.event(_membership_event("group_left", "G0TEAM", actor_id="U0ALICE")).is_success
    # Another person's join is not the bot's: it changes nothing.
    other = _membership_event("member_joined_channel", "G0TEAM", user="U0BOB", channel_type="G")
    assert driver.event(other).is_success
    assert "invite me" in reply_text(kudos_cmd("<@U0BOB> thanks again", channel="G0TEAM"))


def test_an_archived_kudos_channel_is_not_joined_and_the_giver_is_told(
    bot: BotServer, slack: SlackStandIn, kudos_cmd: Kudo
) -> None:
    slack.add_channel("C0KUDOS", "kudos", is_archived=True)
    configure(bot, kudos_channel_id="C0KUDOS", kudos_reply_mode="kudos_channel")
    wait_for_member(bot, "U0BOB")
    assert "on their way" in reply_text(kudos_cmd("<@U0BOB> thanks", channel="C0GENERAL"))
    told = slack.wait_for(
        lambda c: c.method == "response_url" and "archived" in c.args.get("text", "")
    )[0]
    assert "your kudos post" in told.args["text"]
    assert [c.response.get("error") for c in slack.calls_to("conversations.join")] == [
        "is_archived"
    ]
    outbox_drained(bot)
    assert not [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == "C0KUDOS"]
    # The kudos itself stands, and Bob still hears of it.
    slack.wait_for(lambda c: c.method == "chat.postMessage" and c.args["channel"] == "U0BOB")
