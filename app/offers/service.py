"""Adding, listing and withdrawing offers, and finding who offered a topic."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from app.offers.topics import normalize
from app.store.models import Member, Offer
from app.store.upsert import upsert


def add(
    session: Session,
    team_id: str,
    user_id: str,
    topics: Sequence[str],
    note: str,
    now: datetime,
) -> list[str]:
    """Offer help on `topics` (normalised; re-offering refreshes and reactivates); return them."""
    names = list(dict.fromkeys(t for t in (normalize(topic) for topic in topics) if t))
    rows = [
        {
            "team_id": team_id,
            "user_id": user_id,
            "topic": name,
            "note": note,
            "active": True,
            "created_at": now,
            "confirmed_at": now,
        }
        for name in names
    ]
    upsert(
        session,
        Offer,
        rows,
        key=["team_id", "user_id", "topic"],
        update=["note", "active", "confirmed_at"],
    )
    return names


def mine(session: Session, team_id: str, user_id: str) -> list[Offer]:
    """Return a person's active offers, by topic."""
    return list(
        session.scalars(
            select(Offer)
            .where(Offer.team_id == team_id, Offer.user_id == user_id, Offer.active.is_(True))
            .order_by(Offer.topic)
        )
    )


def remove(session: Session, team_id: str, user_id: str, topic: str) -> str | None:
    """Withdraw one of a person's offers; return its topic, or None if they had not offered it."""
    name = normalize(topic)
    result = session.execute(
        update(Offer)
        .where(
            Offer.team_id == team_id,
            Offer.user_id == user_id,
            Offer.topic == name,
            Offer.active.is_(True),
        )
        .values(active=False)
    )
    return name if result.rowcount else None  # type: ignore[attr-defined]


def who(session: Session, team_id: str, topic: str) -> tuple[str, list[Offer]]:
    """Return the topic's canonical name and the active offers on it by people still here."""
    name = normalize(topic)
    offers = session.scalars(
        select(Offer)
        .join(
            Member,
            and_(Member.team_id == Offer.team_id, Member.user_id == Offer.user_id),
            isouter=True,
        )
        .where(
            Offer.team_id == team_id,
            Offer.topic == name,
            Offer.active.is_(True),
            (Member.deleted.is_(False)) | (Member.user_id.is_(None)),
        )
        .order_by(Offer.confirmed_at.desc())
    )
    return name, list(offers)
