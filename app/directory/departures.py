"""Deactivation: Slack's `deleted: true`, which an admin can undo. It erases nothing.

The directory's flag is all that changes: guards and filters read it to keep kudos, asks and DMs
from reaching the person while it stands, and everything they gave, asked and answered stays in
the record. Erasing a person is a separate, explicit act (`app.privacy.service.forget_person`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.directory.service import save_members
from app.privacy.service import cancel_messages_to
from app.store.models import Member


def set_deactivated(
    session: Session, team_id: str, user_id: str, deactivated: bool, now: datetime
) -> None:
    """Record whether `user_id` is deactivated; while they are, nothing queued reaches them.

    Forgotten people get the flag too (it says nothing about them, and guards need it), though
    their profile stays empty. Safe to run again: Slack retries events.
    """
    session.execute(
        update(Member)
        .where(Member.team_id == team_id, Member.user_id == user_id)
        .values(deleted=deactivated)
    )
    if deactivated:
        # Slack would refuse them (`user_disabled`).
        cancel_messages_to(session, team_id, user_id, now)


def profile_changed(session: Session, team_id: str, user: Mapping[str, Any], now: datetime) -> None:
    """Slack sent `user`'s profile (it changed, or they joined): refresh the directory entry and
    their deactivation. Saving the same profile twice is harmless: Slack's retries need no dedupe.
    """
    save_members(session, team_id, [user], now)
    set_deactivated(session, team_id, str(user["id"]), bool(user.get("deleted")), now)
