"""Both say yes: one group DM with the three people and the reason, exactly once, however often
the buttons are clicked or the click is resent; the invitations say so."""

from __future__ import annotations

import json

from app.sandbox import payloads
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.store.models import Member
from tests.intros.conftest import Intro, invitation, press, stored_intros
from tests.waiting import eventually, outbox_drained

REASON = "you both work on search ranking"


def test_two_yeses_open_one_group_dm_of_the_three_with_the_reason(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver, intro_cmd: Intro
) -> None:
    slack.add_user("U0ERIN", "erin")
    intro_cmd(f"<@U0BOB> <@U0CAROL> {REASON}", user="U0ERIN")
    to_bob, to_carol = invitation(slack, "U0BOB"), invitation(slack, "U0CAROL")
    bob_said_yes = press(driver, "U0BOB", to_bob, "intro.accept")
    waiting = slack.wait_for(
        lambda c: c.method == "chat.update" and c.args["ts"] == to_bob.response["ts"]
    )[-1]
    assert "as soon as <@U0CAROL> does" in json.dumps(waiting.args)
    assert "intro.accept" not in json.dumps(waiting.args)
    assert slack.group_dm_of(["U0BOB", "U0CAROL", "U0ERIN"]) is None
    carol_said_yes = press(driver, "U0CAROL", to_carol, "intro.accept")
    # Clicked twice, and each click resent, as a flaky network does.
    press(driver, "U0CAROL", to_carol, "intro.accept")
    for payload in (bob_said_yes, carol_said_yes):
        assert driver.interactive(payload).status_code == 200
    eventually(lambda: stored_intros(bot)[0].group_ts is not None, what="the group DM posted")
    outbox_drained(bot)
    group = slack.group_dm_of(["U0BOB", "U0CAROL", "U0ERIN"])
    assert group is not None
    posted = slack.posted_messages(group.id)
    assert len(posted) == 1
    text = json.dumps(posted[0])
    assert "<@U0BOB>, meet <@U0CAROL>" in text
    assert REASON in text
    assert "To start you off" in text
    [intro] = stored_intros(bot)
    assert (intro.status, intro.group_channel_id) == ("connected", group.id)
    # Each invitation now says where the introduction is, and has no buttons left.
    for call in (to_bob, to_carol):
        edits = [
            c
            for c in slack.calls_to("chat.update")
            if c.ok
            and c.args["ts"] == call.response["ts"]
            and "You both said yes" in json.dumps(c.args)
        ]
        assert len(edits) == 1
    assert not [c for c in slack.calls if c.method == "chat.postMessage" and not c.ok]


def test_the_group_dm_is_with_the_two_alone_when_the_connector_has_left(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver, intro_cmd: Intro
) -> None:
    slack.add_user("U0ERIN", "erin")
    intro_cmd(f"<@U0BOB> <@U0CAROL> {REASON}", user="U0ERIN")
    to_bob, to_carol = invitation(slack, "U0BOB"), invitation(slack, "U0CAROL")
    press(driver, "U0BOB", to_bob, "intro.accept")
    slack.set_user_deleted("U0ERIN")
    driver.event(payloads.event_callback(payloads.user_change_event(slack.users["U0ERIN"])))
    eventually(lambda: _deleted(bot, "U0ERIN"), what="Erin marked as gone")
    press(driver, "U0CAROL", to_carol, "intro.accept")
    outbox_drained(bot)
    group = slack.group_dm_of(["U0BOB", "U0CAROL"])
    assert group is not None
    assert len(slack.posted_messages(group.id)) == 1


def _deleted(bot: BotServer, user: str) -> bool:
    with bot.runtime.sessions() as session:
        member = session.get(Member, ("T0001", user))
        return member is not None and member.deleted
