"""A withdrawn kudos is withdrawn wherever it went; a cross-post never quotes a now-private channel.

End to end: `/kudos` and the Undo button over signed HTTP, the delivery worker posting to the
stand-in, whose conversations are then read as a person in Slack would see them.
"""

from __future__ import annotations

from sqlalchemy import select

from app.sandbox import payloads
from app.sandbox.answers import Call
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.store.models import OutboxMessage
from tests.kudos.conftest import Kudo, configure, reply_text, stored_kudos
from tests.waiting import eventually


def _undo(driver: SlackDriver, slack: SlackStandIn, response_text: dict, user: str) -> None:
    button = response_text["blocks"][1]["elements"][0]
    click = payloads.block_actions(
        user_id=user,
        action_id=button["action_id"],
        value=button["value"],
        response_url=slack.new_response_url(),
    )
    assert driver.interactive(click).status_code == 200


def _shown(slack: SlackStandIn, call: Call) -> str:
    """The text a person sees now in the message `call` posted."""
    channel = slack.channels[call.response["channel"]]
    return str(channel.messages[call.response["ts"]]["text"])


def _outbox(bot: BotServer) -> dict[str, OutboxMessage]:
    with bot.runtime.sessions() as session:
        rows = list(session.scalars(select(OutboxMessage)))
        for row in rows:
            session.expunge(row)
    return {row.dedupe_key: row for row in rows}


def test_undo_edits_the_post_the_kudos_channel_copy_and_the_note_once_each(
    bot: BotServer, slack: SlackStandIn, kudos_cmd: Kudo, driver: SlackDriver
) -> None:
    slack.add_channel("C0KUDOS", "kudos")
    configure(bot, kudos_channel_id="C0KUDOS", kudos_reply_mode="both")
    response = kudos_cmd("<@U0BOB> thanks for the rota")
    posts = slack.wait_for("chat.postMessage", count=3)
    assert sorted(c.args["channel"] for c in posts) == ["C0GENERAL", "C0KUDOS", "U0BOB"]
    _undo(driver, slack, response.json(), "U0ALICE")
    _undo(driver, slack, response.json(), "U0ALICE")  # a second click changes nothing
    updates = slack.wait_for("chat.update", count=3)
    slack.wait_for(lambda c: c.method == "response_url" and "already" in c.args["text"])
    edited = {(c.args["channel"], c.args["ts"]) for c in updates}
    assert edited == {(c.response["channel"], c.response["ts"]) for c in posts}
    for post in posts:
        shown = _shown(slack, post)
        assert "rota" not in shown
        assert "withdr" in shown

    def edits() -> list[OutboxMessage]:
        return [row for key, row in _outbox(bot).items() if key.endswith(":withdrawn")]

    assert len(edits()) == 3
    eventually(lambda: all(row.status == "sent" for row in edits()), what="the edits sent")
    assert len(slack.calls_to("chat.update")) == 3


def test_a_kudos_undone_before_its_posts_go_out_is_never_posted(
    bot: BotServer, slack: SlackStandIn, kudos_cmd: Kudo, driver: SlackDriver
) -> None:
    slack.add_channel("C0KUDOS", "kudos")
    configure(bot, kudos_channel_id="C0KUDOS", kudos_reply_mode="both")
    # Slack holds posting back for a minute: the kudos's copies wait in the outbox.
    # (Both posts may be on their way at once: each meets the 429.)
    slack.fail_next("chat.postMessage", times=2, status=429, retry_after=60)
    response = kudos_cmd("<@U0BOB> thanks for the rota")
    eventually(lambda: slack.calls_to("chat.postMessage"), what="a chat.postMessage")
    # ...and the worker has recorded the refusal: the rows are back in the outbox, waiting.
    eventually(
        lambda: all(r.status == "pending" for r in _outbox(bot).values()),
        what="the refused rows back in the outbox",
    )
    assert {c.status for c in slack.calls_to("chat.postMessage")} == {429}
    _undo(driver, slack, response.json(), "U0ALICE")
    slack.wait_for(lambda c: c.method == "response_url" and "withdrawn" in c.args["text"])
    kudos_id = stored_kudos(bot)[0].id
    rows = _outbox(bot)
    for key in (
        f"kudos:{kudos_id}:post",
        f"kudos:{kudos_id}:post:C0KUDOS",
        f"kudos:{kudos_id}:note:U0BOB",
    ):
        assert rows[key].status == "cancelled", key
    assert not [key for key in rows if key.endswith(":withdrawn")]
    assert slack.posted_messages() == []
    assert {c.status for c in slack.calls_to("chat.postMessage")} == {429}


def test_a_cross_post_from_a_channel_turned_private_is_not_sent(
    bot: BotServer, slack: SlackStandIn, kudos_cmd: Kudo
) -> None:
    slack.add_channel("C0KUDOS", "kudos")
    # A first kudos, before the kudos channel is set, teaches the bot's cache #general is public.
    reply_text(kudos_cmd("<@U0CAROL> thanks for the review"))
    slack.wait_for("chat.postMessage", count=2)
    configure(bot, kudos_channel_id="C0KUDOS", kudos_reply_mode="both")
    # An admin makes #general private; the bot's channel cache has not heard yet.
    slack.set_channel_private("C0GENERAL", True)
    reply_text(kudos_cmd("<@U0BOB> thanks for the secret plan"))
    slack.wait_for(lambda c: c.method == "chat.postMessage" and c.args["channel"] == "U0BOB")
    here = slack.wait_for(
        lambda c: (
            c.method == "chat.postMessage"
            and c.args["channel"] != "U0BOB"
            and "secret plan" in c.args.get("text", "")
        )
    )
    assert [c.args["channel"] for c in here] == ["C0GENERAL"]
    kudos_id = stored_kudos(bot)[-1].id
    # Recorded in its own round: the note to Bob may well go out before it.
    key = f"kudos:{kudos_id}:post:C0KUDOS"
    eventually(lambda: _outbox(bot)[key].status != "sending", what="the cross-post settled")
    withheld = _outbox(bot)[key]
    assert (withheld.status, withheld.result_ts) == ("sent", None)
    assert not any("secret plan" in m["text"] for m in slack.posted_messages("C0KUDOS"))


def test_a_kudos_meant_only_for_the_kudos_channel_stays_where_it_was_given_once_private(
    bot: BotServer, slack: SlackStandIn, kudos_cmd: Kudo
) -> None:
    slack.add_channel("C0KUDOS", "kudos")
    reply_text(kudos_cmd("<@U0CAROL> thanks for the review"))
    slack.wait_for("chat.postMessage", count=2)
    configure(bot, kudos_channel_id="C0KUDOS", kudos_reply_mode="kudos_channel")
    slack.set_channel_private("C0GENERAL", True)
    reply_text(kudos_cmd("<@U0BOB> thanks for the secret plan"))
    post = slack.wait_for(
        lambda c: (
            c.method == "chat.postMessage"
            and c.args["channel"] != "U0BOB"
            and "secret plan" in c.args.get("text", "")
        )
    )
    assert [c.response["channel"] for c in post] == ["C0GENERAL"]
    note = slack.wait_for(lambda c: c.method == "chat.postMessage" and c.args["channel"] == "U0BOB")
    # The note links to the post where it went: the private channel, not the kudos channel.
    assert "archives/C0GENERAL/" in str(note[0].args["blocks"])
