"""Group DMs (`group_dm` outbox rows): a message to several people at once, with the bot.

Slack has no user id to post a group DM to: `conversations.open` with the people (2 to 8, never
the bot, which is implied) opens the multi-person DM, or finds the one they already have, and
answers its id; the message is then posted there like any other. Every attempt opens it again, so
an attempt after an unsure one finds the same conversation and looks in its history first
(scopes `mpim:write` to open it, `mpim:history` to look).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from app.slackapi.web_api import WebApi

# The outbox argument naming the people, in order; the rest of the arguments are the message.
USERS = "users"
# Slack's bounds for a multi-person DM (https://api.slack.com/methods/conversations.open).
MIN_PEOPLE = 2
MAX_PEOPLE = 8
# The calls an outbox method makes before its own, by method: their rate limits hold it back.
OPENS_FIRST = MappingProxyType({"group_dm": ("conversations.open",)})


def group_users(args: Mapping[str, Any]) -> list[str]:
    """The people a `group_dm` row's `args` name, in order; raises ValueError unless they are 2
    to 8 distinct user ids."""
    users = args.get(USERS)
    if not isinstance(users, Sequence) or isinstance(users, str):
        raise ValueError(f"a group_dm needs {USERS!r}: a list of user ids")
    people = [str(user) for user in users]
    if len(set(people)) != len(people) or not all(people):
        raise ValueError(f"a group_dm names each person once: {people}")
    if not MIN_PEOPLE <= len(people) <= MAX_PEOPLE:
        raise ValueError(f"a group_dm is for {MIN_PEOPLE} to {MAX_PEOPLE} people: {people}")
    return people


def group_pace_key(args: Mapping[str, Any]) -> str:
    """The pacing key of a group DM: one per set of people, in whatever order they are listed."""
    return "mpim:" + ",".join(sorted(str(user) for user in args.get(USERS) or ()))


def open_group_dm(api: WebApi, token: str, users: Sequence[str]) -> str:
    """Open (or find) the group DM of `users` and the bot; return its channel id.

    Raises the Web API's errors: `user_disabled` (someone was deactivated), `user_not_found`,
    `missing_scope` (an install without `mpim:write`) are permanent; the rest transient.
    """
    opened = api.call("conversations.open", token, {USERS: ",".join(users)})
    return str(opened["channel"]["id"])
