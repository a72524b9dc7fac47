"""The kudos domain on a real database with an injected clock: limits by local day, undo window."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.clock import ManualClock
from app.directory.service import save_members
from app.kudos import blocks, service
from app.store.db import SessionFactory, make_engine, make_session_factory, transaction
from app.store.models import OutboxMessage
from app.workspaces.service import Identity, ensure_workspace

HERE = service.Where("C1", is_private=False, is_dm=False)


@pytest.fixture
def sessions(database_url: str) -> Iterator[SessionFactory]:
    engine = make_engine(database_url, pool_size=2)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        now = datetime(2026, 1, 5, tzinfo=UTC)
        ensure_workspace(session, Identity("T1", "Acme", "UBOT", "BBOT"), now)
        save_members(
            session,
            "T1",
            [
                {"id": "UTOKYO", "name": "aki", "tz": "Asia/Tokyo"},
                {"id": "UNY", "name": "ny", "tz": "America/New_York"},
                {"id": "UBOB", "name": "bob", "tz": "Europe/London"},
            ],
            now,
        )
    yield factory
    engine.dispose()


def _give(session: Session, giver: str, now: datetime, text: str = "thanks") -> object:
    request = service.KudosRequest(
        team_id="T1", giver_id=giver, recipients=("UBOB",), message=text, where=HERE
    )
    return service.give(session, request, now)


def test_the_daily_limit_resets_at_the_givers_own_midnight(sessions: SessionFactory) -> None:
    clock = ManualClock(datetime(2026, 1, 6, 14, 0, tzinfo=UTC))  # 23:00 in Tokyo, 09:00 in NY
    with transaction(sessions) as session:
        for giver in ("UTOKYO", "UNY"):
            for _ in range(5):
                assert isinstance(_give(session, giver, clock.now()), service.Given)
            refused = _give(session, giver, clock.now())
            assert isinstance(refused, service.Refused)
            assert refused.reason is service.Refusal.DAILY_LIMIT
    clock.advance(timedelta(hours=1, minutes=30))  # 00:30 in Tokyo, 10:30 in NY
    with transaction(sessions) as session:
        assert isinstance(_give(session, "UTOKYO", clock.now()), service.Given)
        assert isinstance(_give(session, "UNY", clock.now()), service.Refused)


def test_a_refused_kudos_stores_nothing(sessions: SessionFactory) -> None:
    now = datetime(2026, 1, 6, tzinfo=UTC)
    with transaction(sessions) as session:
        assert isinstance(_give(session, "UBOB", now), service.Refused)  # to oneself
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_undo_is_for_the_giver_within_ten_minutes(sessions: SessionFactory) -> None:
    clock = ManualClock(datetime(2026, 1, 6, 9, 0, tzinfo=UTC))
    with transaction(sessions) as session:
        first = _give(session, "UNY", clock.now())
        second = _give(session, "UNY", clock.now())
    assert isinstance(first, service.Given)
    assert isinstance(second, service.Given)
    clock.advance(timedelta(minutes=9))
    with transaction(sessions) as session:
        assert "Only the person" in str(
            service.undo(session, "T1", first.kudos_id, "UTOKYO", clock.now())
        )
        assert isinstance(
            service.undo(session, "T1", first.kudos_id, "UNY", clock.now()), service.Withdrawn
        )
        remaining = service.remaining_today(
            session, service.rules_of(session, "T1"), "UNY", None, clock.now()
        )
        assert remaining == 4
    clock.advance(timedelta(minutes=2))
    with transaction(sessions) as session:
        late = service.undo(session, "T1", second.kudos_id, "UNY", clock.now())
        assert "10 minutes" in str(late)
        keys = set(session.scalars(select(OutboxMessage.dedupe_key)))
    assert f"kudos:{first.kudos_id}:post:withdrawn" in keys
    assert f"kudos:{second.kudos_id}:post:withdrawn" not in keys


def test_long_messages_fit_slacks_section_limit() -> None:
    post = blocks.recognition_post("U1", ["U2"], "x" * 5000, ["craft"], 7)
    assert all(len(b["text"]["text"]) <= 3000 for b in post["blocks"] if b["type"] == "section")
    assert len(post["blocks"]) <= 50
