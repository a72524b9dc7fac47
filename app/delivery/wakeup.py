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
from typing import Any

import psycopg
from sqlalchemy import Engine, event

from app.delivery.outbox import NOTIFY_CHANNEL

log = logging.getLogger(__name__)

# Where a pooled connection's record keeps the pid of its server process.
_BACKEND_PID = "outbox_listener_backend_pid"


def earliest(
    waiting: datetime | None, lease: datetime | None, now: datetime, lapsed_look: datetime | None
) -> datetime | None:
    """The earliest instant after `now` at which a row may be claimed, of the earliest next
    attempt of a `waiting` row and the earliest `lease` another worker holds (its lapse looked
    for no sooner than `lapsed_look`, when the claims next look for lapsed leases); None if
    neither is known."""
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
