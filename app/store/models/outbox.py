"""The outbox: the Web API calls the bot owes Slack, and the files it owes an upload of."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.store.models.base import Base
from app.store.models.columns import CHANNEL, TS, serial_id, team_column
from app.store.statuses import OutboxStatus
from app.store.types import Id, Json, UTCDateTime


class OutboxMessage(Base):
    """One Web API call the bot owes Slack, delivered exactly once by the delivery worker."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = serial_id()
    team_id: Mapped[str] = team_column()
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
        # The rows still owed, each status in an index of its own rows: a claim reads a few
        # waiting or leased rows among the many sent, and an index of every row by status lets
        # a planner that knows only an average of rows per status judge any status most of the
        # table and read it all (SQLite, once ANALYZE has run: a lease lookup read every row).
        # `status` leads each index, so SQLite without statistics, which cannot count a partial
        # index's rows, still prefers it to (status, finished_at) for a status and a time.
        Index(
            "ix_outbox_messages_waiting",
            "status",
            "next_attempt_at",
            "id",
            sqlite_where=text(f"status = '{OutboxStatus.PENDING.value}'"),
            postgresql_where=text(f"status = '{OutboxStatus.PENDING.value}'"),
        ),
        Index(
            "ix_outbox_messages_leased",
            "status",
            "lease_expires_at",
            sqlite_where=text(f"status = '{OutboxStatus.SENDING.value}'"),
            postgresql_where=text(f"status = '{OutboxStatus.SENDING.value}'"),
        ),
        # Finished rows by age, for pruning.
        Index(None, "status", "finished_at"),
        # The rows that follow another, by what they follow: most rows follow none, and an
        # index of every row had SQLite's statistics judge a (team, key) a third of the table.
        Index(
            "ix_outbox_messages_following",
            "team_id",
            "after_key",
            sqlite_where=text("after_key IS NOT NULL"),
            postgresql_where=text("after_key IS NOT NULL"),
        ),
    )


class OutboxFile(Base):
    """The bytes of a file the outbox owes Slack an upload of, kept apart from its outbox row
    (`dedupe_key`) so that claiming rows never reads them; pruned once that row is finished."""

    __tablename__ = "outbox_files"

    id: Mapped[int] = serial_id()
    team_id: Mapped[str] = team_column()
    dedupe_key: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("team_id", "dedupe_key"),)
