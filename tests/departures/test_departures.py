"""The deactivation flag on a real database: set and cleared, forgotten people included, and
what was still queued for the person cancelled (Slack would refuse it as `user_disabled`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.delivery import outbox
from app.directory.departures import set_deactivated
from app.directory.service import save_members
from app.store.db import SessionFactory, make_engine, make_session_factory, transaction
from app.store.models import Member, OutboxMessage
from app.workspaces.service import Identity, ensure_workspace

NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)


@pytest.fixture
def sessions(database_url: str) -> Iterator[SessionFactory]:
    engine = make_engine(database_url, pool_size=2)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        ensure_workspace(session, Identity("T1", "Acme", "UBOT", "BBOT"), NOW)
        save_members(session, "T1", [{"id": "UANA", "name": "ana"}, {"id": "UBEN"}], NOW)
    yield factory
    engine.dispose()


def _queue(session: Session, key: str, method: outbox.Method, args: dict[str, str]) -> None:
    outbox.queue(
        session,
        team_id="T1",
        method=method,
        args={**args, "text": "hi"},
        dedupe_key=key,
        now=NOW,
    )


def _statuses(sessions: SessionFactory) -> dict[str, str]:
    with sessions() as session:
        return dict(session.execute(select(OutboxMessage.dedupe_key, OutboxMessage.status)).all())


def test_deactivation_cancels_what_is_queued_for_the_person_only(
    sessions: SessionFactory,
) -> None:
    with transaction(sessions) as session:
        _queue(session, "dm-ana", "dm", {"user": "UANA"})
        _queue(session, "home-ana", "views.publish", {"user_id": "UANA"})
        _queue(session, "dm-ben", "dm", {"user": "UBEN"})
        _queue(session, "post", "chat.postMessage", {"channel": "C1"})
    for _ in range(2):  # Slack retries the event
        with transaction(sessions) as session:
            set_deactivated(session, "T1", "UANA", True, NOW)
    assert _statuses(sessions) == {
        "dm-ana": "cancelled",
        "home-ana": "cancelled",
        "dm-ben": "pending",
        "post": "pending",
    }
    with transaction(sessions) as session:
        set_deactivated(session, "T1", "UANA", False, NOW)
    with sessions() as session:
        assert session.get_one(Member, ("T1", "UANA")).deleted is False
    assert _statuses(sessions)["dm-ben"] == "pending"
