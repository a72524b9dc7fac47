"""Offers: the topics people volunteer to help with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.store.models.base import Base, ids_never_reused
from app.store.models.columns import USER, serial_id, team_column
from app.store.types import UTCDateTime


class Offer(Base):
    """A topic someone volunteers to help with."""

    __tablename__ = "offers"

    id: Mapped[int] = serial_id()
    team_id: Mapped[str] = team_column()
    user_id: Mapped[str] = mapped_column(USER)
    topic: Mapped[str] = mapped_column(String(80))
    note: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the offerer was last asked whether this still stands (None: not since confirming).
    confirm_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("team_id", "user_id", "topic"),
        Index(None, "team_id", "topic"),
        Index(None, "team_id", "created_at"),
        Index(None, "active", "confirmed_at"),
        ids_never_reused(),
    )
