"""Plain Core statements without the ORM's layers: on an ORM session's connection (`connection`),
or in a transaction of their own that an ORM session joins only when asked for (`Work`), on a
pooled connection or on one a loop keeps for its transactions (`Kept`)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

# Where `connection` keeps the connection it found, with the transaction it belongs to.
_TAKEN = "core_connection"


def connection(session: Session) -> Connection:
    """Return the connection of `session`'s transaction, its pending changes flushed first.

    `Session.execute` runs even a Core statement through the ORM's layer (compile state, result
    wrapping): on the ack path, a third of SQLAlchemy's calls. The flush keeps what
    `Session.execute`'s autoflush guaranteed: the statement sees the session's own changes.
    The connection is looked up once per transaction: the ack takes it for every statement, and
    `Session.connection` walks the transaction's state machine each time.
    """
    session.flush()
    transaction = session.get_transaction()
    taken: tuple[SessionTransaction, Connection] | None = session.info.get(_TAKEN)
    if taken is not None and transaction is not None and taken[0] is transaction:
        return taken[1]
    found = session.connection()
    # Taking the connection may have begun the transaction: key the cache by the one now open.
    now_open = session.get_transaction()
    if now_open is not None:
        session.info[_TAKEN] = (now_open, found)
    return found


class Work:
    """One transaction on a plain connection, for work that is mostly Core statements (the
    delivery worker's rounds): an ORM session from the factory joins it when first asked for.

    A session's transaction costs about a third more calls to begin and end than the
    connection's alone (its state machine, the flush on commit), paid by every round although
    only a round that fails a row or renders a message uses the ORM.
    """

    def __init__(self, bind: Connection, factory: sessionmaker[Session]) -> None:
        self._bind = bind
        self._factory = factory
        self._session: Session | None = None

    @property
    def connection(self) -> Connection:
        """The transaction's connection, the session's pending changes (if any) flushed first."""
        if self._session is not None:
            self._session.flush()
        return self._bind

    @property
    def session(self) -> Session:
        """An ORM session in this transaction (the same one each time it is asked for)."""
        if self._session is None:
            # It neither commits nor closes the connection's transaction: `work` does.
            self._session = self._factory(bind=self._bind, join_transaction_mode="rollback_only")
        return self._session

    def _finish(self) -> None:
        """Flush the session, if one was opened, and end it as committed: its factory's commit
        hooks (the outbox's doorbell) fire, the connection's own commit follows at once."""
        if self._session is not None:
            self._session.commit()

    def _close(self) -> None:
        if self._session is not None:
            self._session.close()


@contextmanager
def work(factory: sessionmaker[Session], kept: Kept | None = None) -> Iterator[Work]:
    """Yield a `Work` in one transaction, committed when the block ends, rolled back if it
    raises: on `kept`'s connection if given, else on one from `factory`'s engine's pool."""
    if kept is not None:
        with kept.transaction() as bind:
            yield from _work_on(bind, factory)
        return
    engine = factory.kw["bind"]
    assert isinstance(engine, Engine), "the session factory is bound to one engine"
    with engine.begin() as bind:
        yield from _work_on(bind, factory)


def _work_on(bind: Connection, factory: sessionmaker[Session]) -> Iterator[Work]:
    unit = Work(bind, factory)
    try:
        yield unit
        unit._finish()
    finally:
        unit._close()


class Kept:
    """A connection kept from transaction to transaction by a loop that runs them back to back
    (the delivery worker's rounds): one per thread that runs them, each used by its own thread.

    Taking a pooled connection and giving it back cost each round about a fifth of its Python
    calls (the pool's checkout and check-in, its reset, their events). A thread's connection is
    given back after a transaction that failed (a broken one is then discarded, not reused). One
    that sat unused `idle_seconds` is pinged first, as the pool pings a connection idle that long
    before handing it out (`db.IDLE_PING_SECONDS`); if it does not answer, it is discarded and
    another taken.

    `settings` are PostgreSQL run-time parameters (name to value, from code, never from input)
    set on a connection while it is kept, and reset before it goes back to the pool.
    """

    def __init__(
        self,
        engine: Engine,
        idle_seconds: float,
        monotonic: Callable[[], float],
        settings: Mapping[str, str] | None = None,
    ) -> None:
        self._engine = engine
        self._idle_seconds = idle_seconds
        self._monotonic = monotonic
        self._settings = dict(settings or {})
        self._mine = threading.local()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """Yield this thread's kept connection (taken from the pool if it has none, or if its own
        sat idle and no longer answers) in a transaction: committed when the block ends, rolled
        back if it raises."""
        mine = self._mine
        bind: Connection | None = getattr(mine, "bind", None)
        idle = self._monotonic() - getattr(mine, "used_at", 0.0) > self._idle_seconds
        if bind is not None and idle and not self._answers(bind):
            self.close()
            bind = None
        if bind is None:
            bind = mine.bind = self._take()
        try:
            with bind.begin():
                yield bind
        except BaseException:
            self.close()
            raise
        finally:
            mine.used_at = self._monotonic()

    def close(self) -> None:
        """Give this thread's connection back to the pool, if it keeps one."""
        bind = self._let_go()
        if bind is None:
            return
        try:
            if self._settings and not bind.invalidated:
                for name in self._settings:
                    bind.exec_driver_sql(f"RESET {name}")
                bind.commit()
        except SQLAlchemyError:
            # A broken connection: the pool discards it rather than hand it out again.
            pass
        finally:
            bind.close()

    def renew(self) -> None:
        """Have this thread's next transaction run on a new connection: its database session
        starts with nothing prepared, so every statement is planned again for the tables as
        they are. The connection it kept is closed, not given back to the pool."""
        bind = self._let_go()
        if bind is not None:
            bind.invalidate()
            bind.close()

    def _let_go(self) -> Connection | None:
        """This thread's kept connection, which it keeps no longer; None if it kept none."""
        bind: Connection | None = getattr(self._mine, "bind", None)
        self._mine.bind = None
        return bind

    def _answers(self, bind: Connection) -> bool:
        """Whether `bind`'s database still answers it; if not, mark it broken."""
        try:
            dbapi_connection = bind.connection.dbapi_connection
            return dbapi_connection is not None and self._engine.dialect.do_ping(dbapi_connection)
        except Exception:
            # The driver's own error (the server went away): the pool must not hand it out.
            bind.invalidate()
            return False

    def _take(self) -> Connection:
        """A connection from the pool, with `settings` set (and committed: a SET rolled back
        with a failed round would be undone)."""
        bind = self._engine.connect()
        try:
            for name, value in self._settings.items():
                bind.exec_driver_sql(f"SET {name} = {value}")
            if self._settings:
                bind.commit()
        except BaseException:
            bind.close()
            raise
        return bind
