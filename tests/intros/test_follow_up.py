"""The follow-up end to end: two weeks after a connection each of the two is asked once whether
it helped; "Thank <connector>" gives the connector one kudos, "Not really" gives nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import update

from app.sandbox import payloads
from app.sandbox.answers import Call
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.store.db import transaction
from app.store.models import Member
from tests.clocks import OffsetClock
from tests.conftest import BotFactory
from tests.intros.conftest import Intro, button, invitation, press
from tests.intros.lifecycle import (
    MONDAY_10_NY,
    STRANGER,
    advance,
    clocked_bot,
    connect,
    intro_kudos,
    posts_to,
    run_intro_pass,
)
from tests.kudos.conftest import configure
from tests.waiting import outbox_drained

QUESTION = "Did it help?"
THANKS_TO_ALICE = "Thanks for introducing me to <@U0CAROL>!"


@pytest.fixture
def clock() -> OffsetClock:
    """The bot's clock, which the test moves forward."""
    return OffsetClock(MONDAY_10_NY)


@pytest.fixture
def bot(
    database_url: str,
    slack: SlackStandIn,
    clock: OffsetClock,
    slack_mode: str,
    serve_bot: BotFactory,
) -> BotServer:
    """The bot on `clock`."""
    return clocked_bot(database_url, slack, clock, slack_mode, serve_bot)


def _connected_two_weeks_ago(
    bot: BotServer, slack: SlackStandIn, intro_cmd: Intro, clock: OffsetClock
) -> tuple[Call, Call]:
    """Bob and Carol, introduced by Alice and connected; the follow-up each got 14 days on."""
    intro_cmd("<@U0BOB> <@U0CAROL> you both work on search ranking")
    invitation(slack, "U0BOB"), invitation(slack, "U0CAROL")
    connect(bot, clock.now())
    advance(bot, clock, timedelta(days=14))
    assert run_intro_pass(bot, clock).done["followed up"] == 2
    return _follow_up(slack, "U0BOB"), _follow_up(slack, "U0CAROL")


def _follow_up(slack: SlackStandIn, user: str) -> Call:
    return slack.wait_for(
        lambda c: (
            c.method == "chat.postMessage"
            and c.args.get("channel") == user
            and QUESTION in json.dumps(c.args)
        )
    )[-1]


def _forged_click(driver: SlackDriver, user: str, on: Call, action_id: str) -> None:
    """`user` sends the click of `on`'s button from #general, where they can be answered."""
    payload = payloads.block_actions(
        user_id=user,
        action_id=action_id,
        value=button(on, action_id)["value"],
        channel_id="C0GENERAL",
        message_ts=on.response["ts"],
    )
    assert driver.interactive(payload).status_code == 200


def _told(slack: SlackStandIn, user: str, containing: str) -> None:
    slack.wait_for(
        lambda c: (
            c.method == "chat.postEphemeral"
            and c.args.get("user") == user
            and containing in c.args.get("text", "")
        )
    )


def _edited(slack: SlackStandIn, message: Call, containing: str) -> Call:
    return slack.wait_for(
        lambda c: (
            c.method == "chat.update"
            and c.args.get("channel") == message.response["channel"]
            and c.args.get("ts") == message.response["ts"]
            and containing in json.dumps(c.args)
        )
    )[-1]


def test_each_person_is_asked_once_two_weeks_after_the_connection(
    bot: BotServer, slack: SlackStandIn, intro_cmd: Intro, clock: OffsetClock
) -> None:
    intro_cmd("<@U0BOB> <@U0CAROL> you both work on search ranking")
    invitation(slack, "U0BOB"), invitation(slack, "U0CAROL")
    connect(bot, clock.now())
    # Thirteen days on: too soon.
    advance(bot, clock, timedelta(days=13))
    assert run_intro_pass(bot, clock).done["followed up"] == 0
    outbox_drained(bot)
    assert not [c for c in slack.calls_to("chat.postMessage") if QUESTION in json.dumps(c.args)]
    advance(bot, clock, timedelta(days=1))
    assert run_intro_pass(bot, clock).done["followed up"] == 2
    to_bob, to_carol = _follow_up(slack, "U0BOB"), _follow_up(slack, "U0CAROL")
    assert to_bob.args["text"] == (
        "Two weeks ago <@U0ALICE> introduced you to <@U0CAROL>. Did it help?"
    )
    assert "introduced you to <@U0BOB>" in to_carol.args["text"]
    thank = button(to_bob, "intro.thank")
    assert (thank["text"]["text"], thank["style"]) == ("Thank alice", "primary")
    assert button(to_bob, "intro.not_really")["text"]["text"] == "Not really"
    # Later passes ask nobody again.
    assert run_intro_pass(bot, clock).done["followed up"] == 0
    advance(bot, clock, timedelta(days=1))
    assert run_intro_pass(bot, clock).done["followed up"] == 0
    outbox_drained(bot)
    for user in ("U0BOB", "U0CAROL"):
        assert len(posts_to(slack, user, QUESTION)) == 1
    assert not posts_to(slack, "U0ALICE", QUESTION)


def test_thanks_gives_the_connector_one_kudos_and_not_really_gives_nothing(
    bot: BotServer,
    slack: SlackStandIn,
    driver: SlackDriver,
    intro_cmd: Intro,
    clock: OffsetClock,
) -> None:
    to_bob, to_carol = _connected_two_weeks_ago(bot, slack, intro_cmd, clock)
    # Someone else sending Bob's button (nobody else sees his DM: a forged click) thanks nobody.
    for user in (STRANGER, "U0ALICE"):
        _forged_click(driver, user, to_bob, "intro.thank")
        _told(slack, user, "Only the two people introduced can answer this")
    assert intro_kudos(bot) == []
    # Bob thanks Alice: twice, and Slack resends the click.
    payload = press(driver, "U0BOB", to_bob, "intro.thank")
    press(driver, "U0BOB", to_bob, "intro.thank")
    assert driver.interactive(payload).status_code == 200
    edit = _edited(slack, to_bob, "You thanked <@U0ALICE> :tada:")
    assert "intro.thank" not in json.dumps(edit.args)
    note = slack.wait_for(
        lambda c: (
            c.method == "chat.postMessage"
            and c.args.get("channel") == "U0ALICE"
            and "thanked you for an introduction" in json.dumps(c.args)
        )
    )[-1]
    assert THANKS_TO_ALICE in note.args["text"]
    # Carol did not think it helped: nothing is given, and her question closes kindly.
    press(driver, "U0CAROL", to_carol, "intro.not_really")
    edit = _edited(slack, to_carol, "Not every introduction clicks")
    assert "intro.thank" not in json.dumps(edit.args)
    outbox_drained(bot)
    # Without a kudos channel the thanks is given quietly, in Bob's DM: no public post.
    assert intro_kudos(bot) == [("U0BOB", ["U0ALICE"], THANKS_TO_ALICE, to_bob.response["channel"])]
    assert not [c for c in slack.calls_to("chat.postMessage") if "gave kudos" in str(c.args)]
    assert len(posts_to(slack, "U0ALICE", "thanked you for an introduction")) == 1
    assert not [
        c
        for c in slack.calls
        if c.method == "chat.postEphemeral" and c.args["user"] in ("U0BOB", "U0CAROL")
    ]


def test_thanks_are_posted_in_the_kudos_channel_and_a_refused_kudos_says_why(
    bot: BotServer,
    slack: SlackStandIn,
    driver: SlackDriver,
    intro_cmd: Intro,
    clock: OffsetClock,
) -> None:
    configure(bot, kudos_channel_id="C0GENERAL")
    to_bob, to_carol = _connected_two_weeks_ago(bot, slack, intro_cmd, clock)
    press(driver, "U0CAROL", to_carol, "intro.thank")
    post = slack.wait_for(
        lambda c: (
            c.method == "chat.postMessage"
            and c.args.get("channel") == "C0GENERAL"
            and "gave kudos to <@U0ALICE>" in json.dumps(c.args)
        )
    )[-1]
    assert "Thanks for introducing me to <@U0BOB>!" in json.dumps(post.args)
    _edited(slack, to_carol, "You thanked <@U0ALICE>")
    # Alice has since left: Bob's thanks cannot be given, and he is told why where he clicked.
    with transaction(bot.runtime.sessions) as session:
        session.execute(update(Member).where(Member.user_id == "U0ALICE").values(deleted=True))
    press(driver, "U0BOB", to_bob, "intro.thank")
    _told(slack, "U0BOB", "account is deactivated, so they can't receive kudos")
    outbox_drained(bot)
    assert [giver for giver, *_ in intro_kudos(bot)] == ["U0CAROL"]
    assert not [
        c for c in slack.calls_to("chat.update") if c.args.get("ts") == to_bob.response["ts"]
    ]


def test_thanks_for_an_introduction_asked_in_private_stay_private(
    bot: BotServer,
    slack: SlackStandIn,
    driver: SlackDriver,
    intro_cmd: Intro,
    clock: OffsetClock,
) -> None:
    configure(bot, kudos_channel_id="C0GENERAL")
    slack.add_channel("G0SECRET", "secret", is_private=True, bot_is_member=True)
    intro_cmd("<@U0BOB> <@U0CAROL> you both work on search ranking", channel="G0SECRET")
    invitation(slack, "U0BOB"), invitation(slack, "U0CAROL")
    connect(bot, clock.now())
    advance(bot, clock, timedelta(days=14))
    run_intro_pass(bot, clock)
    press(driver, "U0CAROL", _follow_up(slack, "U0CAROL"), "intro.thank")
    slack.wait_for(
        lambda c: (
            c.method == "chat.postMessage"
            and c.args.get("channel") == "U0ALICE"
            and "introduction" in json.dumps(c.args)
            and "thanked you" in json.dumps(c.args)
        )
    )
    outbox_drained(bot)
    assert [giver for giver, *_ in intro_kudos(bot)] == ["U0CAROL"]
    assert not [m for m in slack.posted_messages("C0GENERAL") if "gave kudos" in m["text"]]
