"""The way from an event listener into the domain: one transaction that fails loudly.

An event has no person to answer, and Slack retries an event that got no 2xx: a database error
must therefore propagate (app/slack/errors.py keeps its 500) rather than become the `UNAVAILABLE`
outcome that `Door.run` gives the listeners that answer a person.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from slack_bolt import BoltContext
from sqlalchemy.orm import Session

from app.slack.door import door
from app.store.db import transaction

T = TypeVar("T")


def run_event(context: BoltContext, use_case: Callable[[Session, datetime], T]) -> T:
    """Run `use_case(session, now)` in one transaction at the request's time; a database error
    raises, so Slack retries the event."""
    entrance = door(context)
    with transaction(entrance.sessions) as session:
        return use_case(session, entrance.now)
