"""`among`: a column among many values bound as one parameter, strings or integers, on the
backend this run tests (an array on PostgreSQL, a JSON array on SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, insert, select

from app.store.among import among
from app.store.direct import DirectStatement
from app.store.models import OutboxMessage
from app.store.statuses import OutboxStatus
from tests.engines import engine_with_workspaces

NOW = datetime(2026, 12, 7, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    with engine_with_workspaces(database_url, "T1") as built:
        with built.begin() as connection:
            connection.execute(
                insert(OutboxMessage),
                [
                    {
                        "team_id": "T1",
                        "dedupe_key": f"k{n}",
                        "method": "chat.postMessage",
                        "args": {},
                        "status": OutboxStatus.PENDING,
                        "attempts": 0,
                        "created_at": NOW,
                        "next_attempt_at": NOW,
                    }
                    for n in range(5)
                ],
            )
        yield built


def test_integers_and_strings_each_bind_as_one_parameter(engine: Engine) -> None:
    dialect = engine.dialect.name
    by_id = select(OutboxMessage.dedupe_key).where(among(dialect, OutboxMessage.id, "ids"))
    by_key = select(OutboxMessage.id).where(among(dialect, OutboxMessage.dedupe_key, "keys"))
    with engine.connect() as connection:
        ids = dict(connection.execute(select(OutboxMessage.dedupe_key, OutboxMessage.id)).all())
        wanted = {ids["k1"], ids["k3"], 10_000}
        assert set(connection.execute(by_id, {"ids": wanted}).scalars()) == {"k1", "k3"}
        direct = DirectStatement(by_id).rows(connection, {"ids": [ids["k4"]]})
        assert [row.dedupe_key for row in direct] == ["k4"]
        assert set(connection.execute(by_key, {"keys": ["k0", "k2", "nope"]}).scalars()) == {
            ids["k0"],
            ids["k2"],
        }
        assert connection.execute(by_id, {"ids": []}).all() == []
