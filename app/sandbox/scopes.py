"""Which bot scope a Web API call needs, as each method page's "Required scopes" says.

A bot token carries the scopes its install granted: by default exactly what the app asks for
(`app.slack.oauth.BOT_SCOPES`), fewer for a test playing an install made before a scope was added.
A call without the scope it needs is refused the way Slack refuses it:
`{"ok": false, "error": "missing_scope", "needed": "<scope>", "provided": "<granted, comma list>"}`
(https://api.slack.com/docs/oauth-scopes). The conversations methods need the scope of the kind of
conversation they touch (https://api.slack.com/methods/conversations.history: "You only need the
scopes corresponding to that conversation type"). Methods the bot does not call in production
(`reactions.add`) and methods that need no scope (`chat.getPermalink`, `views.*`) are not checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from app.sandbox.slack_methods import requested_users
from app.sandbox.workspace import MissingScope, SlackError, Workspace
from app.slack.oauth import BOT_SCOPES

# What a bot token is granted unless a test says otherwise: every scope the app asks for.
DEFAULT_SCOPES: tuple[str, ...] = tuple(BOT_SCOPES)

# Methods that need one scope whatever the conversation.
_FIXED = MappingProxyType(
    {
        "chat.postMessage": "chat:write",
        "chat.postEphemeral": "chat:write",
        "chat.update": "chat:write",
        "chat.delete": "chat:write",
        "conversations.join": "channels:join",
        "users.info": "users:read",
        "users.list": "users:read",
        "files.getUploadURLExternal": "files:write",
        "files.completeUploadExternal": "files:write",
    }
)
_HISTORY = MappingProxyType(
    {
        "channel": "channels:history",
        "group": "groups:history",
        "im": "im:history",
        "mpim": "mpim:history",
    }
)
_READ = MappingProxyType(
    {"channel": "channels:read", "group": "groups:read", "im": "im:read", "mpim": "mpim:read"}
)
# Methods whose scope depends on the kind of conversation named by `channel`.
_BY_KIND: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "conversations.history": _HISTORY,
        "conversations.replies": _HISTORY,
        "conversations.info": _READ,
    }
)


def parse_scopes(scopes: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    """Scopes as given (a comma list or a sequence), in order; None: `DEFAULT_SCOPES`."""
    if scopes is None:
        return DEFAULT_SCOPES
    listed = scopes.split(",") if isinstance(scopes, str) else scopes
    return tuple(dict.fromkeys(scope.strip() for scope in listed if scope.strip()))


def needed_scope(s: Workspace, method: str, args: Mapping[str, Any]) -> str | None:
    """The scope a call of `method` with `args` needs, or None when none is checked.

    A conversation the bot may not know of (unknown, or private without the bot) needs none here:
    the method itself answers `channel_not_found`, as Slack does.
    """
    if method in _FIXED:
        return _FIXED[method]
    if method == "conversations.open":
        users = requested_users(args)
        if not users:
            return None  # users_list_not_supplied, whatever was granted
        # One person is a DM (im:write); several, a group DM (mpim:write).
        return "im:write" if len(users) == 1 else "mpim:write"
    by_kind = _BY_KIND.get(method)
    if by_kind is None:
        return None
    channel = s.channels.get(str(args.get("channel") or ""))
    if channel is None or (channel.is_private and not channel.bot_is_member):
        return None
    return by_kind[channel.kind]


def check_scopes(
    s: Workspace, method: str, args: Mapping[str, Any], granted: tuple[str, ...]
) -> None:
    """Raise Slack's refusal if a token granted `granted` may not make this call (lock held).

    Besides `missing_scope`: posting to a public channel the bot is not in takes
    `chat:write.public`; without it Slack answers `not_in_channel`
    (https://api.slack.com/scopes/chat:write.public).
    """
    needed = needed_scope(s, method, args)
    if needed is not None and needed not in granted:
        raise MissingScope(needed, granted)
    if method == "chat.postMessage" and "chat:write.public" not in granted:
        channel = s.channels.get(str(args.get("channel") or ""))
        if channel is not None and channel.kind == "channel" and not channel.bot_is_member:
            raise SlackError("not_in_channel")
