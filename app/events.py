"""Exactly-once handling of Slack's events, which Slack retries and sometimes resends."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.store.models import ProcessedEvent
from app.store.upsert import insert_new


def first_delivery(session: Session, team_id: str, key: str, now: datetime) -> bool:
    """Claim `key` (an event_id, or a message's channel and ts) in this transaction.

    Return True the first time, False when another transaction already claimed it. The claim
    commits or rolls back with the work it guards, so a failed handler is retried cleanly.
    """
    row = {"team_id": team_id, "key": key[:120], "received_at": now}
    return insert_new(session, ProcessedEvent, row, key=["team_id", "key"])


def prune_processed(session: Session, now: datetime, keep: timedelta = timedelta(days=2)) -> int:
    """Forget claims older than `keep`: Slack stops retrying an event within the hour."""
    result = session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < now - keep))
    return int(result.rowcount)  # type: ignore[attr-defined]
