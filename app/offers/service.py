"""Adding, listing and withdrawing offers, and finding who offered a topic."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.directory import home_tabs as home
from app.directory.service import people
from app.offers.topics import normalize, spellings
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
    # The directory's plain facts, not a whole member: they say whether there is a "Stop these"
    # to lift and a Home tab to refresh, so an offer writes the member only to lift one.
    found = people(session, team_id, [user_id])
    person = found.get(user_id)
    if person is not None and person.nudges_opt_out:
        # Offering again is an active choice to be asked: it lifts an earlier "Stop these".
        session.execute(
            update(Member)
            .where(Member.team_id == team_id, Member.user_id == user_id)
            .values(nudges_opt_out=False)
        )
    home.refresh(session, team_id, home.with_home(found, [user_id]), now)
    return names


def stop_matches(session: Session, team_id: str, user_id: str) -> str:
    """The person asked to be sent no more asks; return what they are told."""
    session.execute(
        update(Member)
        .where(Member.team_id == team_id, Member.user_id == user_id)
        .values(nudges_opt_out=True)
    )
    return (
        "Done: I won't send you asks any more. Your offers still show in `/offer who`; "
        "offer a topic again (`/offer topic`) whenever you'd like asks again."
    )


def mine(session: Session, team_id: str, user_id: str) -> list[Offer]:
    """Return a person's active offers, by topic."""
    return list(
        session.scalars(
            select(Offer)
            .where(Offer.team_id == team_id, Offer.user_id == user_id, Offer.active.is_(True))
            .order_by(Offer.topic)
        )
    )


def remove(session: Session, team_id: str, user_id: str, topic: str, now: datetime) -> str | None:
    """Withdraw one of a person's offers; return its topic, or None if they had not offered it."""
    name = normalize(topic)
    # An offer saved under an older spelling ("machine-learning") is the same offer.
    which = Offer.topic.in_(spellings(name))
    return name if _withdraw(session, team_id, user_id, which, now) else None


def remove_by_id(
    session: Session, team_id: str, user_id: str, offer_id: int, now: datetime
) -> str | None:
    """Withdraw the person's own offer `offer_id` (a Home tab button); return its topic or None."""
    offer = session.get(Offer, offer_id)
    if offer is None or offer.team_id != team_id or offer.user_id != user_id:
        return None
    return offer.topic if _withdraw(session, team_id, user_id, Offer.id == offer_id, now) else None


def _withdraw(
    session: Session, team_id: str, user_id: str, which: ColumnElement[bool], now: datetime
) -> bool:
    result = session.execute(
        update(Offer)
        .where(Offer.team_id == team_id, Offer.user_id == user_id, Offer.active.is_(True), which)
        .values(active=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    home.refresh(session, team_id, [user_id], now)
    return True


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
            Offer.topic.in_(spellings(name)),
            Offer.active.is_(True),
            (Member.deleted.is_(False)) | (Member.user_id.is_(None)),
        )
        .order_by(Offer.confirmed_at.desc())
    )
    return name, list(offers)
