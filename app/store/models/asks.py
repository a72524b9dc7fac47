"""Asks for help and what hangs off one: its helpers, matches, thread replies and nudges."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.store.models.base import Base, ids_never_reused
from app.store.models.columns import CHANNEL, TS, USER, part_of, parts, serial_id, team_column
from app.store.statuses import AskStatus
from app.store.types import Id, Json, UTCDateTime


class Ask(Base):
    """A specific request for help and its state: open, claimed, answered, resolved or closed."""

    __tablename__ = "asks"

    id: Mapped[int] = serial_id()
    team_id: Mapped[str] = team_column()
    asker_id: Mapped[str] = mapped_column(USER)
    text: Mapped[str] = mapped_column(Text)
    topics: Mapped[list[str]] = mapped_column(Json, default=list)
    origin_channel_id: Mapped[str] = mapped_column(CHANNEL)
    channel_is_private: Mapped[bool] = mapped_column(Boolean, default=False)
    channel_id: Mapped[str | None] = mapped_column(CHANNEL)
    message_ts: Mapped[str | None] = mapped_column(TS)
    status: Mapped[str] = mapped_column(String(16), default=AskStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(USER)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[str | None] = mapped_column(USER)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    nudge_round: Mapped[int] = mapped_column(SmallInteger, default=0)
    next_nudge_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    helpers: Mapped[list[AskHelper]] = parts("ask")

    __table_args__ = (
        Index(None, "team_id", "created_at"),
        Index(None, "status", "next_nudge_at"),
        Index(None, "team_id", "channel_id", "message_ts"),
        Index(None, "team_id", "answered_at"),
        Index(None, "team_id", "claimed_at"),
        # Privacy last: the digest counts live asks by it from this index alone.
        Index(None, "team_id", "status", "created_at", "channel_is_private"),
        ids_never_reused(),
    )


class AskHelper(Base):
    """A person credited with helping on an ask: one line of "who helped whom"."""

    __tablename__ = "ask_helpers"

    ask_id: Mapped[int] = part_of("asks.id")
    helper_id: Mapped[str] = mapped_column(USER, primary_key=True)
    team_id: Mapped[str] = team_column()
    # The ask's asker again, so "has this person ever helped that one?" is one index probe.
    asker_id: Mapped[str] = mapped_column(USER)
    credited_at: Mapped[datetime] = mapped_column(UTCDateTime)

    ask: Mapped[Ask] = relationship(back_populates="helpers")

    __table_args__ = (
        # A period's credited help, and who helped whom in it, from the index alone.
        Index(None, "team_id", "credited_at", "ask_id", "helper_id", "asker_id"),
        Index(None, "team_id", "helper_id"),
        Index(None, "team_id", "helper_id", "asker_id"),
    )


class AskMatch(Base):
    """A person told privately about an ask because their offers match it."""

    __tablename__ = "ask_matches"

    ask_id: Mapped[int] = part_of("asks.id")
    user_id: Mapped[str] = mapped_column(USER, primary_key=True)
    team_id: Mapped[str] = team_column()
    score: Mapped[float] = mapped_column(Float, default=0.0)
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index(None, "team_id", "user_id", "matched_at"),)


class AskReply(Base):
    """A person's reply in an ask's thread: who answered, and whether they took it back."""

    __tablename__ = "ask_replies"

    team_id: Mapped[str] = team_column(primary_key=True)
    channel_id: Mapped[str] = mapped_column(CHANNEL, primary_key=True)
    ts: Mapped[str] = mapped_column(TS, primary_key=True)
    ask_id: Mapped[int] = mapped_column(Id, ForeignKey("asks.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(USER)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index(None, "ask_id", "ts"),
        # The insights people page reads a period's replies (unsung helpers).
        Index(None, "team_id", "created_at"),
    )


class AskNudge(Base):
    """One nudge round of one ask, claimed before its messages are queued: exactly once."""

    __tablename__ = "ask_nudges"

    ask_id: Mapped[int] = part_of("asks.id")
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    team_id: Mapped[str] = team_column()
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
