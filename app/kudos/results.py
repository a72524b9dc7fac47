"""What giving or withdrawing a kudos came to: plain values the renderers and callers read.

Kept apart from the code that gives and renders, so both can import them without a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class RefusalReason(StrEnum):
    """Why a kudos was not given; each has a friendly explanation in `blocks.refusal_text`."""

    NO_RECIPIENT = "no_recipient"
    UNKNOWN_NAME = "unknown_name"
    AMBIGUOUS_NAME = "ambiguous_name"
    SELF = "self"
    BOT = "bot"
    DEACTIVATED = "deactivated"
    UNKNOWN_USER = "unknown_user"
    NO_MESSAGE = "no_message"
    TOO_LONG = "too_long"
    DAILY_LIMIT = "daily_limit"
    LOCKED = "locked"
    UNKNOWN_VALUE = "unknown_value"


@dataclass(frozen=True)
class Given:
    """The kudos was stored and its messages queued."""

    kudos_id: int
    recipients: tuple[str, ...]
    remaining_today: int
    duplicate: bool = False


@dataclass(frozen=True)
class Refused:
    """Nothing was stored; `reason` (and `subjects`, the people or values concerned) say why."""

    reason: RefusalReason
    remaining_today: int
    subjects: tuple[str, ...] = ()
    limit: int = 0
    allowed: tuple[str, ...] = field(default_factory=tuple)


class WithdrawRefusal(StrEnum):
    """Why a kudos was not undone or revoked."""

    GONE = "gone"
    NOT_GIVER = "not_giver"
    NOT_ADMIN = "not_admin"
    ALREADY_WITHDRAWN = "already_withdrawn"
    TOO_LATE = "too_late"


@dataclass(frozen=True)
class Withdrawn:
    """A kudos was undone by its giver or revoked by an admin."""

    kudos_id: int
    by: str
