"""`reciprocity digest` and `reciprocity nudge` from the command line: preview, post once,
one clear line for a wrong argument, and a week not over posted "so far" without taking the
place of its scheduled digest."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.calendar import zone
from app.clock import OffsetClock
from app.delivery.tokens import SingleWorkspaceTokens
from app.digest import runs
from app.digest.weeks import parse_week
from app.directory.service import save_members
from app.kudos import giving
from app.kudos.request import KudosRequest
from app.kudos.results import Given
from app.runtime import Runtime, build_runtime, build_worker
from app.sandbox.slack_api import SlackStandIn
from app.settings import Settings
from app.slackapi.payloads import Conversation
from app.store.db import make_engine, make_session_factory, transaction
from app.store.models import DigestRun, OutboxMessage, Workspace
from app.workspaces.service import Identity, ensure_workspace
from tests.cli import inherited, run_app
from tests.conftest import BOT_TOKEN

# The CLI reads the real clock: week 2026-W48's Monday is never in its future.
MONDAY = datetime(2026, 11, 23, 15, tzinfo=UTC)


def _cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_app(*args, env=inherited(DATABASE_URL=database_url, LOG_LEVEL="WARNING"))


def _setup(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=1)
    sessions = make_session_factory(engine)
    with transaction(sessions) as session:
        ensure_workspace(session, Identity("T1", "Acme", "UBOT", "BBOT"), MONDAY)
        session.get_one(Workspace, "T1").digest_channel_id = "CDIGEST"
        save_members(
            session,
            "T1",
            [{"id": "UANA", "name": "ana"}, {"id": "UBEN", "name": "ben"}],
            MONDAY,
        )
        given = giving.give(
            session,
            KudosRequest(
                team_id="T1",
                giver_id="UANA",
                recipients=("UBEN",),
                message="thanks for pairing on the flaky test",
                where=Conversation("C1", is_private=False, is_dm=False, bot_is_member=True),
            ),
            MONDAY,
        )
        assert isinstance(given, Given)
    engine.dispose()


def test_digest_previews_then_posts_once(database_url: str) -> None:
    _setup(database_url)
    preview = _cli(database_url, "digest", "--team", "T1", "--week", "2026-W48", "--dry-run")
    assert preview.returncode == 0, preview.stderr
    assert "Who helped whom, week 2026-W48" in preview.stdout
    assert "flaky test" in preview.stdout
    # People appear by name, as Slack shows them, never as raw ids.
    assert "@ben" in preview.stdout
    assert "UBEN" not in preview.stdout
    posted = _cli(database_url, "digest", "--team", "T1", "--week", "2026-W48")
    assert (posted.returncode, posted.stdout.strip()) == (
        0,
        "digest for 2026-W48 queued; a delivery worker posts it",
    )
    again = _cli(database_url, "digest", "--team", "T1", "--week", "2026-W48")
    assert "already posted: nothing changed" in again.stdout
    engine = make_engine(database_url, pool_size=1)
    with engine.connect() as connection:
        keys = connection.scalars(select(OutboxMessage.dedupe_key)).all()
    engine.dispose()
    # The post, and the week's picture: its upload and its share, which follow the post.
    assert sorted(k for k in keys if k.startswith("digest:")) == [
        "digest:2026-W48",
        "digest:2026-W48:picture",
        "digest:2026-W48:picture:share",
    ]


def test_wrong_arguments_get_one_line(database_url: str) -> None:
    _setup(database_url)
    week = _cli(database_url, "digest", "--team", "T1", "--week", "week 48", "--dry-run")
    assert week.returncode == 2
    assert week.stderr.strip().startswith("reciprocity: --week: not a week: 'week 48'")
    assert len(week.stderr.strip().splitlines()) == 1
    team = _cli(database_url, "digest", "--team", "TNOPE", "--dry-run")
    assert (team.returncode, team.stderr.strip()) == (
        2,
        "reciprocity: --team: no workspace TNOPE is installed here",
    )


def test_nudge_runs_a_pass_and_says_what_it_did(database_url: str) -> None:
    _setup(database_url)
    result = _cli(database_url, "nudge", "--team", "T1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("nudge pass: 0 asks looked at")


def _digest_runs(database_url: str) -> int:
    engine = make_engine(database_url, pool_size=1)
    with engine.connect() as connection:
        count = connection.scalar(select(func.count()).select_from(DigestRun))
    engine.dispose()
    return int(count or 0)


def _digest_keys(database_url: str) -> list[str]:
    engine = make_engine(database_url, pool_size=1)
    with engine.connect() as connection:
        keys = connection.scalars(
            select(OutboxMessage.dedupe_key)
            # The digest posts, not the picture rows that follow them (test_digest_picture.py).
            .where(
                OutboxMessage.dedupe_key.like("digest:%"),
                OutboxMessage.method == "chat.postMessage",
            )
            .order_by(OutboxMessage.id)
        ).all()
    engine.dispose()
    return list(keys)


def test_the_current_week_is_posted_so_far_and_never_claimed(database_url: str) -> None:
    _setup(database_url)
    result = _cli(database_url, "digest", "--team", "T1")
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    said = re.fullmatch(
        r"digest for (\d{4}-W\d\d) so far queued; a delivery worker posts it, "
        r"and the week's own digest still comes after it ends",
        line,
    )
    assert said is not None, line
    week = said.group(1)
    assert [k.split(":so-far:")[0] for k in _digest_keys(database_url)] == [f"digest:{week}"]
    assert _digest_runs(database_url) == 0


def test_a_finished_week_the_scheduler_posted_is_not_posted_again(database_url: str) -> None:
    _setup(database_url)
    scheduled = _cli(database_url, "scheduler", "--once", "--at", "2026-11-30T09:30:00Z")
    assert scheduled.returncode == 0, scheduled.stderr
    assert scheduled.stdout.startswith("digests: T1 2026-W48 queued")
    again = _cli(database_url, "digest", "--team", "T1", "--week", "2026-W48")
    assert (again.returncode, again.stdout, again.stderr) == (
        0,
        "the digest for 2026-W48 was already posted: nothing changed\n",
        "",
    )
    assert _digest_keys(database_url) == ["digest:2026-W48"]


# Week 2026-W48 in New York: kudos on Monday, a look at the week on Friday afternoon, and the
# scheduled digest the next Monday at 09:30.
TEAM = "T0001"
THANKED = datetime(2026, 11, 23, 15, tzinfo=UTC)
FRIDAY = datetime(2026, 11, 27, 21, tzinfo=UTC)
NEXT_MONDAY = datetime(2026, 11, 30, 14, 30, tzinfo=UTC)


@pytest.fixture
def clocked(database_url: str, slack: SlackStandIn) -> Iterator[tuple[Runtime, OffsetClock]]:
    # A ticking clock: the digest waits its second behind the kudos post in the same channel.
    clock = OffsetClock(THANKED)
    settings = Settings(
        database_url=database_url, slack_bot_token=BOT_TOKEN, slack_api_url=slack.base_url
    )
    runtime = build_runtime(settings, clock)
    with transaction(runtime.sessions) as session:
        ensure_workspace(session, Identity(TEAM, "Acme", "UBOT", "BBOT"), THANKED)
        workspace = session.get_one(Workspace, TEAM)
        workspace.timezone = "America/New_York"
        workspace.digest_channel_id = "C0GENERAL"
        save_members(session, TEAM, [{"id": "U0ALICE"}, {"id": "U0BOB"}], THANKED)
        given = giving.give(
            session,
            KudosRequest(
                team_id=TEAM,
                giver_id="U0ALICE",
                recipients=("U0BOB",),
                message="thanks for untangling the release branch",
                where=Conversation("C0GENERAL", is_private=False, is_dm=False, bot_is_member=True),
            ),
            THANKED,
        )
        assert isinstance(given, Given)
    yield runtime, clock
    runtime.close()


def _deliver(runtime: Runtime) -> None:
    build_worker(runtime, SingleWorkspaceTokens(TEAM, BOT_TOKEN)).drain(60)


def _by_hand(runtime: Runtime, week: str) -> runs.RunOutcome:
    """What `reciprocity digest --team T0001 --week WEEK` does at the runtime's time."""
    now = runtime.clock.now()
    with transaction(runtime.sessions) as session:
        workspace = session.get_one(Workspace, TEAM)
        return runs.post(
            session,
            workspace,
            parse_week(week, now, zone(workspace.timezone)),
            now,
            trigger="manual",
        )


def _headings(slack: SlackStandIn) -> list[tuple[str, str]]:
    posts: list[dict[str, Any]] = [
        c.args for c in slack.calls_to("chat.postMessage") if c.ok and "blocks" in c.args
    ]
    return [
        (str(p["text"]), str(p["blocks"][0]["text"]["text"]))
        for p in posts
        if "Who helped whom" in str(p["blocks"])
    ]


def test_a_look_at_the_week_so_far_leaves_the_scheduled_digest_to_come(
    clocked: tuple[Runtime, OffsetClock], slack: SlackStandIn
) -> None:
    runtime, clock = clocked
    clock.advance(FRIDAY - clock.now())
    assert _by_hand(runtime, "current").status == "so-far"
    # The same command again within the minute is the same look: nothing more is posted.
    assert _by_hand(runtime, "current").status == "so-far-already"
    _deliver(runtime)
    clock.advance(NEXT_MONDAY - clock.now())
    assert [(o.week, o.status) for o in runs.run_due(runtime.sessions, clock.now())] == [
        ("2026-W48", "queued")
    ]
    _deliver(runtime)
    assert _headings(slack) == [
        (
            "Week 2026-W48 so far: 1 kudo, 0 asks resolved, 1 person helped.",
            ":sparkles: Who helped whom, week 2026-W48 (so far)",
        ),
        (
            "Week 2026-W48: 1 kudo, 0 asks resolved, 1 person helped.",
            ":sparkles: Who helped whom, week 2026-W48",
        ),
    ]
    # Now the week is over and posted: by hand it is claimed, so nothing more goes out.
    assert _by_hand(runtime, "last").status == "already"
    _deliver(runtime)
    assert len(_headings(slack)) == 2


def test_a_finished_week_by_hand_is_claimed_and_the_schedule_posts_nothing_more(
    clocked: tuple[Runtime, OffsetClock], slack: SlackStandIn
) -> None:
    runtime, clock = clocked
    clock.advance(
        NEXT_MONDAY - timedelta(hours=2) - clock.now()
    )  # Monday 07:30 in New York, before the schedule
    assert _by_hand(runtime, "last").status == "queued"
    clock.advance(NEXT_MONDAY - clock.now())
    assert runs.run_due(runtime.sessions, clock.now()) == []
    _deliver(runtime)
    assert [heading for _, heading in _headings(slack)] == [
        ":sparkles: Who helped whom, week 2026-W48"
    ]
