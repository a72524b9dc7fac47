"""Why an introduction was refused: plain values the guards return and the renderers explain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class IntroRefusal(StrEnum):
    """Why an introduction was not made; `blocks.refusal_text` explains each one."""

    NOT_TWO = "not_two"
    UNKNOWN_NAME = "unknown_name"
    AMBIGUOUS_NAME = "ambiguous_name"
    SAME_PERSON = "same_person"
    SELF = "self"
    BOT = "bot"
    DEACTIVATED = "deactivated"
    UNKNOWN_USER = "unknown_user"
    NO_REASON = "no_reason"
    TOO_LONG = "too_long"
    RECENT = "recent"
    DAILY_LIMIT = "daily_limit"


@dataclass(frozen=True)
class Refused:
    """Nothing was stored; `reason` says why, about `subject` (a person or a name) if any."""

    reason: IntroRefusal
    subject: str = ""
    # DAILY_LIMIT: the limit; TOO_LONG: the longest reason allowed.
    limit: int = 0
    # RECENT: when the same two people were last introduced.
    since: datetime | None = None
    count: int = 0
