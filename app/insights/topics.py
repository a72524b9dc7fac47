"""The topics page: per topic, asks that named it in the period against the people offering it now.

Topics are compared in their normal form (`app.offers.topics.normalize`), as matching does, so an
ask tagged "k8s" and an offer of "Kubernetes" meet; an ask naming two spellings of one topic counts
once for it.

Asks from private channels and DMs are counted, never quoted, and their topics are no exception
where the topic is already known in the open: offered by someone, or named by a public ask in the
period. A topic that only private asks name is left out, because an ask's topics can be words of
its text (`app.asks.topics` falls back to them when an ask names no known topic), and such a topic
would quote a private message.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.insights.members import shown_names
from app.insights.model import Period, TopicRow, Topics
from app.insights.planner import index_reads
from app.offers.topics import normalize
from app.store.models import Ask, Offer
from app.store.statuses import AskStatus


def topics(session: Session, team_id: str, period: Period) -> Topics:
    """Return each topic's asks and answers in the period and its named offerers now: gaps
    first (asked, offered by nobody), then by asks (most first), then by name; offered-only
    topics last."""
    with index_reads(session):
        asked: dict[bool, Counter[str]] = {False: Counter(), True: Counter()}
        answered: dict[bool, Counter[str]] = {False: Counter(), True: Counter()}
        query = select(Ask.topics, Ask.answered_at.is_not(None), Ask.channel_is_private).where(
            Ask.team_id == team_id,
            Ask.created_at >= period.start,
            Ask.created_at < period.end,
            Ask.status != AskStatus.DISCARDED,
        )
        for named, was_answered, private in session.connection().execute(query):
            found = _normal(named or ())
            asked[bool(private)].update(found)
            if was_answered:
                answered[bool(private)].update(found)
        offerers = _offerers(session, team_id)
        known = asked[False].keys() | offerers.keys()
        rows = [
            TopicRow(
                topic=topic,
                asked=asked[False][topic] + asked[True][topic],
                answered=answered[False][topic] + answered[True][topic],
                offered_by=offerers.get(topic, ()),
            )
            for topic in known
        ]
        # An offer whose every offerer is deactivated names nobody: without asks it says nothing.
        rows = [row for row in rows if row.asked or row.offered_by]
        return Topics(period, tuple(sorted(rows, key=_order)))


def _normal(named: Iterable[str]) -> set[str]:
    """The distinct normal forms of an ask's topics, empty ones dropped."""
    return {topic for raw in named if (topic := normalize(str(raw)))}


def _offerers(session: Session, team_id: str) -> dict[str, tuple[str, ...]]:
    """Each topic offered now (active offers), with the sorted names of its named offerers.

    Offers are read whole for the workspace (index: team_id, topic): the page shows who offers
    what now, whenever they offered it, and a workspace has a few offers per person.
    """
    query = select(Offer.user_id, Offer.topic).where(
        Offer.team_id == team_id, Offer.active.is_(True)
    )
    people: defaultdict[str, set[str]] = defaultdict(set)
    for user, raw in session.connection().execute(query):
        if topic := normalize(raw):
            people[topic].add(user)
    names = shown_names(session, team_id, {u for users in people.values() for u in users})
    return {
        topic: tuple(sorted((names[u] for u in users if u in names), key=_by_name))
        for topic, users in people.items()
    }


def _by_name(name: str) -> tuple[str, str]:
    """Names in the order a reader expects: letters regardless of case, then exactly."""
    return name.casefold(), name


def _order(row: TopicRow) -> tuple[int, int, str]:
    """Gaps, then asked topics, then offered-only ones; most asked first; then by name."""
    rank = 0 if row.asked and not row.offered_by else 1 if row.asked else 2
    return rank, -row.asked, row.topic
