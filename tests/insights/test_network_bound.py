"""The help network cut to its broadest helpers: who is kept, which links, the period's totals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from app.insights.model import HelpNetwork
from app.insights.network import help_network
from app.store.db import SessionFactory, transaction
from tests.insights.rows import LAST_WEEK, NOW, THIS_WEEK, ask, kudos

DAY = timedelta(days=1)
# Breadth (different people helped), acts of help, as the rows below make them:
RANKING = [
    "UHIDE",  # 3 people, 4 acts: opted out of leaderboards, still in the network
    "UGONE",  # 3 people, 3 acts: deactivated, shown without a name
    "UBEN",  # 2 people, 2 acts (one an ask credit)
    "UCAT",  # 2 people, 2 acts: Ben's tie, after him by user id
    "UDAN",  # 1 person, 5 acts: breadth first, acts only break its ties
    "UANA",  # helped nobody: ranked by user id after every helper
    "UEVE",
]
LINKS = {
    ("UHIDE", "UANA"),
    ("UHIDE", "UBEN"),
    ("UHIDE", "UCAT"),
    ("UGONE", "UANA"),
    ("UGONE", "UBEN"),
    ("UGONE", "UDAN"),
    ("UBEN", "UANA"),
    ("UBEN", "UCAT"),
    ("UCAT", "UANA"),
    ("UCAT", "UDAN"),
    ("UDAN", "UEVE"),
}


def _helped(session: Session, helper: str, helped: str, times: int = 1) -> None:
    """`times` kudos from `helped` to `helper` in this week."""
    for _ in range(times):
        kudos(session, helped, [helper], THIS_WEEK + DAY)


@pytest.fixture
def helped(sessions: SessionFactory) -> SessionFactory:
    """The week of `RANKING` and `LINKS`, beside help that must not count."""
    with transaction(sessions) as session:
        _helped(session, "UHIDE", "UANA", 2)
        _helped(session, "UHIDE", "UBEN")
        _helped(session, "UHIDE", "UCAT")
        for person in ("UANA", "UBEN", "UDAN"):
            _helped(session, "UGONE", person)
        _helped(session, "UBEN", "UANA")
        ask(session, "UCAT", THIS_WEEK, answered=("UBEN", THIS_WEEK + DAY), credited=["UBEN"])
        kudos(session, "UANA", ["UCAT"], THIS_WEEK + DAY, channel="C2")
        _helped(session, "UCAT", "UDAN")
        _helped(session, "UDAN", "UEVE", 5)
        # Not in the week, withdrawn, or another workspace's: none of it counts.
        kudos(session, "UANA", ["UEVE", "UERASED"], LAST_WEEK)
        kudos(session, "UBEN", ["UEVE"], THIS_WEEK + DAY, undone=True)
        kudos(session, "UBEN", ["UEVE"], THIS_WEEK + DAY, team="T2")
        ask(session, "UANA", THIS_WEEK, credited=["UEVE"], credited_at=LAST_WEEK)
    return sessions


def _cut(sessions: SessionFactory, most: int | None) -> HelpNetwork:
    with sessions() as session:
        return help_network(session, "T1", THIS_WEEK, NOW, most=most)


@pytest.mark.parametrize("most", [0, 1, 2, 3, 4, 5, 6])
def test_the_cut_keeps_the_broadest_and_only_links_among_them(
    helped: SessionFactory, most: int
) -> None:
    network = _cut(helped, most)
    kept = set(RANKING[:most])
    assert [p.user_id for p in network.people] == sorted(kept)
    links = [(link.helper_id, link.helped_id) for link in network.links]
    assert links == sorted(pair for pair in LINKS if set(pair) <= kept)
    assert (network.people_total, network.links_total) == (len(RANKING), len(LINKS))


def test_the_cut_people_are_as_in_the_whole_network(helped: SessionFactory) -> None:
    whole = _cut(helped, None)
    cut = _cut(helped, 4)
    assert set(cut.people) <= set(whole.people)
    assert set(cut.links) <= set(whole.links)
    people = {p.user_id: p for p in cut.people}
    assert {u: p.helped for u, p in people.items()} == {
        "UHIDE": 3,
        "UGONE": 3,
        "UBEN": 2,
        "UCAT": 2,
    }
    # Privacy as in the whole network: the deactivated person unnamed, the opt-out named.
    assert people["UGONE"].name is None
    assert people["UHIDE"].name == "Hide"
    # Cat: three acts in #general, one in #design.
    assert people["UCAT"].group == "general"
    assert people["UBEN"].group == "general"
    counted = {(link.helper_id, link.helped_id): (link.kudos, link.answers) for link in cut.links}
    assert counted[("UBEN", "UCAT")] == (0, 1)
    assert counted[("UHIDE", "UBEN")] == (1, 0)
    assert all(type(n) is int for link in cut.links for n in (link.kudos, link.answers))


def test_room_for_everyone_is_the_whole_network(helped: SessionFactory) -> None:
    whole = _cut(helped, None)
    assert (whole.people_total, whole.links_total) == (len(RANKING), len(LINKS))
    for most in (len(RANKING), 1000):
        cut = _cut(helped, most)
        assert cut.people == whole.people
        assert cut.links == whole.links
        assert (cut.people_total, cut.links_total) == (len(RANKING), len(LINKS))


def test_an_empty_period_cut(sessions: SessionFactory) -> None:
    network = _cut(sessions, 120)
    assert (network.people, network.links) == ((), ())
    assert (network.people_total, network.links_total) == (0, 0)


def test_a_negative_bound_is_refused(sessions: SessionFactory) -> None:
    with pytest.raises(ValueError, match="most must be 0 or more"):
        _cut(sessions, -1)
