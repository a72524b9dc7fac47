"""SQLite writers take turns in-process: the next transaction starts only once the last one ended.

SQLite's busy handler is switched off here, so a turn handed over while SQLite's write lock is
still held fails at once with "database is locked" instead of sleeping it off unnoticed.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import IntegrityError, OperationalError

from app.store.db import make_engine

THREADS = 8
ROUNDS = 150


def _impatient_engine(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE counter (thread INTEGER, n INTEGER)"))
    return engine


def _hammer(engine: Engine, commit: bool) -> list[BaseException]:
    failures: list[BaseException] = []

    def work(thread: int) -> None:
        for n in range(ROUNDS):
            try:
                with engine.connect() as connection, connection.begin() as transaction:
                    connection.execute(
                        text("INSERT INTO counter VALUES (:thread, :n)"), {"thread": thread, "n": n}
                    )
                    if not commit:
                        transaction.rollback()
            except OperationalError as exc:
                failures.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


@pytest.mark.parametrize("commit", [True, False], ids=["commit", "rollback"])
def test_the_turn_passes_only_after_the_transaction_ended(tmp_path: Path, commit: bool) -> None:
    engine = _impatient_engine(tmp_path / "turns.sqlite")
    try:
        failures = _hammer(engine, commit)
        assert failures == []
        with engine.connect() as connection:
            stored = connection.scalar(text("SELECT count(*) FROM counter"))
        assert stored == (THREADS * ROUNDS if commit else 0)
    finally:
        engine.dispose()


def test_a_failed_commit_is_a_database_error_and_frees_the_turn(tmp_path: Path) -> None:
    engine = _impatient_engine(tmp_path / "failing.sqlite")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
            connection.execute(
                text(
                    "CREATE TABLE child (parent_id INTEGER "
                    "REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)"
                )
            )
        with pytest.raises(IntegrityError), engine.begin() as connection:
            # A deferred foreign key is checked at COMMIT, so the COMMIT itself fails.
            connection.execute(text("INSERT INTO child VALUES (42)"))
        # The turn came back: the next writer neither waits 15 s nor fails.
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO parent VALUES (1)"))
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM child")) == 0
            assert connection.scalar(text("SELECT count(*) FROM parent")) == 1
    finally:
        engine.dispose()


def test_a_connection_invalidated_in_its_turn_hands_the_turn_on(tmp_path: Path) -> None:
    engine = _impatient_engine(tmp_path / "invalidated.sqlite")
    try:
        with engine.connect() as connection:
            connection.begin()
            connection.execute(text("INSERT INTO counter VALUES (1, 1)"))
            # As SQLAlchemy does when the driver says the database is gone: no ROLLBACK through
            # the dialect, the driver connection closed.
            connection.invalidate()
        # The next writer takes its turn (without the hand-over it waits 15 s and fails).
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO counter VALUES (2, 1)"))
        with engine.connect() as connection:
            assert connection.scalars(text("SELECT thread FROM counter")).all() == [2]
    finally:
        engine.dispose()
