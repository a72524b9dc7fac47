"""The member directory and channel cache: filled from Slack, read by guards on the ack path."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from app.slackapi.payloads import Conversation
from app.store import core
from app.store.among import among
from app.store.direct import DirectStatement
from app.store.models import Ask, Channel, Kudos, Member
from app.store.upsert import upsert

# Cached channel facts (privacy, archived, the bot's membership) older than this are read from
# Slack again on the next look-up: not every change reaches us as an event.
CHANNEL_TTL = timedelta(hours=1)

_MEMBER_FIELDS = (
    "name",
    "real_name",
    "display_name",
    "tz",
    "is_bot",
    "is_admin",
    "deleted",
    "updated_at",
)


def member_row(team_id: str, user: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Map Slack's user object to a `members` row."""
    profile = user.get("profile") or {}
    return {
        "team_id": team_id,
        "user_id": str(user["id"]),
        "name": str(user.get("name") or ""),
        "real_name": str(user.get("real_name") or profile.get("real_name") or ""),
        "display_name": str(profile.get("display_name") or ""),
        "tz": user.get("tz") or None,
        # Slackbot (USLACKBOT) is a bot in every way but the flag.
        "is_bot": bool(user.get("is_bot") or user.get("is_app_user"))
        or user.get("id") == "USLACKBOT",
        "is_admin": bool(user.get("is_admin") or user.get("is_owner")),
        "deleted": bool(user.get("deleted")),
        "updated_at": now,
    }


def save_members(
    session: Session, team_id: str, users: Iterable[Mapping[str, Any]], now: datetime
) -> None:
    """Insert or refresh directory entries from Slack user objects (opt-outs and locks are kept).

    People whose data was erased stay erased: their entries are not filled in again.
    """
    rows = [member_row(team_id, user, now) for user in users if user.get("id")]
    forgotten = set(
        session.scalars(
            select(Member.user_id).where(
                Member.team_id == team_id,
                Member.user_id.in_([row["user_id"] for row in rows]),
                Member.forgotten_at.is_not(None),
            )
        )
    )
    rows = [row for row in rows if row["user_id"] not in forgotten]
    if not rows:
        return
    upsert(
        session,
        Member,
        rows,
        key=["team_id", "user_id"],
        update=_MEMBER_FIELDS,
    )


def get_member(session: Session, team_id: str, user_id: str) -> Member | None:
    """Return the cached profile of `user_id`, or None when the directory has never seen them."""
    return session.get(Member, (team_id, user_id))


# Built once: the ack path runs these on every command, and reuse skips the per-call construction.
_MEMBERS = select(Member).where(
    Member.team_id == bindparam("team_id"),
    Member.user_id.in_(bindparam("user_ids", expanding=True)),
)
_CHANNEL = select(Channel).where(
    Channel.team_id == bindparam("team_id"), Channel.channel_id == bindparam("channel_id")
)


def get_members(session: Session, team_id: str, user_ids: Iterable[str]) -> dict[str, Member]:
    """Return the cached profiles of those `user_ids` the directory has seen, in one query."""
    wanted = list(dict.fromkeys(user_ids))
    if not wanted:
        return {}
    found = session.scalars(_MEMBERS, {"team_id": team_id, "user_ids": wanted})
    return {member.user_id: member for member in found}


@dataclass(frozen=True)
class Person:
    """What the ack path's guards read of a directory entry: a plain row, not an ORM object."""

    user_id: str
    tz: str | None
    is_bot: bool
    deleted: bool
    kudos_locked: bool
    home_opened_at: datetime | None
    # Asked to be sent no more asks ("Stop these"); offering a topic again lifts it.
    nudges_opt_out: bool


# The columns `Person` is read from, in its fields' order.
PERSON_COLUMNS = (
    Member.user_id,
    Member.tz,
    Member.is_bot,
    Member.deleted,
    Member.kudos_locked,
    Member.home_opened_at,
    Member.nudges_opt_out,
)


@functools.cache
def _people_query(dialect: str) -> DirectStatement:
    """The columns of `Person` for the people bound to `user_ids`, as plain rows: loading whole
    `Member` objects was the costliest statement of a kudos (identity map, 15 columns, instance
    state for each person). The people are one parameter (`among`): an expanding `IN` list had
    SQLAlchemy render the statement's text again at every ack, and PostgreSQL parse it afresh.
    Run on the driver's cursor (`direct`): it runs on every kudos."""
    return DirectStatement(
        select(*PERSON_COLUMNS).where(
            Member.team_id == bindparam("team_id"), among(dialect, Member.user_id, "user_ids")
        )
    )


def people(session: Session, team_id: str, user_ids: Iterable[str]) -> dict[str, Person]:
    """Return the guards' facts about those `user_ids` the directory has seen, in one query."""
    wanted = list(dict.fromkeys(user_ids))
    if not wanted:
        return {}
    bind = core.connection(session)
    query = _people_query(bind.dialect.name)
    rows = query.rows(bind, {"team_id": team_id, "user_ids": wanted})
    return {row[0]: Person(*row) for row in rows}


def members_named(session: Session, team_id: str, names: Iterable[str]) -> dict[str, list[Member]]:
    """Return, for each lowercase `@name`, the members whose handle or display name it is.

    Active people win over deactivated ones of the same name; a name only a deactivated person
    holds still finds them, so the guards can say they left instead of "nobody by that name".
    """
    wanted = {name.lower() for name in names}
    if not wanted:
        return {}
    found: dict[str, list[Member]] = {name: [] for name in wanted}
    query = select(Member).where(
        Member.team_id == team_id,
        Member.forgotten_at.is_(None),
        or_(func.lower(Member.name).in_(wanted), func.lower(Member.display_name).in_(wanted)),
    )
    for member in session.scalars(query):
        for name in {member.name.lower(), member.display_name.lower()} & wanted:
            found[name].append(member)
    return {
        name: [m for m in members if not m.deleted] or members for name, members in found.items()
    }


def _channel_row(team_id: str, info: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Map Slack's conversation object to a `channels` row."""
    return {
        "team_id": team_id,
        "channel_id": str(info["id"]),
        "name": str(info.get("name") or ""),
        "is_private": bool(info.get("is_private") or info.get("is_im") or info.get("is_mpim")),
        "is_im": bool(info.get("is_im") or info.get("is_mpim")),
        "is_archived": bool(info.get("is_archived")),
        "bot_is_member": bool(info.get("is_member")),
        "updated_at": now,
    }


def save_channel(session: Session, team_id: str, info: Mapping[str, Any], now: datetime) -> Channel:
    """Insert or refresh a channel from Slack's conversation object."""
    row = _channel_row(team_id, info, now)
    upsert(
        session,
        Channel,
        [row],
        key=["team_id", "channel_id"],
        update=[k for k in row if k not in ("team_id", "channel_id")],
    )
    channel = session.get(Channel, (team_id, row["channel_id"]), populate_existing=True)
    assert channel is not None
    return channel


def get_channel(session: Session, team_id: str, channel_id: str) -> Channel | None:
    """Return the cached facts about `channel_id`, or None on a miss."""
    return session.scalars(_CHANNEL, {"team_id": team_id, "channel_id": channel_id}).first()


@dataclass(frozen=True)
class CachedChannel:
    """The channel cache's facts about a conversation, as a plain row (what the kudos ack and
    `cached_conversation` read)."""

    is_private: bool
    is_im: bool
    bot_is_member: bool
    updated_at: datetime

    def conversation(self, channel_id: str) -> Conversation:
        """Where something was typed, as these facts describe `channel_id`."""
        return Conversation(channel_id, self.is_private, self.is_im, self.bot_is_member)


# Read for most commands (where was it typed?): a plain row on the driver's cursor (`direct`)
# costs a fraction of loading the `Channel`, which only a miss or stale facts go on to need.
_CONVERSATION = DirectStatement(
    select(Channel.is_private, Channel.is_im, Channel.bot_is_member, Channel.updated_at).where(
        Channel.team_id == bindparam("team_id"), Channel.channel_id == bindparam("channel_id")
    )
)


def cached_conversation(session: Session, team_id: str, channel_id: str) -> CachedChannel | None:
    """Return the cache's facts about `channel_id` as a plain row, or None on a miss."""
    rows = _CONVERSATION.rows(
        core.connection(session), {"team_id": team_id, "channel_id": channel_id}
    )
    return CachedChannel(*rows[0]) if rows else None


def channel_is_stale(channel: Channel | CachedChannel, now: datetime) -> bool:
    """Whether `channel`'s facts were read from Slack `CHANNEL_TTL` or longer before `now`."""
    return now - channel.updated_at >= CHANNEL_TTL


def set_privacy(
    session: Session, team_id: str, channel_id: str, is_private: bool, now: datetime
) -> None:
    """Record that a channel became private (or public).

    Going private also marks what was said there before as private, so no digest or leaderboard
    quotes it from now on; going public does not expose what was said while it was private.
    The row's `updated_at` stays: it dates the last full read from Slack, and the event tells
    only one fact, so the others are still re-read when `CHANNEL_TTL` has passed (`now` is
    accepted for the callers' sake).
    """
    session.execute(
        update(Channel)
        .where(Channel.team_id == team_id, Channel.channel_id == channel_id)
        .values(is_private=is_private)
    )
    if not is_private:
        return
    for model in (Kudos, Ask):
        session.execute(
            update(model)
            .where(model.team_id == team_id, model.channel_id == channel_id)
            .values(channel_is_private=True)
        )
    session.execute(
        update(Ask)
        .where(Ask.team_id == team_id, Ask.origin_channel_id == channel_id)
        .values(channel_is_private=True)
    )


def set_bot_membership(
    session: Session,
    team_id: str,
    channel_id: str,
    now: datetime,
    is_member: bool,
    is_private: bool,
) -> None:
    """Record that the bot joined or left `channel_id` (a channel never seen is cached then)."""
    info = {"id": channel_id, "is_private": is_private, "is_member": is_member}
    upsert(
        session,
        Channel,
        [_channel_row(team_id, info, now)],
        key=["team_id", "channel_id"],
        # `updated_at` dates the last full read from Slack: one fact does not refresh the others.
        update=["bot_is_member"],
    )
