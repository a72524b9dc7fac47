"""Digest runs: when each workspace's digest is due in its own zone, exactly once, the grace
after downtime, quiet weeks, and `reciprocity digest` after the scheduled run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.digest import runs
from app.digest.weeks import parse_week
from app.directory.service import save_members
from app.kudos import giving
from app.kudos.request import KudosRequest
from app.kudos.results import Given
from app.slackapi.payloads import Conversation
from app.store.db import SessionFactory, make_engine, make_session_factory, transaction
from app.store.models import DigestRun, OutboxMessage, Workspace
from app.workspaces.service import Identity, ensure_workspace

INSTALLED = datetime(2026, 11, 1, tzinfo=UTC)
ZONES = {"TNY": "America/New_York", "TTOKYO": "Asia/Tokyo", "TLA": "America/Los_Angeles"}


def local(tz: str, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(tz)).astimezone(UTC)


@pytest.fixture
def sessions(database_url: str) -> Iterator[SessionFactory]:
    engine = make_engine(database_url, pool_size=2)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        for team, tz in ZONES.items():
            ensure_workspace(session, Identity(team, team, "UBOT", "BBOT"), INSTALLED)
            workspace = session.get_one(Workspace, team)
            workspace.timezone = tz
            workspace.digest_channel_id = "CDIGEST"
            save_members(session, team, [{"id": "UANA"}, {"id": "UBEN"}], INSTALLED)
    yield factory
    engine.dispose()


def _thank(sessions: SessionFactory, team: str, when: datetime) -> None:
    with transaction(sessions) as session:
        given = giving.give(
            session,
            KudosRequest(
                team_id=team,
                giver_id="UANA",
                recipients=("UBEN",),
                message="thanks for the review",
                where=Conversation("C1", is_private=False, is_dm=False, bot_is_member=True),
            ),
            when,
        )
        assert isinstance(given, Given)


def _digests(sessions: SessionFactory) -> list[tuple[str, str]]:
    with sessions() as session:
        rows = session.execute(
            select(OutboxMessage.team_id, OutboxMessage.dedupe_key)
            .where(
                OutboxMessage.dedupe_key.like("digest:%"),
                OutboxMessage.method == "chat.postMessage",
            )
            .order_by(OutboxMessage.team_id)
        )
        return [(team, key) for team, key in rows]


def test_the_schedule_is_each_workspaces_own_monday_nine_oclock() -> None:
    workspace = Workspace(timezone="America/New_York", digest_weekday=0, digest_hour=9)
    monday = local("America/New_York", 2026, 11, 30, 9, 30)
    assert runs.scheduled_at(workspace, monday) == local("America/New_York", 2026, 11, 30, 9)
    week = runs.covered_week(workspace, runs.scheduled_at(workspace, monday))
    assert (week.label, week.start) == ("2026-W48", local("America/New_York", 2026, 11, 23))
    earlier = local("America/New_York", 2026, 11, 30, 8, 59)
    assert runs.scheduled_at(workspace, earlier) == local("America/New_York", 2026, 11, 23, 9)
    # A Friday digest still covers the Monday-to-Sunday week that ended before it.
    friday = Workspace(timezone="America/New_York", digest_weekday=4, digest_hour=16)
    at = runs.scheduled_at(friday, local("America/New_York", 2026, 12, 4, 17))
    assert runs.covered_week(friday, at).label == "2026-W48"


def test_the_week_of_a_dst_change_is_169_hours_long() -> None:
    berlin = Workspace(timezone="Europe/Berlin", digest_weekday=0, digest_hour=9)
    at = runs.scheduled_at(berlin, datetime(2026, 10, 26, 12, tzinfo=UTC))
    assert at == datetime(2026, 10, 26, 8, tzinfo=UTC)  # 09:00 CET, after the change
    week = runs.covered_week(berlin, at)
    assert week.label == "2026-W43"
    assert week.end - week.start == timedelta(hours=169)


def test_one_instant_finds_each_zone_at_its_own_point_and_posts_once(
    sessions: SessionFactory,
) -> None:
    for team in ZONES:
        _thank(sessions, team, datetime(2026, 11, 25, 15, tzinfo=UTC))
    now = datetime(2026, 11, 30, 14, 30, tzinfo=UTC)
    outcomes = {(o.team_id, o.week, o.status) for o in runs.run_due(sessions, now)}
    # New York (09:30) and Tokyo (23:30) are past Monday 09:00; Los Angeles (06:30) is not,
    # and its previous digest (23 November) is past the 24-hour grace.
    assert outcomes == {
        ("TNY", "2026-W48", "queued"),
        ("TTOKYO", "2026-W48", "queued"),
        ("TLA", "2026-W47", "skipped"),
    }
    assert runs.run_due(sessions, now + timedelta(minutes=1)) == []
    later = local("America/Los_Angeles", 2026, 11, 30, 9, 1)
    assert [(o.team_id, o.status) for o in runs.run_due(sessions, later)] == [("TLA", "queued")]
    assert _digests(sessions) == [
        ("TLA", "digest:2026-W48"),
        ("TNY", "digest:2026-W48"),
        ("TTOKYO", "digest:2026-W48"),
    ]
    with transaction(sessions) as session:
        workspace = session.get_one(Workspace, "TNY")
        week = runs.covered_week(workspace, runs.scheduled_at(workspace, now))
        manual = runs.post(session, workspace, week, now, trigger="manual")
    assert manual.status == "already"
    assert len(_digests(sessions)) == 3


def test_after_downtime_a_digest_within_the_grace_is_posted_and_an_older_one_skipped(
    sessions: SessionFactory,
) -> None:
    due = local("America/New_York", 2026, 11, 30, 9)
    assert [
        (o.team_id, o.status) for o in runs.run_due(sessions, due + timedelta(hours=23), "TNY")
    ] == [("TNY", "queued")]
    with transaction(sessions) as session:
        session.get_one(Workspace, "TTOKYO").digest_grace_hours = 2
    tokyo_due = local("Asia/Tokyo", 2026, 11, 30, 9)
    skipped = runs.run_due(sessions, tokyo_due + timedelta(hours=3), "TTOKYO")
    assert [(o.week, o.status) for o in skipped] == [("2026-W48", "skipped")]
    assert runs.run_due(sessions, tokyo_due + timedelta(hours=4), "TTOKYO") == []
    assert [team for team, _ in _digests(sessions)] == ["TNY"]
    with sessions() as session:
        statuses = dict(session.execute(select(DigestRun.team_id, DigestRun.status)).all())
    assert statuses == {"TNY": "queued", "TTOKYO": "skipped"}


def test_a_week_the_schedule_skipped_can_still_be_posted_by_hand_once(
    sessions: SessionFactory,
) -> None:
    with transaction(sessions) as session:
        session.get_one(Workspace, "TTOKYO").digest_grace_hours = 2
    due = local("Asia/Tokyo", 2026, 11, 30, 9)
    runs.run_due(sessions, due + timedelta(hours=3), "TTOKYO")
    later = due + timedelta(hours=5)
    week = parse_week("2026-W48", later, ZoneInfo("Asia/Tokyo"))
    outcomes = []
    for _ in range(2):
        with transaction(sessions) as session:
            workspace = session.get_one(Workspace, "TTOKYO")
            outcomes.append(runs.post(session, workspace, week, later, trigger="manual").status)
    assert outcomes[1] == "already"
    assert outcomes[0] in ("queued", "quiet")
    with sessions() as session:
        run = session.scalars(select(DigestRun).where(DigestRun.team_id == "TTOKYO")).one()
    assert (run.status, run.trigger) == (outcomes[0], "manual")


def test_a_quiet_week_posts_a_short_note_or_nothing_as_the_workspace_chose(
    sessions: SessionFactory,
) -> None:
    with transaction(sessions) as session:
        session.get_one(Workspace, "TTOKYO").digest_when_quiet = False
    now = datetime(2026, 11, 30, 14, 30, tzinfo=UTC)
    statuses = {o.team_id: o.status for o in runs.run_due(sessions, now)}
    assert statuses["TTOKYO"] == "quiet"
    assert statuses["TNY"] == "queued"
    with sessions() as session:
        note = session.scalars(select(OutboxMessage).where(OutboxMessage.team_id == "TNY")).one()
        assert "quiet" in note.args["text"].lower()
    assert [team for team, _ in _digests(sessions)] == ["TNY"]


def test_a_workspace_without_a_digest_channel_uses_the_kudos_channel_or_waits(
    sessions: SessionFactory,
) -> None:
    with transaction(sessions) as session:
        for team in ZONES:
            session.get_one(Workspace, team).digest_channel_id = None
        session.get_one(Workspace, "TNY").kudos_channel_id = "CKUDOS"
    now = datetime(2026, 11, 30, 14, 30, tzinfo=UTC)
    assert [(o.team_id, o.status) for o in runs.run_due(sessions, now)] == [("TNY", "queued")]
    with sessions() as session:
        post = session.scalars(select(OutboxMessage)).one()
        assert post.args["channel"] == "CKUDOS"
