"""Posting digests exactly once: the scheduled weekly run, catching up after downtime within the
grace, and `reciprocity digest` by hand. A run claims (workspace, week) in `digest_runs` in the
transaction that queues its post, so a second scheduler, a restart or a manual run after the
scheduled one changes nothing.

A week that is not over is never claimed: `reciprocity digest` for it posts the week "so far"
under its own key, and the scheduled digest still comes once the week ends.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.calendar import zone
from app.delivery import outbox
from app.delivery.privacy import unless_private
from app.digest.blocks import digest_blocks
from app.digest.compose import compose_digest
from app.digest.contents import Digest
from app.digest.picture import queue_picture
from app.digest.weeks import Week, week_of
from app.store.db import SessionFactory, transaction
from app.store.models import DigestRun, OutboxMessage, Workspace
from app.store.statuses import DigestRunStatus
from app.store.upsert import insert_new

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    """What a run did with a week's digest; the first three are also the claim it stored."""

    QUEUED = DigestRunStatus.QUEUED.value
    QUIET = DigestRunStatus.QUIET.value
    SKIPPED = DigestRunStatus.SKIPPED.value
    # Claimed before (by the schedule or an earlier run): nothing changed.
    ALREADY = "already"
    NO_CHANNEL = "no-channel"
    # A week not over, queued as it stands; the same minute's look again changes nothing.
    SO_FAR = "so-far"
    SO_FAR_ALREADY = "so-far-already"


@dataclass(frozen=True)
class RunOutcome:
    """What happened to one workspace's digest for one week."""

    team_id: str
    week: str
    status: Outcome


def scheduled_at(workspace: Workspace, now: datetime) -> datetime:
    """The latest scheduled digest time (weekday and hour, workspace zone) at or before `now`."""
    tz = zone(workspace.timezone)
    local = now.astimezone(tz)
    day = local.date() - timedelta(days=(local.weekday() - workspace.digest_weekday) % 7)
    for back in (0, 7):
        candidate = datetime.combine(
            day - timedelta(days=back), time(workspace.digest_hour), tzinfo=tz
        )
        # Normalising through UTC resolves a scheduled hour that falls in a DST gap.
        instant = candidate.astimezone(zone("UTC"))
        if instant <= now:
            return instant
    raise AssertionError("a scheduled time a week back is always in the past")


def covered_week(workspace: Workspace, at: datetime) -> Week:
    """The calendar week (Monday to Sunday, workspace zone) that ended before the run at `at`."""
    tz = zone(workspace.timezone)
    this_week = week_of(at, tz)
    return week_of(this_week.start - timedelta(seconds=1), tz)


def channel_for(workspace: Workspace) -> str | None:
    """Where the digest goes: the digest channel, else the kudos channel, else nowhere."""
    return workspace.digest_channel_id or workspace.kudos_channel_id


def run_due(
    sessions: SessionFactory, now: datetime, team_id: str | None = None
) -> list[RunOutcome]:
    """Post every digest that is due at `now` and not yet posted; skip (and log) stale ones."""
    with sessions() as session:
        query = select(Workspace.team_id).where(Workspace.active.is_(True))
        if team_id is not None:
            query = query.where(Workspace.team_id == team_id)
        teams = list(session.scalars(query))
    outcomes = []
    for team in teams:
        with transaction(sessions) as session:
            outcome = _run_one(session, session.get_one(Workspace, team), now)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def _run_one(session: Session, workspace: Workspace, now: datetime) -> RunOutcome | None:
    at = scheduled_at(workspace, now)
    week = covered_week(workspace, at)
    claimed = session.scalar(
        select(DigestRun.id).where(
            DigestRun.team_id == workspace.team_id, DigestRun.week == week.label
        )
    )
    # Weeks before the install are nobody's news, and not worth a "skipped" line either.
    if claimed is not None or channel_for(workspace) is None or week.end <= workspace.installed_at:
        return None
    if now - at > timedelta(hours=workspace.digest_grace_hours):
        # Too late to be news: record the skip so it is logged once, and post nothing.
        if _claim(session, workspace.team_id, week.label, DigestRunStatus.SKIPPED, "schedule", now):
            log.warning(
                "digest for %s week %s skipped: due %s, now %s is past the %d h grace",
                workspace.team_id,
                week.label,
                at.isoformat(),
                now.isoformat(),
                workspace.digest_grace_hours,
            )
            return RunOutcome(workspace.team_id, week.label, Outcome.SKIPPED)
        return None
    return post(session, workspace, week, now, trigger="schedule")


def _claim(
    session: Session,
    team_id: str,
    week: str,
    status: DigestRunStatus,
    trigger: str,
    now: datetime,
) -> bool:
    """Claim (`team_id`, `week`) with `status`; False when it was already claimed."""
    row = {
        "team_id": team_id,
        "week": week,
        "status": status,
        "trigger": trigger,
        "created_at": now,
    }
    return insert_new(session, DigestRun, row, key=["team_id", "week"])


def _take_skipped(session: Session, team_id: str, week: str) -> bool:
    """Claim a week the schedule skipped (past its grace) for a manual run; True once only."""
    taken = session.execute(
        update(DigestRun)
        .where(
            DigestRun.team_id == team_id,
            DigestRun.week == week,
            DigestRun.status == DigestRunStatus.SKIPPED,
        )
        .values(status=DigestRunStatus.QUEUED, trigger="manual")
    )
    return int(taken.rowcount) == 1  # type: ignore[attr-defined]


def render(
    session: Session, workspace: Workspace, week: Week, now: datetime
) -> tuple[str, list[dict[str, Any]], bool]:
    """The digest of `week` as of `now`: its fallback text, its blocks, and whether it was quiet."""
    digest = compose_digest(session, workspace.team_id, week.start, week.end, now=now)
    text, blocks = digest_blocks(digest)
    return text, blocks, digest.is_quiet


def post(
    session: Session, workspace: Workspace, week: Week, now: datetime, *, trigger: str
) -> RunOutcome:
    """Claim `week`'s digest and queue its post, or report that it was already claimed.

    A week not over at `now` goes to `post_so_far` instead: claiming it would stop the
    scheduled digest of the whole week.
    """
    if now < week.end:
        return post_so_far(session, workspace, week, now)
    channel = channel_for(workspace)
    if channel is None:
        return RunOutcome(workspace.team_id, week.label, Outcome.NO_CHANNEL)
    claimed = _claim(session, workspace.team_id, week.label, DigestRunStatus.QUEUED, trigger, now)
    if not claimed and trigger == "manual":
        claimed = _take_skipped(session, workspace.team_id, week.label)
    if not claimed:
        return RunOutcome(workspace.team_id, week.label, Outcome.ALREADY)
    digest = compose_digest(session, workspace.team_id, week.start, week.end, now=now)
    if digest.is_quiet and not workspace.digest_when_quiet:
        run = session.scalars(
            select(DigestRun).where(
                DigestRun.team_id == workspace.team_id, DigestRun.week == week.label
            )
        ).one()
        run.status = DigestRunStatus.QUIET
        return RunOutcome(workspace.team_id, week.label, Outcome.QUIET)
    _queue_post(session, workspace, week, channel, digest, f"digest:{week.label}", now)
    return RunOutcome(workspace.team_id, week.label, Outcome.QUEUED)


def so_far_key(week: Week, now: datetime) -> str:
    """The outbox key of a so-far post: one per week and minute, so a command repeated by
    accident posts once while a later look at the week posts again."""
    minute = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
    return f"digest:{week.label}:so-far:{minute}"


def post_so_far(session: Session, workspace: Workspace, week: Week, now: datetime) -> RunOutcome:
    """Queue the digest of the unfinished `week` as it stands at `now`, claiming nothing."""
    channel = channel_for(workspace)
    if channel is None:
        return RunOutcome(workspace.team_id, week.label, Outcome.NO_CHANNEL)
    key = so_far_key(week, now)
    known = session.scalar(
        select(OutboxMessage.id).where(
            OutboxMessage.team_id == workspace.team_id, OutboxMessage.dedupe_key == key
        )
    )
    if known is not None:
        return RunOutcome(workspace.team_id, week.label, Outcome.SO_FAR_ALREADY)
    digest = compose_digest(session, workspace.team_id, week.start, week.end, now=now)
    if digest.is_quiet and not workspace.digest_when_quiet:
        return RunOutcome(workspace.team_id, week.label, Outcome.QUIET)
    _queue_post(session, workspace, week, channel, digest, key, now)
    return RunOutcome(workspace.team_id, week.label, Outcome.SO_FAR)


def _queue_post(
    session: Session,
    workspace: Workspace,
    week: Week,
    channel: str,
    digest: Digest,
    key: str,
    now: datetime,
) -> None:
    """Queue `digest`'s post to `channel` under the outbox key `key`, and the week's picture
    to follow it (unless the workspace turned it off)."""
    outbox.queue(
        session,
        team_id=workspace.team_id,
        method="chat.postMessage",
        args=post_args(channel, digest),
        dedupe_key=key,
        now=now,
    )
    queue_picture(session, workspace, week, channel, key, now, so_far=digest.so_far)


def post_args(channel: str, digest: Digest) -> dict[str, Any]:
    """The digest's post to `channel`, quoting nothing if a conversation it quotes is private
    by the time it is sent.

    Compose already leaves out what the store knows is private; a channel can turn private
    unseen (the bot hears a conversion only where it is a member) or while the post waits.
    """
    text, blocks = digest_blocks(digest)
    args = {"channel": channel, "text": text, "blocks": blocks, "unfurl_links": False}
    quoted = digest.quoted_channels()
    if not quoted:
        return args
    plain_text, plain_blocks = digest_blocks(digest.without_quotes())
    plain = {**args, "text": plain_text, "blocks": plain_blocks}
    return unless_private(args, quoted, plain)
