"""The network page's tables: the strongest links and the bridges between groups (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice

from app.insights.model import HelpNetwork, NetworkLink
from app.site import formats

STRONGEST_SHOWN = 15


@dataclass(frozen=True)
class LinkRow:
    """A link as a table row: who helped whom, where each usually helps, and how often."""

    helper: str
    helper_group: str
    helped: str
    helped_group: str
    kudos: int
    answers: int


def link_rows(
    network: HelpNetwork,
    links: Iterable[NetworkLink],
    unranked: frozenset[str],
    limit: int | None = None,
) -> tuple[LinkRow, ...]:
    """Return the first `limit` (default: all) of `links` as rows, leaving out any that involves
    someone in `unranked` (people who opted out of leaderboards: an ordered table of pairs is a
    ranking)."""
    people = {p.user_id: p for p in network.people}

    def name(user_id: str) -> str:
        person = people.get(user_id)
        return formats.person(person.name if person else None)

    def group(user_id: str) -> str:
        person = people.get(user_id)
        shown = person.group if person else None
        return f"#{shown}" if shown else "—"

    shown = (
        link for link in links if link.helper_id not in unranked and link.helped_id not in unranked
    )
    return tuple(
        LinkRow(
            name(link.helper_id),
            group(link.helper_id),
            name(link.helped_id),
            group(link.helped_id),
            link.kudos,
            link.answers,
        )
        for link in islice(shown, limit)
    )


def strongest(
    network: HelpNetwork, unranked: frozenset[str], links: Iterable[NetworkLink] | None = None
) -> tuple[LinkRow, ...]:
    """Return the `STRONGEST_SHOWN` links (of `links`, by default all the network's) with the
    most kudos and answers together, strongest first."""
    ordered = sorted(
        network.links if links is None else links,
        key=lambda link: (-(link.kudos + link.answers), link.helper_id, link.helped_id),
    )
    return link_rows(network, ordered, unranked, STRONGEST_SHOWN)


def groups(network: HelpNetwork) -> tuple[tuple[str, int], ...]:
    """Return each group with how many people in the period belong to it, largest first."""
    sizes: dict[str, int] = {}
    for person in network.people:
        if person.group:
            sizes[person.group] = sizes.get(person.group, 0) + 1
    return tuple(sorted(sizes.items(), key=lambda item: (-item[1], item[0])))
