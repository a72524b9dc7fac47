"""When the idle delivery worker must look again: the next known due time, and on PostgreSQL a
listener that rings the doorbell when another process queues rows.

An idle worker sleeps until a commit of its own process rings the doorbell, a row queued elsewhere
is announced by a NOTIFY (PostgreSQL), or the earliest time it knows a row comes due (a retry's
backoff, a paced row, a lapsing lease); the fallback poll only bounds what it cannot know.
"""

from __future__ import annotations

import logging
import selectors
import threading
from datetime import datetime, timedelta
from typing import Any, cast

import psycopg
from sqlalchemy import Engine, Table, bindparam, event, func, select
from sqlalchemy.orm import Session

from app.delivery.outbox import NOTIFY_CHANNEL
from app.store.core import connection
from app.store.models import OutboxMessage, Workspace
from app.store.statuses import OutboxStatus

log = logging.getLogger(__name__)

# Where a pooled connection's record keeps the pid of its server process.
_BACKEND_PID = "outbox_listener_backend_pid"


def _next_due_statement() -> Any:
    """The earliest next attempt of a waiting row after `b_now`, and the earliest lease of a
    row not in `b_held`, of active workspaces: one statement (one round trip), built once."""
    outbox = cast(Table, OutboxMessage.__table__)
    workspaces = cast(Table, Workspace.__table__)
    active = (workspaces.c.team_id == outbox.c.team_id) & workspaces.c.active.is_(True)
    now = bindparam("b_now", type_=outbox.c.next_attempt_at.type)
    waiting = (
        select(func.min(outbox.c.next_attempt_at))
        .join(workspaces, active)
        .where(outbox.c.status == OutboxStatus.PENDING, outbox.c.next_attempt_at > now)
    )
    leases = (
        select(func.min(outbox.c.lease_expires_at))
        .join(workspaces, active)
        .where(
            outbox.c.status == OutboxStatus.SENDING,
            outbox.c.id.not_in(bindparam("b_held", expanding=True, type_=outbox.c.id.type)),
        )
    )
    return select(waiting.scalar_subquery(), leases.scalar_subquery())


_NEXT_DUE = _next_due_statement()


def next_due(
    session: Session, now: datetime, held: frozenset[int], lapsed_look: datetime | None
) -> datetime | None:
    """The earliest instant after `now` at which a row of an active workspace may be claimed:
    a waiting row's next attempt, or a lease not `held` here running out (looked for no sooner
    than `lapsed_look`, when the claims next look for lapsed leases); None if none is known."""
    waiting, lease = (
        connection(session).execute(_NEXT_DUE, {"b_now": now, "b_held": sorted(held)}).one()
    )
    if lease is not None:
        # The claims take a lease that ran out strictly before their `now`.
        lease += timedelta(microseconds=1)
    if lease is not None and lapsed_look is not None:
        lease = max(lease, lapsed_look)
    if lease is not None and lease <= now:
        # Lapsed already, yet not claimed: another worker is taking it; it is no longer ours to
        # watch.
        lease = None
    known = [due for due in (waiting, lease) if due is not None]
    return min(known) if known else None


class OutboxListener:
    """Rings `doorbell` whenever a transaction in another process queued outbox rows (PostgreSQL
    LISTEN on its own connection, in a background thread): start() to stop().

    A notification sent by one of `engine`'s own connections is not rung again: that commit
    already rang this process's doorbell (`outbox.ring_on_commit`), and a second ring would cost
    the worker an empty round for every ack.
    """

    def __init__(self, engine: Engine, doorbell: threading.Event, retry_seconds: float) -> None:
        self._engine = engine
        # The server processes behind this process's pooled connections, which notify as they
        # commit what this process queued. Kept as connections open and close, so a pid the
        # server hands to another process's connection later is not taken for ours.
        self._own: set[int] = set()
        # On checkout rather than connect: the pool may hold connections opened before this.
        event.listen(engine, "checkout", self._checked_out)
        event.listen(engine, "close", self._closed)
        event.listen(engine, "close_detached", self._closed_detached)
        self._conninfo = engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        self._doorbell = doorbell
        self._retry_seconds = retry_seconds
        self._stopping = threading.Event()
        self._listening = threading.Event()
        # How many notifications it heard (what tests and operators can check).
        self.heard = 0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Listen in a background thread."""
        self._thread = threading.Thread(target=self._run, name="outbox-listener", daemon=True)
        self._thread.start()

    def wait_listening(self, timeout: float) -> bool:
        """Block until the LISTEN is in place (or `timeout` passes); return whether it is."""
        return self._listening.wait(timeout)

    def stop(self) -> None:
        """Stop listening; a NOTIFY of our own wakes the thread from its blocking wait."""
        self._stopping.set()
        if self._thread is None:
            return
        try:
            with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=2) as conn:
                conn.execute(f"NOTIFY {NOTIFY_CHANNEL}")
        except psycopg.Error:
            log.warning("could not wake the outbox listener; it ends with the process")
        self._thread.join(timeout=5)
        self._thread = None

    def _checked_out(self, dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if _BACKEND_PID not in record.info:
            pid = dbapi_connection.info.backend_pid
            record.info[_BACKEND_PID] = pid
            self._own.add(pid)

    def _closed(self, dbapi_connection: Any, record: Any) -> None:
        self._own.discard(record.info.pop(_BACKEND_PID, None))

    def _closed_detached(self, dbapi_connection: Any) -> None:
        # A detached connection has no pool record left; psycopg still knows its pid.
        self._own.discard(dbapi_connection.info.backend_pid)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=2) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self._listening.set()
                    # Rows queued while no LISTEN was in place went unannounced: look once.
                    self._doorbell.set()
                    with selectors.DefaultSelector() as server:
                        server.register(conn.fileno(), selectors.EVENT_READ)
                        while not self._stopping.is_set():
                            # psycopg's own wait wakes ten times a second (to notice Ctrl-C); an
                            # idle process should not: block on the socket, then read what came.
                            heard = [n.pid for n in conn.notifies(timeout=0)]
                            if any(pid not in self._own for pid in heard):
                                self._doorbell.set()
                            # Counted after the ring: whoever sees the count sees the ring.
                            self.heard += len(heard)
                            server.select()
            except psycopg.Error as exc:
                self._listening.clear()
                log.warning("outbox listener lost its connection (%s); retrying", exc)
                self._stopping.wait(self._retry_seconds)
