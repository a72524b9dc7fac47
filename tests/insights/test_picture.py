"""The help-network picture: valid PNG and SVG, names only for named people, the same bytes for
the same network, clusters kept together, bridges by their rule, and the cap on people drawn."""

from __future__ import annotations

import dataclasses
import math
import struct
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from app.directory.service import save_members
from app.insights.layout import RARE_GROUP_LINKS, bridges, busiest, positions
from app.insights.model import HelpNetwork, NetworkLink, NetworkPerson, Period
from app.insights.network import help_network
from app.insights.picture import MAX_LABELS, MAX_PEOPLE, render
from app.store.db import SessionFactory, make_engine, make_session_factory, transaction
from app.store.models import Kudos, KudosRecipient, Member
from app.workspaces.service import Identity, ensure_workspace

START = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
END = START + timedelta(days=7)
PERIOD = Period(1, START, END)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"


def person(
    user: str, group: str | None = None, helped: int = 1, *, named: bool = True
) -> NetworkPerson:
    return NetworkPerson(user, f"Name of {user.lower()}" if named else None, group, helped)


def link(helper: str, helped: str, kudos: int = 1, answers: int = 0) -> NetworkLink:
    return NetworkLink(helper, helped, kudos, answers)


def network(people: list[NetworkPerson], links: list[NetworkLink]) -> HelpNetwork:
    return HelpNetwork(PERIOD, tuple(people), tuple(links))


def two_teams(joins: list[tuple[str, str]]) -> HelpNetwork:
    """Team a (A1-A3) and team b (B1-B3), each a triangle of help, joined by `joins`."""
    inside = [("A1", "A2"), ("A2", "A3"), ("A3", "A1"), ("B1", "B2"), ("B2", "B3"), ("B3", "B1")]
    people = [person(f"A{i}", "a") for i in (1, 2, 3)] + [person(f"B{i}", "b") for i in (1, 2, 3)]
    return network(people, [link(x, y) for x, y in inside + joins])


def crowd(size: int, groups: int = 4) -> HelpNetwork:
    """`size` people in `groups` groups: each helps the next two in their group and, every fifth
    person, someone in the next group; breadth grows with the user id's number."""
    ids = [f"U{i:04d}" for i in range(size)]
    group = {u: f"team-{i % groups}" for i, u in enumerate(ids)}
    pairs: set[tuple[str, str]] = set()
    for i, user in enumerate(ids):
        mates = [v for v in ids if group[v] == group[user]]
        here = mates.index(user)
        pairs |= {(user, mates[(here + step) % len(mates)]) for step in (1, 2)} - {(user, user)}
        if i % 5 == 0:
            pairs.add((user, ids[(i + 1) % size]))
    breadth = {u: sum(1 for a, _ in pairs if a == u) for u in ids}
    people = [
        NetworkPerson(u, None if i % 9 == 0 else f"Person {i}", group[u], breadth[u] + i % 7)
        for i, u in enumerate(ids)
    ]
    return network(people, [link(a, b, kudos=1 + len(a) % 2) for a, b in sorted(pairs)])


def svg_texts(svg: bytes) -> list[str]:
    root = ET.fromstring(svg)  # noqa: S314 (our own output, not untrusted input)
    return ["".join(node.itertext()) for node in root.iter(f"{SVG}text")]


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_png_is_a_png_of_a_slack_preview_size() -> None:
    png = render(crowd(30), "png", caption="Who helped whom · 23–29 Nov 2026")
    assert png_size(png) == (1200, 900)
    assert len(png) < 400_000


def test_svg_keeps_text_as_text_and_names_only_the_named() -> None:
    people = [person("UANA", "a", 2), person("UBEN", "a"), person("UHIDDEN", "b", named=False)]
    picture = network(people, [link("UANA", "UBEN"), link("UANA", "UHIDDEN"), link("UBEN", "UANA")])
    svg = render(picture, "svg", caption="Week 48")
    texts = svg_texts(svg)
    assert "Name of uana" in texts
    assert "Name of uben" in texts
    assert "Week 48" in texts
    assert "#a" in texts
    assert b"UHIDDEN" not in svg
    assert b"UANA" not in svg  # ids are never drawn, named or not


def test_names_that_look_like_markup_or_formulas_are_drawn_as_written() -> None:
    odd = [
        NetworkPerson("U1", "$\\frac{a}{b}$ & <b>", "dollars$", 1),
        NetworkPerson("U2", "$", None, 1),
    ]
    svg = render(network(odd, [link("U1", "U2"), link("U2", "U1")]), "svg")
    texts = svg_texts(svg)
    assert "$\\frac{a}{b}$ & <b>" in texts
    assert "$" in texts
    assert "#dollars$" in texts
    assert png_size(render(network(odd, [link("U1", "U2")]), "png")) == (1200, 900)


@pytest.fixture
def sessions(database_url: str) -> Iterator[SessionFactory]:
    engine = make_engine(database_url, pool_size=2)
    factory = make_session_factory(engine)
    yield factory
    engine.dispose()


def test_deactivated_and_erased_people_are_grey_dots_without_a_name(
    sessions: SessionFactory,
) -> None:
    """From the store to the picture: the people Slack deactivated or we erased keep their dots
    (their help happened) but neither their name nor their id is in the picture."""
    before = START - timedelta(days=1)
    names = {"UANA": "Ana Active", "UGONE": "Gone Deactivated", "UERASED": "Erased Person"}
    with transaction(sessions) as session:
        ensure_workspace(session, Identity("T1", "Acme", "UBOT", "BBOT", domain="acme"), before)
        users = [{"id": u, "name": n.lower(), "real_name": n} for u, n in names.items()]
        save_members(session, "T1", users, before)
        session.get_one(Member, ("T1", "UGONE")).deleted = True
        session.get_one(Member, ("T1", "UERASED")).forgotten_at = before
        for giver, recipient in [("UANA", "UGONE"), ("UGONE", "UANA"), ("UERASED", "UANA")]:
            session.add(
                Kudos(
                    team_id="T1",
                    giver_id=giver,
                    channel_id="C1",
                    channel_is_private=False,
                    message="thanks",
                    created_at=START + timedelta(hours=3),
                    recipients=[
                        KudosRecipient(recipient_id=recipient, team_id="T1", giver_id=giver)
                    ],
                )
            )
    with sessions() as session:
        week = help_network(session, "T1", START, END)
    assert len(week.people) == 3
    svg = render(week, "svg")
    texts = svg_texts(svg)
    assert "Ana Active" in texts
    assert "not named" in texts  # the legend explains the grey dots
    for hidden in (b"Gone", b"UGONE", b"Erased", b"UERASED", b"UANA"):
        assert hidden not in svg
    assert png_size(render(week, "png")) == (1200, 900)


def test_the_same_network_gives_the_same_bytes_and_positions() -> None:
    picture = crowd(40)
    assert positions(picture) == positions(crowd(40))
    assert render(picture, "png") == render(crowd(40), "png")
    assert render(picture, "svg", caption="x") == render(crowd(40), "svg", caption="x")


def test_renders_in_parallel_threads_match_one_at_a_time() -> None:
    pictures = [crowd(20 + i) for i in range(4)]
    alone = [render(p, "png") for p in pictures] + [render(p, "svg") for p in pictures]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda p: render(p, "png"), pictures))
        together += list(pool.map(lambda p: render(p, "svg"), pictures))
    assert together == alone


def test_groups_are_drawn_as_clusters() -> None:
    picture = crowd(60, groups=3)
    at = positions(picture)
    group = {p.user_id: p.group for p in picture.people}
    inside, across = [], []
    for a in at:
        for b in at:
            if a < b:
                (inside if group[a] == group[b] else across).append(math.dist(at[a], at[b]))
    assert sum(inside) / len(inside) < 0.7 * sum(across) / len(across)
    assert all(-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0 for x, y in at.values())


def test_a_lone_link_between_two_groups_is_a_bridge() -> None:
    picture = two_teams([("A1", "B1")])
    assert bridges(picture) == (link("A1", "B1"),)


def test_groups_that_meet_often_have_no_bridges() -> None:
    joins = [("A1", "B1"), ("A2", "B2"), ("B3", "A3")]
    assert len(joins) > RARE_GROUP_LINKS
    assert bridges(two_teams(joins)) == ()


def test_help_both_ways_between_one_pair_counts_as_one_meeting() -> None:
    picture = two_teams([("A1", "B1"), ("B1", "A1")])
    assert bridges(picture) == (link("A1", "B1"), link("B1", "A1"))


def test_the_only_way_to_someone_in_another_group_is_a_bridge_however_often_groups_meet() -> None:
    joins = [("A1", "B1"), ("A2", "B2"), ("B3", "A3")]
    newcomer = [person("B4", "b")]
    picture = two_teams(joins)
    picture = network([*picture.people, *newcomer], [*picture.links, link("A1", "B4")])
    assert bridges(picture) == (link("A1", "B4"),)


def test_links_inside_a_group_or_to_someone_without_one_are_never_bridges() -> None:
    people = [person("A1", "a"), person("A2", "a"), person("X", None)]
    picture = network(people, [link("A1", "A2"), link("A2", "X")])
    assert bridges(picture) == ()


def test_a_big_network_draws_the_broadest_people_and_counts_the_rest() -> None:
    big = crowd(MAX_PEOPLE + 37)
    drawn = busiest(big, MAX_PEOPLE)
    assert len(drawn.people) == MAX_PEOPLE
    kept = {p.user_id for p in drawn.people}
    least_kept = min(p.helped for p in drawn.people)
    assert all(p.helped <= least_kept for p in big.people if p.user_id not in kept)
    assert all(x.helper_id in kept and x.helped_id in kept for x in drawn.links)
    svg = render(big, "svg", caption="Who helped whom")
    texts = svg_texts(svg)
    assert f"The {MAX_PEOPLE} people who helped most widely, and 37 more not drawn" in texts
    drawn_names = [t for t in texts if t.startswith("Person ")]
    assert 0 < len(drawn_names) <= MAX_LABELS
    left_out = {p.name for p in big.people if p.user_id not in kept}
    assert not left_out & set(drawn_names)
    assert busiest(crowd(30), MAX_PEOPLE) == crowd(30)


def test_an_empty_network_says_there_is_nothing_to_show() -> None:
    empty = network([], [])
    assert "No help was recorded in this period." in svg_texts(render(empty, "svg", caption="W48"))
    width, height = png_size(render(empty, "png"))
    assert (width, height) == (720, 240)


def test_an_unknown_format_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="expected 'png' or 'svg'"):
        render(crowd(5), "gif")  # type: ignore[arg-type]


def test_a_network_cut_in_the_store_counts_the_people_it_left_out() -> None:
    cut = dataclasses.replace(busiest(crowd(MAX_PEOPLE + 37), MAX_PEOPLE), people_total=500)
    texts = svg_texts(render(cut, "svg", caption="Who helped whom"))
    assert f"The {MAX_PEOPLE} people who helped most widely, and 380 more not drawn" in texts
