"""The door's transaction: a use case PostgreSQL aborts to break a deadlock is run again, and
what it stores is stored once; any other database failure is the UNAVAILABLE outcome."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session

from app.slack.door import ATTEMPTS, UNAVAILABLE, Door
from app.store.db import make_session_factory
from app.store.models import Workspace
from tests.engines import engine_with_workspaces

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    with engine_with_workspaces(database_url, "TA", "TB") as built:
        yield built


def _rename(session: Session, team_id: str, name: str) -> None:
    session.execute(update(Workspace).where(Workspace.team_id == team_id).values(name=name))


def _names(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        return dict(connection.execute(select(Workspace.team_id, Workspace.name)).all())


def test_a_deadlocks_victim_is_run_again_and_stores_once(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's writers take turns: they cannot deadlock")
    door = Door(make_session_factory(engine), NOW)
    other_holds_b = threading.Event()
    door_waits_for_b = threading.Event()
    other_committed = threading.Event()
    calls: list[int] = []

    def other() -> None:
        # Holds TB, then (once the door waits for TB) asks for TA, which the door holds: a cycle.
        with engine.connect() as connection, connection.begin():
            connection.execute(text("SET LOCAL deadlock_timeout = '5s'"))
            connection.execute(update(Workspace).where(Workspace.team_id == "TB").values(name="B"))
            other_holds_b.set()
            door_waits_for_b.wait(10)
            time.sleep(0.1)
            connection.execute(update(Workspace).where(Workspace.team_id == "TA").values(name="A"))
        other_committed.set()

    def use_case(session: Session, now: datetime) -> str:
        calls.append(len(calls) + 1)
        if len(calls) > 1:
            # Once the victim's locks are gone, its next run could take TA before the other
            # backend wakes to take it, and meet the same cycle again (a third run, which the
            # door allows): wait for the other to commit, so the second run is the last.
            other_committed.wait(10)
        session.execute(text("SET LOCAL deadlock_timeout = '1s'"))
        _rename(session, "TA", f"door {len(calls)}")
        if len(calls) == 1:
            other_holds_b.wait(10)
            door_waits_for_b.set()
        # The first time, this waits on the other transaction, which asks for TA a moment later:
        # this one checks for a deadlock a second after it began to wait, the other only after
        # five, so this one finds the cycle and is the victim.
        _rename(session, "TB", f"door {len(calls)}")
        return "done"

    thread = threading.Thread(target=other)
    thread.start()
    assert door.run(use_case) == "done"
    thread.join(10)
    assert calls == [1, 2]
    # The other transaction committed once the victim let go; the door's second run after it.
    assert _names(engine) == {"TA": "door 2", "TB": "door 2"}


def test_other_database_failures_are_unavailable_without_running_again(engine: Engine) -> None:
    door = Door(make_session_factory(engine), NOW)
    calls: list[int] = []

    def broken(session: Session, now: datetime) -> None:
        calls.append(1)
        session.execute(text("SELECT * FROM no_such_table"))

    assert door.run(broken) is UNAVAILABLE
    assert calls == [1]
    assert ATTEMPTS > 1
