"""Topics: asked against offered, gaps first, private asks counted but never revealing a topic."""

from __future__ import annotations

from datetime import timedelta

from app.insights.model import Period, TopicRow
from app.insights.topics import topics
from app.store.db import SessionFactory, transaction
from tests.insights.rows import LAST_WEEK, NOW, THIS_WEEK, ask, offer

PERIOD = Period(1, THIS_WEEK, NOW)
HOUR = timedelta(hours=1)


def test_gaps_first_then_by_asks_then_offered_only(sessions: SessionFactory) -> None:
    with transaction(sessions) as session:
        ask(session, "UANA", THIS_WEEK, topics=["k8s"], answered=("UBEN", THIS_WEEK + HOUR))
        ask(session, "UBEN", THIS_WEEK, topics=["kubernetes"], private=True)
        ask(session, "UBEN", THIS_WEEK, topics=["payroll dispute"], private=True)
        ask(session, "UCAT", THIS_WEEK, topics=["design"], private=True)
        ask(session, "UCAT", THIS_WEEK, topics=["go", "golang"])
        ask(session, "UDAN", THIS_WEEK, topics=["Python"])
        ask(session, "UDAN", THIS_WEEK, topics=["rust"], status="discarded")
        ask(session, "UDAN", LAST_WEEK, topics=["rust"])
        ask(session, "UDAN", THIS_WEEK, topics=["rust"], team="T2")
        offer(session, "UGONE", "kubernetes")
        offer(session, "UBEN", "Design")
        offer(session, "UANA", "python")
        offer(session, "UHIDE", "python")
        offer(session, "UGONE", "python")
        offer(session, "UCAT", "rust")
        offer(session, "UGONE", "elixir")
        offer(session, "UDAN", "go", active=False)
        offer(session, "UANA", "go", team="T2")
    with sessions() as session:
        result = topics(session, "T1", PERIOD)
    assert result.period == PERIOD
    assert result.rows == (
        TopicRow("kubernetes", asked=2, answered=1, offered_by=()),
        TopicRow("go", asked=1, answered=0, offered_by=()),
        TopicRow("design", asked=1, answered=0, offered_by=("Ben",)),
        TopicRow("python", asked=1, answered=0, offered_by=("Ana", "Hide")),
        TopicRow("rust", asked=0, answered=0, offered_by=("Cat",)),
    )


def test_a_topic_only_private_asks_name_is_not_shown(sessions: SessionFactory) -> None:
    with transaction(sessions) as session:
        ask(session, "UBEN", THIS_WEEK, topics=["reorg rumours"], private=True)
    with sessions() as session:
        assert topics(session, "T1", PERIOD).rows == ()
