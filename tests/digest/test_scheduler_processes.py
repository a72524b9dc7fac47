"""Schedulers as separate processes: three firing at the same instant post one digest per
workspace and one nudge per (ask, round); one killed mid-run and restarted posts nothing twice
and misses nothing due. The stand-in's record of what was posted is the proof."""

from __future__ import annotations

import signal
import subprocess
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, func, select

from app.asks import lifecycle as asks
from app.delivery.tokens import SingleWorkspaceTokens
from app.directory.service import save_members
from app.kudos import giving
from app.kudos.request import KudosRequest
from app.kudos.results import Given
from app.offers import service as offers
from app.runtime import Runtime, build_runtime, build_worker
from app.sandbox.slack_api import SlackStandIn
from app.settings import Settings
from app.slackapi.payloads import Conversation
from app.store.db import transaction
from app.store.models import AskNudge, DigestRun, OutboxMessage, Workspace
from app.workspaces.service import Identity, ensure_workspace
from tests.cli import inherited, start_app
from tests.clocks import OffsetClock
from tests.conftest import BOT_TOKEN
from tests.waiting import eventually

TEAM = "T0001"
ASKED = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 10:00 in New York
FIRES = "2026-11-30T14:30:00Z"  # the next Monday 09:30 in New York: digest and round one due
PUBLIC = Conversation("C0GENERAL", is_private=False, is_dm=False, bot_is_member=True)


@pytest.fixture
def runtime(database_url: str, slack: SlackStandIn) -> Iterator[Runtime]:
    settings = Settings(
        database_url=database_url, slack_bot_token=BOT_TOKEN, slack_api_url=slack.base_url
    )
    # The schedulers run as of FIRES; so do we, so what they queued is due when we deliver.
    # The clock keeps moving from there: paced messages come due a second later, as in life.
    built = build_runtime(settings, OffsetClock(datetime.fromisoformat(FIRES)))
    yield built
    built.close()


def _workspace(runtime: Runtime, team: str) -> None:
    with transaction(runtime.sessions) as session:
        ensure_workspace(session, Identity(team, team, "UBOT", "BBOT"), ASKED)
        workspace = session.get_one(Workspace, team)
        workspace.timezone = "America/New_York"
        workspace.digest_channel_id = "C0GENERAL"
        people = [{"id": u, "tz": "America/New_York"} for u in ("U0ALICE", "U0BOB", "U0CAROL")]
        save_members(session, team, people, ASKED)
        given = giving.give(
            session,
            KudosRequest(
                team_id=team,
                giver_id="U0ALICE",
                recipients=("U0BOB",),
                message=f"thanks for the migration help in {team}",
                where=Conversation("C0GENERAL", is_private=False, is_dm=False, bot_is_member=True),
            ),
            ASKED,
        )
        assert isinstance(given, Given)


def _schedulers(database_url: str, count: int) -> list[subprocess.Popen[bytes]]:
    env = inherited(DATABASE_URL=database_url, LOG_LEVEL="WARNING")
    return [
        start_app(
            "scheduler",
            "--once",
            "--at",
            FIRES,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(count)
    ]


def _deliver(runtime: Runtime) -> None:
    worker = build_worker(runtime, SingleWorkspaceTokens(TEAM, BOT_TOKEN))
    worker.drain(60)


@pytest.mark.postgres
def test_three_schedulers_at_the_same_instant_post_each_thing_once(
    runtime: Runtime, slack: SlackStandIn, database_url: str
) -> None:
    _workspace(runtime, TEAM)
    with transaction(runtime.sessions) as session:
        session.get_one(Workspace, TEAM).matches_per_ask = 1
        for user in ("U0BOB", "U0CAROL"):
            offers.add(session, TEAM, user, ["postgres"], "", ASKED)
        for n in range(6):
            asks.create(session, TEAM, "U0ALICE", f"Postgres question {n} #postgres", PUBLIC, ASKED)
    _deliver(runtime)
    slack.reset_calls()
    processes = _schedulers(database_url, 3)
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
    _deliver(runtime)
    posts = [c for c in slack.calls_to("chat.postMessage") if c.ok]
    digests = [
        c
        for c in posts
        if "Who helped whom" in str(c.args.get("text", ""))
        or (c.args.get("channel") == "C0GENERAL" and "W48" in str(c.args.get("blocks")))
    ]
    assert len(digests) == 1
    # Every message the three processes queued went out exactly once.
    sent = Counter((c.args["channel"], str(c.args.get("text"))) for c in posts)
    assert sent
    assert set(sent.values()) == {1}
    with runtime.sessions() as session:
        rounds = Counter(session.scalars(select(AskNudge.kind)))
        runs = session.scalar(select(func.count()).select_from(DigestRun))
    assert rounds == {"first": 6}
    assert runs == 1


def test_a_scheduler_killed_mid_run_and_restarted_posts_each_digest_once(
    runtime: Runtime, database_url: str
) -> None:
    teams = [f"T{n:04d}" for n in range(1, 121)]
    for team in teams:
        _workspace(runtime, team)
    if database_url.startswith("sqlite"):
        runtime.engine.dispose()  # leave the file to the scheduler process
    first = _schedulers(database_url, 1)[0]
    # A plain engine: a read that does not queue for SQLite's write lock behind the scheduler.
    watcher = create_engine(database_url)

    def exited_and_claimed() -> tuple[bool, int]:
        exited = first.poll() is not None
        with watcher.connect() as connection:
            return exited, int(connection.scalar(select(func.count()).select_from(DigestRun)) or 0)

    # Killed mid-run: once it claimed a few teams (or if it finished first).
    _, claimed = eventually(
        exited_and_claimed,
        lambda seen: seen[0] or seen[1] >= 3,
        what="the first scheduler to claim three teams",
        timeout=60,
        interval=0.005,
    )
    watcher.dispose()
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    again = _schedulers(database_url, 1)[0]
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err.decode()
    with runtime.sessions() as session:
        runs = Counter(session.scalars(select(DigestRun.team_id)))
        posts = Counter(
            session.scalars(
                select(OutboxMessage.team_id).where(
                    OutboxMessage.dedupe_key.like("digest:%"),
                    OutboxMessage.method == "chat.postMessage",
                )
            )
        )
    assert claimed < len(teams), "the first scheduler finished before it could be killed"
    assert runs == Counter(dict.fromkeys(teams, 1))
    assert posts == Counter(dict.fromkeys(teams, 1))
