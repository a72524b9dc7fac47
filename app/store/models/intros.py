"""Introductions: a connector's wish to put two people in touch, each person's answer, and the
introductions the bot suggests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.store.models.base import Base, ids_never_reused
from app.store.models.columns import CHANNEL, TS, USER, part_of, parts, serial_id, team_column
from app.store.statuses import IntroStatus
from app.store.types import UTCDateTime


class Introduction(Base):
    """One introduction: who connects whom and why, and where it stands (see `IntroStatus`)."""

    __tablename__ = "introductions"

    id: Mapped[int] = serial_id()
    team_id: Mapped[str] = team_column()
    connector_id: Mapped[str] = mapped_column(USER)
    # The two people, in the order the connector named them.
    first_id: Mapped[str] = mapped_column(USER)
    second_id: Mapped[str] = mapped_column(USER)
    reason: Mapped[str] = mapped_column(Text)
    # Where it was asked for. Asked in a private place, its thanks is never posted in public (the
    # digest names people either way, as for kudos, and never quotes the reason).
    channel_id: Mapped[str] = mapped_column(CHANNEL)
    channel_is_private: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(String(16), default="command")
    status: Mapped[str] = mapped_column(String(16), default=IntroStatus.WAITING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When it was declined or expired.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The group DM the introduction was posted in, once it was.
    group_channel_id: Mapped[str | None] = mapped_column(CHANNEL)
    group_ts: Mapped[str | None] = mapped_column(TS)

    people: Mapped[list[IntroPerson]] = parts("introduction")

    def other_than(self, user_id: str) -> str:
        """The one of the two people who is not `user_id`."""
        return self.second_id if user_id == self.first_id else self.first_id

    __table_args__ = (
        Index(None, "team_id", "connector_id", "created_at"),
        Index(None, "team_id", "first_id", "second_id", "created_at"),
        Index(None, "status", "expires_at"),
        Index(None, "status", "connected_at"),
        Index(None, "team_id", "connected_at"),
        ids_never_reused(),
    )


class IntroPerson(Base):
    """One of the two people introduced: their answer, and the follow-up they were sent."""

    __tablename__ = "intro_people"

    intro_id: Mapped[int] = part_of("introductions.id")
    user_id: Mapped[str] = mapped_column(USER, primary_key=True)
    team_id: Mapped[str] = team_column()
    # "accepted" or "declined"; None while they have not answered.
    answer: Mapped[str | None] = mapped_column(String(16))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When they were asked whether the introduction helped (once, two weeks after it was made).
    followed_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    introduction: Mapped[Introduction] = relationship(back_populates="people")

    __table_args__ = (Index(None, "team_id", "user_id"),)


class IntroSuggestion(Base):
    """An introduction the bot suggested to someone who could make it, and their answer."""

    __tablename__ = "intro_suggestions"

    id: Mapped[int] = serial_id()
    team_id: Mapped[str] = team_column()
    # Who is asked to make the introduction, and the two people it would connect.
    suggested_to: Mapped[str] = mapped_column(USER)
    first_id: Mapped[str] = mapped_column(USER)
    second_id: Mapped[str] = mapped_column(USER)
    # Why the bot thought of it ("new_helper" or "shared_topic"), and the topic concerned.
    kind: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # "introduced" or "dismissed" once they clicked; None before.
    answer: Mapped[str | None] = mapped_column(String(16))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("team_id", "suggested_to", "first_id", "second_id"),
        Index(None, "team_id", "suggested_to", "created_at"),
        # The pass reads a workspace's recent suggestions: the pairs, and how many today.
        Index(None, "team_id", "created_at"),
        ids_never_reused(),
    )
