"""What the sign-in tests share: a real database that knows workspace T0001."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from app.store.db import SessionFactory, make_engine, make_session_factory, transaction
from app.workspaces.service import Identity, ensure_workspace

TEAM = "T0001"
NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@pytest.fixture
def sessions(database_url: str) -> Iterator[SessionFactory]:
    """Sessions on a fresh database that knows workspace T0001."""
    engine = make_engine(database_url, pool_size=2)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        ensure_workspace(session, Identity(TEAM, "Acme", "UBOT", "BBOT"), NOW)
    yield factory
    engine.dispose()
