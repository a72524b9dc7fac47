"""`/ask` end to end: posted where seen, claimed, answered in its thread, resolved or closed."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.sandbox import payloads
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.store.models import Ask, Kudos
from tests.asks.conftest import QUESTION, Send, click, posted, reply, stored_ask
from tests.kudos.conftest import configure, reply_text
from tests.waiting import outbox_drained


def test_an_ask_is_posted_with_its_topics_and_buttons(
    bot: BotServer, slack: SlackStandIn, ask_cmd: Send
) -> None:
    ask, message = posted(bot, slack, ask_cmd)
    assert (ask.status, ask.channel_id, ask.message_ts) == ("open", "C0GENERAL", message["ts"])
    assert ask.topics[0] == "postgresql"
    assert "database" in ask.topics
    buttons = [e["action_id"] for e in message["blocks"][-1]["elements"]]
    assert buttons == ["ask.claim", "ask.resolve", "ask.close"]


def test_the_asks_channel_gets_public_asks_and_dms_stay_private(
    bot: BotServer, slack: SlackStandIn, ask_cmd: Send
) -> None:
    slack.add_channel("C0ASKS", "asks")
    configure(bot, asks_channel_id="C0ASKS")
    reply_text(ask_cmd(QUESTION))
    assert slack.wait_for("chat.postMessage")[0].args["channel"] == "C0ASKS"
    answer = reply_text(ask_cmd(QUESTION, channel="D0ALICEBOB"))
    assert "won't post it anywhere public" in answer
    outbox_drained(bot)
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_short_asks_get_advice(bot: BotServer, ask_cmd: Send) -> None:
    assert "a little short" in reply_text(ask_cmd("help me"))


def test_claim_answer_resolve_with_credit(
    bot: BotServer, slack: SlackStandIn, ask_cmd: Send, driver: SlackDriver
) -> None:
    ask, _ = posted(bot, slack, ask_cmd)
    click(driver, slack, "U0BOB", "ask.claim", ask)
    note = slack.wait_for(
        lambda c: c.method == "chat.postMessage" and c.args.get("thread_ts") == ask.message_ts
    )[0]
    assert "<@U0BOB> can help" in note.args["text"]
    assert stored_ask(bot).status == "claimed"
    # The asker's own reply and a bot's reply do not answer it; a colleague's does, once.
    reply(driver, ask, "U0ALICE", "9000000001.000001")
    reply(driver, ask, "UBOT", "9000000001.000002", bot_id="BBOT")
    assert stored_ask(bot).status == "claimed"
    reply(driver, ask, "U0CAROL", "9000000001.000003", event_id="EvA1")
    reply(driver, ask, "U0BOB", "9000000001.000003", event_id="EvA2")  # same message, resent
    answered = stored_ask(bot)
    assert (answered.status, answered.answered_by) == ("answered", "U0CAROL")
    # Only the asker may resolve; the modal is prefilled with who answered and who volunteered.
    click(driver, slack, "U0BOB", "ask.resolve", ask)
    assert slack.calls_to("views.open") == []
    click(driver, slack, "U0ALICE", "ask.resolve", ask)
    view = slack.calls_to("views.open")[0].args["view"]
    assert view["blocks"][0]["element"]["initial_users"] == ["U0CAROL", "U0BOB"]
    values = {
        "helpers": {"users": payloads.multi_users_select_value(["U0CAROL", "U0BOB"])},
        "note": {"text": payloads.plain_text_value("You two saved my Friday")},
    }
    forged = driver.interactive(
        payloads.view_submission(
            user_id="U0BOB",
            callback_id=view["callback_id"],
            values=values,
            private_metadata=view["private_metadata"],
        )
    )
    assert "Only the person who asked" in json.dumps(forged.json())
    done = driver.interactive(
        payloads.view_submission(
            user_id="U0ALICE",
            callback_id=view["callback_id"],
            values=values,
            private_metadata=view["private_metadata"],
        )
    )
    assert done.status_code == 200
    resolved = stored_ask(bot)
    assert resolved.status == "resolved"
    assert sorted(h.helper_id for h in resolved.helpers) == ["U0BOB", "U0CAROL"]
    update = slack.wait_for(
        lambda c: c.method == "chat.update" and "with help from" in json.dumps(c.args.get("blocks"))
    )[0]
    assert "ask.claim" not in json.dumps(update.args["blocks"])
    with bot.runtime.sessions() as session:
        thanks = session.scalars(select(Kudos)).one()
        assert (thanks.source, thanks.message) == ("ask", "You two saved my Friday")
        assert sorted(r.recipient_id for r in thanks.recipients) == ["U0BOB", "U0CAROL"]


def test_only_the_asker_closes_and_a_deleted_ask_is_discarded(
    bot: BotServer, slack: SlackStandIn, ask_cmd: Send, driver: SlackDriver
) -> None:
    ask, _ = posted(bot, slack, ask_cmd)
    click(driver, slack, "U0BOB", "ask.close", ask)
    told = slack.wait_for("chat.postEphemeral")[0]
    assert "Only the person who asked" in told.args["text"]
    assert stored_ask(bot).status == "open"
    deleted = payloads.message_deleted_event(
        channel=str(ask.channel_id), deleted_ts=str(ask.message_ts), ts="9.1"
    )
    assert driver.event(payloads.event_callback(deleted)).status_code == 200
    assert stored_ask(bot).status == "discarded"


def test_the_asker_closes_and_the_message_says_so(
    bot: BotServer, slack: SlackStandIn, ask_cmd: Send, driver: SlackDriver
) -> None:
    ask, _ = posted(bot, slack, ask_cmd)
    click(driver, slack, "U0ALICE", "ask.close", ask)
    assert stored_ask(bot).status == "closed"
    update = slack.wait_for("chat.update")[0]
    assert "Closed" in json.dumps(update.args["blocks"])
    assert "ask.claim" not in json.dumps(update.args["blocks"])


def test_the_ask_form_builds_a_specific_ask(
    bot: BotServer, slack: SlackStandIn, ask_cmd: Send, driver: SlackDriver
) -> None:
    assert ask_cmd("").status_code == 200
    view = slack.calls_to("views.open")[0].args["view"]
    values = {
        "need": {"text": payloads.plain_text_value("A review of my Helm chart changes")},
        "tried": {"text": payloads.plain_text_value("helm lint passes")},
        "by": {"text": payloads.plain_text_value("Thursday")},
        "topics": {"text": payloads.plain_text_value("kubernetes, helm")},
    }
    response = driver.interactive(
        payloads.view_submission(
            user_id="U0ALICE",
            callback_id=view["callback_id"],
            values=values,
            private_metadata=view["private_metadata"],
        )
    )
    assert response.status_code == 200
    ask = stored_ask(bot)
    assert "Needed by: Thursday" in ask.text
    assert ask.topics[:2] == ["kubernetes", "helm"]
    slack.wait_for(lambda c: c.method == "chat.postMessage" and c.args["channel"] == "C0GENERAL")


def test_an_ask_reaches_the_people_who_offered_its_topic(
    bot: BotServer, slack: SlackStandIn, ask_cmd: Send, driver: SlackDriver
) -> None:
    offered = driver.command(
        command="/offer",
        text="postgres — DBA for 10 years",
        user_id="U0BOB",
        channel_id="C0GENERAL",
    )
    assert "`postgresql`" in reply_text(offered)
    ask, message = posted(bot, slack, ask_cmd)
    dm = slack.wait_for(lambda c: c.method == "chat.postMessage" and c.args["channel"] == "U0BOB")
    text = dm[0].args["text"]
    assert "asked about `postgresql`" in text
    assert "archives/C0GENERAL/p" + message["ts"].replace(".", "") in text
    button = dm[0].args["blocks"][1]["elements"][0]
    assert (button["action_id"], button["value"]) == ("ask.claim", str(ask.id))
    click(driver, slack, "U0BOB", "ask.claim", ask)
    assert stored_ask(bot).claimed_by == "U0BOB"


def test_the_coach_suggests_similar_resolved_public_asks(
    bot: BotServer, slack: SlackStandIn, ask_cmd: Send
) -> None:
    from datetime import UTC, datetime

    from app.store.db import transaction

    now = datetime.now(UTC)
    with transaction(bot.runtime.sessions) as session:
        for n, (text, private) in enumerate(
            [
                ("Rotating the staging database password fails at step 3", False),
                ("Staging database password rotation, secret version", True),
                ("Best pizza place near the office", False),
            ]
        ):
            session.add(
                Ask(
                    team_id="T0001",
                    asker_id="U0CAROL",
                    text=text,
                    topics=[],
                    origin_channel_id="C0GENERAL",
                    channel_id="C0GENERAL",
                    channel_is_private=private,
                    message_ts=f"1700000000.00000{n}",
                    status="resolved",
                    created_at=now,
                    updated_at=now,
                    resolved_at=now,
                )
            )
    answer = reply_text(ask_cmd(QUESTION))
    assert "Answered before" in answer
    assert "archives/C0GENERAL/p1700000000000000|Rotating the staging database password" in answer
    assert "secret version" not in answer
    assert "pizza" not in answer


def test_matching_over_http_rotates_and_keeps_the_daily_cap(
    bot: BotServer, slack: SlackStandIn, ask_cmd: Send, driver: SlackDriver
) -> None:
    configure(bot, matches_per_ask=1, expert_daily_cap=1)
    for user in ("U0BOB", "U0CAROL"):
        driver.command(command="/offer", text="postgres", user_id=user, channel_id="C0GENERAL")

    def told() -> list[str]:
        bot.worker.drain(5)
        return sorted(
            c.args["channel"]
            for c in slack.calls_to("chat.postMessage")
            if c.args["channel"] in ("U0BOB", "U0CAROL")
        )

    reply_text(ask_cmd(QUESTION))
    assert len(told()) == 1
    reply_text(ask_cmd(QUESTION + " (second)", user="U0DAVE"))
    # Rotation: the second ask goes to the other expert, not the one just asked.
    assert told() == ["U0BOB", "U0CAROL"]
    reply_text(ask_cmd(QUESTION + " (third)"))
    # Each expert has had their one DM today: nobody is told about the third.
    assert told() == ["U0BOB", "U0CAROL"]


def test_an_ask_in_a_private_channel_stays_there_and_its_text_stays_private(
    bot: BotServer, slack: SlackStandIn, ask_cmd: Send, driver: SlackDriver
) -> None:
    slack.add_channel("C0ASKS", "asks")
    # Someone invited the bot (/invite @Reciprocity): a private channel cannot be joined.
    slack.add_channel("G0TEAM", "team", is_private=True, bot_is_member=True)
    configure(bot, asks_channel_id="C0ASKS")
    driver.command(command="/offer", text="postgres", user_id="U0BOB", channel_id="C0GENERAL")
    reply_text(ask_cmd(QUESTION, channel="G0TEAM"))
    post = slack.wait_for(lambda c: c.method == "chat.postMessage" and "blocks" in c.args)[0]
    assert post.args["channel"] == "G0TEAM"
    dm = slack.wait_for(lambda c: c.method == "chat.postMessage" and c.args["channel"] == "U0BOB")
    assert "private conversation" in dm[0].args["text"]
    assert "staging database" not in json.dumps(dm[0].args)
    assert stored_ask(bot).channel_is_private is True


def test_a_workspace_may_let_matched_people_read_private_asks(
    bot: BotServer, slack: SlackStandIn, ask_cmd: Send, driver: SlackDriver
) -> None:
    slack.add_channel("G0TEAM", "team", is_private=True)
    configure(bot, share_private_asks=True)
    driver.command(command="/offer", text="postgres", user_id="U0BOB", channel_id="C0GENERAL")
    reply_text(ask_cmd(QUESTION, channel="G0TEAM"))
    dm = slack.wait_for(lambda c: c.method == "chat.postMessage" and c.args["channel"] == "U0BOB")
    assert "staging database password" in dm[0].args["text"]
    assert "private conversation" not in dm[0].args["text"]
