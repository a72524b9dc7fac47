"""Taking a kudos back: undone by its giver, revoked by an admin, or its reaction removed.

Every copy Slack may show (the posts, the notes) is made to say so through the outbox; a copy
Slack cannot have yet is cancelled instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.delivery import followers, outbox
from app.delivery.sender import UNSURE
from app.directory import home_tabs as home
from app.kudos import blocks
from app.kudos.posting import note_key, post_key
from app.kudos.results import Withdrawn, WithdrawRefusal
from app.slackapi.outcomes import Done, Refusal
from app.slackapi.payloads import Click
from app.store.core import connection
from app.store.models import Kudos, Member, OutboxMessage
from app.store.statuses import UNDELIVERED, OutboxStatus

UNDO_WINDOW = timedelta(minutes=10)


def undo(
    session: Session, team_id: str, kudos_id: int, user_id: str, now: datetime
) -> Withdrawn | Refusal:
    """Let the giver take a kudos back within 10 minutes; return Withdrawn or why not."""
    kudos = session.get(Kudos, kudos_id)
    if kudos is None or kudos.team_id != team_id:
        return Refusal(WithdrawRefusal.GONE, "That kudos no longer exists.")
    if kudos.giver_id != user_id:
        return Refusal(WithdrawRefusal.NOT_GIVER, "Only the person who gave a kudos can undo it.")
    if kudos.undone_at is not None:
        return Refusal(WithdrawRefusal.ALREADY_WITHDRAWN, "That kudos was already withdrawn.")
    if now - kudos.created_at > UNDO_WINDOW:
        return Refusal(
            WithdrawRefusal.TOO_LATE,
            "Kudos can be undone for 10 minutes after giving them; this one is older.",
        )
    _withdraw(session, kudos, now, by=user_id, revoked=False)
    return Withdrawn(kudos.id, user_id)


def undo_clicked(session: Session, click: Click, now: datetime) -> Done:
    """The Undo button under a confirmation: undo the kudos it names, and answer by replacing
    that confirmation (through its `response_url`), so nothing else needs saying."""
    if click.number is None:
        return Done()
    outcome = undo(session, click.team_id, click.number, click.user_id, now)
    if isinstance(outcome, Withdrawn):
        text = f"Kudos #{outcome.kudos_id} is withdrawn; everywhere it went now says so."
    else:
        text = outcome.text
    if response_url := click.response_url:
        outbox.queue(
            session,
            team_id=click.team_id,
            method="response_url",
            args={
                "url": response_url,
                "payload": {"response_type": "ephemeral", "replace_original": True, "text": text},
            },
            dedupe_key=f"undo:{click.action_ts}:{response_url[-24:]}",
            now=now,
        )
    return Done()


def revoke(
    session: Session, team_id: str, kudos_id: int, admin: Member | None, now: datetime
) -> Withdrawn | Refusal:
    """Let a workspace admin withdraw any kudos; return Withdrawn or why not."""
    if admin is None or not admin.is_admin:
        return Refusal(WithdrawRefusal.NOT_ADMIN, "Only workspace admins can revoke kudos.")
    kudos = session.get(Kudos, kudos_id)
    if kudos is None or kudos.team_id != team_id:
        return Refusal(WithdrawRefusal.GONE, f"There is no kudos #{kudos_id} in this workspace.")
    if kudos.undone_at is not None:
        return Refusal(
            WithdrawRefusal.ALREADY_WITHDRAWN, f"Kudos #{kudos_id} was already withdrawn."
        )
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
                OutboxMessage.dedupe_key.startswith(note_key(kudos.id, ""), autoescape=True),
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
            # What follows it (an edit, a DM) goes now with what it sends instead, or fails.
            followers.wake(connection(session), [(kudos.team_id, key)], now)
            continue
        # Being sent, or waiting after an attempt that may have posted: should it post (again),
        # it posts the withdrawn text; whatever Slack already shows is edited once it is known.
        withdrawn = _withdrawn_args(kudos, method, args, revoked)
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, OutboxMessage.status != OutboxStatus.SENT)
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
            OutboxMessage.status == OutboxStatus.PENDING,
            or_(
                OutboxMessage.last_error.is_(None),
                OutboxMessage.last_error.not_like(f"{UNSURE}%"),
            ),
        )
        .values(status=OutboxStatus.CANCELLED, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    if cancelled.rowcount:  # type: ignore[attr-defined]
        return True
    status, posted_ts = session.execute(
        select(OutboxMessage.status, OutboxMessage.result_ts).where(OutboxMessage.id == row_id)
    ).one()
    return status in UNDELIVERED or (status == OutboxStatus.SENT and not posted_ts)


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
