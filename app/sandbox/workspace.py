"""What the stand-in's workspace holds (its conversations) and the error a Web API call answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class SlackError(Exception):
    """Answer the current call with Slack's `error` code (and `response_metadata.messages`)."""

    def __init__(self, error: str, status: int = 200, *, messages: tuple[str, ...] = ()) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.messages = messages


class RateLimited(SlackError):
    """HTTP 429 `ratelimited`, to be retried after `retry_after` seconds."""

    def __init__(self, retry_after: int = 1) -> None:
        super().__init__("ratelimited", 429)
        self.retry_after = retry_after


@dataclass
class Channel:
    """One conversation: a public or private channel, or a DM between a person and the bot."""

    id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    is_archived: bool = False
    bot_is_member: bool = False
    members: set[str] = field(default_factory=set)
    user: str | None = None
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A DM is between a person and the bot: the bot is always in it.
        if self.is_im:
            self.bot_is_member = True

    @property
    def kind(self) -> str:
        """The event's `channel_type`: "im", "group" (private) or "channel" (public)."""
        if self.is_im:
            return "im"
        return "group" if self.is_private else "channel"

    def hears(self) -> bool:
        """Whether Slack sends the bot this conversation's message and reaction events."""
        return self.is_im or self.bot_is_member

    def info(self) -> dict[str, Any]:
        """The conversation object `conversations.info` and `conversations.join` answer."""
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not self.is_im and not self.is_private,
            "is_group": self.is_private and not self.is_im,
            "is_im": self.is_im,
            "is_private": self.is_private or self.is_im,
            "is_archived": self.is_archived,
            "is_member": self.bot_is_member,
            **({"user": self.user} if self.user else {}),
        }
