"""Expiry end to end: an introduction nobody finished answering is withdrawn from both DMs, the
connector hears of it once, and a button clicked afterwards says it expired."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from tests.clocks import OffsetClock
from tests.conftest import BotFactory
from tests.intros.conftest import Intro, invitation, press, stored_intros
from tests.intros.lifecycle import (
    MONDAY_10_NY,
    advance,
    clocked_bot,
    posts_to,
    run_intro_pass,
)
from tests.waiting import outbox_drained


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


def _expired_edits(slack: SlackStandIn) -> dict[str, str]:
    return {
        c.args["channel"]: json.dumps(c.args)
        for c in slack.calls_to("chat.update")
        if "expired on" in json.dumps(c.args)
    }


def test_an_unanswered_introduction_expires_once_and_a_late_click_is_told_so(
    bot: BotServer,
    slack: SlackStandIn,
    driver: SlackDriver,
    intro_cmd: Intro,
    clock: OffsetClock,
) -> None:
    intro_cmd("<@U0BOB> <@U0CAROL> you both work on search ranking")
    to_bob, to_carol = invitation(slack, "U0BOB"), invitation(slack, "U0CAROL")
    # Six days on, it is still open: the pass leaves it alone.
    advance(bot, clock, timedelta(days=6, hours=23))
    assert run_intro_pass(bot, clock).done["expired"] == 0
    assert stored_intros(bot)[0].status == "waiting"
    advance(bot, clock, timedelta(hours=1))
    assert run_intro_pass(bot, clock).done["expired"] == 1
    slack.wait_for(
        lambda c: c.method == "chat.update" and "expired on" in json.dumps(c.args), count=2
    )
    note = slack.wait_for(
        lambda c: (
            c.method == "chat.postMessage"
            and c.args.get("channel") == "U0ALICE"
            and "expired after 7 days" in c.args.get("text", "")
        )
    )[-1]
    assert "<@U0BOB> and <@U0CAROL>" in note.args["text"]
    # Both invitations lost their buttons.
    edited = _expired_edits(slack)
    assert set(edited) == {to_bob.response["channel"], to_carol.response["channel"]}
    assert all("intro.accept" not in e and "intro.decline" not in e for e in edited.values())
    [intro] = stored_intros(bot)
    assert (intro.status, intro.ended_at is not None) == ("expired", True)
    # The next pass (and one a day later) finds nothing to do and tells nobody again.
    assert run_intro_pass(bot, clock).done["expired"] == 0
    advance(bot, clock, timedelta(days=1))
    assert run_intro_pass(bot, clock).done["expired"] == 0
    # A button clicked after expiry puts nobody in touch and says why.
    press(driver, "U0BOB", to_bob, "intro.accept")
    slack.wait_for(
        lambda c: (
            c.method == "chat.postEphemeral"
            and c.args.get("user") == "U0BOB"
            and "has expired" in c.args.get("text", "")
        )
    )
    outbox_drained(bot)
    assert len(posts_to(slack, "U0ALICE", "expired after")) == 1
    assert len(_expired_edits(slack)) == 2
    assert (
        len([c for c in slack.calls_to("chat.update") if "expired on" in json.dumps(c.args)]) == 2
    )
    assert stored_intros(bot)[0].people[0].answer is None


def test_an_introduction_one_person_accepted_still_expires_for_both(
    bot: BotServer,
    slack: SlackStandIn,
    driver: SlackDriver,
    intro_cmd: Intro,
    clock: OffsetClock,
) -> None:
    intro_cmd("<@U0BOB> <@U0CAROL> you both work on search ranking")
    to_bob, to_carol = invitation(slack, "U0BOB"), invitation(slack, "U0CAROL")
    press(driver, "U0BOB", to_bob, "intro.accept")
    slack.wait_for(lambda c: c.method == "chat.update" and "You said yes" in json.dumps(c.args))
    assert stored_intros(bot)[0].status == "accepted"
    advance(bot, clock, timedelta(days=7))
    assert run_intro_pass(bot, clock).done["expired"] == 1
    slack.wait_for(
        lambda c: c.method == "chat.update" and "expired on" in json.dumps(c.args), count=2
    )
    # Carol's late yes does not connect anyone.
    press(driver, "U0CAROL", to_carol, "intro.accept")
    slack.wait_for(
        lambda c: (
            c.method == "chat.postEphemeral"
            and c.args.get("user") == "U0CAROL"
            and "has expired" in c.args.get("text", "")
        )
    )
    [intro] = stored_intros(bot)
    assert (intro.status, intro.connected_at) == ("expired", None)
