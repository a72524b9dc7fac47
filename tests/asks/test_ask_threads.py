"""Ask threads as Slack reports them: edits, deletions, the asker reopening, privacy changes."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, text

from app.sandbox import payloads
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.store.models import Ask, AskReply, Channel, Kudos
from tests.asks.conftest import QUESTION, Send, click, posted, reply, stored_ask
from tests.kudos.conftest import configure, reply_text


def _event(driver: SlackDriver, event: dict) -> None:
    assert driver.event(payloads.event_callback(event)).status_code == 200


def _edit(driver: SlackDriver, ask: Ask, user: str, ts: str, old: str, new: str) -> None:
    def message(text: str) -> dict:
        return {
            "type": "message",
            "user": user,
            "text": text,
            "ts": ts,
            "thread_ts": ask.message_ts,
        }

    edited = {**message(new), "edited": {"user": user, "ts": "9000000099.000001"}}
    _event(
        driver,
        payloads.message_changed_event(
            channel=str(ask.channel_id), message=edited, previous=message(old), ts="9000000099.1"
        ),
    )


def _delete(driver: SlackDriver, ask: Ask, ts: str, user: str) -> None:
    previous = {"type": "message", "user": user, "ts": ts, "thread_ts": ask.message_ts}
    _event(
        driver,
        payloads.message_deleted_event(
            channel=str(ask.channel_id), deleted_ts=ts, ts="9000000098.1", previous=previous
        ),
    )


def _last_update(slack: SlackStandIn) -> str:
    return json.dumps(slack.calls_to("chat.update")[-1].args["blocks"])


def test_edits_count_once_and_the_asker_editing_in_still_stuck_reopens(
    bot: BotServer, slack: SlackStandIn, ask_cmd: Send, driver: SlackDriver
) -> None:
    ask, _ = posted(bot, slack, ask_cmd)
    reply(driver, ask, "U0CAROL", "9000000001.000001", text="Try rotating via the CLI")
    _edit(driver, ask, "U0CAROL", "9000000001.000001", "Try rotating via the CLI", "Use the CLI")
    with bot.runtime.sessions() as session:
        assert [r.user_id for r in session.scalars(select(AskReply))] == ["U0CAROL"]
    assert stored_ask(bot).status == "answered"
    reply(driver, ask, "U0ALICE", "9000000001.000002", text="Thanks, looking")
    assert stored_ask(bot).status == "answered"
    _edit(
        driver, ask, "U0ALICE", "9000000001.000002", "Thanks, looking", "Thanks, but still failing"
    )
    assert stored_ask(bot).status == "open"
    slack.wait_for(lambda c: c.method == "chat.update" and "Open" in json.dumps(c.args))


def test_deleting_answers_withdraws_them_in_order(
    bot: BotServer, slack: SlackStandIn, ask_cmd: Send, driver: SlackDriver
) -> None:
    ask, _ = posted(bot, slack, ask_cmd)
    reply(driver, ask, "U0CAROL", "9000000002.000001")
    reply(driver, ask, "U0BOB", "9000000002.000002")
    assert stored_ask(bot).answered_by == "U0CAROL"
    _delete(driver, ask, "9000000002.000001", "U0CAROL")
    assert (stored_ask(bot).status, stored_ask(bot).answered_by) == ("answered", "U0BOB")
    _delete(driver, ask, "9000000002.000002", "U0BOB")
    _delete(driver, ask, "9000000002.000002", "U0BOB")  # Slack may say it twice
    after = stored_ask(bot)
    assert (after.status, after.answered_by) == ("open", None)
    slack.wait_for(
        lambda c: c.method == "chat.update" and "Open: can you help" in json.dumps(c.args)
    )
    # A deleted reply in a thread that is not an ask's changes nothing.
    _delete(driver, ask, "9000000002.000009", "U0BOB")
    assert stored_ask(bot).status == "open"


def test_a_deleted_ask_with_replies_becomes_a_tombstone_and_is_discarded(
    bot: BotServer, slack: SlackStandIn, ask_cmd: Send, driver: SlackDriver
) -> None:
    ask, _ = posted(bot, slack, ask_cmd)
    reply(driver, ask, "U0CAROL", "9000000003.000001")
    tombstone = {
        "type": "message",
        "subtype": "tombstone",
        "text": "This message was deleted.",
        "ts": ask.message_ts,
        "thread_ts": ask.message_ts,
        "reply_count": 1,
    }
    _event(
        driver,
        payloads.message_changed_event(
            channel=str(ask.channel_id), message=tombstone, previous={}, ts="9000000003.9"
        ),
    )
    assert stored_ask(bot).status == "discarded"


def test_still_need_help_reopens_for_the_asker_only_and_reaches_more_people(
    bot: BotServer, slack: SlackStandIn, ask_cmd: Send, driver: SlackDriver
) -> None:
    configure(bot, matches_per_ask=1)
    for user in ("U0BOB", "U0CAROL"):
        driver.command(command="/offer", text="postgres", user_id=user, channel_id="C0GENERAL")
    ask, _ = posted(bot, slack, ask_cmd)
    first = slack.wait_for(lambda c: c.method == "chat.postMessage" and c.args["channel"][0] == "U")
    told = first[0].args["channel"]
    other = ({"U0BOB", "U0CAROL"} - {told}).pop()
    reply(driver, ask, told, "9000000004.000001")
    answered = slack.wait_for(
        lambda c: c.method == "chat.update" and "ask.reopen" in json.dumps(c.args["blocks"])
    )
    assert answered
    click(driver, slack, told, "ask.reopen", ask)
    refusal = slack.wait_for("chat.postEphemeral")[0]
    assert "Only the person who asked" in refusal.args["text"]
    assert stored_ask(bot).status == "answered"
    click(driver, slack, "U0ALICE", "ask.reopen", ask)
    assert stored_ask(bot).status == "open"
    second = slack.wait_for(
        lambda c: c.method == "chat.postMessage" and c.args["channel"] == other
    )[0]
    assert "asked about `postgresql`" in second.args["text"]
    answer = slack.wait_for(
        lambda c: c.method == "chat.postEphemeral" and "Reopened" in c.args["text"]
    )
    assert "asked 1 more person" in answer[0].args["text"]


def test_a_channel_turned_private_is_not_quoted_at_send_time_nor_later(
    bot: BotServer, slack: SlackStandIn, ask_cmd: Send, driver: SlackDriver
) -> None:
    slack.add_channel("C0ASKS", "asks")
    configure(bot, asks_channel_id="C0ASKS")
    driver.command(command="/offer", text="postgres", user_id="U0BOB", channel_id="C0GENERAL")
    driver.command(
        command="/kudos",
        text="<@U0CAROL|carol> thanks for the rota",
        user_id="U0ALICE",
        channel_id="C0GENERAL",
    )
    # The kudos is posted while #general is public: the bot joins it then.
    slack.wait_for(lambda c: c.method == "chat.postMessage" and "gave kudos" in c.args["text"])
    with bot.runtime.sessions() as session:
        assert session.get_one(Channel, ("T0001", "C0GENERAL")).is_private is False
    # An admin makes #general private; our cache has not heard yet when the ask is sent.
    slack.set_channel_private("C0GENERAL", True)
    assert "is posted" in reply_text(ask_cmd(QUESTION))
    post = slack.wait_for(
        lambda c: c.method == "chat.postMessage" and "asks" in c.args.get("text", "")
    )[0]
    assert post.args["channel"] == "C0GENERAL"
    dm = slack.wait_for(lambda c: c.method == "chat.postMessage" and c.args["channel"] == "U0BOB")
    assert "private conversation" in dm[0].args["text"]
    assert "staging database" not in json.dumps(dm[0].args)
    # Then Slack's conversion message arrives: what was said there is private from now on.
    _event(
        driver,
        payloads.message_event(
            user="U0ALICE",
            channel="C0GENERAL",
            text="made this channel *private*.",
            ts="9000000005.000001",
            subtype="channel_convert_to_private",
            channel_type="group",
        ),
    )
    with bot.runtime.sessions() as session:
        assert session.get_one(Channel, ("T0001", "C0GENERAL")).is_private is True
        assert all(k.channel_is_private for k in session.scalars(select(Kudos)))
        assert all(a.channel_is_private for a in session.scalars(select(Ask)))


def test_an_ask_where_the_bot_is_not_a_member_tells_the_asker_and_keeps_the_ask(
    bot: BotServer, slack: SlackStandIn, ask_cmd: Send
) -> None:
    slack.add_channel("G0SECRET", "secret", is_private=True, bot_is_member=False)
    answer = reply_text(ask_cmd(QUESTION, channel="G0SECRET"))
    assert "is saved, but I'm not in this private channel" in answer
    assert "/invite @Reciprocity" in answer
    told = slack.wait_for(lambda c: c.method == "response_url")
    assert "/invite" in json.dumps(told[0].args)
    ask = stored_ask(bot)
    assert (ask.status, ask.channel_is_private) == ("open", True)


def test_a_reply_the_store_could_not_take_is_refused_and_counted_when_resent(
    bot: BotServer, slack: SlackStandIn, ask_cmd: Send, driver: SlackDriver, slack_mode: str
) -> None:
    ask, _ = posted(bot, slack, ask_cmd)
    event = payloads.event_callback(
        payloads.message_event(
            user="U0CAROL",
            channel=str(ask.channel_id),
            text="try this",
            ts="9000000001.000001",
            thread_ts=ask.message_ts,
        ),
        event_id="EvAway",
    )
    with bot.runtime.engine.begin() as connection:
        connection.execute(text("ALTER TABLE ask_replies RENAME TO ask_replies_away"))
    try:
        answer = driver.event(event)
    finally:
        with bot.runtime.engine.begin() as connection:
            connection.execute(text("ALTER TABLE ask_replies_away RENAME TO ask_replies"))
    if slack_mode == "http":
        # Not a 2xx: Slack sends the event again later.
        assert answer.status_code == 500
    assert stored_ask(bot).status == "open"
    assert driver.event(event).status_code == 200
    assert stored_ask(bot).status == "answered"


def test_chatter_and_other_threads_write_nothing_while_the_asks_thread_counts_once(
    bot: BotServer, slack: SlackStandIn, ask_cmd: Send, driver: SlackDriver
) -> None:
    ask, _ = posted(bot, slack, ask_cmd)
    channel = str(ask.channel_id)

    def claims() -> int:
        with bot.runtime.engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM processed_events")).scalar())

    def said(user: str, text: str, ts: str, **extra: str) -> dict[str, Any]:
        return payloads.message_event(user=user, channel=channel, text=text, ts=ts, **extra)

    before = claims()
    # A message in the channel, a reply in a thread that is no ask's, a bot's reply, a join.
    chatter = [
        said("U0BOB", "lunch?", "9000000002.1"),
        said("U0BOB", "yes", "9000000002.2", thread_ts="9000000002.1"),
        said("U0BOB", "beep", "9000000002.3", thread_ts=str(ask.message_ts), bot_id="B0OTHER"),
        said("U0DAN", "joined", "9000000002.4", subtype="channel_join"),
    ]
    for n, event in enumerate(chatter):
        envelope = payloads.event_callback(event, event_id=f"EvCHAT{n}")
        assert driver.event(envelope).status_code == 200
    assert claims() == before
    # A reply in the ask's thread is claimed, and counts once however often it comes.
    answer = said("U0CAROL", "Try the CLI", "9000000003.1", thread_ts=str(ask.message_ts))
    for resend in range(2):
        envelope = payloads.event_callback(answer, event_id="EvANSWER")
        assert driver.event(envelope, retry_num=resend or None).status_code == 200
    assert claims() > before
    with bot.runtime.sessions() as session:
        assert [r.user_id for r in session.scalars(select(AskReply))] == ["U0CAROL"]
    assert stored_ask(bot).status == "answered"
