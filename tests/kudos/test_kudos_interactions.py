"""Kudos beyond the one-liner: the modal, the message shortcut, reactions and undo."""

from __future__ import annotations

import json

from app.sandbox import payloads
from app.sandbox.answers import Call
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from tests.kudos.conftest import Kudo, configure, reply_text, stored_kudos
from tests.waiting import outbox_drained


def _submit(
    driver: SlackDriver,
    view: dict,
    user: str,
    people: list[str],
    text: str,
    value: str | None = None,
) -> dict:
    values = {
        "recipients": {"users": payloads.multi_users_select_value(people)},
        "message": {"text": payloads.plain_text_value(text)},
    }
    if value is not None:
        values["value"] = {"value": payloads.static_select_value(value)}
    response = driver.interactive(
        payloads.view_submission(
            user_id=user,
            callback_id=view["callback_id"],
            values=values,
            private_metadata=view["private_metadata"],
        )
    )
    assert response.status_code == 200, response.text
    return response.json() if response.content else {}


def test_kudos_without_text_opens_the_modal_and_its_submission_gives(
    bot: BotServer, slack: SlackStandIn, kudos_cmd: Kudo, driver: SlackDriver
) -> None:
    configure(bot, kudos_values=["teamwork", "craft"])
    response = kudos_cmd("")
    assert response.status_code == 200
    [opened] = slack.calls_to("views.open")
    assert opened.ok
    view = opened.args["view"]
    assert view["callback_id"] == "kudos.give"
    assert [o["value"] for o in view["blocks"][2]["element"]["options"]] == ["teamwork", "craft"]
    answer = _submit(driver, view, "U0ALICE", ["U0BOB"], "thanks for pairing", "craft")
    assert answer == {}
    [kudos] = stored_kudos(bot)
    assert (kudos.source, kudos.values, kudos.channel_id) == ("modal", ["craft"], "C0GENERAL")
    ephemeral = slack.wait_for("chat.postEphemeral")[0]
    assert ephemeral.args["user"] == "U0ALICE"
    assert "4 kudos left" in ephemeral.args["text"]


def test_a_refused_modal_shows_the_error_on_the_field(
    bot: BotServer, slack: SlackStandIn, kudos_cmd: Kudo, driver: SlackDriver
) -> None:
    kudos_cmd("")
    view = slack.calls_to("views.open")[0].args["view"]
    answer = _submit(driver, view, "U0ALICE", ["U0ALICE"], "me!")
    assert answer["response_action"] == "errors"
    assert "yourself" in answer["errors"]["recipients"]
    assert stored_kudos(bot) == []


def test_an_expired_trigger_gets_a_clear_answer(
    bot: BotServer, slack: SlackStandIn, kudos_cmd: Kudo
) -> None:
    answer = reply_text(kudos_cmd("", trigger_id="1.2.expired"))
    assert "couldn't open the form" in answer


def test_the_message_shortcut_prefills_author_and_link(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver
) -> None:
    message = {"type": "message", "user": "U0CAROL", "ts": "1700000000.000100", "text": "fix"}
    response = driver.interactive(
        payloads.message_shortcut(
            user_id="U0ALICE",
            callback_id="kudos.for_message",
            channel_id="C0GENERAL",
            message=message,
            trigger_id=slack.issue_trigger_id(),
        )
    )
    assert response.status_code == 200
    view = slack.calls_to("views.open")[0].args["view"]
    assert view["blocks"][0]["element"]["initial_users"] == ["U0CAROL"]
    assert "archives/C0GENERAL/p1700000000000100" in view["blocks"][1]["element"]["initial_value"]
    assert json.loads(view["private_metadata"])["channel_id"] == "C0GENERAL"


def _reaction(kind: str, user: str = "U0ALICE", event_ts: str | None = None) -> dict:
    build = payloads.reaction_added_event if kind == "added" else payloads.reaction_removed_event
    event = build(
        user=user,
        reaction="raised_hands",
        channel="C0GENERAL",
        ts="1700000000.000200",
        item_user="U0BOB",
    )
    return {**event, "event_ts": event_ts} if event_ts else event


def test_a_reaction_counts_once_however_often_slack_sends_it(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver
) -> None:
    configure(bot, reaction_emoji=":raised_hands:")
    slack.set_bot_member("C0GENERAL", True)
    envelope = payloads.event_callback(_reaction("added"), event_id="EvREACT1")
    assert driver.event(envelope).status_code == 200
    assert driver.event(envelope, retry_num=1).status_code == 200
    # The same reaction under another event id (Slack has been seen to do this).
    again = payloads.event_callback(_reaction("added"), event_id="EvREACT2")
    assert driver.event(again).status_code == 200
    [kudos] = stored_kudos(bot)
    assert (kudos.source, kudos.giver_id) == ("reaction", "U0ALICE")
    assert [r.recipient_id for r in kudos.recipients] == ["U0BOB"]
    note = slack.wait_for(lambda c: c.method == "chat.postMessage" and c.args["channel"] == "U0BOB")
    assert len(note) == 1
    assert all(c.args["channel"] == "U0BOB" for c in slack.calls_to("chat.postMessage"))
    removed = payloads.event_callback(_reaction("removed"), event_id="EvUNREACT")
    assert driver.event(removed).status_code == 200
    assert stored_kudos(bot)[0].undone_at is not None


def test_a_reaction_removed_and_added_again_thanks_again_once_per_add(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver
) -> None:
    configure(bot, reaction_emoji="raised_hands")
    slack.set_bot_member("C0GENERAL", True)

    def deliver(kind: str, event_ts: str, event_id: str, retry_num: int | None = None) -> None:
        envelope = payloads.event_callback(_reaction(kind, event_ts=event_ts), event_id=event_id)
        extra = {"retry_num": retry_num} if retry_num else {}
        assert driver.event(envelope, **extra).status_code == 200

    def live() -> list[int]:
        return [k.id for k in stored_kudos(bot) if k.undone_at is None]

    def notes(count: int) -> list[Call]:
        to_bob = lambda c: c.method == "chat.postMessage" and c.args["channel"] == "U0BOB"  # noqa: E731
        return slack.wait_for(to_bob, count=count)

    deliver("added", "1700000100.000100", "EvADD1")
    [first] = live()
    [note] = notes(1)
    deliver("removed", "1700000200.000100", "EvREMOVE1")
    assert live() == []
    # Bob's note now says the kudos was withdrawn.
    [update] = slack.wait_for("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (
        note.response["channel"],
        note.response["ts"],
    )
    assert "withdrew" in update.args["text"]
    # Slack retries the first add, once as itself and once under a new event id: nothing new.
    deliver("added", "1700000100.000100", "EvADD1", retry_num=1)
    deliver("added", "1700000100.000100", "EvADD1-AGAIN")
    assert live() == []
    deliver("added", "1700000300.000100", "EvADD2")
    [second] = live()
    assert second != first
    # The second add's retries, and the first removal resent under a new id, change nothing.
    deliver("added", "1700000300.000100", "EvADD2", retry_num=2)
    deliver("added", "1700000300.000100", "EvADD2-AGAIN")
    deliver("removed", "1700000200.000100", "EvREMOVE1-AGAIN")
    assert live() == [second]
    assert len(stored_kudos(bot)) == 2
    notes(2)
    deliver("removed", "1700000400.000100", "EvREMOVE2")
    assert live() == []
    slack.wait_for("chat.update", count=2)
    outbox_drained(bot)
    # Bob heard of each add once, and of each removal once.
    assert len(slack.calls_to("chat.postMessage")) == 2
    assert len(slack.calls_to("chat.update")) == 2


def test_other_reactions_and_self_reactions_do_not_count(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver
) -> None:
    configure(bot, reaction_emoji="raised_hands")
    slack.set_bot_member("C0GENERAL", True)
    other = payloads.reaction_added_event(
        user="U0ALICE", reaction="thumbsup", channel="C0GENERAL", ts="1.1", item_user="U0BOB"
    )
    own = payloads.reaction_added_event(
        user="U0BOB", reaction="raised_hands", channel="C0GENERAL", ts="1.1", item_user="U0BOB"
    )
    for event in (other, own):
        assert driver.event(payloads.event_callback(event)).status_code == 200
    assert stored_kudos(bot) == []


def test_the_giver_can_undo_and_the_post_says_so(
    bot: BotServer, slack: SlackStandIn, kudos_cmd: Kudo, driver: SlackDriver
) -> None:
    response = kudos_cmd("<@U0BOB> thanks")
    button = response.json()["blocks"][1]["elements"][0]
    slack.wait_for("chat.postMessage", count=2)
    stranger = payloads.block_actions(
        user_id="U0CAROL",
        action_id=button["action_id"],
        value=button["value"],
        response_url=slack.new_response_url(),
    )
    assert driver.interactive(stranger).status_code == 200
    assert stored_kudos(bot)[0].undone_at is None
    click = payloads.block_actions(
        user_id="U0ALICE",
        action_id=button["action_id"],
        value=button["value"],
        response_url=slack.new_response_url(),
    )
    assert driver.interactive(click).status_code == 200
    assert stored_kudos(bot)[0].undone_at is not None
    # The post says so (and so does Bob's note).
    [update] = slack.wait_for(
        lambda c: c.method == "chat.update" and c.args["channel"] == "C0GENERAL"
    )
    assert "withdrawn" in update.args["text"]
    told = slack.wait_for("response_url", count=2)
    assert any("Only the person who gave" in c.args["text"] for c in told)
    assert "5 kudos left" in reply_text(kudos_cmd("stats"))
