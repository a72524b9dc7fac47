"""The way from a listener into the domain: one request's `now`, and its unit of work.

A global middleware gives every admitted request a `Door` in Bolt's context. A listener parses
the payload, passes the use case through `door(context).run(...)`, and answers the outcome;
a database error becomes the `UNAVAILABLE` outcome, which `app.slack.answers` turns into the
person's answer for that surface. Bolt's synchronous dispatcher runs the listener after every
middleware has returned, so the transaction cannot wrap `next()`: the door opens it instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from slack_bolt import BoltContext, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from app.runtime import Runtime
from app.store.db import SessionFactory, transaction

log = logging.getLogger(__name__)

T = TypeVar("T")

_DOOR = "reciprocity_door"


@dataclass(frozen=True)
class Unavailable:
    """The database could not be reached: nothing was saved."""


UNAVAILABLE = Unavailable()

# How many times a transaction is tried when PostgreSQL aborts it to settle a lock conflict.
ATTEMPTS = 3
# SQLSTATEs of a transaction aborted only because of what ran beside it: deadlock_detected,
# serialization_failure. Two transactions that update the same outbox rows in different orders
# (a kudos withdrawn while the worker records its post and DM) are the case met in practice.
_CONFLICTS = frozenset({"40P01", "40001"})


def _run_again(exc: SQLAlchemyError) -> bool:
    """Whether `exc` says the transaction lost a lock conflict, so running it again may pass."""
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in _CONFLICTS


@dataclass(frozen=True)
class Door:
    """One request's way in: the time it arrived, and transactions on the store."""

    sessions: SessionFactory
    now: datetime

    def run(self, use_case: Callable[[Session, datetime], T]) -> T | Unavailable:
        """Run `use_case(session, now)` in one transaction; `UNAVAILABLE` if the database failed.

        The commit happens before this returns, so whatever the listener acks afterwards is
        already stored: an acknowledged action is never lost (a use case whose only write is
        one statement may run it alone, committed as it returns: `app.store.direct`). A
        transaction PostgreSQL aborted to break a deadlock (or a serialization conflict) is run
        again, up to `ATTEMPTS` times in all: it was rolled back whole, and a use case's only
        effects are its transaction's (what it owes Slack goes through the outbox), so running
        it again is safe.
        """
        attempt = 1
        while True:
            try:
                with transaction(self.sessions) as session:
                    return use_case(session, self.now)
            except SQLAlchemyError as exc:
                if attempt < ATTEMPTS and _run_again(exc):
                    log.info("a listener's transaction lost a lock conflict; running it again")
                    attempt += 1
                    continue
                log.exception("a listener's transaction failed on the database")
                return UNAVAILABLE


class DoorMiddleware(Middleware):
    """The global middleware that gives each request its `Door`.

    A `Middleware` instance, not a function: Bolt builds every injectable argument for each
    function middleware on each request, which cost more than giving the door.
    """

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        """Give `req` its door, then go on."""
        # Read through the runtime at each request: tests move its clock after start-up.
        req.context[_DOOR] = Door(self._runtime.sessions, self._runtime.clock.now())
        return next()


def door(context: BoltContext) -> Door:
    """The door the middleware gave this request."""
    found = context[_DOOR]
    assert isinstance(found, Door), "the door middleware is registered before every listener"
    return found
