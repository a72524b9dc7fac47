"""Leaving is not erasing: Slack's `deleted: true` (deactivation, which an admin can undo) keeps
the person's record and only stops things reaching them; `reciprocity forget` alone erases, and
an erasure never lets a later kudos take an erased one's id (and so its already-sent post)."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from app.calendar import zone
from app.console import blocks_text
from app.digest import runs
from app.digest.weeks import parse_week
from app.nudges.service import run_pass
from app.privacy.service import forget_person
from app.sandbox import payloads
from app.sandbox.answers import Call
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.store.db import transaction
from app.store.models import Ask, Kudos, Member, OutboxMessage, Workspace
from tests.asks.conftest import QUESTION, Send, posted, reply
from tests.clocks import OffsetClock
from tests.kudos.conftest import Kudo, configure, reply_text, stored_kudos, wait_for_member
from tests.nudges.conftest import dm_to
from tests.waiting import jump


def _set_deleted(driver: SlackDriver, slack: SlackStandIn, user_id: str, deleted: bool) -> None:
    """Slack deactivates (or reactivates) the person and tells the bot, twice: Slack retries."""
    slack.users[user_id]["deleted"] = deleted
    event = payloads.event_callback(payloads.user_change_event(dict(slack.users[user_id])))
    for _ in range(2):
        assert driver.event(event).status_code == 200


def _thank(kudos_cmd: Kudo, giver: str, text: str) -> None:
    assert "Kudos to" in reply_text(kudos_cmd(text, user=giver)), text


def _post_of(slack: SlackStandIn, words: str) -> Call:
    """The kudos post in #general that carries `words`."""
    return slack.wait_for(
        lambda c: (
            c.method == "chat.postMessage"
            and c.args.get("channel") == "C0GENERAL"
            and words in json.dumps(c.args)
        )
    )[0]


def _top(kudos_cmd: Kudo) -> str:
    return reply_text(kudos_cmd("top", user="U0ALICE"))


def _digest(bot: BotServer, clock: OffsetClock) -> str:
    now = clock.now()
    with bot.runtime.sessions() as session:
        workspace = session.get_one(Workspace, "T0001")
        week = parse_week("current", now, zone(workspace.timezone))
        _, blocks, _ = runs.render(session, workspace, week, now)
    return blocks_text(blocks)


def _to(call: Call, user_id: str) -> bool:
    """Whether the bot's `call` was a DM, ephemeral message or Home tab for `user_id`."""
    return user_id in (call.args.get("channel"), call.args.get("user"), call.args.get("user_id"))


def _passes(bot: BotServer, clock: OffsetClock) -> None:
    """Nudge passes until each ask has had its turn (one round per ask per pass), then delivery."""
    for _ in range(3):
        run_pass(bot.runtime.sessions, clock.now())
    bot.worker.drain(10)


def test_a_deactivated_person_keeps_their_record_and_comes_back_whole(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver, kudos_cmd: Kudo, clock: OffsetClock
) -> None:
    _thank(kudos_cmd, "U0ALICE", "<@U0BOB|bob> thanks for the deploy fix")
    _thank(kudos_cmd, "U0CAROL", "<@U0BOB|bob> thanks for the pager handover")
    _thank(kudos_cmd, "U0BOB", "<@U0CAROL|carol> thanks for the review")
    assert "1. Bob: thanked by 2 people" in _top(kudos_cmd)

    _set_deleted(driver, slack, "U0BOB", True)

    with bot.runtime.sessions() as session:
        bob = session.get_one(Member, ("T0001", "U0BOB"))
        assert (bob.deleted, bob.forgotten_at, bob.name) == (True, None, "bob")
    assert len(stored_kudos(bot)) == 3
    # What he gave and received still counts for the people on the other side...
    alice = reply_text(kudos_cmd("stats", user="U0ALICE"))
    assert "Given: 1 this week, 1 in all" in alice
    carol = reply_text(kudos_cmd("stats", user="U0CAROL"))
    assert "Given: 1 this week, 1 in all" in carol
    assert "Received: 1 this week, 1 in all" in carol
    # ...and in the week's digest, which still names him.
    digest = _digest(bot, clock)
    assert "3 kudos" in digest
    assert "was thanked by Alice for “thanks for the deploy fix”" in digest
    assert "was thanked by Bob for “thanks for the review”" in digest
    # Its most-thanked list, like the leaderboards, leaves him out.
    most_thanked = digest.split("Most thanked this week")[1].split("———")[0]
    assert "1. Carol" in most_thanked
    assert "Bob" not in most_thanked
    # He is off the leaderboards; the kudos he gave still lift Carol.
    top = _top(kudos_cmd)
    assert "Bob" not in top
    assert "1. Carol: thanked by 1 person" in top
    # Nobody can thank him while he is away; he is told apart from a stranger.
    refused = reply_text(kudos_cmd("<@U0BOB|bob> thanks again", user="U0CAROL"))
    assert "account is deactivated, so they can't receive kudos" in refused
    assert len(stored_kudos(bot)) == 3
    # A kudos given while he is away is recorded and posted like any other.
    _thank(kudos_cmd, "U0ALICE", "<@U0CAROL|carol> thanks for covering his rota")
    _post_of(slack, "thanks for covering his rota")
    assert len(stored_kudos(bot)) == 4

    _set_deleted(driver, slack, "U0BOB", False)

    assert "Bob: thanked by 2 people" in _top(kudos_cmd)
    _thank(kudos_cmd, "U0CAROL", "<@U0BOB|bob> welcome back")
    _post_of(slack, "welcome back")
    assert len(stored_kudos(bot)) == 5


def test_team_join_with_deleted_only_marks_the_person(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver, kudos_cmd: Kudo
) -> None:
    _thank(kudos_cmd, "U0ALICE", "<@U0CAROL|carol> thanks for the migration")
    slack.users["U0CAROL"]["deleted"] = True
    event = payloads.event_callback(payloads.team_join_event(dict(slack.users["U0CAROL"])))
    assert driver.event(event).status_code == 200
    with bot.runtime.sessions() as session:
        assert session.get_one(Member, ("T0001", "U0CAROL")).deleted is True
    assert [k.message for k in stored_kudos(bot)] == ["thanks for the migration"]


def test_nothing_is_sent_to_a_deactivated_person_until_they_are_back(
    bot: BotServer,
    slack: SlackStandIn,
    driver: SlackDriver,
    ask_cmd: Send,
    clock: OffsetClock,
) -> None:
    # Bob opened his Home tab, asked for help, and offers postgres, as Carol does.
    home = payloads.app_home_opened_event(user="U0BOB")
    assert driver.event(payloads.event_callback(home)).status_code == 200
    ask, _ = posted(bot, slack, lambda text: ask_cmd(QUESTION, user="U0BOB"))
    for user in ("U0BOB", "U0CAROL"):
        driver.command(command="/offer", text="postgres", user_id=user, channel_id="C0GENERAL")
    bot.worker.drain(10)

    _set_deleted(driver, slack, "U0BOB", True)
    left = len(slack.calls)

    # Alice's ask is matched to Carol only.
    assert "is posted" in reply_text(ask_cmd("Vacuuming a huge table? #postgres", user="U0ALICE"))
    dm_to(slack, "U0CAROL", "Vacuuming a huge table")
    # Carol answers Bob's ask: it is answered, and the record says so, but his Home is left be.
    reply(driver, ask, "U0CAROL", "9000000020.000001", text="Use the vault CLI")
    with bot.runtime.sessions() as session:
        assert session.get_one(Ask, ask.id).answered_by == "U0CAROL"
    # Three months on, every follow-up and offer check long due, in New York working hours.
    jump(bot, clock, timedelta(days=91))
    _passes(bot, clock)
    since_left = slack.calls[left:]
    assert [c.method for c in since_left if _to(c, "U0BOB")] == []
    assert [c.method for c in since_left if _to(c, "U0CAROL")]  # Carol heard from the bot

    _set_deleted(driver, slack, "U0BOB", False)
    jump(bot, clock, timedelta(days=1))
    _passes(bot, clock)
    # Back again: his ask's follow-up and his offer check reach him.
    dm_to(slack, "U0BOB", "answered your ask")
    dm_to(slack, "U0BOB", "Is that still right?")


def test_a_dm_slack_refuses_to_someone_who_just_left_fails_quietly(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver
) -> None:
    # Bob left a moment before the bot heard: Slack has no DM to open with him any more, and
    # refuses the note telling him of a kudos.
    configure(bot, reaction_emoji="raised_hands")
    slack.set_user_deleted("U0BOB")
    event = payloads.reaction_added_event(
        user="U0ALICE",
        reaction="raised_hands",
        channel="C0GENERAL",
        ts="9000000001.000100",
        item_user="U0BOB",
    )
    assert driver.event(payloads.event_callback(event)).status_code == 200
    bot.worker.drain(10)
    _set_deleted(driver, slack, "U0BOB", True)
    bot.worker.drain(10)
    with bot.runtime.sessions() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    notes = [r for r in rows if ":note:" in r.dedupe_key]
    assert [(r.status, r.last_error) for r in notes] == [("failed", "channel_not_found")]
    # Nobody is told about it, and nothing is tried again.
    assert [r.dedupe_key for r in rows if r.dedupe_key.startswith("notice:")] == []
    assert [r.dedupe_key for r in rows if r.status == "pending"] == []
    assert len(slack.calls_to("chat.postMessage")) == 1
    # The kudos itself stands.
    assert [k.giver_id for k in stored_kudos(bot)] == ["U0ALICE"]


def test_forgetting_the_newest_kudos_giver_does_not_swallow_the_next_kudos(
    bot: BotServer, slack: SlackStandIn, kudos_cmd: Kudo, clock: OffsetClock
) -> None:
    _thank(kudos_cmd, "U0ALICE", "<@U0CAROL|carol> thanks for the runbook")
    _thank(kudos_cmd, "U0BOB", "<@U0CAROL|carol> thanks for pairing")
    _post_of(slack, "thanks for pairing")
    newest = max(k.id for k in stored_kudos(bot))
    with transaction(bot.runtime.sessions) as session:
        forget_person(session, "T0001", "U0BOB", clock.now())
    assert [k.message for k in stored_kudos(bot)] == ["thanks for the runbook"]

    _thank(kudos_cmd, "U0ALICE", "<@U0CAROL|carol> thanks for the demo")

    (fresh,) = [k for k in stored_kudos(bot) if k.message == "thanks for the demo"]
    assert fresh.id > newest
    post = _post_of(slack, "thanks for the demo")
    assert post.args["metadata"]["event_payload"]["key"] == f"kudos:{fresh.id}:post"
    bot.worker.drain(10)  # the worker records the post's ts on the kudos once Slack answered
    with bot.runtime.sessions() as session:
        posted = session.scalar(select(Kudos.post_ts).where(Kudos.id == fresh.id))
    assert posted == post.response["ts"]


def test_a_forgotten_person_who_leaves_is_still_known_to_have_left(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver, kudos_cmd: Kudo, clock: OffsetClock
) -> None:
    wait_for_member(bot, "U0BOB")
    with transaction(bot.runtime.sessions) as session:
        forget_person(session, "T0001", "U0BOB", clock.now())
    _set_deleted(driver, slack, "U0BOB", True)
    with bot.runtime.sessions() as session:
        bob = session.get_one(Member, ("T0001", "U0BOB"))
        # The flag is kept; the name stays erased.
        assert (bob.deleted, bob.name, bob.forgotten_at is not None) == (True, "", True)
    refused = reply_text(kudos_cmd("<@U0BOB|bob> thanks", user="U0ALICE"))
    assert "account is deactivated" in refused
