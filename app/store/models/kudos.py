"""Kudos: one act of thanks and the people it thanks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.store.models.base import Base, ids_never_reused
from app.store.models.columns import CHANNEL, TS, USER, part_of, parts, serial_id, team_column
from app.store.types import Json, UTCDateTime


class Kudos(Base):
    """One act of public thanks from a giver to one or more recipients."""

    __tablename__ = "kudos"

    id: Mapped[int] = serial_id()
    team_id: Mapped[str] = team_column()
    giver_id: Mapped[str] = mapped_column(USER)
    channel_id: Mapped[str] = mapped_column(CHANNEL)
    # Private channels and DMs: counted in digests and boards, never quoted.
    channel_is_private: Mapped[bool] = mapped_column(Boolean, default=False)
    message: Mapped[str] = mapped_column(Text)
    values: Mapped[list[str]] = mapped_column(Json, default=list)
    source: Mapped[str] = mapped_column(String(16), default="command")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    post_channel_id: Mapped[str | None] = mapped_column(CHANNEL)
    post_ts: Mapped[str | None] = mapped_column(TS)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(USER)
    # Natural key of the act that caused it (a reaction, an ask's resolution): makes replays no-ops.
    dedupe_key: Mapped[str | None] = mapped_column(String(200))

    recipients: Mapped[list[KudosRecipient]] = parts("kudos")

    __table_args__ = (
        UniqueConstraint("team_id", "dedupe_key"),
        # A giver's kudos by time; with `undone_at`, the ack's count of their kudos today is
        # read from this index alone (without it, SQLite with no statistics counted from the
        # live index below: every kudos of the workspace that day, not the giver's).
        Index(None, "team_id", "giver_id", "created_at", "undone_at"),
        # A period's kudos (the digest, the insights pages, the board), and its live ones counted
        # and joined to their recipients from this index alone.
        Index(
            "ix_kudos_team_id_created_at_live",
            "team_id",
            "created_at",
            "undone_at",
            "revoked_at",
            "id",
            "giver_id",
            "channel_is_private",
            "channel_id",
        ),
        ids_never_reused(),
    )


class KudosRecipient(Base):
    """One person thanked by a kudos."""

    __tablename__ = "kudos_recipients"

    kudos_id: Mapped[int] = part_of("kudos.id")
    recipient_id: Mapped[str] = mapped_column(USER, primary_key=True)
    team_id: Mapped[str] = team_column()
    # The kudos's giver again, so "have these two ever thanked each other?" is one index probe.
    giver_id: Mapped[str] = mapped_column(USER)

    kudos: Mapped[Kudos] = relationship(back_populates="recipients")

    __table_args__ = (
        Index(None, "team_id", "recipient_id"),
        # The kudos id last: the digest's "did a ever thank b?" probe reads it from the index.
        Index(None, "team_id", "giver_id", "recipient_id", "kudos_id"),
    )
