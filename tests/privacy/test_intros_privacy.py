"""Introductions in a person's export and erasure, on a real database: those they made, those
naming them, suggestions to or about them, and what those still owed Slack."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.delivery import outbox
from app.directory.service import save_members
from app.privacy.service import export_person, forget_person
from app.store.db import SessionFactory, make_engine, make_session_factory, transaction
from app.store.models import Introduction, IntroPerson, IntroSuggestion, OutboxMessage
from app.store.statuses import IntroAnswer, IntroStatus, OutboxStatus
from app.workspaces.service import Identity, ensure_workspace

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
THEN = NOW - timedelta(days=3)
PEOPLE = ("UANA", "UBEN", "UCAT", "UDAN")


@pytest.fixture
def sessions(database_url: str) -> Iterator[SessionFactory]:
    engine = make_engine(database_url, pool_size=2)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        ensure_workspace(session, Identity("T1", "Acme", "UBOT", "BBOT"), NOW - timedelta(90))
        save_members(session, "T1", [{"id": u, "name": u.lower()} for u in PEOPLE], THEN)
    yield factory
    engine.dispose()


def _intro(
    session: Session,
    connector: str,
    first: str,
    second: str,
    answers: tuple[str | None, str | None] = (None, None),
    status: IntroStatus = IntroStatus.WAITING,
) -> int:
    intro = Introduction(
        team_id="T1",
        connector_id=connector,
        first_id=first,
        second_id=second,
        reason=f"{first} and {second} both like search",
        channel_id="C1",
        status=status,
        created_at=THEN,
        expires_at=THEN + timedelta(days=7),
        people=[
            IntroPerson(
                team_id="T1",
                user_id=person,
                answer=answer,
                answered_at=THEN + timedelta(hours=1) if answer else None,
            )
            for person, answer in zip((first, second), answers, strict=True)
        ],
    )
    session.add(intro)
    session.flush()
    return intro.id


def _suggest(session: Session, to: str, first: str, second: str) -> int:
    suggestion = IntroSuggestion(
        team_id="T1",
        suggested_to=to,
        first_id=first,
        second_id=second,
        kind="shared_topic",
        topic="search",
        created_at=THEN,
        answer="dismissed",
        answered_at=THEN,
    )
    session.add(suggestion)
    session.flush()
    return suggestion.id


def _owe(session: Session, key: str, user: str, *, sent: bool = False) -> None:
    outbox.queue(
        session,
        team_id="T1",
        method="dm",
        args={"user": user, "text": "an introduction"},
        dedupe_key=key,
        now=THEN,
    )
    if sent:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == key)).one()
        row.status = OutboxStatus.SENT


@pytest.fixture
def world(sessions: SessionFactory) -> dict[str, int]:
    """Ben made one introduction and was named in another; Ana and Cat made one without him."""
    with transaction(sessions) as session:
        ids = {
            "bens": _intro(session, "UBEN", "UANA", "UCAT"),
            "of_ben": _intro(
                session,
                "UANA",
                "UCAT",
                "UBEN",
                (IntroAnswer.DECLINED, IntroAnswer.ACCEPTED),
                IntroStatus.DECLINED,
            ),
            "others": _intro(session, "UCAT", "UANA", "UDAN"),
            "to_ben": _suggest(session, "UBEN", "UANA", "UDAN"),
            "naming_ben": _suggest(session, "UCAT", "UDAN", "UBEN"),
            "not_ben": _suggest(session, "UANA", "UCAT", "UDAN"),
        }
        bens, others = ids["bens"], ids["others"]
        _owe(session, f"intro:{bens}:invite:UANA", "UANA")
        _owe(session, f"intro:{bens}:invite:UCAT", "UCAT", sent=True)
        _owe(session, f"intro:{bens}:invite:UCAT:accepted", "UCAT")
        _owe(session, f"intro:{ids['of_ben']}:connector:declined", "UANA")
        _owe(session, f"intro:{ids['of_ben']}:followup:UCAT", "UCAT")
        _owe(session, f"intro:{others}:invite:UANA", "UANA")
        _owe(session, f"intro-suggestion:{ids['naming_ben']}", "UCAT")
        _owe(session, f"intro-suggestion:{ids['not_ben']}", "UANA")
    return ids


def test_export_holds_the_introductions_and_suggestions_of_a_person_and_only_their_answers(
    sessions: SessionFactory, world: dict[str, int]
) -> None:
    with sessions() as session:
        data = export_person(session, "T1", "UBEN")
    [made] = data["introductions_made"]
    assert (made["id"], made["introduced"], made["status"]) == (
        world["bens"],
        ["UANA", "UCAT"],
        "waiting",
    )
    assert made["reason"] == "UANA and UCAT both like search"
    [named] = data["introduced_to_someone"]
    assert {k: named[k] for k in ("id", "by", "to", "status", "your_answer")} == {
        "id": world["of_ben"],
        "by": "UANA",
        "to": "UCAT",
        "status": "declined",
        "your_answer": "accepted",
    }
    # Cat's "not now" is hers: Ben's export holds his own answer only.
    assert set(named) == {
        "id",
        "by",
        "to",
        "reason",
        "status",
        "your_answer",
        "answered_at",
        "asked_whether_it_helped_at",
        "at",
        "connected_at",
    }
    [to_ben] = data["introductions_suggested_to_you"]
    assert (to_ben["introduce"], to_ben["your_answer"]) == (["UANA", "UDAN"], "dismissed")
    [naming] = data["suggestions_naming_you"]
    assert (naming["suggested_to"], naming["with"], naming["topic"]) == ("UCAT", "UDAN", "search")
    assert "dismissed" not in str(naming)  # whether Cat took it up is hers
    with sessions() as session:
        dans = export_person(session, "T1", "UDAN")
    assert dans["introductions_made"] == []
    assert [i["by"] for i in dans["introduced_to_someone"]] == ["UCAT"]
    assert len(dans["suggestions_naming_you"]) == 3


def _owed(session: Session) -> dict[str, str]:
    return {r.dedupe_key: r.status for r in session.scalars(select(OutboxMessage))}


def test_forget_erases_every_introduction_and_suggestion_naming_them_and_what_they_owed(
    sessions: SessionFactory, world: dict[str, int]
) -> None:
    with transaction(sessions) as session:
        done = forget_person(session, "T1", "UBEN", NOW)
    assert {k: v for k, v in done.counts.items() if "intro" in k} == {
        "introductions made": 1,
        "introductions of them": 1,
        "introduction suggestions": 2,
        "queued introduction messages cancelled": 5,
    }
    bens, of_ben, others = world["bens"], world["of_ben"], world["others"]
    with sessions() as session:
        assert session.scalars(select(Introduction.id)).all() == [others]
        people = session.execute(select(IntroPerson.intro_id, IntroPerson.user_id)).all()
        assert sorted(people) == [(others, "UANA"), (others, "UDAN")]
        assert session.scalars(select(IntroSuggestion.id)).all() == [world["not_ben"]]
        assert _owed(session) == {
            f"intro:{bens}:invite:UANA": "cancelled",
            f"intro:{bens}:invite:UCAT": "sent",  # already in Slack: the workspace's now
            f"intro:{bens}:invite:UCAT:accepted": "cancelled",
            f"intro:{of_ben}:connector:declined": "cancelled",
            f"intro:{of_ben}:followup:UCAT": "cancelled",
            f"intro:{others}:invite:UANA": "pending",
            f"intro-suggestion:{world['naming_ben']}": "cancelled",
            f"intro-suggestion:{world['not_ben']}": "pending",
        }
        assert export_person(session, "T1", "UBEN")["introduced_to_someone"] == []
    with transaction(sessions) as session:
        again = forget_person(session, "T1", "UBEN", NOW)
    assert not any(again.counts.values())
