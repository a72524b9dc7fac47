"""`/kudos` end to end: signed slash commands in, the stand-in's record and the database out."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from app.directory.service import save_members
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.store.db import transaction
from app.store.models import Member
from tests.kudos.conftest import Kudo, configure, reply_text, stored_kudos, wait_for_member
from tests.waiting import outbox_drained


def test_kudos_posts_notes_and_records(
    bot: BotServer, slack: SlackStandIn, kudos_cmd: Kudo
) -> None:
    text = reply_text(kudos_cmd("<@U0BOB|bob> thanks for fixing the deploy &amp; docs #Teamwork"))
    assert "on their way" in text
    assert "4 kudos left today" in text
    [post] = [
        c.response["message"]
        for c in slack.wait_for("chat.postMessage", count=2)
        if c.response["channel"] == "C0GENERAL"
    ]
    assert "<@U0ALICE>" in post["blocks"][0]["text"]["text"]
    assert "<@U0BOB>" in post["blocks"][0]["text"]["text"]
    assert "fixing the deploy &amp; docs" in post["blocks"][1]["text"]["text"]
    assert "#teamwork" in post["blocks"][2]["elements"][0]["text"]
    [note] = [m for m in slack.posted_messages() if m["channel"].startswith("D")]
    assert note["channel"] == "D0BOB"
    assert "archives/C0GENERAL/p" + post["ts"].replace(".", "") in note["blocks"][0]["text"]["text"]
    # The note may reach Slack before the round that records both (it follows the post from the
    # same sender), so the post's ts is on the kudos once the outbox is done.
    outbox_drained(bot)
    [kudos] = stored_kudos(bot)
    assert (kudos.giver_id, kudos.channel_id, kudos.values) == (
        "U0ALICE",
        "C0GENERAL",
        ["teamwork"],
    )
    assert [r.recipient_id for r in kudos.recipients] == ["U0BOB"]
    assert kudos.channel_is_private is False
    assert kudos.post_ts == post["ts"]


def test_several_recipients_each_get_a_note_and_each_counts(
    bot: BotServer, slack: SlackStandIn, kudos_cmd: Kudo
) -> None:
    text = reply_text(kudos_cmd("<@U0BOB> <@U0CAROL|carol> and <@U0BOB|bob> saved the launch"))
    assert "3 kudos left today" in text
    slack.wait_for(
        lambda c: c.method == "chat.postMessage" and c.args["channel"].startswith("U"), count=2
    )
    [kudos] = stored_kudos(bot)
    assert sorted(r.recipient_id for r in kudos.recipients) == ["U0BOB", "U0CAROL"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<@U0ALICE|alice> great job me", "can't give them to yourself"),
        ("<@U0HELPER> thanks robot", "is a bot"),
        ("<@UBOT> thanks reciprocity", "is a bot"),
        ("<@U0DAVE|dave> thanks", "deactivated"),
        ("thanks everyone for the help", "Who are you thanking?"),
        ("<@U0BOB|bob>", "Say what you're thanking them for"),
        ("<@U0BOB> " + "very " * 300 + "kind", "longer than 1000 characters"),
        ("@nobody-here thanks", "can't find anyone called @nobody-here"),
    ],
)
def test_each_guard_refuses_clearly_and_stores_nothing(
    bot: BotServer, slack: SlackStandIn, kudos_cmd: Kudo, text: str, expected: str
) -> None:
    answer = reply_text(kudos_cmd(text))
    assert expected in answer
    assert "5 kudos left today" in answer
    assert stored_kudos(bot) == []
    outbox_drained(bot)
    assert slack.calls_to("chat.postMessage") == []


def test_the_daily_limit_counts_people_in_the_givers_day(bot: BotServer, kudos_cmd: Kudo) -> None:
    configure(bot, kudos_daily_limit=3)
    assert "1 kudo left" in reply_text(kudos_cmd("<@U0BOB> <@U0CAROL> thanks"))
    refused = reply_text(kudos_cmd("<@U0BOB> <@U0CAROL> thanks again"))
    assert "used your 3 kudos for today" in refused
    assert "no kudos left today" in reply_text(kudos_cmd("<@U0BOB> one more"))
    assert len(stored_kudos(bot)) == 2


def test_broadcasts_are_never_re_emitted(
    bot: BotServer, slack: SlackStandIn, kudos_cmd: Kudo
) -> None:
    reply_text(kudos_cmd("<@U0BOB> thanks <!channel> <!here|here> <!subteam^S1|@devs> @everyone"))
    slack.wait_for("chat.postMessage", count=2)
    for call in slack.calls_to("chat.postMessage"):
        payload = str(call.args)
        for loud in ("<!channel>", "<!here", "<!subteam", "<!everyone"):
            assert loud not in payload


def test_plain_at_names_resolve_against_the_directory(
    bot: BotServer, slack: SlackStandIn, kudos_cmd: Kudo
) -> None:
    wait_for_member(bot, "U0CAROL")
    assert "on their way" in reply_text(kudos_cmd("@carol thanks for the review"))
    [kudos] = stored_kudos(bot)
    assert [r.recipient_id for r in kudos.recipients] == ["U0CAROL"]


def test_a_plain_at_name_of_someone_who_left_says_so_and_an_active_namesake_wins(
    bot: BotServer, slack: SlackStandIn, kudos_cmd: Kudo
) -> None:
    wait_for_member(bot, "U0DAVE")
    assert "deactivated" in reply_text(kudos_cmd("@dave thanks for the handover"))
    assert stored_kudos(bot) == []
    # A new Dave joins: the plain name now means the person who is here.
    slack.add_user("U0DAVE2", "dave")
    with transaction(bot.runtime.sessions) as session:
        save_members(session, "T0001", [slack.users["U0DAVE2"]], bot.runtime.clock.now())
    assert "on their way" in reply_text(kudos_cmd("@dave welcome aboard"))
    [kudos] = stored_kudos(bot)
    assert [r.recipient_id for r in kudos.recipients] == ["U0DAVE2"]


def test_unknown_value_tags_are_refused_when_values_are_configured(
    bot: BotServer, kudos_cmd: Kudo
) -> None:
    configure(bot, kudos_values=["teamwork", "craft"])
    answer = reply_text(kudos_cmd("<@U0BOB> thanks #speed"))
    assert "`#speed` isn't one of this workspace's values" in answer
    assert "`#craft`" in answer
    assert "on their way" in reply_text(kudos_cmd("<@U0BOB> thanks #craft"))


def test_in_a_private_channel_without_the_bot_the_giver_is_told_and_nothing_is_lost(
    bot: BotServer, slack: SlackStandIn, kudos_cmd: Kudo
) -> None:
    slack.add_channel("G0SECRET", "secret", is_private=True, bot_is_member=False)
    answer = reply_text(kudos_cmd("<@U0BOB> thanks for the quiet help", channel="G0SECRET"))
    assert "/invite @Reciprocity" in answer
    [kudos] = stored_kudos(bot)
    assert kudos.channel_is_private
    # The recipient still hears about it, without a link to a post that could not be made.
    note = slack.wait_for(
        lambda c: c.method == "chat.postMessage" and c.args["channel"] == "U0BOB"
    )[0]
    assert "see the post" not in str(note.args)
    failed = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == "G0SECRET"]
    assert [c.response["error"] for c in failed] == ["channel_not_found"]


def test_kudos_in_a_dm_are_private_and_not_posted_there(
    bot: BotServer, slack: SlackStandIn, kudos_cmd: Kudo
) -> None:
    reply_text(kudos_cmd("<@U0BOB> thanks, between us", channel="D0ALICEBOB"))
    slack.wait_for(lambda c: c.method == "chat.postMessage" and c.args["channel"] == "U0BOB")
    assert [c.args["channel"] for c in slack.calls_to("chat.postMessage")] == ["U0BOB"]
    [kudos] = stored_kudos(bot)
    assert kudos.channel_is_private


def test_cross_post_to_the_kudos_channel(
    bot: BotServer, slack: SlackStandIn, kudos_cmd: Kudo
) -> None:
    slack.add_channel("C0KUDOS", "kudos")
    configure(bot, kudos_channel_id="C0KUDOS", kudos_reply_mode="both")
    reply_text(kudos_cmd("<@U0BOB> thanks"))
    slack.wait_for("chat.postMessage", count=3)
    channels = sorted(c.args["channel"] for c in slack.calls_to("chat.postMessage"))
    assert channels == ["C0GENERAL", "C0KUDOS", "U0BOB"]


def test_help_and_unknown_words(kudos_cmd: Kudo) -> None:
    assert "/kudos @teammate" in reply_text(kudos_cmd("help"))


def test_stats_and_top(bot: BotServer, kudos_cmd: Kudo) -> None:
    reply_text(kudos_cmd("<@U0BOB> thanks #craft"))
    reply_text(kudos_cmd("<@U0BOB> thanks again", user="U0CAROL"))
    reply_text(kudos_cmd("<@U0CAROL> thanks", user="U0BOB"))
    stats = reply_text(kudos_cmd("stats", user="U0BOB"))
    assert "Given: 1 this week, 1 in all" in stats
    assert "Received: 2 this week, 2 in all" in stats
    assert "`#craft` (1)" in stats
    top = reply_text(kudos_cmd("top"))
    assert "1. Bob: thanked by 2 people\n" in top
    assert "2. Carol: thanked by 1 person\n" in top + "\n"
    assert "(1 kudos)" not in top
    assert "<@" not in top
    reply_text(kudos_cmd("optout", user="U0BOB"))
    assert "Bob" not in reply_text(kudos_cmd("top"))


def test_admins_revoke_and_lock(bot: BotServer, slack: SlackStandIn, kudos_cmd: Kudo) -> None:
    reply_text(kudos_cmd("<@U0CAROL> thanks", user="U0BOB"))
    slack.wait_for("chat.postMessage", count=2)  # posted: a revoke edits it (else cancels it)
    [kudos] = stored_kudos(bot)
    assert "Only workspace admins" in reply_text(kudos_cmd(f"revoke {kudos.id}", user="U0BOB"))
    assert "is revoked" in reply_text(kudos_cmd(f"revoke {kudos.id}"))
    updates = slack.wait_for("chat.update", count=2)  # the post and Carol's note
    assert all("removed by a workspace admin" in u.args["text"] for u in updates)
    assert "can no longer give kudos" in reply_text(kudos_cmd("lock <@U0BOB|bob>"))
    assert "paused your kudos" in reply_text(kudos_cmd("<@U0CAROL> thanks", user="U0BOB"))
    assert "can again give kudos" in reply_text(kudos_cmd("unlock <@U0BOB>"))
    assert "on their way" in reply_text(kudos_cmd("<@U0CAROL> thanks", user="U0BOB"))


def test_a_database_outage_gets_a_try_again_answer_not_an_error(
    bot: BotServer, kudos_cmd: Kudo, database_url: str
) -> None:
    from tests.test_http_serving import _database_unreachable

    with _database_unreachable(bot, database_url):
        response = kudos_cmd("<@U0BOB> thanks")
        assert response.status_code == 200
        assert "try again in a minute" in reply_text(response)
    assert stored_kudos(bot) == []
    if database_url.startswith("postgresql"):
        # A PostgreSQL outage ends; the next kudos goes through. (The SQLite "outage" here is a
        # file swapped for a directory, which says nothing about recovery.)
        assert "on their way" in reply_text(kudos_cmd("<@U0BOB> thanks"))


@contextmanager
def traced(bot: BotServer) -> Iterator[Callable[[], list[str]]]:
    """libpq's own trace of each connection checked out of the bot's pool meanwhile, one text
    per checkout: every message the driver sends, BEGIN and COMMIT included."""
    from psycopg import pq

    folder = tempfile.TemporaryDirectory()
    # Each kept open until the end: libpq writes to the descriptor itself.
    traces: list[tuple[int, str]] = []

    def taken(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        traces.append(tempfile.mkstemp(dir=folder.name))
        dbapi_connection.pgconn.trace(traces[-1][0])
        dbapi_connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)

    def returned(dbapi_connection: Any, _record: Any) -> None:
        # Flushes what libpq buffered.
        dbapi_connection.pgconn.untrace()

    pool = bot.runtime.engine.pool
    event.listen(pool, "checkout", taken)
    event.listen(pool, "checkin", returned)
    try:
        yield lambda: [Path(path).read_text() for _, path in traces]
    finally:
        event.remove(pool, "checkout", taken)
        event.remove(pool, "checkin", returned)
        for descriptor, _ in traces:
            os.close(descriptor)
        folder.cleanup()


@pytest.mark.parametrize(("home_opened", "in_a_transaction"), [(False, False), (True, True)])
def test_a_kudos_that_only_writes_itself_sends_postgresql_no_begin_or_commit(
    bot: BotServer,
    kudos_cmd: Kudo,
    home_opened: bool,
    in_a_transaction: bool,
) -> None:
    """On the wire (libpq's own trace of the request's connection): the guards' read and the
    kudos's one write, each alone; a kudos with a Home tab to refresh after it keeps its
    transaction, so the refresh commits with it."""
    if bot.runtime.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's statements cost no round trip")
    # The first kudos in a channel caches it (a write), as a directory miss would.
    assert "on their way" in reply_text(kudos_cmd("<@U0BOB|bob> thanks for the tests"))
    if home_opened:
        with transaction(bot.runtime.sessions) as session:
            session.get_one(Member, ("T0001", "U0BOB")).home_opened_at = session.scalar(
                select(func.now())
            )
    with traced(bot) as traces:
        assert "on their way" in reply_text(kudos_cmd("<@U0BOB|bob> thanks for the review"))
        [kudos] = [trace for trace in traces() if "INSERT INTO kudos" in trace]
    sent = [line.split("\t") for line in kudos.splitlines() if line.startswith("F\t")]
    queries = [fields[3].strip() for fields in sent if fields[2] == "Query"]
    if in_a_transaction:
        assert queries[0] == '"BEGIN"', queries
        assert queries[-1] == '"COMMIT"', queries
    else:
        assert queries == [], queries
        assert sum(fields[2] == "Execute" for fields in sent) == 2, kudos
