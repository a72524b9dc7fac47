"""The check that offers still stand: every so often each person is asked, once, whether what
they offered is still right; "Keep them" confirms, "Remove them" withdraws (their own only)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.asks.access import still_here
from app.delivery import outbox
from app.nudges import blocks
from app.offers import service as offers
from app.offers.topics import normalize, spellings
from app.slackapi.outcomes import Reply
from app.slackapi.payloads import Click
from app.store.models import Offer, Workspace


def check_offers(session: Session, now: datetime, team_id: str | None = None) -> int:
    """Ask each person whose offers are due for confirmation whether they still stand; count DMs."""
    workspaces = select(Workspace).where(Workspace.active.is_(True))
    if team_id is not None:
        workspaces = workspaces.where(Workspace.team_id == team_id)
    sent = 0
    for workspace in session.scalars(workspaces).all():
        cutoff = now - timedelta(days=workspace.offer_confirm_days)
        rows = session.scalars(
            select(Offer)
            .where(
                Offer.team_id == workspace.team_id,
                Offer.active.is_(True),
                Offer.confirmed_at < cutoff,
                Offer.confirm_asked_at.is_(None),
            )
            .order_by(Offer.user_id, Offer.topic)
        ).all()
        if not rows:
            continue
        by_person: dict[str, list[Offer]] = {}
        for offer in rows:
            by_person.setdefault(offer.user_id, []).append(offer)
        # Asked once they are back: a deactivated person's offers stay as they are meanwhile.
        here = still_here(session, workspace.team_id, list(by_person))
        entries = []
        for user_id in here:
            mine = by_person[user_id]
            for offer in mine:
                offer.confirm_asked_at = now
            entries.append(
                outbox.entry(
                    team_id=workspace.team_id,
                    method="dm",
                    args={
                        "user": user_id,
                        **blocks.offers_check([o.topic for o in mine], workspace.offer_grace_days),
                    },
                    dedupe_key=f"offers:check:{user_id}:{now.date().isoformat()}",
                    now=now,
                )
            )
        outbox.queue_all(session, entries)
        sent += len(entries)
    return sent


def _topics(click: Click) -> list[str]:
    """The topics a check's button names (the value only names them: whose is the clicker's)."""
    return click.value.split(",")


def keep_offers(session: Session, click: Click, now: datetime) -> Reply:
    """ "Keep them": the clicker's offers the check named are confirmed."""
    topics = _topics(click)
    names = [normalize(t) for t in topics if t.strip()]
    # Offers saved before the topic normal form changed are kept under their older spelling.
    stored = {spelled for name in names for spelled in spellings(name)} | set(topics)
    session.execute(
        update(Offer)
        .where(
            Offer.team_id == click.team_id,
            Offer.user_id == click.user_id,
            Offer.topic.in_(stored),
            Offer.active.is_(True),
        )
        .values(confirmed_at=now, confirm_asked_at=None)
    )
    return Reply("Thanks! Your offers stand; asks on them will keep finding you.")


def drop_offers(session: Session, click: Click, now: datetime) -> Reply:
    """ "Remove them": the clicker's offers the check named are withdrawn."""
    names = [normalize(t) for t in _topics(click) if t.strip()]
    removed = [t for t in names if offers.remove(session, click.team_id, click.user_id, t, now)]
    return Reply(
        f"Removed {len(removed)} offer{'s' if len(removed) != 1 else ''}. Thanks for saying."
    )
