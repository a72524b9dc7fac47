"""The lifecycle states stored in status columns, by name: one enum per table that has them.

They are `StrEnum`s, so a row read back compares equal to its member and the stored text stays
what it always was (no migration).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, cast

from sqlalchemy import ColumnElement, literal_column, or_


class AskStatus(StrEnum):
    """Where an ask is in its life: posted, someone on it, answered, then resolved or closed."""

    OPEN = "open"
    CLAIMED = "claimed"
    ANSWERED = "answered"
    RESOLVED = "resolved"
    CLOSED = "closed"
    # Withdrawn before it was posted (its post could not be delivered, or the asker cancelled).
    DISCARDED = "discarded"


# The asks still waiting for help: shown on Home, counted in the digest, nudged.
LIVE_ASKS = (AskStatus.OPEN, AskStatus.CLAIMED, AskStatus.ANSWERED)


class OutboxStatus(StrEnum):
    """Where an outbox message is: waiting, leased by a worker, or finished one way or another."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


# Still owed to Slack: waiting for its turn, or leased by a worker sending it.
UNFINISHED = (OutboxStatus.PENDING, OutboxStatus.SENDING)
# Finished without reaching Slack: a message waiting on one of these is not sent either.
UNDELIVERED = (OutboxStatus.FAILED, OutboxStatus.CANCELLED)


class DigestRunStatus(StrEnum):
    """A week's digest claim: queued to post, quiet (nothing to say), or skipped past its grace."""

    QUEUED = "queued"
    QUIET = "quiet"
    SKIPPED = "skipped"


class IntroStatus(StrEnum):
    """Where an introduction is: asked, one yes, both yes (a group DM), a "not now", or expired."""

    WAITING = "waiting"
    ACCEPTED = "accepted"
    CONNECTED = "connected"
    DECLINED = "declined"
    EXPIRED = "expired"


# Introductions still waiting for an answer: they expire, and their buttons still work.
OPEN_INTROS = (IntroStatus.WAITING, IntroStatus.ACCEPTED)


class IntroAnswer(StrEnum):
    """What one of the two people said to an introduction."""

    ACCEPTED = "accepted"
    DECLINED = "declined"


def written_status(column: Any, status: StrEnum) -> ColumnElement[bool]:
    """`column` equals `status`, written into the statement's text rather than bound.

    PostgreSQL prepares a statement the bot runs again and again, and after five runs may plan
    it once for all of them. A bound status leaves that plan guessing how many rows have it:
    the delivery worker's claim was planned as a read of a quarter of the outbox, where the
    waiting and leased rows are a few among the many sent. (The members are plain words.)
    The worker's own connection goes further and leaves its plans index walks only
    (`delivery.round_plans`); these statements also run on pooled connections (a withdrawn
    kudos or an erasure wakes followers), where this is what keeps their plans right.
    """
    return cast(ColumnElement[bool], column == literal_column(f"'{status.value}'"))


def written_unfinished(column: Any) -> ColumnElement[bool]:
    """`column` is one of `UNFINISHED`, each written into the text as its own term.

    Each term then matches the partial index of its status's rows (SQLite searches one index
    after the other; PostgreSQL ORs their bitmaps), where `IN` matches neither and leaves the
    index of every row by status, which a planner with statistics may judge not worth reading."""
    return or_(*(written_status(column, status) for status in UNFINISHED))


def unindexed_status(column: Any, status: StrEnum) -> ColumnElement[bool]:
    """`column` equals `status`, in a form no index on `column` can answer (`status || ''`).

    For a SQLite statement joined to a JSON list of rows, each of which finds its own row by
    another index: with the status open to it, the planner walked a status's rows and the whole
    list for each (a round's sent rows, a post's followers among the rows put off for later)."""
    return cast(ColumnElement[bool], column + "" == status.value)
