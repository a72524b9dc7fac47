"""The numbers behind `/kudos stats` and `/kudos top` (withdrawn kudos never count)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, distinct, func, select
from sqlalchemy.orm import Session

from app.store.models import Kudos, KudosRecipient, Member


@dataclass(frozen=True)
class PersonalStats:
    """A person's kudos given and received, this week and in all."""

    given_week: int
    given_all: int
    received_week: int
    received_all: int
    top_values: tuple[tuple[str, int], ...]


def personal(session: Session, team_id: str, user_id: str, week_start: datetime) -> PersonalStats:
    """Count what `user_id` gave and received, in all and since `week_start`."""
    live = and_(Kudos.team_id == team_id, Kudos.undone_at.is_(None))

    def given(since: datetime | None) -> int:
        query = select(func.count()).select_from(Kudos).where(live, Kudos.giver_id == user_id)
        if since is not None:
            query = query.where(Kudos.created_at >= since)
        return int(session.scalar(query) or 0)

    def received(since: datetime | None) -> int:
        query = (
            select(func.count())
            .select_from(KudosRecipient)
            .join(Kudos, Kudos.id == KudosRecipient.kudos_id)
            .where(live, KudosRecipient.team_id == team_id, KudosRecipient.recipient_id == user_id)
        )
        if since is not None:
            query = query.where(Kudos.created_at >= since)
        return int(session.scalar(query) or 0)

    values: Counter[str] = Counter()
    received_values = (
        select(Kudos.values)
        .join(KudosRecipient, KudosRecipient.kudos_id == Kudos.id)
        .where(live, KudosRecipient.recipient_id == user_id)
    )
    for tags in session.scalars(received_values):
        values.update(tags or [])
    return PersonalStats(
        given(week_start),
        given(None),
        received(week_start),
        received(None),
        tuple(values.most_common(3)),
    )


def leaderboard(
    session: Session, team_id: str, since: datetime, limit: int = 10
) -> list[tuple[str, int, int]]:
    """Rank people thanked since `since` by how many different people thanked them.

    Breadth, not volume: trading kudos back and forth gains nothing. Deactivated people, bots and
    those who opted out are left out; names are returned, never mentions.
    """
    givers = func.count(distinct(Kudos.giver_id))
    total = func.count()
    query = (
        select(Member.real_name, Member.name, givers, total)
        .select_from(KudosRecipient)
        .join(Kudos, Kudos.id == KudosRecipient.kudos_id)
        .join(
            Member,
            and_(
                Member.team_id == KudosRecipient.team_id,
                Member.user_id == KudosRecipient.recipient_id,
            ),
        )
        .where(
            KudosRecipient.team_id == team_id,
            Kudos.created_at >= since,
            Kudos.undone_at.is_(None),
            Member.deleted.is_(False),
            Member.is_bot.is_(False),
            Member.leaderboard_opt_out.is_(False),
        )
        .group_by(Member.user_id, Member.real_name, Member.name)
        .order_by(givers.desc(), total.desc(), Member.name)
        .limit(limit)
    )
    return [
        (real or name, int(people), int(count))
        for real, name, people, count in session.execute(query)
    ]
