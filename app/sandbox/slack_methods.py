"""The Web API methods the stand-in serves: each takes the workspace and the call's arguments and
returns Slack's answer fields, or raises `SlackError` with the code Slack documents.

They run with the workspace's lock held. STRICTNESS.md lists where each rule comes from.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from app.sandbox.block_kit import MAX_BLOCKS_MESSAGE, check_blocks, check_view
from app.sandbox.paging import history_page, members_page
from app.sandbox.workspace import Channel, RateLimited, SlackError, Workspace, dm_id

MAX_TEXT = 40_000
# conversations.open takes 1 to 8 people (https://api.slack.com/methods/conversations.open).
MAX_GROUP_DM_USERS = 8
Method = Callable[[Workspace, dict[str, Any]], dict[str, Any]]


# -- conversations as the bot sees them ---------------------------------------------------------


def target(s: Workspace, args: dict[str, Any], key: str = "channel") -> Channel:
    """The conversation a call names: a channel id, or a person's id for their DM with the bot."""
    channel_id = str(args.get(key) or "")
    if channel_id in s.users:
        user = s.users[channel_id]
        existing = s.channels.get(dm_id(channel_id))
        # Posting to a deactivated person's old DM works (their history stays); opening a new
        # one does not (conversations.open answers user_disabled).
        if user["deleted"] and not user["is_bot"] and existing is None:
            raise SlackError("channel_not_found")
        return open_dm(s, channel_id) if existing is None else existing
    channel = s.channels.get(channel_id)
    if channel is None:
        raise SlackError("channel_not_found")
    return channel


def known(s: Workspace, args: dict[str, Any]) -> Channel:
    """The conversation a call about an existing message names, if the bot can see it."""
    channel = target(s, args)
    # A private channel the bot is not in (it was removed) is invisible to it.
    if channel.is_private and not channel.bot_is_member:
        raise SlackError("channel_not_found")
    return channel


def open_dm(s: Workspace, user_id: str) -> Channel:
    """The bot's DM with `user_id`, opened if need be, as `conversations.open` does."""
    check_person(s, user_id)
    return s.dm_with(user_id)


def check_person(s: Workspace, user_id: str) -> None:
    """Raise unless the bot may open a DM or group DM with `user_id`: a person, still active."""
    user = s.users.get(user_id)
    if user is None:
        raise SlackError("user_not_found")
    if user["is_bot"]:
        raise SlackError("cannot_dm_bot")
    if user["deleted"]:
        raise SlackError("user_disabled")


def requested_users(args: Mapping[str, Any]) -> list[str]:
    """The people `conversations.open` names in `users` (a comma list), once each, in order."""
    listed = (user.strip() for user in str(args.get("users") or "").split(","))
    return list(dict.fromkeys(user for user in listed if user))


def visible(s: Workspace, args: dict[str, Any]) -> Channel:
    """The channel named by `channel`, unless the bot may not know of it (private, not in it)."""
    channel = s.channels.get(str(args.get("channel") or ""))
    if channel is None or (channel.is_private and not channel.bot_is_member):
        raise SlackError("channel_not_found")
    return channel


def readable(s: Workspace, args: dict[str, Any]) -> Channel:
    """The conversation whose messages the call reads, if the bot may read them."""
    channel = visible(s, args)
    # A bot reads a public channel's messages only as a member (chat:write.public posts aside).
    if not channel.bot_is_member:
        raise SlackError("not_in_channel")
    return channel


def writable(channel: Channel) -> None:
    """Raise unless the bot may post in `channel`: public ones take posts from non-members."""
    if channel.is_private and not channel.bot_is_member:
        raise SlackError("channel_not_found")
    if channel.is_archived:
        raise SlackError("is_archived")


def check_content(args: dict[str, Any], *, max_blocks: int = MAX_BLOCKS_MESSAGE) -> None:
    """Raise unless the message has text, blocks or attachments within Slack's limits."""
    text = args.get("text")
    blocks = args.get("blocks")
    if not text and not blocks and not args.get("attachments"):
        raise SlackError("no_text")
    if isinstance(text, str) and len(text) > MAX_TEXT:
        raise SlackError("msg_too_long")
    if blocks is not None:
        check_blocks(blocks, max_blocks)


# -- chat.* ------------------------------------------------------------------------------------


def _post_message(s: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = target(s, args)
    writable(channel)
    check_content(args)
    if s.channel_rate_limited(channel.id):
        raise RateLimited()
    ts = s.next_ts()
    message: dict[str, Any] = {
        "type": "message",
        "text": args.get("text", ""),
        "user": s.bot_user_id,
        "bot_id": s.bot_id,
        "ts": ts,
        "team": s.team_id,
    }
    for key in ("blocks", "thread_ts", "metadata"):
        if args.get(key) is not None:
            message[key] = args[key]
    channel.messages[ts] = message
    return {"channel": channel.id, "ts": ts, "message": message}


def _post_ephemeral(s: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = target(s, args)
    writable(channel)
    user = s.users.get(str(args.get("user") or ""))
    # The method's documented answer for a recipient who cannot see the conversation.
    if user is None or user["deleted"] or (channel.members and user["id"] not in channel.members):
        raise SlackError("user_not_in_channel")
    check_content(args)
    return {"message_ts": s.next_ts()}


def _update(s: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = known(s, args)
    message = channel.messages.get(str(args.get("ts") or ""))
    if message is None:
        raise SlackError("message_not_found")
    if message.get("user") != s.bot_user_id:
        raise SlackError("cant_update_message")
    check_content(args)
    message.update({key: args[key] for key in ("text", "blocks") if key in args})
    return {"channel": channel.id, "ts": message["ts"], "text": message.get("text", "")}


def _delete(s: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = known(s, args)
    ts = str(args.get("ts") or "")
    if channel.messages.pop(ts, None) is None:
        raise SlackError("message_not_found")
    return {"channel": channel.id, "ts": ts}


def _permalink(s: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = known(s, args)
    ts = str(args.get("message_ts") or "")
    if ts not in channel.messages:
        raise SlackError("message_not_found")
    return {
        "channel": channel.id,
        "permalink": f"https://{s.team_name.lower()}.slack.com/archives/{channel.id}/p"
        + ts.replace(".", ""),
    }


# -- conversations.* ---------------------------------------------------------------------------


def _conversations_open(s: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    # One person: the DM with the bot; 2 to 8: the group DM of them and the bot (the caller is
    # never listed). The same people in any order find the same group DM.
    users = requested_users(args)
    if not users:
        raise SlackError("users_list_not_supplied")
    if len(users) > MAX_GROUP_DM_USERS:
        raise SlackError("too_many_users")
    if len(users) == 1:
        channel = open_dm(s, users[0])
    else:
        for user_id in users:
            check_person(s, user_id)
        channel = s.group_dm(users)
    wants_all = str(args.get("return_im") or "").lower() in ("true", "1")
    return {"channel": channel.info() if wants_all else {"id": channel.id}}


def _conversations_join(s: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = s.channels.get(str(args.get("channel") or ""))
    if channel is None:
        raise SlackError("channel_not_found")
    # Only public channels can be joined; a private one needs an invitation (/invite).
    if channel.is_private or channel.is_im:
        raise SlackError("method_not_supported_for_channel_type")
    if channel.is_archived:
        raise SlackError("is_archived")
    if channel.bot_is_member:
        return {
            "channel": channel.info(),
            "warning": "already_in_channel",
            "response_metadata": {"warnings": ["already_in_channel"]},
        }
    channel.bot_is_member = True
    return {"channel": channel.info()}


def _conversations_info(s: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    return {"channel": visible(s, args).info()}


def _conversations_history(s: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = readable(s, args)
    # A channel's history holds its top-level messages (thread parents too), not thread replies.
    top = [m for m in channel.messages.values() if m.get("thread_ts", m["ts"]) == m["ts"]]
    return history_page(top, args, newest_first=True, default_limit=100, max_limit=999)


def _conversations_replies(s: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = readable(s, args)
    ts = str(args.get("ts") or "")
    if ts not in channel.messages:
        raise SlackError("thread_not_found")
    thread = [m for m in channel.messages.values() if m["ts"] == ts or m.get("thread_ts") == ts]
    return history_page(thread, args, newest_first=False, default_limit=1000, max_limit=1000)


# -- users.* -----------------------------------------------------------------------------------


def _users_info(s: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    user = s.users.get(str(args.get("user") or ""))
    if user is None:
        raise SlackError("user_not_found")
    return {"user": user}


def _users_list(s: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    return members_page(list(s.users.values()), args)


# -- views.* -----------------------------------------------------------------------------------


def _views_open(s: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    trigger = str(args.get("trigger_id") or "")
    if not trigger:
        raise SlackError("invalid_arguments")
    if not s.use_trigger(trigger):
        raise SlackError("expired_trigger_id")
    view = check_view(args.get("view"), "modal")
    return {"view": s.save_view(f"V{s.new_id():08d}", view)}


def _views_update(s: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    view_id = str(args.get("view_id") or "")
    if not view_id:
        raise SlackError("invalid_arguments")
    view = check_view(args.get("view"), "modal")
    current = s.views.get(view_id)
    if current is None:
        raise SlackError("not_found")
    # Slack refuses an update made from an older copy of the view.
    if args.get("hash") and args["hash"] != current["hash"]:
        raise SlackError("hash_conflict")
    return {"view": s.save_view(view_id, view)}


def _views_publish(s: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    user = s.users.get(str(args.get("user_id") or ""))
    # Slack's documented answer for a user_id it will not publish to; a deactivated person has
    # no Home tab to show it in.
    if user is None or user["deleted"]:
        raise SlackError("invalid_arguments", messages=("invalid `user_id`",))
    view = check_view(args.get("view"), "home")
    published = s.save_view(f"V{s.new_id():08d}", view)
    s.homes[user["id"]] = published
    return {"view": published}


# -- reactions.* -------------------------------------------------------------------------------


def _reactions_add(s: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = known(s, args)
    message = channel.messages.get(str(args.get("timestamp") or ""))
    if message is None:
        raise SlackError("message_not_found")
    name = str(args.get("name") or "")
    if not name:
        raise SlackError("invalid_name")
    reactions: set[str] = message.setdefault("_reactions", set())
    if name in reactions:
        raise SlackError("already_reacted")
    reactions.add(name)
    return {}


METHODS: dict[str, Method] = {
    "chat.postMessage": _post_message,
    "chat.postEphemeral": _post_ephemeral,
    "chat.update": _update,
    "chat.delete": _delete,
    "chat.getPermalink": _permalink,
    "conversations.open": _conversations_open,
    "conversations.join": _conversations_join,
    "conversations.info": _conversations_info,
    "conversations.history": _conversations_history,
    "conversations.replies": _conversations_replies,
    "users.info": _users_info,
    "users.list": _users_list,
    "views.open": _views_open,
    "views.update": _views_update,
    "views.publish": _views_publish,
    "reactions.add": _reactions_add,
}
