"""Keeping Home tabs current: a publish is queued when what someone's Home shows changes.

The view is rendered when the worker sends it, not when it is queued (the renderer named
`RENDERER`, app/home/render.py), so a burst of changes for one person needs one pending
publish: the newest state goes out whichever change queued it. Only members who opened their
Home tab get one, which is why this lives with the directory, below everything that changes it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.delivery import outbox
from app.directory.service import Person
from app.store.db import is_sqlite
from app.store.models import Member, OutboxMessage
from app.store.statuses import OutboxStatus

# The name a queued publish asks the worker to render it with.
RENDERER = "home"


def with_home(found: Mapping[str, Person], user_ids: Iterable[str]) -> list[str]:
    """Those of `user_ids` whom the directory's facts `found` say have a Home tab to refresh
    (opened it, still active), once each: `refresh` has nothing to do for anyone else, so the
    rest cost no statement."""
    facts = (found.get(user_id) for user_id in dict.fromkeys(user_ids))
    return [p.user_id for p in facts if p and p.home_opened_at is not None and not p.deleted]


def opened(session: Session, team_id: str, user_id: str, now: datetime) -> None:
    """The person opened their Home tab: remember it and publish it fresh."""
    member = session.get(Member, (team_id, user_id))
    if member is not None and member.home_opened_at is None:
        member.home_opened_at = now
    _queue(session, team_id, user_id, now)


def refresh(session: Session, team_id: str, user_ids: Iterable[str], now: datetime) -> None:
    """Queue a fresh Home tab for each of `user_ids` who has ever opened theirs and is active."""
    for user_id in dict.fromkeys(u for u in user_ids if u):
        # Usually already in the session (the guards loaded them): no query at all.
        member = session.get(Member, (team_id, user_id))
        if member is not None and member.home_opened_at is not None and not member.deleted:
            _queue(session, team_id, user_id, now)


def _queue(session: Session, team_id: str, user_id: str, now: datetime) -> None:
    key = outbox.pace_key("views.publish", {"user_id": user_id})
    waiting = select(OutboxMessage.id).where(
        OutboxMessage.team_id == team_id,
        OutboxMessage.pace_key == key,
        OutboxMessage.method == "views.publish",
        OutboxMessage.status == OutboxStatus.PENDING,
    )
    if not is_sqlite(session.get_bind()):
        # Holding the pending row keeps a worker from rendering it before this change commits.
        waiting = waiting.with_for_update()
    if session.scalar(waiting.limit(1)) is not None:
        return
    outbox.queue(
        session,
        team_id=team_id,
        method="views.publish",
        args={"user_id": user_id, outbox.RENDER: RENDERER},
        dedupe_key=f"home:{user_id}:{uuid.uuid4().hex}",
        now=now,
    )
