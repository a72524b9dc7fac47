"""The people page: breadth, unsung helpers, waiting asks; opt-outs and former members in none."""

from __future__ import annotations

from datetime import timedelta

from app.insights.model import HelperRank, Period, UnsungHelper
from app.insights.people import LISTED, people
from app.store.db import SessionFactory, transaction
from tests.insights.rows import LAST_WEEK, NOW, THIS_WEEK, ask, kudos, reply

PERIOD = Period(1, THIS_WEEK, NOW)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def test_helpers_by_breadth_then_acts(sessions: SessionFactory) -> None:
    at = THIS_WEEK + HOUR
    with transaction(sessions) as session:
        for giver in ("UANA", "UCAT", "UDAN"):
            kudos(session, giver, ["UBEN"], at)
        kudos(session, "UANA", ["UEVE"], at)
        kudos(session, "UANA", ["UEVE", "UCAT"], at)
        ask(session, "UANA", THIS_WEEK, credited=["UEVE"], credited_at=at)
        kudos(session, "UEVE", ["UCAT"], at)
        for giver in ("UANA", "UBEN", "UCAT", "UDAN", "UEVE"):
            kudos(session, giver, ["UHIDE", "UGONE", "UERASED", "UBOT2"], at)
        kudos(session, "UDAN", ["UBEN"], LAST_WEEK)
        kudos(session, "UCAT", ["UDAN"], at, undone=True)
        kudos(session, "UCAT", ["UDAN"], at, team="T2")
    with sessions() as session:
        found = people(session, "T1", PERIOD, NOW)
    assert found.period == PERIOD
    assert found.helpers == (
        HelperRank("UBEN", "Ben", people_helped=3, acts=3),
        HelperRank("UCAT", "Cat", people_helped=2, acts=2),
        HelperRank("UEVE", "Eve", people_helped=1, acts=3),
    )


def test_unsung_helpers_answered_and_were_never_credited(sessions: SessionFactory) -> None:
    at = THIS_WEEK + HOUR
    with transaction(sessions) as session:
        x = ask(session, "UANA", THIS_WEEK)
        reply(session, x, "UDAN", at)
        reply(session, x, "UANA", at)  # the asker in their own thread
        reply(session, x, "UHIDE", at)
        reply(session, x, "UGONE", at)
        y = ask(session, "UANA", THIS_WEEK, answered=("UCAT", at), credited=["UCAT"])
        reply(session, y, "UCAT", at)
        z = ask(session, "UBEN", THIS_WEEK)
        reply(session, z, "UCAT", at)
        w = ask(session, "UBEN", THIS_WEEK)
        reply(session, w, "UEVE", at, deleted=True)
        reply(session, w, "UDAN", at)
        v = ask(session, "UBEN", THIS_WEEK, status="answered", answered=("UEVE", at))
        reply(session, v, "UEVE", at)
        ask(session, "UANA", THIS_WEEK, credited=["UEVE"], credited_at=at)
        old = ask(session, "UANA", LAST_WEEK - DAY)
        reply(session, old, "UBEN", LAST_WEEK)
        other = ask(session, "UANA", THIS_WEEK, team="T2")
        reply(session, other, "UBEN", at)
    with sessions() as session:
        found = people(session, "T1", PERIOD, NOW)
    assert found.unsung == (UnsungHelper("UDAN", "Dan", 2), UnsungHelper("UEVE", "Eve", 1))


def test_waiting_asks_longest_first_without_private_text(sessions: SessionFactory) -> None:
    with transaction(sessions) as session:
        ask(session, "UANA", NOW - 3 * DAY, text="public question", topics=["go"])
        ask(session, "UBEN", NOW - 5 * DAY, text="private matter", private=True)
        ask(session, "UCAT", NOW - 4 * DAY, text="taken on", status="claimed")
        ask(session, "UHIDE", NOW - 9 * DAY)
        ask(session, "UGONE", NOW - 9 * DAY)
        ask(session, "UERASED", NOW - 9 * DAY)
        ask(session, "UDAN", NOW - 9 * DAY, status="answered", answered=("UANA", NOW - DAY))
        ask(session, "UDAN", NOW - 9 * DAY, credited=["UANA"])
        ask(session, "UDAN", NOW - 9 * DAY, status="closed")
        ask(session, "UDAN", NOW - 9 * DAY, team="T2")
    with sessions() as session:
        waiting = people(session, "T1", PERIOD, NOW).waiting
    assert [(w.asker_id, w.asker_name, w.text) for w in waiting] == [
        ("UBEN", "Ben", None),
        ("UCAT", "Cat", "taken on"),
        ("UANA", "Ana", "public question"),
    ]
    assert [w.waiting for w in waiting] == [5 * DAY, 4 * DAY, 3 * DAY]
    assert waiting[2].topics == ("go",)
    assert waiting[0].asked_at == NOW - 5 * DAY


def test_each_list_is_capped(sessions: SessionFactory) -> None:
    with transaction(sessions) as session:
        for n in range(LISTED + 5):
            ask(session, "UANA", NOW - timedelta(minutes=n + 1))
    with sessions() as session:
        waiting = people(session, "T1", PERIOD, NOW).waiting
    assert len(waiting) == LISTED
    assert waiting[0].waiting == timedelta(minutes=LISTED + 5)
