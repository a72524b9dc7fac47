"""`core.Kept`: a loop's transactions run back to back on one connection, taken from the pool
once, and given back after a failure or a long idle spell; on both backends."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import NullPool

from app.store.core import Kept
from app.store.db import is_sqlite, make_engine


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    built = make_engine(database_url)
    yield built
    built.dispose()


def _checkouts(engine: Engine) -> list[Any]:
    """The driver connections the pool hands out from now on, in order."""
    taken: list[Any] = []
    event.listen(engine, "checkout", lambda dbapi, _record, _proxy: taken.append(dbapi))
    return taken


def _one(bind: Any) -> int:
    return int(bind.execute(text("SELECT 1")).scalar_one())


def test_transactions_back_to_back_take_one_connection_kept_through_idle_spells(
    engine: Engine,
) -> None:
    clock = Clock()
    kept = Kept(engine, idle_seconds=30.0, monotonic=clock)
    taken = _checkouts(engine)
    for _ in range(3):
        with kept.transaction() as bind:
            assert _one(bind) == 1
        clock.now += 10.0
    # Unused for longer than `idle_seconds`: pinged, and kept since it answers.
    clock.now += 31.0
    with kept.transaction() as bind:
        assert _one(bind) == 1
    assert len(taken) == 1
    kept.close()


def test_a_transaction_that_failed_gives_the_connection_back(engine: Engine) -> None:
    kept = Kept(engine, idle_seconds=30.0, monotonic=Clock())
    taken = _checkouts(engine)
    with kept.transaction() as bind:
        bind.execute(text("CREATE TABLE kept_rows (n INTEGER)"))
    # OperationalError on SQLite, ProgrammingError on PostgreSQL.
    with pytest.raises(DBAPIError), kept.transaction() as bind:
        bind.execute(text("INSERT INTO kept_rows VALUES (1)"))
        bind.execute(text("SELECT * FROM no_such_table"))
    with kept.transaction() as bind:
        # The failed transaction was rolled back, and the next one took a connection anew.
        assert bind.execute(text("SELECT count(*) FROM kept_rows")).scalar_one() == 0
    assert len(taken) == 2
    kept.close()


@pytest.mark.postgres
def test_a_kept_connection_the_server_ended_while_idle_is_replaced_unseen(
    engine: Engine, database_url: str
) -> None:
    if is_sqlite(engine):
        pytest.skip("a server ending a connection is PostgreSQL's")
    clock = Clock()
    kept = Kept(engine, idle_seconds=30.0, monotonic=clock)
    with kept.transaction() as bind:
        pid = int(bind.execute(text("SELECT pg_backend_pid()")).scalar_one())
    _end_backend(database_url, pid)
    clock.now += 31.0
    with kept.transaction() as bind:
        assert int(bind.execute(text("SELECT pg_backend_pid()")).scalar_one()) != pid
    kept.close()


def _end_backend(database_url: str, pid: int) -> None:
    """End the server process behind a connection, as a server restart would."""
    killer = create_engine(database_url, poolclass=NullPool)
    with killer.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    killer.dispose()


@pytest.mark.postgres
def test_a_kept_connection_the_server_ended_fails_one_transaction_then_is_replaced(
    engine: Engine, database_url: str
) -> None:
    if is_sqlite(engine):
        pytest.skip("a server ending a connection is PostgreSQL's")
    kept = Kept(engine, idle_seconds=30.0, monotonic=Clock())
    with kept.transaction() as bind:
        pid = int(bind.execute(text("SELECT pg_backend_pid()")).scalar_one())
    # Used moments ago, it is not pinged: the next transaction meets the break.
    _end_backend(database_url, pid)
    with pytest.raises(OperationalError), kept.transaction() as bind:
        _one(bind)
    with kept.transaction() as bind:
        assert int(bind.execute(text("SELECT pg_backend_pid()")).scalar_one()) != pid
    kept.close()


def test_each_thread_keeps_a_connection_of_its_own(engine: Engine) -> None:
    # The worker's loop and a caller's `drain` run rounds at the same time.
    kept = Kept(engine, idle_seconds=30.0, monotonic=Clock())
    seen: dict[str, set[int]] = {}
    failures: list[BaseException] = []
    start = threading.Barrier(2)

    def rounds(name: str) -> None:
        start.wait()
        try:
            for _ in range(50):
                with kept.transaction() as bind:
                    _one(bind)
                    seen.setdefault(name, set()).add(id(bind.connection.dbapi_connection))
        except BaseException as exc:
            failures.append(exc)
        finally:
            kept.close()

    threads = [threading.Thread(target=rounds, args=(name,)) for name in ("loop", "drain")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # One shared connection would have refused a thread's begin while the other's was open.
    assert failures == []
    assert [len(ids) for ids in seen.values()] == [1, 1]


@pytest.mark.postgres
def test_settings_hold_while_kept_and_are_reset_before_the_pool_gets_the_connection_back(
    database_url: str,
) -> None:
    engine = make_engine(database_url, pool_size=1)
    if is_sqlite(engine):
        engine.dispose()
        pytest.skip("run-time parameters are PostgreSQL's")
    show = text("SHOW plan_cache_mode")
    try:
        kept = Kept(engine, 30.0, Clock(), {"plan_cache_mode": "force_custom_plan"})
        for _ in range(2):
            with kept.transaction() as bind:
                assert bind.execute(show).scalar_one() == "force_custom_plan"
        with pytest.raises(DBAPIError), kept.transaction() as bind:
            # A failed transaction would undo a SET it held: the setting was committed apart.
            bind.execute(text("SELECT * FROM no_such_table"))
        with kept.transaction() as bind:
            assert bind.execute(show).scalar_one() == "force_custom_plan"
        kept.close()
        # The pool's one connection, as the next user gets it.
        with engine.connect() as connection:
            assert connection.execute(show).scalar_one() == "auto"
    finally:
        engine.dispose()


def test_renewed_the_next_transaction_runs_on_a_new_connection_and_the_old_one_is_closed(
    engine: Engine,
) -> None:
    kept = Kept(engine, 30.0, Clock())
    taken = _checkouts(engine)
    closed: list[Any] = []
    event.listen(engine, "close", lambda dbapi, _record: closed.append(dbapi))
    with kept.transaction() as bind:
        assert _one(bind) == 1
    kept.renew()
    with kept.transaction() as bind:
        assert _one(bind) == 1
    kept.close()
    assert len(taken) == 2
    assert taken[0] is not taken[1]
    # Closed, not pooled: the pool could hand it to another user with its plans.
    assert closed == [taken[0]]


@pytest.mark.postgres
def test_a_renewed_connection_has_nothing_prepared(database_url: str) -> None:
    engine = make_engine(database_url)
    if is_sqlite(engine):
        engine.dispose()
        pytest.skip("prepared statements are PostgreSQL's")
    prepared = text("SELECT count(*) FROM pg_prepared_statements")
    try:
        kept = Kept(engine, 30.0, Clock())
        for _ in range(7):
            # psycopg prepares a statement from its sixth run on a connection.
            with kept.transaction() as bind:
                assert _one(bind) == 1
        with kept.transaction() as bind:
            before = bind.execute(prepared).scalar_one()
        kept.renew()
        with kept.transaction() as bind:
            after = bind.execute(prepared).scalar_one()
        kept.close()
        assert before >= 1
        assert after == 0
    finally:
        engine.dispose()
