"""Plain Core statements inside an ORM session's transaction, without the ORM's execution layer."""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.orm import Session, SessionTransaction

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
