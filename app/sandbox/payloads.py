"""Slack's request payloads, field for field, as pure builders (slash commands, actions, events)."""

from __future__ import annotations

import itertools
import secrets
import time
from typing import Any

_ids = itertools.count(1)


def escape_text(text: str) -> str:
    """Escape `&`, `<` and `>` the way Slack does in message text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_user(user_id: str, name: str | None = None) -> str:
    """Return a user mention as Slack sends it with escaping on: `<@U123|name>` or `<@U123>`."""
    return f"<@{user_id}|{name}>" if name is not None else f"<@{user_id}>"


def escape_channel(channel_id: str, name: str | None = None) -> str:
    """Return a channel mention as Slack sends it: `<#C123|name>` or `<#C123>`."""
    return f"<#{channel_id}|{name}>" if name is not None else f"<#{channel_id}>"


def new_trigger_id() -> str:
    """Return a trigger id shaped like Slack's (the stand-in issues valid ones)."""
    return f"{next(_ids)}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"


def slash_command(
    *,
    command: str,
    text: str,
    user_id: str,
    channel_id: str,
    team_id: str = "T0001",
    user_name: str = "user",
    channel_name: str = "general",
    team_domain: str = "acme",
    enterprise_id: str | None = None,
    response_url: str = "https://hooks.slack.com/commands/T0001/1/abc",
    trigger_id: str | None = None,
    api_app_id: str = "A0001",
    is_enterprise_install: bool = False,
) -> dict[str, str]:
    """Return the form fields Slack posts for a slash command."""
    fields = {
        "token": "legacy-verification-token",
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": "directmessage" if channel_id.startswith("D") else channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "true" if is_enterprise_install else "false",
        "response_url": response_url,
        "trigger_id": trigger_id or new_trigger_id(),
    }
    if enterprise_id is not None:
        fields["enterprise_id"] = enterprise_id
        fields["enterprise_name"] = "Enterprise"
    return fields


def _user(user_id: str, team_id: str) -> dict[str, str]:
    return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": team_id}


def block_actions(
    *,
    user_id: str,
    action_id: str,
    team_id: str = "T0001",
    value: str | None = None,
    block_id: str = "b",
    channel_id: str | None = None,
    message_ts: str | None = None,
    message: dict[str, Any] | None = None,
    trigger_id: str | None = None,
    response_url: str = "https://hooks.slack.com/actions/T0001/1/abc",
    view: dict[str, Any] | None = None,
    action_type: str = "button",
) -> dict[str, Any]:
    """Return the JSON payload Slack posts (as form field `payload`) when a button is clicked."""
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "type": action_type,
        "action_ts": f"{time.time():.6f}",
        "text": {"type": "plain_text", "text": action_id, "emoji": True},
    }
    if value is not None:
        action["value"] = value
    if view is not None:
        container: dict[str, Any] = {"type": "view", "view_id": view.get("id", "V0")}
    else:
        container = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        }
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, team_id),
        "api_app_id": "A0001",
        "token": "legacy-verification-token",
        "container": container,
        "trigger_id": trigger_id or new_trigger_id(),
        "team": {"id": team_id, "domain": "acme"},
        "enterprise": None,
        "is_enterprise_install": False,
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [action],
    }
    if channel_id is not None:
        payload["channel"] = {"id": channel_id, "name": "general"}
    if message is not None or message_ts is not None:
        payload["message"] = message or {"type": "message", "ts": message_ts, "text": ""}
    if view is not None:
        payload["view"] = view
    return payload


def plain_text_value(value: str | None) -> dict[str, Any]:
    """A `plain_text_input` element's state."""
    return {"type": "plain_text_input", "value": value}


def users_select_value(user_id: str | None) -> dict[str, Any]:
    """A `users_select` element's state."""
    return {"type": "users_select", "selected_user": user_id}


def multi_users_select_value(user_ids: list[str]) -> dict[str, Any]:
    """A `multi_users_select` element's state."""
    return {"type": "multi_users_select", "selected_users": list(user_ids)}


def static_select_value(value: str | None) -> dict[str, Any]:
    """A `static_select` element's state."""
    option = (
        None if value is None else {"text": {"type": "plain_text", "text": value}, "value": value}
    )
    return {"type": "static_select", "selected_option": option}


def view_submission(
    *,
    user_id: str,
    callback_id: str,
    values: dict[str, dict[str, dict[str, Any]]],
    team_id: str = "T0001",
    private_metadata: str = "",
    view_id: str = "V00000001",
    trigger_id: str | None = None,
) -> dict[str, Any]:
    """Return the payload Slack posts when a modal is submitted."""
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": "acme"},
        "user": _user(user_id, team_id),
        "api_app_id": "A0001",
        "token": "legacy-verification-token",
        "trigger_id": trigger_id or new_trigger_id(),
        "view": {
            "id": view_id,
            "team_id": team_id,
            "type": "modal",
            "blocks": [],
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": values},
            "hash": secrets.token_hex(8),
            "title": {"type": "plain_text", "text": "Reciprocity"},
            "app_id": "A0001",
            "bot_id": "BBOT",
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def message_shortcut(
    *,
    user_id: str,
    callback_id: str,
    channel_id: str,
    message: dict[str, Any],
    team_id: str = "T0001",
    trigger_id: str | None = None,
) -> dict[str, Any]:
    """Return the payload Slack posts when a message shortcut is chosen."""
    return {
        "type": "message_action",
        "token": "legacy-verification-token",
        "action_ts": f"{time.time():.6f}",
        "team": {"id": team_id, "domain": "acme"},
        "user": _user(user_id, team_id),
        "channel": {"id": channel_id, "name": "general"},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id or new_trigger_id(),
        "response_url": "https://hooks.slack.com/app/T0001/1/abc",
        "message_ts": message.get("ts"),
        "message": message,
    }


def event_callback(
    event: dict[str, Any],
    *,
    team_id: str = "T0001",
    event_id: str | None = None,
    event_time: int | None = None,
    api_app_id: str = "A0001",
    bot_user_id: str = "UBOT",
) -> dict[str, Any]:
    """Wrap `event` in the Events API envelope Slack posts."""
    return {
        "token": "legacy-verification-token",
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_ids):06d}{secrets.token_hex(3).upper()}",
        "event_time": event_time or int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": secrets.token_hex(16),
    }


def url_verification(challenge: str) -> dict[str, Any]:
    """The handshake Slack sends when a Request URL is saved."""
    return {
        "token": "legacy-verification-token",
        "challenge": challenge,
        "type": "url_verification",
    }


def message_event(
    *,
    user: str,
    channel: str,
    text: str,
    ts: str,
    thread_ts: str | None = None,
    channel_type: str = "channel",
    bot_id: str | None = None,
    subtype: str | None = None,
    team: str = "T0001",
) -> dict[str, Any]:
    """A `message` event; with `thread_ts` different from `ts` it is a thread reply."""
    event: dict[str, Any] = {
        "type": "message",
        "user": user,
        "text": text,
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        "channel_type": channel_type,
        "team": team,
    }
    if bot_id is None:
        event["client_msg_id"] = secrets.token_hex(16)
    else:
        event["bot_id"] = bot_id
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    if subtype is not None:
        event["subtype"] = subtype
    return event


def message_changed_event(
    *, channel: str, message: dict[str, Any], previous: dict[str, Any], ts: str
) -> dict[str, Any]:
    """A `message_changed` event: `message` is the edited message, `previous` what it was."""
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": channel,
        "ts": ts,
        "event_ts": ts,
        "message": message,
        "previous_message": previous,
        "channel_type": "channel",
    }


def message_deleted_event(
    *, channel: str, deleted_ts: str, ts: str, previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A `message_deleted` event for the message at `deleted_ts`."""
    return {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": channel,
        "ts": ts,
        "deleted_ts": deleted_ts,
        "event_ts": ts,
        "previous_message": previous or {"type": "message", "ts": deleted_ts},
        "channel_type": "channel",
    }


def _reaction(
    kind: str, user: str, reaction: str, channel: str, ts: str, item_user: str
) -> dict[str, Any]:
    return {
        "type": kind,
        "user": user,
        "reaction": reaction,
        "item_user": item_user,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": f"{time.time():.6f}",
    }


def reaction_added_event(
    *, user: str, reaction: str, channel: str, ts: str, item_user: str
) -> dict[str, Any]:
    """A `reaction_added` event on the message at (channel, ts) written by `item_user`."""
    return _reaction("reaction_added", user, reaction, channel, ts, item_user)


def reaction_removed_event(
    *, user: str, reaction: str, channel: str, ts: str, item_user: str
) -> dict[str, Any]:
    """A `reaction_removed` event."""
    return _reaction("reaction_removed", user, reaction, channel, ts, item_user)


def app_home_opened_event(
    *, user: str, channel: str = "D0HOME", tab: str = "home"
) -> dict[str, Any]:
    """An `app_home_opened` event."""
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": channel,
        "tab": tab,
        "event_ts": f"{time.time():.6f}",
    }


def user_change_event(user: dict[str, Any]) -> dict[str, Any]:
    """A `user_change` event carrying Slack's user object."""
    return {
        "type": "user_change",
        "user": user,
        "event_ts": f"{time.time():.6f}",
        "cache_ts": int(time.time()),
    }


def team_join_event(user: dict[str, Any]) -> dict[str, Any]:
    """A `team_join` event carrying Slack's user object."""
    return {"type": "team_join", "user": user, "event_ts": f"{time.time():.6f}"}


def tokens_revoked_event(
    *, bot_ids: list[str] | None = None, user_ids: list[str] | None = None
) -> dict[str, Any]:
    """A `tokens_revoked` event: `bot` lists bot user ids, `oauth` user ids."""
    return {
        "type": "tokens_revoked",
        "tokens": {"oauth": list(user_ids or []), "bot": list(bot_ids or [])},
        "event_ts": f"{time.time():.6f}",
    }


def app_uninstalled_event() -> dict[str, Any]:
    """An `app_uninstalled` event."""
    return {"type": "app_uninstalled", "event_ts": f"{time.time():.6f}"}
