"""Expiry: an introduction nobody finished answering by its `expires_at` is withdrawn.

Each expired introduction's two invitations lose their buttons, and the connector hears of it
once. The status change is the claim: a second pass, or a second process, finds nothing open.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.delivery import outbox
from app.directory import home_tabs as home
from app.intros import blocks, keys
from app.intros.answers import update_invitation
from app.store.db import is_sqlite
from app.store.models import Introduction, Member, Workspace
from app.store.statuses import OPEN_INTROS, IntroStatus

# At most this many introductions per pass; the rest wait for the next one.
BATCH = 200


def expire_due(session: Session, now: datetime) -> int:
    """Expire every open introduction (of an installed workspace) whose time ran out by `now`,
    up to `BATCH`; return how many."""
    due = _due(session, now)
    for intro in due:
        expire(session, intro, now)
    return len(due)


def _due(session: Session, now: datetime) -> Sequence[Introduction]:
    query = (
        select(Introduction)
        .join(Workspace, Workspace.team_id == Introduction.team_id)
        # An uninstalled workspace cannot be told; its introductions expire once it is back.
        .where(
            Workspace.active.is_(True),
            Introduction.status.in_(OPEN_INTROS),
            Introduction.expires_at <= now,
        )
        .order_by(Introduction.expires_at, Introduction.id)
        .limit(BATCH)
    )
    if not is_sqlite(session.get_bind()):
        # Another scheduler skips what this one holds, and a click being answered right now
        # (it locks its introduction) is left for the next pass rather than waited for.
        query = query.with_for_update(skip_locked=True, of=Introduction)
    return session.scalars(query).all()


def expire(session: Session, intro: Introduction, now: datetime) -> None:
    """Mark `intro` expired, withdraw both invitations, and tell the connector once."""
    intro.status, intro.ended_at = IntroStatus.EXPIRED, now
    line = blocks.expired_line(intro.expires_at)
    for person in (intro.first_id, intro.second_id):
        update_invitation(session, intro, person, "expired", line, now)
    if _reachable(session, intro.team_id, intro.connector_id):
        days = (intro.expires_at - intro.created_at).days
        outbox.queue(
            session,
            team_id=intro.team_id,
            method="dm",
            args={
                "user": intro.connector_id,
                **blocks.expired_note(intro.first_id, intro.second_id, days),
            },
            dedupe_key=keys.connector_note(intro.id, "expired"),
            now=now,
        )
    home.refresh(session, intro.team_id, [intro.connector_id, intro.first_id, intro.second_id], now)


def _reachable(session: Session, team_id: str, user_id: str) -> bool:
    """Whether a DM to `user_id` is worth sending: not known as deactivated or forgotten."""
    member = session.get(Member, (team_id, user_id))
    # A DM to someone deactivated would only fail; a forgotten person asked for no more.
    return member is None or (not member.deleted and member.forgotten_at is None)
