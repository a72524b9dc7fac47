"""Who helped whom in a period: people as nodes, help and kudos as edges."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from operator import itemgetter

from sqlalchemy.orm import Session

from app.insights.help_counts import read_broadest, read_groups, read_pairs
from app.insights.members import shown_names
from app.insights.model import HelpNetwork, NetworkLink, NetworkPerson, Period
from app.insights.planner import index_reads


def help_network(
    session: Session, team_id: str, start: datetime, end: datetime, *, most: int | None = None
) -> HelpNetwork:
    """Return who helped whom in [start, end): a kudos means its recipient helped its giver,
    a credit on an ask means the helper helped the asker. Withdrawn kudos do not count. With
    `most`, only the `most` people who helped the most different people (then the most acts,
    then by user id) and the links among them; the totals always count the whole period."""
    if most is not None and most < 0:
        raise ValueError(f"most must be 0 or more, not {most}")
    with index_reads(session):
        if most is not None:
            return _broadest(session, team_id, Period(0, start, end), most)
        connection = session.connection()
        pairs = read_pairs(connection, team_id, start, end)
        links = tuple(NetworkLink(*pair) for pair in pairs)
        # A year of a busy workspace has hundreds of thousands of pairs: counted in C (map).
        breadth = Counter(map(itemgetter(0), pairs))
        ids = sorted(breadth.keys() | set(map(itemgetter(1), pairs)))
        names = shown_names(session, team_id, ids)
        groups = read_groups(connection, team_id, start, end) if ids else {}
        people = tuple(
            NetworkPerson(person, names.get(person), groups.get(person), breadth[person])
            for person in ids
        )
        return HelpNetwork(Period(0, start, end), people, links, len(people), len(links))


def _broadest(session: Session, team_id: str, period: Period, most: int) -> HelpNetwork:
    """The network cut in the database to its `most` broadest helpers, ordered by user id."""
    connection = session.connection()
    top = read_broadest(connection, team_id, period.start, period.end, most)
    ids = sorted(person for person, _, _ in top.people)
    # The pairs among so few people are found by seeking each one's index, not by the period.
    pairs = read_pairs(connection, team_id, period.start, period.end, ids) if ids else []
    names = shown_names(session, team_id, ids)
    groups = read_groups(connection, team_id, period.start, period.end, ids) if ids else {}
    breadth = {person: helped for person, helped, _ in top.people}
    people = tuple(
        NetworkPerson(person, names.get(person), groups.get(person), breadth[person])
        for person in ids
    )
    links = tuple(NetworkLink(*pair) for pair in pairs)
    return HelpNetwork(period, people, links, top.people_total, top.links_total)
