"""Who helped whom in a period: people as nodes, help and kudos as edges."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from operator import itemgetter

from sqlalchemy.orm import Session

from app.insights.help_counts import read_groups, read_pairs
from app.insights.members import shown_names
from app.insights.model import HelpNetwork, NetworkLink, NetworkPerson, Period
from app.insights.planner import index_reads


def help_network(session: Session, team_id: str, start: datetime, end: datetime) -> HelpNetwork:
    """Return who helped whom in [start, end): a kudos means its recipient helped its giver,
    a credit on an ask means the helper helped the asker. Withdrawn kudos do not count."""
    with index_reads(session):
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
        return HelpNetwork(Period(0, start, end), people, links)
