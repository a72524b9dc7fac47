"""A person's data in one workspace: everything exported as plain JSON, or erased.

Erasing removes what the person wrote (kudos they gave, their asks, replies, offers and the
introductions they made), their place in other people's records (kudos they received, credit,
matches, introductions and suggestions naming them: app/privacy/intros.py), and their profile;
the directory keeps only an empty entry marked forgotten, so a later sync cannot fill it in again.
Kudos left without anyone thanked are removed; asks they claimed or answered stay, unattributed.
Erasure is an explicit act (`reciprocity forget`): Slack deactivating someone erases nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.delivery import followers
from app.privacy.intros import export_intros, forget_intros
from app.store.core import connection
from app.store.models import (
    Ask,
    AskHelper,
    AskMatch,
    AskReply,
    Kudos,
    KudosRecipient,
    Member,
    Offer,
    OutboxMessage,
)
from app.store.statuses import OutboxStatus


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_person(session: Session, team_id: str, user_id: str) -> dict[str, Any]:
    """Everything stored about `user_id` in `team_id`, as JSON-ready data."""
    member = session.get(Member, (team_id, user_id))
    given = session.scalars(
        select(Kudos).where(Kudos.team_id == team_id, Kudos.giver_id == user_id).order_by(Kudos.id)
    ).all()
    received_ids = select(KudosRecipient.kudos_id).where(
        KudosRecipient.team_id == team_id, KudosRecipient.recipient_id == user_id
    )
    received = session.scalars(select(Kudos).where(Kudos.id.in_(received_ids)).order_by(Kudos.id))
    asks = session.scalars(
        select(Ask).where(Ask.team_id == team_id, Ask.asker_id == user_id).order_by(Ask.id)
    ).all()
    return {
        "team_id": team_id,
        "user_id": user_id,
        "profile": None
        if member is None
        else {
            "name": member.name,
            "real_name": member.real_name,
            "display_name": member.display_name,
            "time_zone": member.tz,
            "leaderboard_opt_out": member.leaderboard_opt_out,
            "nudges_opt_out": member.nudges_opt_out,
            "kudos_locked": member.kudos_locked,
            "home_opened_at": _when(member.home_opened_at),
            "forgotten_at": _when(member.forgotten_at),
        },
        "kudos_given": [_kudos(k) for k in given],
        "kudos_received": [_kudos(k) for k in received],
        "asks": [
            {
                "id": a.id,
                "text": a.text,
                "topics": a.topics,
                "status": a.status,
                "private": a.channel_is_private,
                "created_at": _when(a.created_at),
                "credited": [h.helper_id for h in a.helpers],
            }
            for a in asks
        ],
        "replies_in_ask_threads": [
            {
                "ask_id": r.ask_id,
                "ts": r.ts,
                "at": _when(r.created_at),
                "deleted": bool(r.deleted_at),
            }
            for r in session.scalars(
                select(AskReply).where(AskReply.team_id == team_id, AskReply.user_id == user_id)
            )
        ],
        "credited_for_helping": [
            {"ask_id": h.ask_id, "at": _when(h.credited_at)}
            for h in session.scalars(
                select(AskHelper).where(
                    AskHelper.team_id == team_id, AskHelper.helper_id == user_id
                )
            )
        ],
        "told_about_asks": [
            {"ask_id": m.ask_id, "at": _when(m.matched_at)}
            for m in session.scalars(
                select(AskMatch).where(AskMatch.team_id == team_id, AskMatch.user_id == user_id)
            )
        ],
        "offers": [
            {"topic": o.topic, "note": o.note, "active": o.active, "since": _when(o.created_at)}
            for o in session.scalars(
                select(Offer).where(Offer.team_id == team_id, Offer.user_id == user_id)
            )
        ],
        **export_intros(session, team_id, user_id),
    }


def _kudos(kudos: Kudos) -> dict[str, Any]:
    return {
        "id": kudos.id,
        "from": kudos.giver_id,
        "to": [r.recipient_id for r in kudos.recipients],
        "message": kudos.message,
        "values": kudos.values,
        "private": kudos.channel_is_private,
        "at": _when(kudos.created_at),
        "withdrawn": kudos.undone_at is not None,
    }


@dataclass
class Forgotten:
    """How many records an erasure removed or changed, by kind."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, rows: int) -> None:
        """Count `rows` more of `kind`."""
        self.counts[kind] = self.counts.get(kind, 0) + rows


def forget_person(session: Session, team_id: str, user_id: str, now: datetime) -> Forgotten:
    """Erase `user_id`'s data in `team_id`; safe to run again (the second run changes nothing)."""
    done = Forgotten()

    def run(kind: str, statement: Any) -> None:
        done.add(kind, int(session.execute(statement).rowcount or 0))  # type: ignore[attr-defined]

    run("kudos given", delete(Kudos).where(Kudos.team_id == team_id, Kudos.giver_id == user_id))
    run(
        "kudos received",
        delete(KudosRecipient).where(
            KudosRecipient.team_id == team_id, KudosRecipient.recipient_id == user_id
        ),
    )
    thanked = select(KudosRecipient.kudos_id)
    run(
        "kudos left thanking nobody",
        delete(Kudos).where(Kudos.team_id == team_id, Kudos.id.not_in(thanked)),
    )
    run("asks", delete(Ask).where(Ask.team_id == team_id, Ask.asker_id == user_id))
    run("replies", delete(AskReply).where(AskReply.team_id == team_id, AskReply.user_id == user_id))
    run(
        "credits",
        delete(AskHelper).where(AskHelper.team_id == team_id, AskHelper.helper_id == user_id),
    )
    run("matches", delete(AskMatch).where(AskMatch.team_id == team_id, AskMatch.user_id == user_id))
    run("offers", delete(Offer).where(Offer.team_id == team_id, Offer.user_id == user_id))
    run(
        "asks claimed",
        update(Ask)
        .where(Ask.team_id == team_id, Ask.claimed_by == user_id)
        .values(claimed_by=None),
    )
    run(
        "asks answered",
        update(Ask)
        .where(Ask.team_id == team_id, Ask.answered_by == user_id)
        .values(answered_by=None),
    )
    for kind, rows in forget_intros(session, team_id, user_id, now).items():
        done.add(kind, rows)
    done.add("queued messages cancelled", cancel_messages_to(session, team_id, user_id, now))
    member = session.get(Member, (team_id, user_id))
    if member is not None and member.forgotten_at is None:
        member.name = member.real_name = member.display_name = ""
        member.tz = None
        member.leaderboard_opt_out = member.nudges_opt_out = True
        member.home_opened_at = None
        member.forgotten_at = now
        done.add("profile", 1)
    return done


def cancel_messages_to(session: Session, team_id: str, user_id: str, now: datetime) -> int:
    """Cancel the DMs, ephemeral messages and Home tabs still queued for `user_id`; count them.

    After an erasure they would carry what was erased; after a deactivation Slack would refuse
    them. Safe to run again: only pending rows change.
    """
    pending = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.team_id == team_id, OutboxMessage.status == OutboxStatus.PENDING
        )
    )
    cancelled = 0
    settled: set[tuple[str, str]] = set()
    for row in pending:
        if user_id in (row.args.get("user"), row.args.get("user_id")):
            row.status = OutboxStatus.CANCELLED
            row.finished_at = now
            settled |= followers.settled_keys(row.team_id, row.dedupe_key, row.after_key)
            cancelled += 1
    # What followed a cancelled message goes now, with what it sends instead, or fails.
    followers.wake(connection(session), settled, now)
    return cancelled
