"""A workspace's kudos rules and the guards every kudos passes before anything is stored."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, select, true
from sqlalchemy import Sequence as DbSequence
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import Session

from app.calendar import day_start, zone
from app.directory.service import PERSON_COLUMNS, CachedChannel, Person, members_named, people
from app.kudos.request import KudosRequest
from app.kudos.results import RefusalReason, Refused
from app.store import core
from app.store.among import among
from app.store.db import is_sqlite
from app.store.direct import DirectStatement
from app.store.models import Channel, Kudos, KudosRecipient, Member, Workspace


def _thanks_since(since: str, *columns: Any) -> Select[Any]:
    """`columns` over the people a giver has thanked since the moment bound to `since`
    (withdrawn kudos give their thanks back)."""
    return (
        select(*columns)
        .select_from(KudosRecipient)
        .join(Kudos, Kudos.id == KudosRecipient.kudos_id)
        .where(
            Kudos.team_id == bindparam("team_id"),
            Kudos.giver_id == bindparam("giver_id"),
            Kudos.created_at >= bindparam(since),
            Kudos.undone_at.is_(None),
        )
    )


# How many people a giver has thanked since a moment.
_USED_SINCE = _thanks_since("since", func.count())


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
    """Everything the guards read before a kudos is stored, gathered in one statement."""

    rules: Rules
    people: dict[str, Person]
    remaining_today: int
    channel: CachedChannel | None
    # The id the kudos will have, drawn from its sequence in the same round trip (PostgreSQL):
    # its outbox rows, whose keys and blocks carry it, are then written with it in one statement.
    next_id: int | None = None


# A local day began at most 25 hours ago (one that a change of clocks lengthens), in any zone:
# the giver's thanks within this window settle their count for the day whatever their zone.
RECENT = timedelta(hours=26)
# The giver's thanks since `recent_since` (withdrawn ones excepted), and the first and last
# moments they were given: one row, whose figures `_settled` turns into the day's count once the
# giver's zone is known. Materialized, so it is counted once: as a subquery, PostgreSQL may join
# it inside the loop over the people and count it again for each of them.
_RECENT = (
    _thanks_since(
        "recent_since",
        func.count().label("recent_used"),
        func.min(Kudos.created_at).label("recent_first"),
        func.max(Kudos.created_at).label("recent_last"),
    )
    .cte("recent")
    .prefix_with("MATERIALIZED")
)


# What `CachedChannel` is read from.
_CHANNEL = (Channel.is_private, Channel.is_im, Channel.bot_is_member, Channel.updated_at)
# The sequence the kudos table's BIGSERIAL id column made, by the name PostgreSQL gave it.
KUDOS_IDS = DbSequence("kudos_id_seq")


@functools.cache
def _gather_statement(dialect: str) -> DirectStatement:
    """The rules, the channel's cached row, the giver's recent thanks and a row per person the
    directory has of those bound to `user_ids`, in one round trip: two to four statements on
    every kudos before. A row per person, each carrying the rest; one row with NULL people when
    the directory has none of them, as the channel and the people are outer joins beside the
    workspace's row.

    On PostgreSQL the kudos's id is drawn too (an id drawn for a kudos then refused is never
    used: ids have gaps, never repeats), once, in a CTE (one with a volatile function is never
    inlined), from the sequence its BIGSERIAL column made, named as PostgreSQL names it: a name
    the planner resolves once, where `pg_get_serial_sequence` searched the catalog on every
    kudos. Run on the driver's cursor (`direct`): it runs on every kudos."""
    columns: list[Any] = [*_RULES.selected_columns, *_CHANNEL, *_RECENT.c, *PERSON_COLUMNS]
    statement = (
        select(*columns)
        .select_from(Workspace)
        # Each on the bound team, as a read of its own would be.
        .outerjoin(
            Channel,
            and_(
                Channel.team_id == bindparam("team_id"),
                Channel.channel_id == bindparam("channel_id"),
            ),
        )
        .outerjoin(
            Member,
            and_(
                Member.team_id == bindparam("team_id"), among(dialect, Member.user_id, "user_ids")
            ),
        )
        .join(_RECENT, true())
        .where(Workspace.team_id == bindparam("team_id"))
    )
    if dialect == "postgresql":
        drawn = select(KUDOS_IDS.next_value().label("next_id")).cte("drawn")
        statement = statement.join(drawn, true()).add_columns(drawn.c.next_id)
    return DirectStatement(statement)


_RULE_FIELDS = len(_RULES.selected_columns)
# Where a row's person is: after the rules, the channel's columns and the recent thanks.
_PERSON_START = _RULE_FIELDS + len(_CHANNEL) + len(_RECENT.c)
_PERSON_FIELDS = slice(_PERSON_START, _PERSON_START + len(PERSON_COLUMNS))


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
    connection = core.connection(session)
    postgresql = not is_sqlite(connection)
    statement = _gather_statement("postgresql" if postgresql else "sqlite")
    recent_since = now - RECENT
    # Alone: the first statement of a kudos's unit needs no BEGIN before it (`direct._run`).
    rows = statement.rows(
        connection,
        {
            "team_id": team_id,
            "channel_id": channel_id,
            "giver_id": giver_id,
            "user_ids": list(dict.fromkeys((giver_id, *recipients))),
            "recent_since": recent_since,
        },
        alone=True,
    )
    if not rows:
        raise NoResultFound(f"workspace {team_id} is not installed")
    row = rows[0]
    rules = Rules(*row[:_RULE_FIELDS])
    found = {each.user_id: Person(*each[_PERSON_FIELDS]) for each in rows if each.user_id}
    giver = found.get(giver_id)
    since = day_start(now, zone(giver.tz if giver else None, rules.timezone))
    used = _settled(row, since, recent_since)
    if used is None:
        used = _used_since(session, rules, giver_id, since)
    channel = (
        None
        if row.updated_at is None
        else CachedChannel(row.is_private, row.is_im, row.bot_is_member, row.updated_at)
    )
    next_id = int(row.next_id) if postgresql else None
    return Known(rules, found, max(0, rules.daily_limit - used), channel, next_id)


def _settled(row: Any, since: datetime, recent_since: datetime) -> int | None:
    """How many people the giver has thanked since `since`, when the recent thanks `row` read
    (since `recent_since`) settle it; None when the day began before them, or some of them
    fall on either side of its start (then they are counted again, from the day's start)."""
    if since < recent_since:
        return None
    if not row.recent_used or row.recent_last < since:
        return 0
    if row.recent_first >= since:
        return int(row.recent_used)
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
