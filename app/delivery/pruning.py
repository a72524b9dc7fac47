"""Forgetting finished outbox rows once nobody needs them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_
from sqlalchemy.orm import Session

from app.delivery.config import WorkerConfig
from app.delivery.uploads import prune_files
from app.store.models import OutboxMessage
from app.store.statuses import UNDELIVERED, OutboxStatus


def prune(session: Session, now: datetime, config: WorkerConfig) -> int:
    """Delete sent rows older than `keep_sent_days`, failed or cancelled ones older than
    `keep_failed_days`; return how many went. Files whose upload is finished go too."""
    result = session.execute(
        delete(OutboxMessage).where(
            or_(
                and_(
                    OutboxMessage.status == OutboxStatus.SENT,
                    OutboxMessage.finished_at < now - timedelta(days=config.keep_sent_days),
                ),
                and_(
                    OutboxMessage.status.in_(UNDELIVERED),
                    OutboxMessage.finished_at < now - timedelta(days=config.keep_failed_days),
                ),
            )
        )
    )
    prune_files(session)
    return int(result.rowcount)  # type: ignore[attr-defined]
