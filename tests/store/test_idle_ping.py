"""PostgreSQL connections are pinged only when they sat idle: a dead one that was idle is replaced
unseen; one used moments ago is not pinged (no extra round trip on the hot path), so its death
fails that one request, and the pool then replaces it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from app.store import db
from app.store.db import make_engine

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine as the bot makes it, one pooled connection at a time."""
    built = make_engine(database_url, pool_size=1)
    yield built
    built.dispose()


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _kill(database_url: str, pid: int) -> None:
    """End the server process behind a pooled connection, as a server restart would."""
    killer = create_engine(database_url, poolclass=NullPool)
    with killer.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    killer.dispose()


def test_an_idle_dead_connection_is_replaced_before_use(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = _backend_pid(engine)
    _kill(database_url, pid)
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)  # every returned connection counts as idle
    assert _backend_pid(engine) != pid


def test_a_recently_used_connection_is_not_pinged(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = _backend_pid(engine)
    _kill(database_url, pid)
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 3600.0)
    with pytest.raises(OperationalError):
        _backend_pid(engine)
    # The failure discarded it: the next request gets a live connection.
    assert _backend_pid(engine) != pid
