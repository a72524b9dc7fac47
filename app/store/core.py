"""Plain Core statements inside an ORM session's transaction, without the ORM's execution layer."""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.orm import Session


def connection(session: Session) -> Connection:
    """Return the connection of `session`'s transaction, its pending changes flushed first.

    `Session.execute` runs even a Core statement through the ORM's layer (compile state, result
    wrapping): on the ack path, a third of SQLAlchemy's calls. The flush keeps what
    `Session.execute`'s autoflush guaranteed: the statement sees the session's own changes.
    """
    session.flush()
    return session.connection()
