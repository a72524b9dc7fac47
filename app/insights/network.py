"""Who helped whom in a period: people as nodes, help and kudos as edges."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.insights.help_counts import help_counts
from app.insights.members import shown_names
from app.insights.model import HelpNetwork, NetworkLink, NetworkPerson, Period
from app.store.among import among
from app.store.models import Channel


def help_network(session: Session, team_id: str, start: datetime, end: datetime) -> HelpNetwork:
    """Return who helped whom in [start, end): a kudos means its recipient helped its giver,
    a credit on an ask means the helper helped the asker. Withdrawn kudos do not count."""
    counts = help_counts(session, team_id, start, end, places=True)
    kudos, answers = counts.kudos, counts.answers
    pairs = counts.pairs()
    links = tuple(
        NetworkLink(helper, helped, kudos[helper, helped], answers[helper, helped])
        for helper, helped in pairs
    )
    breadth = Counter(helper for helper, _ in pairs)
    ids = sorted({person for pair in pairs for person in pair})
    names = shown_names(session, team_id, ids)
    channels = _channel_names(session, team_id, {c for n in counts.places.values() for c in n})
    people = tuple(
        NetworkPerson(
            user_id=person,
            name=names.get(person),
            group=_group(counts.places.get(person), channels),
            helped=breadth[person],
        )
        for person in ids
    )
    return HelpNetwork(Period(0, start, end), people, links)


def _channel_names(session: Session, team_id: str, ids: set[str]) -> dict[str, str]:
    """Names of the public, named channels among `ids`."""
    if not ids:
        return {}
    dialect = session.get_bind().dialect.name
    rows = session.execute(
        select(Channel.channel_id, Channel.name).where(
            Channel.team_id == team_id,
            among(dialect, Channel.channel_id, "ids"),
            Channel.is_private.is_(False),
            Channel.is_im.is_(False),
        ),
        {"ids": ids},
    )
    return {channel: name for channel, name in rows if name}


def _group(counts: Counter[str] | None, channels: dict[str, str]) -> str | None:
    """The named public channel where most of a person's help happened (ties: by name)."""
    if not counts:
        return None
    named = [(-n, channels[c]) for c, n in counts.items() if c in channels]
    return min(named)[1] if named else None
