"""Who helped whom: kudos and credit as links, names and groups as privacy allows."""

from __future__ import annotations

from datetime import timedelta

from app.insights.model import NetworkLink
from app.insights.network import help_network
from app.store.db import SessionFactory, transaction
from tests.insights.rows import LAST_WEEK, NOW, THIS_WEEK, ask, kudos

DAY = timedelta(days=1)


def test_links_people_and_breadth(sessions: SessionFactory) -> None:
    with transaction(sessions) as session:
        kudos(session, "UANA", ["UBEN", "UCAT"], THIS_WEEK + DAY)
        kudos(session, "UANA", ["UBEN"], THIS_WEEK + DAY, channel="C2")
        kudos(session, "UDAN", ["UBEN"], THIS_WEEK + DAY, channel="C2")
        kudos(session, "UANA", ["UANA"], THIS_WEEK + DAY)  # oneself: no help
        kudos(session, "UANA", ["UEVE"], THIS_WEEK + DAY, undone=True)
        kudos(session, "UANA", ["UEVE"], THIS_WEEK + DAY, revoked=True)
        kudos(session, "UANA", ["UEVE"], LAST_WEEK)  # before the period
        kudos(session, "UANA", ["UEVE"], THIS_WEEK + DAY, team="T2")
        ask(session, "UANA", THIS_WEEK, answered=("UCAT", THIS_WEEK + DAY), credited=["UCAT"])
        ask(session, "UEVE", THIS_WEEK, credited=["UCAT"], credited_at=THIS_WEEK + DAY)
        ask(session, "UANA", THIS_WEEK, credited=["UEVE"], credited_at=LAST_WEEK, team="T2")
    with sessions() as session:
        network = help_network(session, "T1", THIS_WEEK, NOW)
    assert network.links == (
        NetworkLink("UBEN", "UANA", kudos=2, answers=0),
        NetworkLink("UBEN", "UDAN", kudos=1, answers=0),
        NetworkLink("UCAT", "UANA", kudos=1, answers=1),
        NetworkLink("UCAT", "UEVE", kudos=0, answers=1),
    )
    # Counted by the database, still plain integers (not PostgreSQL's numeric) for the drawing.
    assert all(type(n) is int for link in network.links for n in (link.kudos, link.answers))
    people = {p.user_id: p for p in network.people}
    assert sorted(people) == ["UANA", "UBEN", "UCAT", "UDAN", "UEVE"]
    assert {u: p.helped for u, p in people.items()} == {
        "UANA": 0,
        "UBEN": 2,
        "UCAT": 2,
        "UDAN": 0,
        "UEVE": 0,
    }
    assert people["UBEN"].name == "Ben"
    # Ben: twice in #design, once in #general (Ana's first kudos, counted for each recipient).
    assert people["UBEN"].group == "design"
    assert people["UANA"].group == "general"
    # Dan: once in #design only.
    assert people["UDAN"].group == "design"
    assert people["UCAT"].group == "general"


def test_former_members_have_no_name_and_private_places_no_group(
    sessions: SessionFactory,
) -> None:
    with transaction(sessions) as session:
        kudos(session, "UANA", ["UGONE"], THIS_WEEK + DAY, channel="G1", private=True)
        kudos(session, "UERASED", ["UANA"], THIS_WEEK + DAY, channel="D1", private=True)
        ask(session, "UGONE", THIS_WEEK, private=True, credited=["UANA"])
    with sessions() as session:
        network = help_network(session, "T1", THIS_WEEK, NOW)
    people = {p.user_id: p for p in network.people}
    assert people["UGONE"].name is None
    assert people["UERASED"].name is None
    assert people["UANA"].name == "Ana"
    assert all(p.group is None for p in network.people)
    assert {(link.helper_id, link.helped_id) for link in network.links} == {
        ("UGONE", "UANA"),
        ("UANA", "UERASED"),
        ("UANA", "UGONE"),
    }


def test_an_empty_period(sessions: SessionFactory) -> None:
    with sessions() as session:
        network = help_network(session, "T1", THIS_WEEK, NOW)
    assert network.people == ()
    assert network.links == ()


def test_a_tie_between_channels_goes_to_the_first_name(sessions: SessionFactory) -> None:
    with transaction(sessions) as session:
        kudos(session, "UANA", ["UBEN"], THIS_WEEK + DAY, channel="C1")
        kudos(session, "UANA", ["UBEN"], THIS_WEEK + DAY, channel="C2")
        kudos(session, "UCAT", ["UBEN"], THIS_WEEK + DAY, channel="C9")  # not in the directory
    with sessions() as session:
        people = {p.user_id: p for p in help_network(session, "T1", THIS_WEEK, NOW).people}
    assert people["UANA"].group == "design"
    assert people["UBEN"].group == "design"
    assert people["UCAT"].group is None
