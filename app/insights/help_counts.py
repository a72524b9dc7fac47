"""Who helped whom in a time range, counted by the database: the figures network and people share.

A live kudos means its recipients helped its giver; a credit on an ask means the helper helped the
asker. Both are read through an indexed time range (kudos team_id, created_at; ask_helpers
team_id, credited_at) and grouped in the database, so Python sees one row per pair (and public
channel), not one per act.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from app.store.models import Ask, AskHelper, Kudos, KudosRecipient

Pair = tuple[str, str]


@dataclass
class HelpCounts:
    """Acts of help per (helper, helped) pair, and per person the public channels they were in."""

    kudos: Counter[Pair] = field(default_factory=Counter)
    answers: Counter[Pair] = field(default_factory=Counter)
    places: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def pairs(self) -> list[Pair]:
        """Every pair with at least one act, sorted."""
        return sorted(self.kudos.keys() | self.answers.keys())


def help_counts(
    session: Session, team_id: str, start: datetime, end: datetime, *, places: bool
) -> HelpCounts:
    """Count who helped whom in [start, end); with `places`, also where (public channels only).

    Withdrawn kudos (undone or revoked) and help to oneself do not count.
    """
    counts = HelpCounts()
    for rows, counter in (
        (_kudos_rows(session, team_id, start, end, places), counts.kudos),
        (_credit_rows(session, team_id, start, end, places), counts.answers),
    ):
        for helper, helped, channel, acts in rows:
            counter[helper, helped] += acts
            if channel:
                counts.places[helper][channel] += acts
                counts.places[helped][channel] += acts
    return counts


def _kudos_rows(
    session: Session, team_id: str, start: datetime, end: datetime, places: bool
) -> list[Any]:
    """(recipient, giver, public channel or None, kudos) of the live kudos in the range."""
    channel: Any = (
        case((Kudos.channel_is_private.is_(False), Kudos.channel_id)) if places else literal(None)
    )
    query = (
        select(KudosRecipient.recipient_id, Kudos.giver_id, channel, func.count())
        .join(KudosRecipient, KudosRecipient.kudos_id == Kudos.id)
        .where(
            Kudos.team_id == team_id,
            Kudos.created_at >= start,
            Kudos.created_at < end,
            Kudos.undone_at.is_(None),
            Kudos.revoked_at.is_(None),
            KudosRecipient.recipient_id != Kudos.giver_id,
        )
        .group_by(KudosRecipient.recipient_id, Kudos.giver_id, *([channel] if places else []))
    )
    return list(session.execute(query).all())


def _credit_rows(
    session: Session, team_id: str, start: datetime, end: datetime, places: bool
) -> list[Any]:
    """(helper, asker, public channel or None, credits) of the credit given in the range."""
    where = (
        AskHelper.team_id == team_id,
        AskHelper.credited_at >= start,
        AskHelper.credited_at < end,
        AskHelper.helper_id != AskHelper.asker_id,
    )
    if not places:
        query = (
            select(AskHelper.helper_id, AskHelper.asker_id, literal(None), func.count())
            .where(*where)
            .group_by(AskHelper.helper_id, AskHelper.asker_id)
        )
        return list(session.execute(query).all())
    channel = case((Ask.channel_is_private.is_(False), Ask.channel_id))
    query = (
        select(AskHelper.helper_id, AskHelper.asker_id, channel, func.count())
        .join(Ask, Ask.id == AskHelper.ask_id)
        .where(*where)
        .group_by(AskHelper.helper_id, AskHelper.asker_id, channel)
    )
    return list(session.execute(query).all())
