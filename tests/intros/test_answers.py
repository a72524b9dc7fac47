"""The two answers on a real database: both yes makes one group DM, whatever runs twice."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.directory.service import save_members
from app.intros import answers, making
from app.intros.rules import IntroRequest
from app.slackapi.outcomes import Done, Refusal, Reply
from app.slackapi.payloads import Click, Conversation
from app.store.db import SessionFactory, make_engine, make_session_factory, transaction
from app.store.models import Introduction, OutboxMessage
from app.workspaces.service import Identity, ensure_workspace

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


@pytest.fixture
def sessions(database_url: str) -> Iterator[SessionFactory]:
    engine = make_engine(database_url, pool_size=3)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        ensure_workspace(session, Identity("T1", "Acme", "UBOT", "BBOT"), NOW)
        people = [{"id": u, "name": u.lower(), "tz": "Europe/London"} for u in ("UA", "UB", "UC")]
        save_members(session, "T1", people, NOW)
    yield factory
    engine.dispose()


@pytest.fixture
def intro_id(sessions: SessionFactory) -> int:
    request = IntroRequest(
        team_id="T1",
        connector_id="UC",
        people=("UA", "UB"),
        reason="both on search",
        where=Conversation("C1", is_private=False, is_dm=False),
    )
    with transaction(sessions) as session:
        made = making.make(session, request, NOW)
        assert isinstance(made, Introduction)
        return made.id


def _click(user: str, intro: int, action: str = "intro.accept") -> Click:
    return Click("T1", user, action, str(intro), "D" + user, f"{NOW.timestamp()}.{user}", None)


def _answer(sessions: SessionFactory, user: str, intro: int, action: str) -> object:
    use_case = answers.accept if action == "intro.accept" else answers.decline
    with transaction(sessions) as session:
        return use_case(session, _click(user, intro, action), NOW)


def _keys(sessions: SessionFactory) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage.dedupe_key).order_by(OutboxMessage.id)))


def _status(sessions: SessionFactory, intro: int) -> str:
    with sessions() as session:
        return session.get_one(Introduction, intro).status


def test_both_yes_queues_one_group_dm_however_often_they_click(
    sessions: SessionFactory, intro_id: int
) -> None:
    assert isinstance(_answer(sessions, "UA", intro_id, "intro.accept"), Done)
    assert _status(sessions, intro_id) == "accepted"
    assert f"intro:{intro_id}:group" not in _keys(sessions)
    for _ in range(2):
        assert isinstance(_answer(sessions, "UB", intro_id, "intro.accept"), Done)
        assert isinstance(_answer(sessions, "UA", intro_id, "intro.accept"), Done)
    assert _status(sessions, intro_id) == "connected"
    keys = _keys(sessions)
    assert keys.count(f"intro:{intro_id}:group") == 1
    with sessions() as session:
        group = session.scalars(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == f"intro:{intro_id}:group")
        ).one()
        assert group.method == "group_dm"
        assert group.args["users"] == ["UA", "UB", "UC"]
        assert "both on search" in str(group.args["blocks"])


def test_two_yeses_at_the_same_moment_still_connect(
    sessions: SessionFactory, intro_id: int
) -> None:
    first = sessions()
    first.begin()
    assert isinstance(answers.accept(first, _click("UA", intro_id), NOW), Done)
    results: list[object] = []
    # The second answer runs while the first is uncommitted: it must wait for it, not miss it.
    second = threading.Thread(
        target=lambda: results.append(_answer(sessions, "UB", intro_id, "intro.accept"))
    )
    second.start()
    second.join(timeout=0.5)
    first.commit()
    first.close()
    second.join()
    [result] = results
    assert isinstance(result, Done)
    assert _status(sessions, intro_id) == "connected"
    assert _keys(sessions).count(f"intro:{intro_id}:group") == 1


def test_only_the_two_people_may_answer(sessions: SessionFactory, intro_id: int) -> None:
    refused = _answer(sessions, "UC", intro_id, "intro.accept")
    assert isinstance(refused, Refusal)
    assert refused.reason is answers.AnswerRefusal.NOT_YOURS
    gone = _answer(sessions, "UA", intro_id + 100, "intro.accept")
    assert isinstance(gone, Refusal)
    assert _status(sessions, intro_id) == "waiting"


def test_a_yes_then_a_not_now_ends_it_and_later_clicks_change_nothing(
    sessions: SessionFactory, intro_id: int
) -> None:
    _answer(sessions, "UA", intro_id, "intro.accept")
    assert isinstance(_answer(sessions, "UB", intro_id, "intro.decline"), Done)
    assert _status(sessions, intro_id) == "declined"
    keys = _keys(sessions)
    assert f"intro:{intro_id}:connector:declined" in keys
    assert f"intro:{intro_id}:invite:UA:declined" in keys
    assert f"intro:{intro_id}:invite:UB:declined" in keys
    # Bob answered already; Alice's stale "Happy to connect" is answered, not acted on.
    again = _answer(sessions, "UA", intro_id, "intro.accept")
    assert isinstance(again, Done)
    assert _keys(sessions) == keys
    with transaction(sessions) as session:
        intro = session.get_one(Introduction, intro_id)
        intro.people[0].answer = None
    late = _answer(sessions, "UA", intro_id, "intro.accept")
    assert isinstance(late, Reply)
    assert "isn't going ahead" in late.text


def test_another_workspace_cannot_answer_or_even_see_an_introduction(
    sessions: SessionFactory, intro_id: int
) -> None:
    with transaction(sessions) as session:
        ensure_workspace(session, Identity("T2", "Other", "UBOT2", "BBOT2"), NOW)
        # Someone in T2 whose user id happens to match one of the two, clicking a forged value.
        foreign = Click("T2", "UA", "intro.accept", str(intro_id), "DUA", "1.1", None)
        refused = answers.accept(session, foreign, NOW)
    assert isinstance(refused, Refusal)
    assert refused.reason is answers.AnswerRefusal.GONE
    assert _status(sessions, intro_id) == "waiting"
