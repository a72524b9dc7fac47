"""The digest's transaction plans its statements as short reads on PostgreSQL, and only it."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.digest.planner import plan_as_short_reads
from app.store.db import make_engine


def test_jit_and_parallel_workers_are_off_for_the_transaction_only(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=1)
    if engine.dialect.name != "postgresql":
        engine.dispose()
        pytest.skip("PostgreSQL's planner settings; SQLite has none to change")

    def settings(connection: object) -> tuple[str, str]:
        show = connection.execute  # type: ignore[attr-defined]
        return show(text("SHOW jit")).scalar(), show(
            text("SHOW max_parallel_workers_per_gather")
        ).scalar()

    try:
        with engine.connect() as connection:
            before = settings(connection)
        with engine.begin() as connection:
            plan_as_short_reads(connection)
            assert settings(connection) == ("off", "0")
        # The transaction is over: its connection, back in the pool of one, plans as before.
        with engine.connect() as connection:
            assert settings(connection) == before
        assert before != ("off", "0")
    finally:
        engine.dispose()
