"""Slack's slash-command and interaction payloads, as plain values the domain can take."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SlashCommand:
    """The fields of a slash command the bot uses (Slack's names)."""

    team_id: str
    user_id: str
    channel_id: str
    channel_name: str
    command: str
    text: str
    response_url: str | None
    trigger_id: str | None

    @classmethod
    def from_payload(cls, body: Mapping[str, Any]) -> SlashCommand:
        """Read a slash command from Slack's form fields."""
        return cls(
            team_id=str(body.get("team_id") or ""),
            user_id=str(body.get("user_id") or ""),
            channel_id=str(body.get("channel_id") or ""),
            channel_name=str(body.get("channel_name") or ""),
            command=str(body.get("command") or ""),
            text=str(body.get("text") or ""),
            response_url=body.get("response_url") or None,
            trigger_id=body.get("trigger_id") or None,
        )

    @property
    def in_dm(self) -> bool:
        """Whether the command was typed in a direct message (1:1 or group)."""
        return self.channel_name in ("directmessage", "mpdm") or self.channel_id.startswith("D")


@dataclass(frozen=True)
class Reply:
    """What to answer the person with, ephemerally."""

    text: str
    blocks: list[dict[str, Any]] | None = None
    # True when nothing was done: a form shows the text beside the field instead of closing.
    refused: bool = False

    def as_ack(self) -> dict[str, Any]:
        """Keyword arguments for Bolt's `ack()`."""
        return {"text": self.text, **({"blocks": self.blocks} if self.blocks else {})}


def view_metadata(view: Mapping[str, Any]) -> dict[str, Any]:
    """Decode a view's `private_metadata` (our own JSON); anything unreadable is empty.

    It only carries context such as the channel; who acts is always Slack's `user`, never this.
    """
    try:
        decoded = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


def view_text(view: Mapping[str, Any], block: str) -> str:
    """The trimmed text a person typed in a form's `block` (action id "text"); "" if none."""
    state = view.get("state")
    values = state.get("values") if isinstance(state, Mapping) else None
    field = values.get(block) if isinstance(values, Mapping) else None
    entry = field.get("text") if isinstance(field, Mapping) else None
    value = entry.get("value") if isinstance(entry, Mapping) else None
    return str(value or "").strip()


@dataclass(frozen=True)
class Conversation:
    """The conversation a command was typed in, as the ack path knows it."""

    channel_id: str
    is_private: bool
    is_dm: bool
    bot_is_member: bool = True
