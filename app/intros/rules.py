"""A wish to introduce two people, and the guards it passes before anything is stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from app.calendar import day_start, zone
from app.directory.service import members_named
from app.intros.blocks import REASON_LIMIT
from app.intros.results import IntroRefusal, Refused
from app.slackapi.payloads import Conversation
from app.store.models import Introduction, Member, Workspace

# The same two people are introduced at most once in this long, whoever asks and however it went.
REPEAT_AFTER = timedelta(days=30)


@dataclass(frozen=True)
class IntroRequest:
    """A person's wish to introduce two others, already parsed out of Slack's payload."""

    team_id: str
    connector_id: str
    people: tuple[str, ...]
    reason: str
    where: Conversation
    # Names that arrived as plain "@name" (an app installed without escaping), to resolve.
    plain_names: tuple[str, ...] = ()
    source: str = "command"
    response_url: str | None = None


@dataclass(frozen=True)
class Checked:
    """A request that passed every guard: the two people, the reason, the workspace's rules."""

    first: str
    second: str
    reason: str
    expiry_days: int


def check(session: Session, request: IntroRequest, now: datetime) -> Checked | Refused:
    """Check every guard on `request`, in the order people are told about them; the first that
    fails is the refusal."""
    people = _people(session, request)
    if isinstance(people, Refused):
        return people
    first, second = people
    reason = request.reason.strip()
    if not reason:
        return Refused(IntroRefusal.NO_REASON)
    if len(reason) > REASON_LIMIT:
        return Refused(IntroRefusal.TOO_LONG, limit=REASON_LIMIT, count=len(reason))
    workspace = session.get_one(Workspace, request.team_id)
    last = _last_introduced(session, request.team_id, first, second, now - REPEAT_AFTER)
    if last is not None:
        return Refused(IntroRefusal.RECENT, since=last)
    made = made_today(session, workspace, request.connector_id, now)
    if made >= workspace.intro_daily_limit:
        return Refused(IntroRefusal.DAILY_LIMIT, limit=workspace.intro_daily_limit)
    return Checked(first, second, reason, workspace.intro_expiry_days)


def made_today(session: Session, workspace: Workspace, connector_id: str, now: datetime) -> int:
    """How many introductions `connector_id` made since midnight in their own time zone."""
    connector = session.get(Member, (workspace.team_id, connector_id))
    since = day_start(now, zone(connector.tz if connector else None, workspace.timezone))
    count = session.scalar(
        select(func.count())
        .select_from(Introduction)
        .where(
            Introduction.team_id == workspace.team_id,
            Introduction.connector_id == connector_id,
            Introduction.created_at >= since,
        )
    )
    return int(count or 0)


def _last_introduced(
    session: Session, team_id: str, first: str, second: str, since: datetime
) -> datetime | None:
    """When `first` and `second` (either way round) were last introduced after `since`."""
    return session.scalar(
        select(func.max(Introduction.created_at)).where(
            Introduction.team_id == team_id,
            or_(
                and_(Introduction.first_id == first, Introduction.second_id == second),
                and_(Introduction.first_id == second, Introduction.second_id == first),
            ),
            Introduction.created_at >= since,
        )
    )


def _people(session: Session, request: IntroRequest) -> tuple[str, str] | Refused:
    """The two people `request` introduces, or what is wrong with them."""
    people = list(dict.fromkeys(request.people))
    if request.plain_names:
        found = members_named(session, request.team_id, request.plain_names)
        for name in request.plain_names:
            matches = {m.user_id for m in found.get(name.lower(), [])}
            if not matches:
                return Refused(IntroRefusal.UNKNOWN_NAME, name)
            if len(matches) > 1:
                return Refused(IntroRefusal.AMBIGUOUS_NAME, name)
            people = list(dict.fromkeys([*people, *matches]))
    named = len(request.people) + len(request.plain_names)
    if len(people) == 1 and named == 2:
        return Refused(IntroRefusal.SAME_PERSON)
    if len(people) != 2:
        return Refused(IntroRefusal.NOT_TWO)
    if request.connector_id in people:
        return Refused(IntroRefusal.SELF)
    workspace = session.get_one(Workspace, request.team_id)
    for user_id in people:
        member = session.get(Member, (request.team_id, user_id))
        if member is None or member.forgotten_at is not None:
            return Refused(IntroRefusal.UNKNOWN_USER, user_id)
        if member.is_bot or user_id == workspace.bot_user_id:
            return Refused(IntroRefusal.BOT, user_id)
        if member.deleted:
            return Refused(IntroRefusal.DEACTIVATED, user_id)
    return people[0], people[1]
