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


def view_metadata(view: Mapping[str, Any]) -> dict[str, Any]:
    """Decode a view's `private_metadata` (our own JSON); anything unreadable is empty.

    It only carries context such as the channel; who acts is always Slack's `user`, never this.
    """
    try:
        decoded = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


@dataclass(frozen=True)
class Conversation:
    """The conversation a command was typed in, as the ack path knows it."""

    channel_id: str
    is_private: bool
    is_dm: bool
    bot_is_member: bool = True


@dataclass(frozen=True)
class Click:
    """A button a person clicked: who, in which workspace, where, and the value it carried."""

    team_id: str
    user_id: str
    action_id: str
    value: str
    # The conversation the button was in; None on a Home tab or a modal.
    channel_id: str | None
    action_ts: str
    trigger_id: str | None
    # Answers the message the button sits on (replacing it, or ephemerally beside it).
    response_url: str | None = None

    @classmethod
    def from_payload(cls, body: Mapping[str, Any], action: Mapping[str, Any]) -> Click:
        """Read a click from a `block_actions` payload and the action it is about."""
        channel = body.get("channel") or {}
        container = body.get("container") or {}
        return cls(
            # The actor comes from Slack's envelope; the value only names what was clicked.
            team_id=str((body.get("team") or {}).get("id") or ""),
            user_id=str((body.get("user") or {}).get("id") or ""),
            action_id=str(action.get("action_id") or ""),
            value=str(action.get("value") or ""),
            channel_id=channel.get("id") or container.get("channel_id") or None,
            action_ts=str(action.get("action_ts") or ""),
            trigger_id=body.get("trigger_id") or None,
            response_url=body.get("response_url") or None,
        )

    @property
    def number(self) -> int | None:
        """The value as a record id, or None when it is not one."""
        return int(self.value) if self.value.isdigit() else None


@dataclass(frozen=True)
class Submission:
    """A submitted modal: who submitted it, in which workspace, its metadata and its fields."""

    team_id: str
    user_id: str
    metadata: Mapping[str, Any]
    values: Mapping[str, Any]

    @classmethod
    def from_payload(cls, body: Mapping[str, Any], view: Mapping[str, Any]) -> Submission:
        """Read a `view_submission` payload; the submitter is Slack's `user`, never the metadata."""
        user = body.get("user") or {}
        state = view.get("state")
        values = state.get("values") if isinstance(state, Mapping) else None
        return cls(
            team_id=str((body.get("team") or {}).get("id") or user.get("team_id") or ""),
            user_id=str(user.get("id") or ""),
            metadata=view_metadata(view),
            values=values if isinstance(values, Mapping) else {},
        )

    def _element(self, block: str, action: str) -> Mapping[str, Any]:
        field = self.values.get(block)
        entry = field.get(action) if isinstance(field, Mapping) else None
        return entry if isinstance(entry, Mapping) else {}

    def text(self, block: str, action: str = "text") -> str:
        """The trimmed text typed in `block`; "" if none."""
        return str(self._element(block, action).get("value") or "").strip()

    def users(self, block: str, action: str = "users") -> list[str]:
        """The people picked in `block`'s users select."""
        return [str(u) for u in self._element(block, action).get("selected_users") or []]

    def user(self, block: str, action: str = "user") -> str | None:
        """The person picked in `block`'s single users select, or None."""
        picked = self._element(block, action).get("selected_user")
        return str(picked) if picked else None

    def option(self, block: str, action: str) -> str | None:
        """The value of the option chosen in `block`, or None."""
        chosen = self._element(block, action).get("selected_option")
        return str(chosen["value"]) if isinstance(chosen, Mapping) and "value" in chosen else None


@dataclass(frozen=True)
class MessageShortcut:
    """A message shortcut chosen on a message: who chose it, where, and whose message it is."""

    team_id: str
    user_id: str
    channel_id: str
    # The message's author and ts; a bot's message or an odd payload may lack them.
    author: str | None
    ts: str
    trigger_id: str | None

    @classmethod
    def from_payload(cls, body: Mapping[str, Any]) -> MessageShortcut:
        """Read a `message_action` payload."""
        message = body.get("message") or {}
        author = message.get("user")
        return cls(
            team_id=str((body.get("team") or {}).get("id") or ""),
            user_id=str((body.get("user") or {}).get("id") or ""),
            channel_id=str((body.get("channel") or {}).get("id") or ""),
            author=str(author) if author else None,
            ts=str(message.get("ts") or ""),
            trigger_id=body.get("trigger_id") or None,
        )
