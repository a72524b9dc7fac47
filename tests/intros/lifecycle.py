"""Helpers for tests of what happens to an introduction on a schedule: a bot on a clock the test
moves, the introductions pass run as the scheduler would, and a connection set in the store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.intros.passes import IntroPassResult, run_pass
from app.sandbox.answers import Call
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.store.db import transaction
from app.store.models import Introduction, Kudos
from app.store.statuses import IntroAnswer, IntroStatus
from tests.clocks import OffsetClock
from tests.conftest import BotFactory, bot_settings
from tests.waiting import outbox_drained

# Monday 2026-11-23, 10:00 in New York.
MONDAY_10_NY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
# Someone in the workspace who is neither the connector nor one of the two.
STRANGER = "U0ERIN"


def clocked_bot(
    database_url: str,
    slack: SlackStandIn,
    clock: OffsetClock,
    slack_mode: str,
    serve_bot: BotFactory,
) -> BotServer:
    """The bot on `clock`, served in-process against the stand-in (which knows `STRANGER`)."""
    slack.add_user(STRANGER, "erin", tz="America/New_York")
    return serve_bot(bot_settings(database_url, slack, slack_mode), clock=clock)


def advance(bot: BotServer, clock: OffsetClock, delta: timedelta) -> None:
    """Move the bot's clock forward once its outbox is idle: a jump while a message is being sent
    would make its lease look expired, and the message would be sent again."""
    outbox_drained(bot)
    clock.advance(delta)


def run_intro_pass(bot: BotServer, clock: OffsetClock) -> IntroPassResult:
    """Run the introductions pass as of the bot's clock, then ring the worker."""
    result = run_pass(bot.runtime.sessions, clock.now())
    assert result.failed == []
    bot.runtime.doorbell.set()
    return result


def connect(bot: BotServer, when: datetime) -> int:
    """Mark the only introduction connected at `when`, both people having said yes, as if its
    group DM had been posted; return its id."""
    with transaction(bot.runtime.sessions) as session:
        intro = session.scalars(select(Introduction)).one()
        intro.status, intro.connected_at = IntroStatus.CONNECTED, when
        for person in intro.people:
            person.answer, person.answered_at = IntroAnswer.ACCEPTED, when
        return intro.id


def posts_to(slack: SlackStandIn, user: str, containing: str) -> list[Call]:
    """Every DM the bot posted to `user` whose arguments contain `containing`."""
    return [
        c
        for c in slack.calls_to("chat.postMessage")
        if c.args.get("channel") == user and containing in json.dumps(c.args)
    ]


def intro_kudos(bot: BotServer) -> list[tuple[str, list[str], str, str]]:
    """Every kudos given from a follow-up: giver, recipients, message, channel."""
    with bot.runtime.sessions() as session:
        rows = session.scalars(select(Kudos).where(Kudos.source == "intro").order_by(Kudos.id))
        return [
            (k.giver_id, [r.recipient_id for r in k.recipients], k.message, k.channel_id)
            for k in rows
        ]
