"""Where the help-network picture puts each person, which people it draws, and which links are
bridges between groups that rarely meet.

All geometry is networkx's: one spring layout, seeded, over the people plus one hidden hub per
group that its members are tied to, so a group's people settle together and groups that help
each other settle near each other. The same network always gets the same positions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import networkx as nx

from app.insights.model import HelpNetwork, NetworkLink, NetworkPerson

Position = tuple[float, float]

# The layout's fixed seed: the same network is drawn the same way every time.
SEED = 20
# Cross-group links at or below this many (between one pair of groups) mark the groups as
# rarely meeting, and those links as bridges.
RARE_GROUP_LINKS = 2
# How strongly a person is pulled to their group's hub, against one unit of help between people:
# strong enough that groups read as clusters, weak enough that help still shapes them.
_HUB_PULL = 1.5
# Every hub, and every person without a group, is tied loosely to one hidden centre: without it,
# parts of the network that never help each other drift to the edges and crush the rest together.
_CENTRE_PULL = 0.3
_CENTRE = "centre "
_ITERATIONS = 120


def link_weight(link: NetworkLink) -> int:
    """Return how much help one link carries: its kudos plus its credited answers."""
    return link.kudos + link.answers


def busiest(network: HelpNetwork, limit: int) -> HelpNetwork:
    """Return `network` cut to its `limit` broadest people (most people helped, then most help
    given or received, then user id) and the links between them; unchanged when it fits."""
    if len(network.people) <= limit:
        return network
    volume: Counter[str] = Counter()
    for link in network.links:
        volume[link.helper_id] += link_weight(link)
        volume[link.helped_id] += link_weight(link)
    ranked = sorted(network.people, key=lambda p: (-p.helped, -volume[p.user_id], p.user_id))
    kept = {person.user_id for person in ranked[:limit]}
    return HelpNetwork(
        period=network.period,
        people=tuple(p for p in network.people if p.user_id in kept),
        links=tuple(
            link for link in network.links if link.helper_id in kept and link.helped_id in kept
        ),
    )


def positions(network: HelpNetwork) -> dict[str, Position]:
    """Return each person's position (by user id) in the square [-1, 1]², deterministically."""
    people = sorted(network.people, key=lambda p: p.user_id)
    if not people:
        return {}
    if len(people) == 1:
        return {people[0].user_id: (0.0, 0.0)}
    graph: nx.Graph[str] = nx.Graph()
    graph.add_nodes_from(p.user_id for p in people)
    for (a, b), weight in sorted(_undirected_weights(network.links).items()):
        graph.add_edge(a, b, weight=float(weight))
    for person in people:
        if person.group is None:
            graph.add_edge(person.user_id, _CENTRE, weight=_CENTRE_PULL)
        else:
            graph.add_edge(person.user_id, _hub(person.group), weight=_HUB_PULL)
    for hub in sorted({_hub(p.group) for p in people if p.group is not None}):
        graph.add_edge(hub, _CENTRE, weight=_CENTRE_PULL)
    spread = nx.spring_layout(graph, seed=SEED, iterations=_ITERATIONS, weight="weight")
    # Without the hidden hubs the people may not reach the edges: rescale them to fill the square.
    fitted = nx.rescale_layout_dict({p.user_id: spread[p.user_id] for p in people}, scale=1.0)
    return {user: (float(x), float(y)) for user, (x, y) in sorted(fitted.items())}


def bridges(network: HelpNetwork) -> tuple[NetworkLink, ...]:
    """Return the links between groups that rarely meet, in the network's link order.

    A link is a bridge when its two people are in different known groups and either those two
    groups are joined by at most `RARE_GROUP_LINKS` pairs of people in the period, or the link is
    the only way between two parts of the network (networkx.bridges on the undirected graph).
    """
    groups = _group_of(network.people)
    pairs = _undirected_weights(network.links)
    between = Counter(
        joined for a, b in pairs if (joined := _group_pair(groups[a], groups[b])) is not None
    )
    if not between:
        return ()
    graph: nx.Graph[str] = nx.Graph()
    graph.add_edges_from(sorted(pairs))
    only_way = {frozenset(edge) for edge in nx.bridges(graph)}

    def is_bridge(link: NetworkLink) -> bool:
        joined = _group_pair(groups[link.helper_id], groups[link.helped_id])
        if joined is None:
            return False
        ends = frozenset((link.helper_id, link.helped_id))
        return between[joined] <= RARE_GROUP_LINKS or ends in only_way

    return tuple(link for link in network.links if is_bridge(link))


def _undirected_weights(links: Iterable[NetworkLink]) -> dict[tuple[str, str], int]:
    """Help between each pair of people, both directions summed, keyed by the pair in order."""
    weights: Counter[tuple[str, str]] = Counter()
    for link in links:
        a, b = sorted((link.helper_id, link.helped_id))
        weights[a, b] += link_weight(link)
    return dict(weights)


def _group_of(people: Iterable[NetworkPerson]) -> dict[str, str | None]:
    return {person.user_id: person.group for person in people}


def _group_pair(a: str | None, b: str | None) -> frozenset[str] | None:
    """The two groups a link joins, or None when it stays in one group or an end has none."""
    if a is None or b is None or a == b:
        return None
    return frozenset((a, b))


def _hub(group: str) -> str:
    # A user id never contains a space, so a hub's node name never meets a person's.
    return f"group {group}"
