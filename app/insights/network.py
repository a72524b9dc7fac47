"""Who helped whom in a period: people as nodes, help and kudos as edges."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.insights.model import HelpNetwork, NetworkLink, NetworkPerson, Period
from app.store.models import Ask, AskHelper, Channel, Kudos, KudosRecipient, Member


def help_network(session: Session, team_id: str, start: datetime, end: datetime) -> HelpNetwork:
    """Return who helped whom in [start, end): a kudos means its recipient helped its giver,
    a credit on an ask means the helper helped the asker. Withdrawn kudos do not count."""
    kudos: Counter[tuple[str, str]] = Counter()
    answers: Counter[tuple[str, str]] = Counter()
    places: dict[str, Counter[str]] = defaultdict(Counter)

    thanked = session.execute(
        select(
            KudosRecipient.recipient_id, Kudos.giver_id, Kudos.channel_id, Kudos.channel_is_private
        )
        .join(Kudos, Kudos.id == KudosRecipient.kudos_id)
        .where(
            Kudos.team_id == team_id,
            Kudos.created_at >= start,
            Kudos.created_at < end,
            Kudos.undone_at.is_(None),
            Kudos.revoked_at.is_(None),
        )
    )
    for helper, helped, channel, private in thanked:
        if helper == helped:
            continue
        kudos[helper, helped] += 1
        if not private:
            places[helper][channel] += 1
            places[helped][channel] += 1

    credited = session.execute(
        select(AskHelper.helper_id, AskHelper.asker_id, Ask.channel_id, Ask.channel_is_private)
        .join(Ask, Ask.id == AskHelper.ask_id)
        .where(
            AskHelper.team_id == team_id,
            AskHelper.credited_at >= start,
            AskHelper.credited_at < end,
        )
    )
    for helper, helped, ask_channel, private in credited:
        if helper == helped:
            continue
        answers[helper, helped] += 1
        if not private and ask_channel:
            places[helper][ask_channel] += 1
            places[helped][ask_channel] += 1

    pairs = sorted(set(kudos) | set(answers))
    links = tuple(
        NetworkLink(helper, helped, kudos[helper, helped], answers[helper, helped])
        for helper, helped in pairs
    )
    breadth = Counter(helper for helper, _ in pairs)
    ids = sorted({person for pair in pairs for person in pair})
    names = _names(session, team_id, ids)
    channels = _channel_names(
        session, team_id, sorted({c for counts in places.values() for c in counts})
    )
    people = tuple(
        NetworkPerson(
            user_id=person,
            name=names.get(person),
            group=_group(places.get(person), channels),
            helped=breadth[person],
        )
        for person in ids
    )
    return HelpNetwork(Period(0, start, end), people, links)


def _names(session: Session, team_id: str, ids: list[str]) -> dict[str, str]:
    """Shown names of the named people among `ids`: deactivated and erased people have none."""
    rows = session.execute(
        select(Member.user_id, Member.display_name, Member.real_name, Member.name).where(
            Member.team_id == team_id,
            Member.user_id.in_(ids),
            Member.deleted.is_(False),
            Member.forgotten_at.is_(None),
        )
    )
    return {user: shown for user, *parts in rows if (shown := next((p for p in parts if p), ""))}


def _channel_names(session: Session, team_id: str, ids: list[str]) -> dict[str, str]:
    """Names of the public, named channels among `ids`."""
    rows = session.execute(
        select(Channel.channel_id, Channel.name).where(
            Channel.team_id == team_id,
            Channel.channel_id.in_(ids),
            Channel.is_private.is_(False),
            Channel.is_im.is_(False),
        )
    )
    return {channel: name for channel, name in rows if name}


def _group(counts: Counter[str] | None, channels: dict[str, str]) -> str | None:
    """The named public channel where most of a person's help happened (ties: by name)."""
    if not counts:
        return None
    named = [(-n, channels[c]) for c, n in counts.items() if c in channels]
    return min(named)[1] if named else None
