"""A workspace's kudos rules and the guards every kudos passes before anything is stored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Sequence as DbSequence
from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import Session

from app.calendar import day_start, zone
from app.directory.service import CachedChannel, Person, members_named, people
from app.kudos.request import KudosRequest
from app.kudos.results import RefusalReason, Refused
from app.store import core
from app.store.db import is_sqlite
from app.store.direct import DirectStatement
from app.store.models import Channel, Kudos, KudosRecipient, Member, Workspace

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
    # For the permalink a recipient's note links to the post by.
    domain: str | None


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
    Workspace.domain,
).where(Workspace.team_id == bindparam("team_id"))


def rules_of(session: Session, team_id: str) -> Rules:
    """Return the kudos rules of the installed workspace `team_id`."""
    return Rules(**session.execute(_RULES, {"team_id": team_id}).one()._asdict())


@dataclass(frozen=True)
class Known:
    """Everything the guards read before a kudos is stored, gathered in two statements."""

    rules: Rules
    people: dict[str, Person]
    remaining_today: int
    channel: CachedChannel | None
    # The id the kudos will have, drawn from its sequence in the same round trip (PostgreSQL):
    # its outbox rows, whose keys and blocks carry it, are then written with it in one statement.
    next_id: int | None = None


# The rules, the channel's cached row and the giver's count for the day, in one round trip: three
# statements on every kudos before. The channel is joined on the workspace, so a channel the cache
# has never seen still yields the rules (with NULLs for it).
_KNOWN = (
    select(
        *_RULES.selected_columns,
        Channel.is_private,
        Channel.is_im,
        Channel.bot_is_member,
        Channel.updated_at,
        _USED_SINCE.scalar_subquery().label("used"),
    )
    .select_from(Workspace)
    .outerjoin(
        Channel,
        and_(
            Channel.team_id == Workspace.team_id,
            Channel.channel_id == bindparam("channel_id"),
        ),
    )
    .where(Workspace.team_id == bindparam("team_id"))
)
_RULE_FIELDS = len(_RULES.selected_columns)
# PostgreSQL draws the kudos's id too (an id drawn for a kudos then refused is never used: ids
# have gaps, never repeats), from the sequence its BIGSERIAL column made, named as PostgreSQL
# names it: a name the planner resolves once, where `pg_get_serial_sequence` searched the
# catalog's dependencies on every kudos (0.055 ms of the server's time against 0.003).
_KNOWN_WITH_ID = _KNOWN.add_columns(DbSequence("kudos_id_seq").next_value().label("next_id"))
# Run on the driver's cursor: on every kudos (`direct`).
_GATHER = DirectStatement(_KNOWN)
_GATHER_WITH_ID = DirectStatement(_KNOWN_WITH_ID)


def gather(
    session: Session,
    team_id: str,
    giver_id: str,
    recipients: Sequence[str],
    channel_id: str,
    now: datetime,
) -> Known:
    """Read what the guards need about a kudos from `giver_id` in `channel_id`: the workspace's
    rules, the directory's facts about the giver and `recipients`, the giver's remaining count
    for today (in their own zone) and the channel's cached row."""
    found = people(session, team_id, (giver_id, *recipients))
    giver = found.get(giver_id)
    own = _own_zone(giver.tz if giver else None)
    # The day is the giver's own when their zone is known: then the count rides along with the
    # rules. Otherwise it is the workspace's, known only from the rules, so it is counted after.
    since = day_start(now, own) if own is not None else now
    connection = core.connection(session)
    postgresql = not is_sqlite(connection)
    row = (_GATHER_WITH_ID if postgresql else _GATHER).one(
        connection,
        {"team_id": team_id, "channel_id": channel_id, "giver_id": giver_id, "since": since},
    )
    rules = Rules(*row[:_RULE_FIELDS])
    used = int(row.used or 0)
    if own is None:
        used = _used_since(session, rules, giver_id, day_start(now, zone(None, rules.timezone)))
    channel = (
        None
        if row.updated_at is None
        else CachedChannel(row.is_private, row.is_im, row.bot_is_member, row.updated_at)
    )
    next_id = int(row.next_id) if postgresql else None
    return Known(rules, found, max(0, rules.daily_limit - used), channel, next_id)


def _own_zone(name: str | None) -> ZoneInfo | None:
    """The IANA zone `name`, or None when it is missing or unknown (as `zone` falls back)."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _used_since(session: Session, rules: Rules, giver_id: str, since: datetime) -> int:
    """How many people `giver_id` has thanked since `since`."""
    used = session.scalar(
        _USED_SINCE, {"team_id": rules.team_id, "giver_id": giver_id, "since": since}
    )
    return int(used or 0)


def remaining_today(
    session: Session, rules: Rules, giver_id: str, giver: Member | None, now: datetime
) -> int:
    """Return how many more people `giver_id` may thank today, counted in their own time zone."""
    since = day_start(now, zone(giver.tz if giver else None, rules.timezone))
    return max(0, rules.daily_limit - _used_since(session, rules, giver_id, since))


@dataclass(frozen=True)
class Checked:
    """A request that passed every guard, cleaned up: what `giving.give` records."""

    rules: Rules
    recipients: tuple[str, ...]
    message: str
    values: tuple[str, ...]
    remaining_today: int
    # The directory's facts about the giver and every recipient.
    people: dict[str, Person]
    # The id drawn for the kudos (`Known.next_id`), if any.
    next_id: int | None = None


def check(
    session: Session, request: KudosRequest, now: datetime, known: Known | None = None
) -> Checked | Refused:
    """Check every guard on `request`, in the order people are told about them; the first
    that fails is the refusal. `known` is what `gather` read for it, when the caller has it."""
    if known is None:
        known = gather(
            session,
            request.team_id,
            request.giver_id,
            request.recipients,
            request.where.channel_id,
            now,
        )
    rules, remaining = known.rules, known.remaining_today
    found = dict(known.people)
    giver = found.get(request.giver_id)
    if giver is not None and giver.kudos_locked:
        return Refused(RefusalReason.LOCKED, remaining)
    recipients = _recipients(session, request, rules, found)
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
    return Checked(rules, tuple(recipients), message, values, remaining, found, known.next_id)


Problem = tuple[RefusalReason, tuple[str, ...]]


def _recipients(
    session: Session, request: KudosRequest, rules: Rules, found: dict[str, Person]
) -> list[str] | Problem:
    """The people `request` thanks, once each, or what is wrong with one of them; `found` (the
    facts read so far) gains those named by plain "@name"."""
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
    unread = [user_id for user_id in recipients if user_id not in found]
    if unread:
        found.update(people(session, request.team_id, unread))
    for user_id in recipients:
        member = found.get(user_id)
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
