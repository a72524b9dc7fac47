"""The way from an event listener into the domain: the request's door, failing loudly.

An event has no person to answer, and Slack resends an event that got no 2xx: when the
database fails, the listener raises `EventNotStored` instead of answering `UNAVAILABLE`, and
app/slack/errors.py keeps the event's 500, so Slack sends it again and it is handled then.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from slack_bolt import BoltContext
from sqlalchemy.orm import Session

from app.slack.door import Unavailable, door

T = TypeVar("T")


class EventNotStored(RuntimeError):
    """The database failed while an event was handled: it is not acknowledged, so Slack resends."""


def run_event(context: BoltContext, use_case: Callable[[Session, datetime], T]) -> T:
    """Run `use_case(session, now)` through the request's door; raise `EventNotStored` if the
    database failed, so Slack sends the event again."""
    outcome = door(context).run(use_case)
    if isinstance(outcome, Unavailable):
        raise EventNotStored("the database is unavailable")
    return outcome
