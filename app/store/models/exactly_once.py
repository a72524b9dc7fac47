"""Claims that make scheduled and incoming work happen once: digest runs and events seen."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.store.models.base import Base
from app.store.models.columns import TEAM, serial_id, team_column
from app.store.statuses import DigestRunStatus
from app.store.types import UTCDateTime


class DigestRun(Base):
    """The claim on one workspace's weekly digest: its key makes the digest exactly-once."""

    __tablename__ = "digest_runs"

    id: Mapped[int] = serial_id()
    team_id: Mapped[str] = team_column()
    week: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12), default=DigestRunStatus.QUEUED)
    trigger: Mapped[str] = mapped_column(String(12), default="schedule")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("team_id", "week"),)


class ProcessedEvent(Base):
    """An event already handled, by Slack's `event_id` or by message (channel, ts)."""

    __tablename__ = "processed_events"

    team_id: Mapped[str] = mapped_column(TEAM, primary_key=True)
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index(None, "received_at"),)
