"""A workspace's kudos rules and the guards every kudos passes before anything is stored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from app.calendar import day_start, zone
from app.directory.service import members_named
from app.kudos.request import KudosRequest
from app.kudos.results import RefusalReason, Refused
from app.store.models import Kudos, KudosRecipient, Member, Workspace

# How many people a giver has thanked since a moment (withdrawn kudos give their thanks back).
_USED_SINCE = (
    select(func.count())
    .select_from(KudosRecipient)
    .join(Kudos, Kudos.id == KudosRecipient.kudos_id)
    .where(
        Kudos.team_id == bindparam("team_id"),
        Kudos.giver_id == bindparam("giver_id"),
        Kudos.created_at >= bindparam("since"),
        Kudos.undone_at.is_(None),
    )
)


@dataclass(frozen=True)
class Rules:
    """What a workspace's settings say about giving kudos: all `give` reads of the workspace."""

    team_id: str
    bot_user_id: str | None
    timezone: str
    daily_limit: int
    max_length: int
    values: list[str]
    kudos_channel_id: str | None
    reply_mode: str


# Read on every kudos: these columns as a plain row cost a third of loading the whole Workspace.
_RULES = select(
    Workspace.team_id,
    Workspace.bot_user_id,
    Workspace.timezone,
    Workspace.kudos_daily_limit.label("daily_limit"),
    Workspace.kudos_max_length.label("max_length"),
    Workspace.kudos_values.label("values"),
    Workspace.kudos_channel_id,
    Workspace.kudos_reply_mode.label("reply_mode"),
).where(Workspace.team_id == bindparam("team_id"))


def rules_of(session: Session, team_id: str) -> Rules:
    """Return the kudos rules of the installed workspace `team_id`."""
    return Rules(**session.execute(_RULES, {"team_id": team_id}).one()._asdict())


def remaining_today(
    session: Session, rules: Rules, giver_id: str, giver: Member | None, now: datetime
) -> int:
    """Return how many more people `giver_id` may thank today, counted in their own time zone."""
    since = day_start(now, zone(giver.tz if giver else None, rules.timezone))
    used = session.scalar(
        _USED_SINCE, {"team_id": rules.team_id, "giver_id": giver_id, "since": since}
    )
    return max(0, rules.daily_limit - int(used or 0))


@dataclass(frozen=True)
class Checked:
    """A request that passed every guard, cleaned up: what `giving.give` records."""

    rules: Rules
    recipients: tuple[str, ...]
    message: str
    values: tuple[str, ...]
    remaining_today: int


def check(session: Session, request: KudosRequest, now: datetime) -> Checked | Refused:
    """Check every guard on `request`, in the order people are told about them; the first
    that fails is the refusal."""
    rules = rules_of(session, request.team_id)
    giver = session.get(Member, (request.team_id, request.giver_id))
    remaining = remaining_today(session, rules, request.giver_id, giver, now)
    if giver is not None and giver.kudos_locked:
        return Refused(RefusalReason.LOCKED, remaining)
    recipients = _recipients(session, request, rules)
    if isinstance(recipients, tuple):
        reason, subjects = recipients
        return Refused(reason, remaining, subjects)
    message = request.message.strip()
    if not message:
        return Refused(RefusalReason.NO_MESSAGE, remaining)
    if len(message) > rules.max_length:
        return Refused(RefusalReason.TOO_LONG, remaining, limit=rules.max_length)
    values = tuple(dict.fromkeys(v.lower() for v in request.values))
    allowed = tuple(v.lower() for v in rules.values)
    unknown = tuple(v for v in values if allowed and v not in allowed)
    if unknown:
        return Refused(RefusalReason.UNKNOWN_VALUE, remaining, unknown, allowed=allowed)
    if len(recipients) > remaining:
        return Refused(RefusalReason.DAILY_LIMIT, remaining, limit=rules.daily_limit)
    return Checked(rules, tuple(recipients), message, values, remaining)


Problem = tuple[RefusalReason, tuple[str, ...]]


def _recipients(session: Session, request: KudosRequest, rules: Rules) -> list[str] | Problem:
    """The people `request` thanks, once each, or what is wrong with one of them."""
    recipients = list(dict.fromkeys(request.recipients))
    if request.plain_names:
        resolved = _resolve_names(session, request.team_id, request.plain_names)
        if isinstance(resolved, tuple):
            return resolved
        recipients = list(dict.fromkeys([*recipients, *resolved]))
    if not recipients:
        return RefusalReason.NO_RECIPIENT, ()
    if request.giver_id in recipients:
        return RefusalReason.SELF, ()
    for user_id in recipients:
        member = session.get(Member, (request.team_id, user_id))
        if member is None:
            return RefusalReason.UNKNOWN_USER, (user_id,)
        if member.is_bot or user_id == rules.bot_user_id:
            return RefusalReason.BOT, (user_id,)
        if member.deleted:
            return RefusalReason.DEACTIVATED, (user_id,)
    return recipients


def _resolve_names(session: Session, team_id: str, names: Sequence[str]) -> list[str] | Problem:
    """The people the plain "@name"s are, or the first name that is nobody's or several's."""
    found = members_named(session, team_id, names)
    resolved: list[str] = []
    for name in names:
        matches = found.get(name.lower(), [])
        if not matches:
            return RefusalReason.UNKNOWN_NAME, (name,)
        if len({m.user_id for m in matches}) > 1:
            return RefusalReason.AMBIGUOUS_NAME, (name,)
        resolved.append(matches[0].user_id)
    return resolved
