"""A workspace, its settings, and the directory of its people and conversations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from app.store.models.base import Base
from app.store.models.columns import CHANNEL, TEAM, USER, team_column
from app.store.types import Json, UTCDateTime


class Workspace(Base):
    """One installed Slack workspace and its settings."""

    __tablename__ = "workspaces"

    team_id: Mapped[str] = mapped_column(TEAM, primary_key=True)
    enterprise_id: Mapped[str | None] = mapped_column(TEAM)
    name: Mapped[str] = mapped_column(String(200), default="")
    domain: Mapped[str | None] = mapped_column(String(200))
    bot_user_id: Mapped[str | None] = mapped_column(USER)
    bot_id: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The workspace's own zone drives its schedule (digest day and hour).
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")

    asks_channel_id: Mapped[str | None] = mapped_column(CHANNEL)
    kudos_channel_id: Mapped[str | None] = mapped_column(CHANNEL)
    digest_channel_id: Mapped[str | None] = mapped_column(CHANNEL)
    digest_weekday: Mapped[int] = mapped_column(SmallInteger, default=0)
    digest_hour: Mapped[int] = mapped_column(SmallInteger, default=9)
    digest_when_quiet: Mapped[bool] = mapped_column(Boolean, default=True)
    # Whether the digest carries the week's help-network picture (an uploaded PNG).
    digest_picture: Mapped[bool] = mapped_column(Boolean, default=True)

    kudos_daily_limit: Mapped[int] = mapped_column(Integer, default=5)
    kudos_max_length: Mapped[int] = mapped_column(Integer, default=1000)
    kudos_reply_mode: Mapped[str] = mapped_column(String(16), default="channel")
    kudos_values: Mapped[list[str]] = mapped_column(Json, default=list)
    reaction_emoji: Mapped[str | None] = mapped_column(String(100))

    work_days: Mapped[list[int]] = mapped_column(Json, default=lambda: [0, 1, 2, 3, 4])
    work_start_hour: Mapped[int] = mapped_column(SmallInteger, default=9)
    work_end_hour: Mapped[int] = mapped_column(SmallInteger, default=18)
    matches_per_ask: Mapped[int] = mapped_column(SmallInteger, default=3)
    expert_daily_cap: Mapped[int] = mapped_column(SmallInteger, default=5)
    # Whether people matched to an ask from a private place may read its text.
    share_private_asks: Mapped[bool] = mapped_column(Boolean, default=False)

    # A missed digest is still posted this long after its time; older ones are skipped.
    digest_grace_hours: Mapped[int] = mapped_column(SmallInteger, default=24)
    nudges_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Working hours without a reply before each nudge round, counted from the ask.
    nudge_first_hours: Mapped[int] = mapped_column(SmallInteger, default=4)
    nudge_second_hours: Mapped[int] = mapped_column(SmallInteger, default=24)
    nudge_last_hours: Mapped[int] = mapped_column(SmallInteger, default=40)
    # Days the asker has to answer the last round before the ask is closed as stale.
    stale_after_days: Mapped[int] = mapped_column(SmallInteger, default=3)
    # Hours after the first answer before an unresolved ask's asker is followed up.
    follow_up_hours: Mapped[int] = mapped_column(SmallInteger, default=24)
    offer_confirm_days: Mapped[int] = mapped_column(SmallInteger, default=90)
    offer_grace_days: Mapped[int] = mapped_column(SmallInteger, default=14)
    # Days an introduction waits for both answers before it is withdrawn.
    intro_expiry_days: Mapped[int] = mapped_column(SmallInteger, default=7)
    # Introductions one connector may make in a day, counted in their own time zone.
    intro_daily_limit: Mapped[int] = mapped_column(SmallInteger, default=5)
    # Whether the bot suggests introductions people could make (at most one a week each).
    intro_suggestions: Mapped[bool] = mapped_column(Boolean, default=True)


class Member(Base):
    """The cached profile of one person (or bot) in a workspace's directory."""

    __tablename__ = "members"

    team_id: Mapped[str] = team_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(USER, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    real_name: Mapped[str] = mapped_column(String(200), default="")
    display_name: Mapped[str] = mapped_column(String(200), default="")
    tz: Mapped[str | None] = mapped_column(String(64))
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # Deactivated in Slack, which is reversible: guards and filters pass them over while it
    # stands; nothing of theirs is erased (app/directory/departures.py).
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    leaderboard_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    nudges_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set by an admin: this person may not give kudos until unlocked.
    kudos_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when the person's data was erased (`reciprocity forget`): the directory keeps no
    # name for them from then on. `deleted` (deactivated in Slack) erases nothing.
    forgotten_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the person first opens the app's Home tab: only they get refreshed Home views.
    home_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index(None, "team_id", "name"),)

    @property
    def shown_name(self) -> str:
        """The name Slack shows for this person: display name, else real name, else handle."""
        return self.display_name or self.real_name or self.name


class Channel(Base):
    """The cached facts about one conversation that guards need on the ack path."""

    __tablename__ = "channels"

    team_id: Mapped[str] = team_column(primary_key=True)
    channel_id: Mapped[str] = mapped_column(CHANNEL, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    is_private: Mapped[bool] = mapped_column(Boolean, default=False)
    is_im: Mapped[bool] = mapped_column(Boolean, default=False)
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False)
    bot_is_member: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
