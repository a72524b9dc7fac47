"""Giving, undoing and revoking kudos: plain functions over a Session, no Slack in sight.

A kudos is stored with every recipient and the messages it owes (the recognition post, a note to
each recipient) in one transaction; a refused kudos stores nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from app.calendar import day_start, zone
from app.delivery import outbox
from app.delivery.joins import join_first
from app.delivery.privacy import unless_private
from app.delivery.sender import UNSURE
from app.home import refresh as home
from app.kudos import blocks
from app.slackapi.payloads import Conversation
from app.store.models import Kudos, KudosRecipient, Member, OutboxMessage, Workspace

UNDO_WINDOW = timedelta(minutes=10)

# Built once, on the tables rather than the classes: the ack path writes through Core (see
# `_record`), and a statement reused as it is skips SQLAlchemy's per-call construction.
_KUDOS = Kudos.metadata.tables[Kudos.__tablename__]
_INSERT_KUDOS = insert(_KUDOS).returning(_KUDOS.c.id)
_INSERT_RECIPIENTS = insert(Kudos.metadata.tables[KudosRecipient.__tablename__])
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


class Refusal(StrEnum):
    """Why a kudos was not given; each has a friendly explanation in `blocks.refusal_text`."""

    NO_RECIPIENT = "no_recipient"
    UNKNOWN_NAME = "unknown_name"
    AMBIGUOUS_NAME = "ambiguous_name"
    SELF = "self"
    BOT = "bot"
    DEACTIVATED = "deactivated"
    UNKNOWN_USER = "unknown_user"
    NO_MESSAGE = "no_message"
    TOO_LONG = "too_long"
    DAILY_LIMIT = "daily_limit"
    LOCKED = "locked"
    UNKNOWN_VALUE = "unknown_value"


@dataclass(frozen=True)
class KudosRequest:
    """A person's wish to thank others, already parsed out of Slack's payload."""

    team_id: str
    giver_id: str
    recipients: tuple[str, ...]
    message: str
    where: Conversation
    values: tuple[str, ...] = ()
    source: str = "command"
    response_url: str | None = None
    dedupe_key: str | None = None
    # Names that arrived as plain "@name" (an app installed without escaping), to resolve.
    plain_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Given:
    """The kudos was stored and its messages queued."""

    kudos_id: int
    recipients: tuple[str, ...]
    remaining_today: int
    duplicate: bool = False


@dataclass(frozen=True)
class Refused:
    """Nothing was stored; `reason` (and `subjects`, the people or values concerned) say why."""

    reason: Refusal
    remaining_today: int
    subjects: tuple[str, ...] = ()
    limit: int = 0
    allowed: tuple[str, ...] = field(default_factory=tuple)


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


@dataclass(frozen=True)
class Recorded:
    """A kudos as `give` stored it: what its post and notes are rendered from."""

    id: int
    team_id: str
    giver_id: str
    recipients: tuple[str, ...]
    channel_id: str
    channel_is_private: bool
    message: str
    values: tuple[str, ...]
    source: str


def give(session: Session, request: KudosRequest, now: datetime) -> Given | Refused:
    """Check every guard, then record the kudos and queue its post and notes; else store nothing."""
    rules = rules_of(session, request.team_id)
    giver = session.get(Member, (request.team_id, request.giver_id))
    remaining = remaining_today(session, rules, request.giver_id, giver, now)

    def refuse(reason: Refusal, *subjects: str, **extra: object) -> Refused:
        return Refused(reason, remaining, tuple(subjects), **extra)  # type: ignore[arg-type]

    if giver is not None and giver.kudos_locked:
        return refuse(Refusal.LOCKED)
    recipients = list(dict.fromkeys(request.recipients))
    if request.plain_names:
        resolved = _resolve_names(session, request.team_id, request.plain_names)
        if isinstance(resolved, Refused):
            return Refused(resolved.reason, remaining, resolved.subjects)
        recipients = list(dict.fromkeys([*recipients, *resolved]))
    if not recipients:
        return refuse(Refusal.NO_RECIPIENT)
    if request.giver_id in recipients:
        return refuse(Refusal.SELF)
    for user_id in recipients:
        member = session.get(Member, (request.team_id, user_id))
        if member is None:
            return refuse(Refusal.UNKNOWN_USER, user_id)
        if member.is_bot or user_id == rules.bot_user_id:
            return refuse(Refusal.BOT, user_id)
        if member.deleted:
            return refuse(Refusal.DEACTIVATED, user_id)
    message = request.message.strip()
    if not message:
        return refuse(Refusal.NO_MESSAGE)
    if len(message) > rules.max_length:
        return refuse(Refusal.TOO_LONG, limit=rules.max_length)
    values = tuple(dict.fromkeys(v.lower() for v in request.values))
    allowed = tuple(v.lower() for v in rules.values)
    unknown = [v for v in values if allowed and v not in allowed]
    if unknown:
        return refuse(Refusal.UNKNOWN_VALUE, *unknown, allowed=allowed)
    if len(recipients) > remaining:
        return refuse(Refusal.DAILY_LIMIT, limit=rules.daily_limit)
    if request.dedupe_key is not None:
        existing = session.scalar(
            select(Kudos).where(
                Kudos.team_id == request.team_id, Kudos.dedupe_key == request.dedupe_key
            )
        )
        if existing is not None:
            return Given(
                existing.id,
                tuple(r.recipient_id for r in existing.recipients),
                remaining,
                duplicate=True,
            )

    kudos = _record(session, request, tuple(recipients), message, values, now)
    _queue_messages(session, rules, kudos, request, now)
    home.refresh(session, request.team_id, [request.giver_id, *recipients], now)
    return Given(kudos.id, kudos.recipients, remaining - len(recipients))


def _record(
    session: Session,
    request: KudosRequest,
    recipients: tuple[str, ...],
    message: str,
    values: tuple[str, ...],
    now: datetime,
) -> Recorded:
    """Insert the kudos and a row per recipient; return what was stored.

    Core statements rather than the unit of work: this runs on every ack, the ORM objects would
    serve nothing after it, and flushing them cost more than all the kudos's other writes.
    """
    private = request.where.is_private or request.where.is_dm
    kudos_id: int = session.execute(
        _INSERT_KUDOS,
        {
            "team_id": request.team_id,
            "giver_id": request.giver_id,
            "channel_id": request.where.channel_id,
            "channel_is_private": private,
            "message": message,
            "values": list(values),
            "source": request.source,
            "created_at": now,
            "dedupe_key": request.dedupe_key,
        },
    ).scalar_one()
    session.execute(
        _INSERT_RECIPIENTS,
        [
            {
                "kudos_id": kudos_id,
                "team_id": request.team_id,
                "recipient_id": recipient,
                "giver_id": request.giver_id,
            }
            for recipient in recipients
        ],
    )
    return Recorded(
        id=kudos_id,
        team_id=request.team_id,
        giver_id=request.giver_id,
        recipients=recipients,
        channel_id=request.where.channel_id,
        channel_is_private=private,
        message=message,
        values=values,
        source=request.source,
    )


def remaining_today(
    session: Session, rules: Rules, giver_id: str, giver: Member | None, now: datetime
) -> int:
    """Return how many more people `giver_id` may thank today, counted in their own time zone."""
    since = day_start(now, zone(giver.tz if giver else None, rules.timezone))
    used = session.scalar(
        _USED_SINCE, {"team_id": rules.team_id, "giver_id": giver_id, "since": since}
    )
    return max(0, rules.daily_limit - int(used or 0))


def post_key(kudos_id: int) -> str:
    """The outbox dedupe key of a kudos's recognition post."""
    return f"kudos:{kudos_id}:post"


def _post_channels(rules: Rules, kudos: Recorded, where: Conversation) -> list[str]:
    # A reaction thanks quietly; a DM between two people is not ours to post in; private kudos
    # never go to a public channel.
    if kudos.source == "reaction":
        return []
    here = [] if where.is_dm else [kudos.channel_id]
    if kudos.channel_is_private or not rules.kudos_channel_id:
        return here
    elsewhere = [rules.kudos_channel_id] if rules.kudos_channel_id not in here else []
    if rules.reply_mode == "kudos_channel":
        return elsewhere or here
    if rules.reply_mode == "both":
        return here + elsewhere
    return here


def _cross_post_guard(kudos: Recorded, index: int, args: dict[str, Any]) -> dict[str, Any]:
    """Guard a post outside the conversation the kudos was given in against it turning private.

    Checked when sent, as `_post_channels` checks it when given: the first post falls back to the
    conversation itself, a second copy (the kudos channel, beside the original) is not sent.
    """
    if args["channel"] == kudos.channel_id:
        return args
    instead = {**args, "channel": kudos.channel_id} if index == 0 else None
    return unless_private(args, kudos.channel_id, instead)


def _queue_messages(
    session: Session, rules: Rules, kudos: Recorded, request: KudosRequest, now: datetime
) -> None:
    recipients = kudos.recipients
    post = blocks.recognition_post(
        kudos.giver_id, recipients, kudos.message, kudos.values, kudos.id
    )
    channels = _post_channels(rules, kudos, request.where)
    notice = outbox.Notice(
        user_id=kudos.giver_id,
        what="your kudos post",
        response_url=request.response_url,
    )
    entries = [
        outbox.entry(
            team_id=kudos.team_id,
            method="chat.postMessage",
            # Joined first, so reactions and replies to the post reach the bot (a private
            # channel cannot be joined: there the post needs the bot invited).
            args=_cross_post_guard(
                kudos, index, join_first({"channel": channel, **post, "unfurl_links": False})
            ),
            dedupe_key=post_key(kudos.id) if index == 0 else f"{post_key(kudos.id)}:{channel}",
            now=now,
            link=outbox.Link("kudos", kudos.id) if index == 0 else None,
            notice=notice,
        )
        for index, channel in enumerate(channels)
    ]
    unlinked = blocks.recipient_note(kudos.giver_id, kudos.message, kudos.source, link=None)
    note = (
        blocks.recipient_note(
            kudos.giver_id, kudos.message, kudos.source, link=outbox.AFTER_PERMALINK
        )
        if channels
        else unlinked
    )
    for recipient in recipients:
        entries.append(
            outbox.entry(
                team_id=kudos.team_id,
                method="dm",
                args={"user": recipient, **note, "unfurl_links": False},
                dedupe_key=f"kudos:{kudos.id}:note:{recipient}",
                now=now,
                # The note links to the post, so it waits for the post's ts; without the post it
                # still goes out, unlinked.
                after_key=post_key(kudos.id) if channels else None,
                after_failed_args={"user": recipient, **unlinked} if channels else None,
            )
        )
    outbox.queue_all(session, entries)


def _resolve_names(session: Session, team_id: str, names: Sequence[str]) -> list[str] | Refused:
    from app.directory.service import members_named

    found = members_named(session, team_id, names)
    resolved: list[str] = []
    for name in names:
        matches = found.get(name.lower(), [])
        if not matches:
            return Refused(Refusal.UNKNOWN_NAME, 0, (name,))
        if len({m.user_id for m in matches}) > 1:
            return Refused(Refusal.AMBIGUOUS_NAME, 0, (name,))
        resolved.append(matches[0].user_id)
    return resolved


@dataclass(frozen=True)
class Withdrawn:
    """A kudos was undone by its giver or revoked by an admin."""

    kudos_id: int
    by: str


def undo(
    session: Session, team_id: str, kudos_id: int, user_id: str, now: datetime
) -> Withdrawn | str:
    """Let the giver take a kudos back within 10 minutes; return Withdrawn or why not."""
    kudos = session.get(Kudos, kudos_id)
    if kudos is None or kudos.team_id != team_id:
        return "That kudos no longer exists."
    if kudos.giver_id != user_id:
        return "Only the person who gave a kudos can undo it."
    if kudos.undone_at is not None:
        return "That kudos was already withdrawn."
    if now - kudos.created_at > UNDO_WINDOW:
        return "Kudos can be undone for 10 minutes after giving them; this one is older."
    _withdraw(session, kudos, now, by=user_id, revoked=False)
    return Withdrawn(kudos.id, user_id)


def revoke(
    session: Session, team_id: str, kudos_id: int, admin: Member | None, now: datetime
) -> Withdrawn | str:
    """Let a workspace admin withdraw any kudos; return Withdrawn or why not."""
    if admin is None or not admin.is_admin:
        return "Only workspace admins can revoke kudos."
    kudos = session.get(Kudos, kudos_id)
    if kudos is None or kudos.team_id != team_id:
        return f"There is no kudos #{kudos_id} in this workspace."
    if kudos.undone_at is not None:
        return f"Kudos #{kudos_id} was already withdrawn."
    _withdraw(session, kudos, now, by=admin.user_id, revoked=True)
    return Withdrawn(kudos.id, admin.user_id)


def live_reaction_kudos(
    session: Session, team_id: str, reactor: str, identity: str
) -> Kudos | None:
    """Return the kudos `reactor`'s reaction `identity` (see `reactions.reaction_key`) gives now,
    if any."""
    return session.scalars(
        select(Kudos)
        .where(
            Kudos.team_id == team_id,
            # The giver narrows the search to one person's kudos (index team, giver, created).
            Kudos.giver_id == reactor,
            # One row per add: the identity alone (before adds were told apart) or with its ts.
            or_(
                Kudos.dedupe_key == identity,
                Kudos.dedupe_key.startswith(f"{identity}:", autoescape=True),
            ),
            Kudos.undone_at.is_(None),
        )
        .order_by(Kudos.id.desc())
        .limit(1)
    ).first()


def withdraw_reaction(
    session: Session, team_id: str, reactor: str, identity: str, now: datetime
) -> bool:
    """Withdraw the kudos a reaction gives, when the reaction is removed; return whether one was."""
    kudos = live_reaction_kudos(session, team_id, reactor, identity)
    if kudos is None:
        return False
    _withdraw(session, kudos, now, by=kudos.giver_id, revoked=False)
    return True


def _withdraw(session: Session, kudos: Kudos, now: datetime, *, by: str, revoked: bool) -> None:
    kudos.undone_at = now
    people = [kudos.giver_id, *(r.recipient_id for r in kudos.recipients)]
    home.refresh(session, kudos.team_id, people, now)
    if revoked:
        kudos.revoked_at = now
        kudos.revoked_by = by
    _withdraw_copies(session, kudos, now, revoked)


def _withdraw_copies(session: Session, kudos: Kudos, now: datetime, revoked: bool) -> None:
    """Make every copy of the kudos (posts, notes) say it was withdrawn, once, through the outbox;
    a copy Slack cannot have yet is cancelled instead."""
    copies = session.execute(
        select(
            OutboxMessage.id,
            OutboxMessage.dedupe_key,
            OutboxMessage.method,
            OutboxMessage.args,
            OutboxMessage.after_failed_args,
        ).where(
            OutboxMessage.team_id == kudos.team_id,
            OutboxMessage.method.in_(("chat.postMessage", "dm")),
            or_(
                OutboxMessage.dedupe_key == post_key(kudos.id),
                OutboxMessage.dedupe_key.startswith(f"{post_key(kudos.id)}:", autoescape=True),
                OutboxMessage.dedupe_key.startswith(f"kudos:{kudos.id}:note:", autoescape=True),
            ),
        )
    ).all()
    if not copies and kudos.post_ts:
        # The outbox forgets sent rows after a week; the kudos remembers where its post went.
        _queue_withdrawn(
            session, kudos, now, "chat.postMessage", post_key(kudos.id), revoked, kudos.post_ts
        )
    for row_id, key, method, args, failed_args in copies:
        if _cancel_unsent(session, row_id, now):
            continue
        # Being sent, or waiting after an attempt that may have posted: should it post (again),
        # it posts the withdrawn text; whatever Slack already shows is edited once it is known.
        withdrawn = _withdrawn_args(kudos, method, args, revoked)
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, OutboxMessage.status != "sent")
            .values(args=withdrawn, after_failed_args=withdrawn if failed_args else None)
            .execution_options(synchronize_session=False)
        )
        _queue_withdrawn(session, kudos, now, method, key, revoked)


def _cancel_unsent(session: Session, row_id: int, now: datetime) -> bool:
    """Cancel an outbox row Slack cannot have yet; return whether the message is settled.

    Settled: cancelled now, or never delivered (failed, cancelled, withheld for privacy). A row
    being sent, sent, or waiting after an attempt that may have posted is not: it gets an edit.
    The update only matches a row no worker holds: PostgreSQL re-reads it after a claim commits.
    """
    cancelled = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.status == "pending",
            or_(
                OutboxMessage.last_error.is_(None),
                OutboxMessage.last_error.not_like(f"{UNSURE}%"),
            ),
        )
        .values(status="cancelled", finished_at=now)
        .execution_options(synchronize_session=False)
    )
    if cancelled.rowcount:  # type: ignore[attr-defined]
        return True
    status, posted_ts = session.execute(
        select(OutboxMessage.status, OutboxMessage.result_ts).where(OutboxMessage.id == row_id)
    ).one()
    return status in ("failed", "cancelled") or (status == "sent" and not posted_ts)


def _withdrawn_args(
    kudos: Kudos, method: str, args: Mapping[str, Any], revoked: bool
) -> dict[str, Any]:
    """The arguments that post the withdrawn form of the copy `args` would have posted."""
    if method == "dm":
        return {
            "user": args.get("user"),
            **blocks.withdrawn_note(kudos.giver_id, kudos.id, revoked=revoked),
        }
    return {
        "channel": args.get("channel"),
        **blocks.withdrawn_post(kudos.id, revoked=revoked),
        "unfurl_links": False,
    }


def _queue_withdrawn(
    session: Session,
    kudos: Kudos,
    now: datetime,
    method: str,
    key: str,
    revoked: bool,
    known_ts: str | None = None,
) -> None:
    """Queue the edit that makes the copy posted under outbox `key` say the kudos is withdrawn."""
    if method == "dm":
        replacement = blocks.withdrawn_note(kudos.giver_id, kudos.id, revoked=revoked)
    else:
        replacement = blocks.withdrawn_post(kudos.id, revoked=revoked)
    where = (
        {"channel": kudos.post_channel_id, "ts": known_ts}
        if known_ts
        else {"channel": outbox.AFTER_CHANNEL, "ts": outbox.AFTER_TS}
    )
    outbox.queue(
        session,
        team_id=kudos.team_id,
        method="chat.update",
        args={**where, **replacement},
        dedupe_key=f"{key}:withdrawn",
        after_key=None if known_ts else key,
        now=now,
    )


def set_locked(session: Session, team_id: str, user_id: str, locked: bool) -> bool:
    """Lock or unlock a giver; return whether the person is in the directory."""
    result = session.execute(
        update(Member)
        .where(Member.team_id == team_id, Member.user_id == user_id)
        .values(kudos_locked=locked)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def set_leaderboard_opt_out(session: Session, team_id: str, user_id: str, opt_out: bool) -> bool:
    """Leave or rejoin leaderboards; return whether the person is in the directory."""
    result = session.execute(
        update(Member)
        .where(Member.team_id == team_id, Member.user_id == user_id)
        .values(leaderboard_opt_out=opt_out)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
