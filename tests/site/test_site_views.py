"""The pages' pure parts, from hand-built model values (no database): formats, the sparkline,
the overview's figures and trends, the network tables, and templates' escaping."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.insights.model import (
    HelpNetwork,
    NetworkLink,
    NetworkPerson,
    Overview,
    Period,
    WeekFigures,
)
from app.site import formats, network_view, overview_view
from app.site.pages import render
from app.site.sparkline import sparkline
from app.site.visitors import Visitor

SVG = "{http://www.w3.org/2000/svg}"


def _week(
    n: int,
    kudos: int = 0,
    asks: int = 0,
    answered: float | None = None,
    median: timedelta | None = None,
    resolved: float | None = None,
) -> WeekFigures:
    return WeekFigures(
        date(2026, 9, 14) + timedelta(weeks=n), kudos, asks, answered, median, resolved
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "—"),
        (timedelta(seconds=20), "0 min"),
        (timedelta(minutes=45), "45 min"),
        (timedelta(hours=3, minutes=20), "3 h 20 min"),
        (timedelta(hours=5), "5 h"),
        (timedelta(days=2, hours=4, minutes=59), "2 d 5 h"),
        (timedelta(days=3), "3 d"),
    ],
)
def test_durations_read_in_their_two_largest_units(value: timedelta | None, text: str) -> None:
    assert formats.duration(value) == text


def test_numbers_shares_days_and_instants() -> None:
    assert formats.count(12480) == "12,480"
    assert formats.share(None) == "—"
    assert formats.share(0.734) == "73%"
    assert formats.day(date(2026, 11, 30)) == "Mon 30 Nov 2026"
    tokyo = ZoneInfo("Asia/Tokyo")
    # 23:30 UTC on a Monday is already Tuesday morning in Tokyo.
    assert formats.instant(datetime(2026, 12, 1, 23, 30, tzinfo=UTC), tokyo) == "Wed 2 Dec, 08:30"
    assert formats.local_day(datetime(2026, 12, 6, 23, 0, tzinfo=UTC), tokyo) == "Mon 7 Dec 2026"
    assert formats.person(None) == formats.FORMER_MEMBER
    assert formats.person("carol") == "carol"


def test_a_sparkline_is_valid_svg_with_a_gap_for_missing_weeks() -> None:
    svg = ET.fromstring(  # noqa: S314 - our own SVG
        str(sparkline([1, 2, None, 4, 5, 3], "Kudos given, week by week"))
    )
    assert svg.tag == f"{SVG}svg"
    assert svg.find(f"{SVG}title") is not None
    lines = svg.findall(f"{SVG}polyline")
    # [1, 2] and [4, 5, 3]: two runs, the missing week left as a gap.
    assert [len(line.get("points", "").split()) for line in lines] == [2, 3]
    assert svg.find(f"{SVG}circle") is not None


def test_a_sparkline_of_nothing_is_a_dashed_baseline_and_its_label_is_escaped() -> None:
    drawn = str(sparkline([None, None], '<script>alert("x")</script>'))
    svg = ET.fromstring(  # noqa: S314 - our own SVG
        drawn
    )
    assert svg.find(f"{SVG}line") is not None
    assert "<script>" not in drawn


def test_a_flat_sparkline_sits_mid_height() -> None:
    svg = ET.fromstring(  # noqa: S314 - our own SVG
        str(sparkline([3, 3, 3], "flat"))
    )
    line = svg.find(f"{SVG}polyline")
    assert line is not None
    assert {point.split(",")[1] for point in line.get("points", "").split()} == {"16.0"}


def _overview() -> Overview:
    # Weeks 0-2 quiet, 3-6 ("before") 2 kudos each, 7-10 ("recent") 3 each, 11 the current week.
    weeks = [_week(n) for n in range(3)]
    weeks += [_week(n, 2, 4, 0.5, timedelta(hours=4), 0.25) for n in range(3, 7)]
    weeks += [_week(n, 3, 2, 1.0, timedelta(hours=2), None) for n in range(7, 11)]
    weeks.append(_week(11, 9, 1, None, None, None))
    return Overview(tuple(weeks))


def test_cards_compare_the_last_four_complete_weeks_with_the_four_before() -> None:
    cards = {card.label: card for card in overview_view.cards(_overview())}
    kudos = cards["Kudos given"]
    assert kudos.value == "12"
    assert kudos.so_far == "9"
    assert kudos.trend is not None
    assert (kudos.trend.direction, kudos.trend.text, kudos.trend.good) == ("up", "50%", True)
    asks = cards["Asks posted"]
    assert asks.trend is not None
    assert (asks.trend.direction, asks.trend.good) == ("down", False)
    answered = cards["Answered within a working day"]
    assert answered.value == "100%"
    assert answered.trend is not None
    assert answered.trend.text == "50 points"
    median = cards["Median time to first answer"]
    assert median.value == "2 h"
    # Faster answers are good news although the number went down.
    assert median.trend is not None
    assert (median.trend.direction, median.trend.good) == ("down", True)
    # Nothing resolved lately: no trend rather than a made-up one.
    assert cards["Resolved with credit"].value == "—"
    assert cards["Resolved with credit"].trend is None


def test_shares_over_weeks_are_weighted_by_their_asks() -> None:
    figure = next(f for f in overview_view.FIGURES if f.key == "answered")
    weeks = [_week(0, asks=1, answered=0.0), _week(1, asks=3, answered=1.0)]
    assert overview_view.window_value(figure, weeks) == pytest.approx(0.75)


def test_small_moves_read_as_steady_and_a_start_from_nothing_as_new() -> None:
    kudos = overview_view.FIGURES[0]
    steady = overview_view.trend(kudos, 102, 100)
    assert steady is not None
    assert steady.direction == "steady"
    fresh = overview_view.trend(kudos, 5, 0)
    assert fresh is not None
    assert (fresh.direction, fresh.text) == ("up", "from none")


def test_table_rows_run_newest_first_with_the_current_week_marked() -> None:
    rows = overview_view.rows(_overview())
    assert rows[0].current
    assert rows[0].week == "Mon 30 Nov 2026"
    assert not any(row.current for row in rows[1:])
    assert rows[0].cells[0] == "9"
    assert rows[-1].week == "Mon 14 Sep 2026"


def _network() -> HelpNetwork:
    period = Period(4, datetime(2026, 11, 9, tzinfo=UTC), datetime(2026, 12, 6, tzinfo=UTC))
    people = (
        NetworkPerson("UA", "alice", "eng", 1),
        NetworkPerson("UB", "bob", "eng", 2),
        NetworkPerson("UD", None, "sales", 1),
        NetworkPerson("UO", "olga", None, 1),
    )
    links = (
        NetworkLink("UB", "UA", 1, 0),
        NetworkLink("UB", "UD", 3, 1),
        NetworkLink("UD", "UA", 0, 1),
        NetworkLink("UO", "UA", 5, 5),
        NetworkLink("UA", "UB", 2, 0),
    )
    return HelpNetwork(period, people, links)


def test_strongest_links_first_without_names_of_former_members_or_opted_out_people() -> None:
    rows = network_view.strongest(_network(), frozenset({"UO"}))
    assert [(r.helper, r.helped, r.kudos, r.answers) for r in rows] == [
        ("bob", formats.FORMER_MEMBER, 3, 1),
        ("alice", "bob", 2, 0),
        ("bob", "alice", 1, 0),
        (formats.FORMER_MEMBER, "alice", 0, 1),
    ]
    assert all("olga" not in (r.helper, r.helped) for r in rows)
    assert rows[0].helped_group == "#sales"
    assert network_view.groups(_network()) == (("eng", 2), ("sales", 1))


def _visitor(admin: bool) -> Visitor:
    return Visitor(
        "T1", "Acme & Co", "UA", "<b>alice</b>", admin, "tok", datetime.now(UTC), ZoneInfo("UTC")
    )


def test_templates_escape_what_people_typed_and_hide_admin_links_from_members() -> None:
    page = render(
        "overview.html",
        visitor=_visitor(False),
        nav="overview",
        cards=overview_view.cards(_overview()),
        figures=overview_view.FIGURES,
        rows=overview_view.rows(_overview()),
    )
    assert "<b>alice</b>" not in page
    assert "&lt;b&gt;alice&lt;/b&gt;" in page
    assert "Acme &amp; Co" in page
    assert 'href="/insights/people"' not in page
    assert "<script" not in page
    assert " style=" not in page
    admin_page = render(
        "message.html", visitor=_visitor(True), nav="", title="t", paragraphs=(), slack_signin=True
    )
    assert 'href="/insights/people"' in admin_page
    assert 'href="/insights/login/slack"' in admin_page


def test_a_big_network_shows_only_its_strongest_links_and_bridges() -> None:
    people = tuple(NetworkPerson(f"U{i}", f"p{i}", None, 1) for i in range(100))
    links = tuple(NetworkLink(f"U{i}", f"U{(i + 1) % 100}", i, 0) for i in range(100))
    network = HelpNetwork(_network().period, people, links)
    rows = network_view.strongest(network, frozenset())
    assert len(rows) == network_view.STRONGEST_SHOWN
    assert [row.kudos for row in rows[:3]] == [99, 98, 97]
    bridges = network_view.strongest(network, frozenset({"U99"}), links[95:])
    assert [row.kudos for row in bridges] == [97, 96, 95]
