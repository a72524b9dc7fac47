"""Nudges as people meet them over Slack: the follow-up's "Resolved, thank them", the last
round's "Keep it open", and "Stop these" on an expert's DM, driven by signed requests."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from app.nudges.service import run_pass
from app.sandbox import payloads
from app.sandbox.answers import Call
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.store.models import Member
from tests.asks.conftest import QUESTION, Send, posted, reply, stored_ask
from tests.clocks import OffsetClock
from tests.kudos.conftest import configure
from tests.nudges.conftest import dm_to
from tests.waiting import jump


def _press(driver: SlackDriver, user: str, on: Call, action_id: str) -> None:
    """Click `action_id` on the DM `on` as `user`, from the DM where it was posted."""
    button = _button(on, action_id)
    payload = payloads.block_actions(
        user_id=user,
        action_id=action_id,
        value=button["value"],
        channel_id=on.response["channel"],
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


def _button(call: Call, action_id: str) -> dict:
    for block in call.args["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return dict(element)
    raise AssertionError(f"no {action_id} button")


def _pass(bot: BotServer, clock: OffsetClock) -> None:
    run_pass(bot.runtime.sessions, clock.now())
    bot.runtime.doorbell.set()


def test_a_day_after_an_answer_the_asker_thanks_with_one_click(
    bot: BotServer,
    slack: SlackStandIn,
    driver: SlackDriver,
    ask_cmd: Send,
    clock: OffsetClock,
) -> None:
    ask, _ = posted(bot, slack, lambda text: ask_cmd(text, user="U0BOB"))
    reply(driver, ask, "U0CAROL", "9000000010.000001", text="Rotate it with the vault CLI")
    jump(bot, clock, timedelta(hours=25))  # Tuesday 11:00 in New York: working hours
    _pass(bot, clock)
    follow_up = dm_to(slack, "U0BOB", "answered your ask")
    assert "<@U0CAROL>" in follow_up.args["text"]
    _press(driver, "U0CAROL", follow_up, "nudge.thank")  # not Carol's ask
    assert stored_ask(bot).status == "answered"
    _press(driver, "U0BOB", follow_up, "nudge.thank")
    resolved = stored_ask(bot)
    assert resolved.status == "resolved"
    assert [h.helper_id for h in resolved.helpers] == ["U0CAROL"]
    slack.wait_for(
        lambda c: (
            c.method == "chat.postMessage"
            and "Thank you for answering my ask" in json.dumps(c.args)
            and c.args.get("channel") == "C0GENERAL"
        )
    )
    # A second pass sends no second follow-up.
    jump(bot, clock, timedelta(hours=2))
    _pass(bot, clock)
    bot.worker.drain(5)
    follow_ups = [
        c for c in slack.calls_to("chat.postMessage") if "answered your ask" in json.dumps(c.args)
    ]
    assert len(follow_ups) == 1


def test_the_last_round_asks_the_asker_and_experts_can_stop_the_notes(
    bot: BotServer,
    slack: SlackStandIn,
    driver: SlackDriver,
    ask_cmd: Send,
    clock: OffsetClock,
) -> None:
    configure(bot, matches_per_ask=1)
    driver.command(command="/offer", text="postgres", user_id="U0CAROL", channel_id="C0GENERAL")
    ask, _ = posted(bot, slack, lambda text: ask_cmd(QUESTION, user="U0BOB"))
    match = dm_to(slack, "U0CAROL", "which you offered")
    _press(driver, "U0CAROL", match, "ask.stop_matches")
    with bot.runtime.sessions() as session:
        assert session.get_one(Member, ("T0001", "U0CAROL")).nudges_opt_out is True
    _told(slack, "U0CAROL", "won't send you asks")
    # Friday 14:05 in New York is past 40 working hours: the asker is asked what to do.
    jump(bot, clock, timedelta(days=4, hours=4, minutes=5))
    _pass(bot, clock)  # round one is due first: one round per pass
    _pass(bot, clock)
    jump(bot, clock, timedelta(minutes=2))
    _pass(bot, clock)
    jump(bot, clock, timedelta(minutes=2))
    _pass(bot, clock)
    last = dm_to(slack, "U0BOB", "Nobody has answered your ask yet")
    assert [e["action_id"] for e in last.args["blocks"][1]["elements"]] == [
        "nudge.keep",
        "nudge.snooze",
        "ask.resolve",
        "ask.close",
    ]
    _press(driver, "U0BOB", last, "nudge.keep")
    _told(slack, "U0BOB", "Kept open")
    assert stored_ask(bot).status == "open"
    assert stored_ask(bot).id == ask.id


def _last_rounds(slack: SlackStandIn, user: str) -> list[Call]:
    return [
        c
        for c in slack.calls_to("chat.postMessage")
        if c.ok
        and c.args.get("channel") == user
        and "Nobody has answered your ask yet" in c.args.get("text", "")
    ]


def _to_last_round(bot: BotServer, slack: SlackStandIn, clock: OffsetClock) -> Call:
    # Friday 14:05 in New York is past 40 working hours; one round per pass.
    jump(bot, clock, timedelta(days=4, hours=4, minutes=5))
    for _ in range(3):
        _pass(bot, clock)
        jump(bot, clock, timedelta(minutes=2))
    _pass(bot, clock)
    return dm_to(slack, "U0BOB", "Nobody has answered your ask yet")


def test_the_asker_snoozes_the_last_round_to_their_next_working_day(
    bot: BotServer,
    slack: SlackStandIn,
    driver: SlackDriver,
    ask_cmd: Send,
    clock: OffsetClock,
) -> None:
    ask, _ = posted(bot, slack, lambda text: ask_cmd(QUESTION, user="U0BOB"))
    last = _to_last_round(bot, slack, clock)
    _press(driver, "U0CAROL", last, "nudge.snooze")  # the value names the ask; Carol isn't Bob
    assert stored_ask(bot).snoozed_until is None
    _press(driver, "U0BOB", last, "nudge.snooze")
    # Friday afternoon + a day is Saturday: the reminder waits for Monday 09:00 in New York.
    _told(slack, "U0BOB", "again on Monday at 09:00")
    snoozed = stored_ask(bot)
    assert snoozed.snoozed_until == datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
    assert snoozed.status == "open"
    jump(bot, clock, snoozed.snoozed_until - clock.now() - timedelta(minutes=1))  # 08:59: not yet
    _pass(bot, clock)
    bot.worker.drain(5)
    assert len(_last_rounds(slack, "U0BOB")) == 1
    jump(bot, clock, timedelta(minutes=1))
    _pass(bot, clock)
    slack.wait_for(lambda c: len(_last_rounds(slack, "U0BOB")) == 2)
    assert "nudge.snooze" in json.dumps(_last_rounds(slack, "U0BOB")[1].args["blocks"])
    _pass(bot, clock)  # a second pass at the same moment asks nothing more
    bot.worker.drain(5)
    assert len(_last_rounds(slack, "U0BOB")) == 2
    assert stored_ask(bot).id == ask.id


def test_keep_it_open_asks_the_last_round_again_later(
    bot: BotServer,
    slack: SlackStandIn,
    driver: SlackDriver,
    ask_cmd: Send,
    clock: OffsetClock,
) -> None:
    posted(bot, slack, lambda text: ask_cmd(QUESTION, user="U0BOB"))
    last = _to_last_round(bot, slack, clock)
    _press(driver, "U0BOB", last, "nudge.keep")
    _told(slack, "U0BOB", "Kept open")
    jump(bot, clock, timedelta(days=7))
    _pass(bot, clock)
    slack.wait_for(lambda c: len(_last_rounds(slack, "U0BOB")) == 2)
