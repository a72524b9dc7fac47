"""SQLite's dialect as the bot runs it: every transaction begun IMMEDIATE, writers taking turns.

pysqlite defers the write lock, so two read-then-write transactions can deadlock; BEGIN IMMEDIATE
takes it up front. Waiting for it inside SQLite means its busy handler's sleeps (up to 100 ms
each), which wreck the ack path's tail latency; a Python lock per engine hands the turn over the
moment the holder has ended its transaction, and never earlier: a turn passed on while SQLite's
lock is still held meets that lock and sleeps in the busy handler.

Why a dialect rather than the engine's `begin`, `commit` and `rollback` events (as until stop
30): any connection event makes SQLAlchemy dispatch its events around every statement the engine
runs, about 30 Python calls a statement, on the ack path and in every round of the delivery
worker. The dialect's `do_begin`, `do_commit` and `do_rollback` are where SQLAlchemy begins and
ends a transaction anyway, and cost nothing more per statement.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL

# How long a transaction waits for its turn before failing as "database is busy".
TURN_SECONDS = 15.0

registry.register("sqlite.reciprocity", __name__, "TurnTakingDialect")


def turn_taking_engine(url: URL, **options: Any) -> Engine:
    """An engine for the SQLite database at `url` whose transactions take turns, made by
    `create_engine` with `options`."""
    engine = create_engine(url.set(drivername="sqlite+reciprocity"), **options)
    dialect = engine.dialect
    assert isinstance(dialect, TurnTakingDialect)
    event.listen(engine.pool, "invalidate", dialect.invalidated)
    return engine


class TurnTakingDialect(SQLiteDialect_pysqlite):
    """pysqlite, with each transaction begun IMMEDIATE in its turn; see the module docstring.

    The connections are in the driver's autocommit mode (`isolation_level = None`, set on
    connect), so SQLite's own BEGIN, COMMIT and ROLLBACK are the only transaction control."""

    supports_statement_cache = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._turn = threading.Lock()
        # The driver connection holding the turn: only one can, and only it hands the turn on.
        self._holder: sqlite3.Connection | None = None

    def do_begin(self, dbapi_connection: Any) -> None:
        """Wait for the turn (at most `TURN_SECONDS`), then take SQLite's write lock."""
        if not self._turn.acquire(timeout=TURN_SECONDS):
            raise sqlite3.OperationalError("database is busy: no turn to write in 15 s")
        driver = dbapi_connection.driver_connection
        try:
            driver.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._turn.release()
            raise
        self._holder = driver

    def do_commit(self, dbapi_connection: Any) -> None:
        """Commit, then hand the turn over."""
        self._end(dbapi_connection, "COMMIT")

    def do_rollback(self, dbapi_connection: Any) -> None:
        """Roll back, then hand the turn over. (The pool's reset of a returned connection comes
        here too, holding no turn: it has nothing to end.)"""
        self._end(dbapi_connection, "ROLLBACK")

    def _end(self, dbapi_connection: Any, statement: str) -> None:
        driver = self._holder
        if driver is None or driver is not dbapi_connection.driver_connection:
            return
        self._holder = None
        try:
            if driver.in_transaction:
                driver.execute(statement)
        except sqlite3.Error:
            # A COMMIT can fail (a deferred constraint, a full disk) and leave the transaction
            # open: end it before the next writer's turn. SQLAlchemy wraps what is raised.
            if driver.in_transaction:
                driver.execute("ROLLBACK")
            raise
        finally:
            self._turn.release()

    def invalidated(self, dbapi_connection: Any, _record: Any, _exc: Any) -> None:
        """The pool's `invalidate` event: hand the turn over if the connection held it
        (SQLAlchemy closes an invalidated connection without rolling back through here)."""
        if dbapi_connection is not None and dbapi_connection is self._holder:
            self._holder = None
            self._turn.release()
