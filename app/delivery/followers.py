"""Messages queued to follow another (`after_key`): an edit of, or reply to, a post not yet made.

A follower waits until the message it follows was sent, goes out in the order it was queued among
that message's followers, and takes that message's channel, ts and permalink in place of the
`$after.*` placeholders in its arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.delivery import outbox
from app.permalinks import permalink
from app.store.models import OutboxMessage, Workspace
from app.store.statuses import UNDELIVERED, UNFINISHED, OutboxStatus


def follower_args(
    session: Session, row: OutboxMessage, now: datetime
) -> dict[str, Any] | datetime | None:
    """Return the arguments follower `row` goes out with now; or the instant to look again, when
    what it follows (or an earlier follower) is not sent yet; or None when what it follows was
    never delivered and `row` has nothing to send instead."""
    before = session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.team_id == row.team_id,
            OutboxMessage.dedupe_key == row.after_key,
        )
    )
    if before is None or before.status in UNDELIVERED:
        return dict(row.after_failed_args) if row.after_failed_args is not None else None
    if before.status != OutboxStatus.SENT or _earlier_follower_unsent(session, row):
        # Followers of one message go out in the order they were queued: two edits of an ask's
        # message must not overtake each other.
        return _follow_at(before, now)
    domain = session.scalar(select(Workspace.domain).where(Workspace.team_id == row.team_id))
    posted = _Posted(before.result_channel, before.result_ts, domain)
    result: dict[str, Any] = _substitute(dict(row.args), posted)
    return result


def _earlier_follower_unsent(session: Session, row: OutboxMessage) -> bool:
    """Whether a follower of the same message, queued before `row`, is still to be sent."""
    earlier = session.scalar(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.team_id == row.team_id,
            OutboxMessage.after_key == row.after_key,
            OutboxMessage.id < row.id,
            OutboxMessage.status.in_(UNFINISHED),
        )
        .limit(1)
    )
    return earlier is not None


def _follow_at(before: OutboxMessage, now: datetime) -> datetime:
    """When to look again at a follower of `before`, which must go out first."""
    if before.status == OutboxStatus.PENDING and before.next_attempt_at > now:
        # Nothing can change before `before`'s own next attempt (a lookup's wait, a backoff).
        return before.next_attempt_at
    return now + timedelta(seconds=0.2 if before.status == OutboxStatus.SENT else 1)


@dataclass(frozen=True)
class _Posted:
    """Where the followed message went, for the `$after.*` placeholders."""

    channel: str | None
    ts: str | None
    domain: str | None

    @property
    def permalink(self) -> str:
        """The web link to the followed message."""
        return permalink(self.domain, self.channel or "", self.ts or "")


def _substitute(value: Any, posted: _Posted) -> Any:
    """Return `value` with every `$after.*` placeholder in its strings replaced from `posted`."""
    if isinstance(value, str):
        if outbox.AFTER_PERMALINK in value:
            value = value.replace(outbox.AFTER_PERMALINK, posted.permalink)
        return value.replace(outbox.AFTER_CHANNEL, posted.channel or "").replace(
            outbox.AFTER_TS, posted.ts or ""
        )
    if isinstance(value, dict):
        return {key: _substitute(item, posted) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, posted) for item in value]
    return value
