"""`/intro` end to end: both people asked privately, the answers, and the guards."""

from __future__ import annotations

import json

from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from tests.intros.conftest import Intro, invitation, press, stored_intros
from tests.kudos.conftest import reply_text
from tests.waiting import eventually, outbox_drained


def test_both_people_are_asked_privately_with_what_the_other_offers(
    bot: BotServer, slack: SlackStandIn, intro_cmd: Intro
) -> None:
    text = reply_text(intro_cmd("<@U0BOB|bob> <@U0CAROL|carol> you both work on search ranking"))
    assert "I've asked <@U0BOB> and <@U0CAROL>" in text
    to_bob, to_carol = invitation(slack, "U0BOB"), invitation(slack, "U0CAROL")
    assert "<@U0ALICE> would like to introduce you to <@U0CAROL>" in json.dumps(to_bob.args)
    assert "you both work on search ranking" in json.dumps(to_carol.args)
    [intro] = stored_intros(bot)
    assert (intro.connector_id, intro.first_id, intro.second_id) == ("U0ALICE", "U0BOB", "U0CAROL")
    assert intro.status == "waiting"


def test_not_now_tells_the_connector_kindly_and_withdraws_both_invitations(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver, intro_cmd: Intro
) -> None:
    intro_cmd("<@U0BOB> <@U0CAROL> you both work on search ranking")
    to_bob, to_carol = invitation(slack, "U0BOB"), invitation(slack, "U0CAROL")
    press(driver, "U0CAROL", to_carol, "intro.decline")
    note = slack.wait_for(
        lambda c: (
            c.method == "chat.postMessage"
            and c.args.get("channel") == "U0ALICE"
            and "isn't going ahead" in c.args.get("text", "")
        )
    )[-1]
    assert "U0CAROL" in note.args["text"]  # named as one of the two, never as who said no
    assert "one of them" in note.args["text"]
    updates = slack.wait_for("chat.update", count=2)
    edited = {c.args["channel"]: json.dumps(c.args) for c in updates}
    assert "intro.accept" not in edited[to_bob.response["channel"]]
    assert "isn't going ahead" in edited[to_bob.response["channel"]]
    assert "Nobody is told why" in edited[to_carol.response["channel"]]
    assert stored_intros(bot)[0].status == "declined"
    # Bob clicking his old button afterwards puts nobody in touch.
    press(driver, "U0BOB", to_bob, "intro.accept")
    outbox_drained(bot)
    assert not [c for c in slack.calls if c.method == "conversations.open" and "," in str(c.args)]
    eventually(lambda: stored_intros(bot)[0].people[0].answer is None, what="Bob's answer unset")
