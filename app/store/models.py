"""The records the bot keeps, as SQLAlchemy 2 typed models.

Every table carries `team_id` and every query filters on it: no workspace sees another's rows.
Alembic (migrations/) owns the schema; a test proves these models and the migrations agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from app.store.statuses import AskStatus, DigestRunStatus, OutboxStatus
from app.store.types import Id, Json, UTCDateTime

# Stable constraint names keep migrations (and SQLite batch rebuilds) deterministic.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TEAM = String(32)
USER = String(32)
CHANNEL = String(32)
TS = String(32)


class Base(DeclarativeBase):
    """Declarative base holding the shared metadata."""

    metadata = MetaData(naming_convention=NAMING)


def _ids_never_reused() -> dict[str, Any]:
    """Table options that keep SQLite from handing a deleted row's id to a new row."""
    # Ids in outbox keys (`kudos:<id>:post`), links and button values must never name two rows;
    # without AUTOINCREMENT SQLite reuses the id of a deleted newest row. PostgreSQL never does.
    return {"sqlite_autoincrement": True}


def _team_fk() -> ForeignKey:
    return ForeignKey("workspaces.team_id", ondelete="CASCADE")


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


class Member(Base):
    """The cached profile of one person (or bot) in a workspace's directory."""

    __tablename__ = "members"

    team_id: Mapped[str] = mapped_column(TEAM, _team_fk(), primary_key=True)
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


class Channel(Base):
    """The cached facts about one conversation that guards need on the ack path."""

    __tablename__ = "channels"

    team_id: Mapped[str] = mapped_column(TEAM, _team_fk(), primary_key=True)
    channel_id: Mapped[str] = mapped_column(CHANNEL, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    is_private: Mapped[bool] = mapped_column(Boolean, default=False)
    is_im: Mapped[bool] = mapped_column(Boolean, default=False)
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False)
    bot_is_member: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Kudos(Base):
    """One act of public thanks from a giver to one or more recipients."""

    __tablename__ = "kudos"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(TEAM, _team_fk())
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

    recipients: Mapped[list[KudosRecipient]] = relationship(
        back_populates="kudos", cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (
        UniqueConstraint("team_id", "dedupe_key"),
        Index(None, "team_id", "created_at"),
        Index(None, "team_id", "giver_id", "created_at"),
        _ids_never_reused(),
    )


class KudosRecipient(Base):
    """One person thanked by a kudos."""

    __tablename__ = "kudos_recipients"

    kudos_id: Mapped[int] = mapped_column(
        Id, ForeignKey("kudos.id", ondelete="CASCADE"), primary_key=True
    )
    recipient_id: Mapped[str] = mapped_column(USER, primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM, _team_fk())
    # The kudos's giver again, so "have these two ever thanked each other?" is one index probe.
    giver_id: Mapped[str] = mapped_column(USER)

    kudos: Mapped[Kudos] = relationship(back_populates="recipients")

    __table_args__ = (
        Index(None, "team_id", "recipient_id"),
        Index(None, "team_id", "giver_id", "recipient_id"),
    )


class Ask(Base):
    """A specific request for help and its state: open, claimed, answered, resolved or closed."""

    __tablename__ = "asks"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(TEAM, _team_fk())
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

    helpers: Mapped[list[AskHelper]] = relationship(
        back_populates="ask", cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (
        Index(None, "team_id", "created_at"),
        Index(None, "status", "next_nudge_at"),
        Index(None, "team_id", "channel_id", "message_ts"),
        Index(None, "team_id", "answered_at"),
        Index(None, "team_id", "claimed_at"),
        Index(None, "team_id", "status", "created_at"),
        _ids_never_reused(),
    )


class AskHelper(Base):
    """A person credited with helping on an ask: one line of "who helped whom"."""

    __tablename__ = "ask_helpers"

    ask_id: Mapped[int] = mapped_column(
        Id, ForeignKey("asks.id", ondelete="CASCADE"), primary_key=True
    )
    helper_id: Mapped[str] = mapped_column(USER, primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM, _team_fk())
    # The ask's asker again, so "has this person ever helped that one?" is one index probe.
    asker_id: Mapped[str] = mapped_column(USER)
    credited_at: Mapped[datetime] = mapped_column(UTCDateTime)

    ask: Mapped[Ask] = relationship(back_populates="helpers")

    __table_args__ = (
        Index(None, "team_id", "credited_at"),
        Index(None, "team_id", "helper_id"),
        Index(None, "team_id", "helper_id", "asker_id"),
    )


class AskMatch(Base):
    """A person told privately about an ask because their offers match it."""

    __tablename__ = "ask_matches"

    ask_id: Mapped[int] = mapped_column(
        Id, ForeignKey("asks.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(USER, primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM, _team_fk())
    score: Mapped[float] = mapped_column(Float, default=0.0)
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index(None, "team_id", "user_id", "matched_at"),)


class AskReply(Base):
    """A person's reply in an ask's thread: who answered, and whether they took it back."""

    __tablename__ = "ask_replies"

    team_id: Mapped[str] = mapped_column(TEAM, _team_fk(), primary_key=True)
    channel_id: Mapped[str] = mapped_column(CHANNEL, primary_key=True)
    ts: Mapped[str] = mapped_column(TS, primary_key=True)
    ask_id: Mapped[int] = mapped_column(Id, ForeignKey("asks.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(USER)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index(None, "ask_id", "ts"),)


class Offer(Base):
    """A topic someone volunteers to help with."""

    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(TEAM, _team_fk())
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
        _ids_never_reused(),
    )


class OutboxMessage(Base):
    """One Web API call the bot owes Slack, delivered exactly once by the delivery worker."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(TEAM, _team_fk())
    dedupe_key: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(40))
    args: Mapped[dict[str, Any]] = mapped_column(Json)
    # The channel (or user, for DMs) whose per-channel limit paces this call.
    pace_key: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result_channel: Mapped[str | None] = mapped_column(CHANNEL)
    result_ts: Mapped[str | None] = mapped_column(TS)
    # "After posting, record channel and ts on this record": e.g. ("asks", 42).
    link_table: Mapped[str | None] = mapped_column(String(32))
    link_id: Mapped[int | None] = mapped_column(Id)
    # Who to tell, and how, if the call fails for good (a person waiting on a /kudos post).
    on_failure: Mapped[dict[str, Any] | None] = mapped_column(Json)
    # Send only after the row with this dedupe key was sent; "$after.channel" and "$after.ts" in
    # `args` then take that row's result (an update or thread reply to a post not yet made).
    after_key: Mapped[str | None] = mapped_column(String(200))
    # What to send instead if that row failed (None: fail too), e.g. a note without the link.
    after_failed_args: Mapped[dict[str, Any] | None] = mapped_column(Json)

    __table_args__ = (
        UniqueConstraint("team_id", "dedupe_key"),
        Index(None, "status", "next_attempt_at"),
        Index(None, "status", "finished_at"),
        Index(None, "team_id", "after_key"),
    )


class AskNudge(Base):
    """One nudge round of one ask, claimed before its messages are queued: exactly once."""

    __tablename__ = "ask_nudges"

    ask_id: Mapped[int] = mapped_column(
        Id, ForeignKey("asks.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM, _team_fk())
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DigestRun(Base):
    """The claim on one workspace's weekly digest: its key makes the digest exactly-once."""

    __tablename__ = "digest_runs"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(TEAM, _team_fk())
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


__all__ = [
    "Ask",
    "AskHelper",
    "AskMatch",
    "Base",
    "Channel",
    "DigestRun",
    "Kudos",
    "KudosRecipient",
    "Member",
    "Offer",
    "OutboxMessage",
    "ProcessedEvent",
    "Workspace",
]


# slack-sdk's installation and OAuth-state tables (multi-workspace installs), in the shapes its
# stores expect, on our metadata: Alembic creates and migrates them like every other table.
BOTS_TABLE = "slack_bots"
INSTALLATIONS_TABLE = "slack_installations"
STATES_TABLE = "slack_oauth_states"
SQLAlchemyInstallationStore.build_bots_table(Base.metadata, BOTS_TABLE)
SQLAlchemyInstallationStore.build_installations_table(Base.metadata, INSTALLATIONS_TABLE)
SQLAlchemyOAuthStateStore.build_oauth_states_table(Base.metadata, STATES_TABLE)
# Tokens are stored encrypted (app/slack/token_crypto.py), longer than slack-sdk's 200 characters.
for _table in (BOTS_TABLE, INSTALLATIONS_TABLE):
    for _column in Base.metadata.tables[_table].c:
        if _column.name.endswith("_token"):
            _column.type = String(1000)
