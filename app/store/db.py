"""Engines and sessions for SQLite (embedded, one process) and PostgreSQL (shared by replicas)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app import json_codec
from app.store.sqlite_turns import turn_taking_engine

SessionFactory = sessionmaker[Session]

# A pooled PostgreSQL connection idle this long is pinged before use. Connections busy in the
# last half minute skip it (a round trip per request on the hot path); one that died with the
# server meanwhile fails its request with "try again", and SQLAlchemy then discards the pool's
# older connections.
IDLE_PING_SECONDS = 30.0


def is_sqlite(engine: Engine | Connection) -> bool:
    """Whether `engine` talks to SQLite (one writer at a time, no SKIP LOCKED)."""
    return engine.dialect.name == "sqlite"


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """Create an engine for `url` with the connection settings this bot relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # Writers take turns in-process, each transaction begun IMMEDIATE (`sqlite_turns`).
        engine = turn_taking_engine(
            parsed,
            # Listener threads, the worker and the scheduler share one file.
            connect_args={"check_same_thread": False, "timeout": 15},
            pool_size=pool_size,
            max_overflow=2 * pool_size,
            # JSON columns are text to SQLite: the serializer must return `str`.
            json_serializer=json_codec.dumps,
            json_deserializer=json_codec.loads,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(
        parsed,
        pool_size=pool_size,
        max_overflow=2 * pool_size,
        # A database outage must fail a request fast, well inside Slack's 3 seconds.
        pool_timeout=2,
        connect_args={"connect_timeout": 2, "options": _without_jit(parsed.query.get("options"))},
        # Handed to psycopg's JSON adapters, which take the UTF-8 bytes as they are.
        json_serializer=json_codec.dumps_bytes,
        json_deserializer=json_codec.loads,
    )
    _ping_when_idle(engine)
    return engine


def _without_jit(options: str | tuple[str, ...] | None) -> str:
    """The connection's server `options` (the URL's, if any) with PostgreSQL's JIT turned off.

    Every statement of the bot is an index read or write that runs in milliseconds. The planner
    compiles a statement with JIT once its estimated cost passes `jit_above_cost`, which a
    statement probing an index per row reaches (the digest's new pairs), and compiling cost
    more than running: 50-85 ms of that statement's 250-300 ms on the 1,000,000-kudos bench.
    """
    given = " ".join(options) if isinstance(options, tuple) else (options or "")
    return f"{given} -c jit=off".strip()


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection on checkout only if it sat unused for IDLE_PING_SECONDS."""

    @event.listens_for(engine.pool, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _taken(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool discards this connection and checks out another (a fresh one at worst).
            raise DisconnectionError("an idle pooled connection did not answer") from exc


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Autocommit at the driver level: SQLAlchemy's "begin" event issues BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    # Without statistics the planner picks poor indexes for the digest's pair look-ups; SQLite
    # advises this on opening a long-lived connection (it only analyses what needs it).
    cursor.execute("PRAGMA optimize=0x10002")
    cursor.close()


def make_session_factory(engine: Engine) -> SessionFactory:
    """Return the session factory every service and job uses (no expiry on commit)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: SessionFactory) -> Iterator[Session]:
    """Yield a session inside one transaction: committed on success, rolled back on error."""
    with factory() as session, session.begin():
        yield session


def ping(engine: Engine) -> bool:
    """Return whether the database answers a trivial query."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True
