"""What the stand-in's workspace holds (people, conversations, views) and the error a call answers.

`Workspace` is the state the Web API methods (`slack_methods`) read and change; the stand-in
(`slack_api.SlackStandIn`) is a workspace that also serves it over HTTP.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.sandbox import payloads

# How long a trigger id may open a modal, as Slack's: 3 seconds.
TRIGGER_TTL = 3.0


class SlackError(Exception):
    """Answer the current call with Slack's `error` code (and `response_metadata.messages`)."""

    def __init__(self, error: str, status: int = 200, *, messages: tuple[str, ...] = ()) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.messages = messages


class MissingScope(SlackError):
    """`missing_scope`: the token was not granted `needed`; Slack names it and what was granted."""

    def __init__(self, needed: str, provided: tuple[str, ...]) -> None:
        super().__init__("missing_scope")
        self.needed = needed
        self.provided = provided


class RateLimited(SlackError):
    """HTTP 429 `ratelimited`, to be retried after `retry_after` seconds."""

    def __init__(self, retry_after: int = 1) -> None:
        super().__init__("ratelimited", 429)
        self.retry_after = retry_after


@dataclass
class Channel:
    """One conversation: a public or private channel, a DM between a person and the bot, or a
    group DM (mpim) between several people and the bot."""

    id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    is_archived: bool = False
    bot_is_member: bool = False
    members: set[str] = field(default_factory=set)
    user: str | None = None
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    is_mpim: bool = False

    def __post_init__(self) -> None:
        # A DM or group DM opened by the bot has the bot in it, always; a group DM is private.
        if self.is_im or self.is_mpim:
            self.bot_is_member = True
        if self.is_mpim:
            self.is_private = True

    @property
    def kind(self) -> str:
        """The event's `channel_type`: "im", "mpim", "group" (private) or "channel" (public)."""
        if self.is_im:
            return "im"
        if self.is_mpim:
            return "mpim"
        return "group" if self.is_private else "channel"

    def hears(self) -> bool:
        """Whether Slack sends the bot this conversation's message and reaction events."""
        return self.is_im or self.bot_is_member

    def info(self) -> dict[str, Any]:
        """The conversation object `conversations.info` and `conversations.join` answer."""
        direct = self.is_im or self.is_mpim
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not direct and not self.is_private,
            "is_group": self.is_private and not direct,
            "is_im": self.is_im,
            "is_mpim": self.is_mpim,
            "is_private": self.is_private or direct,
            "is_archived": self.is_archived,
            "is_member": self.bot_is_member,
            **({"user": self.user} if self.user else {}),
        }


@dataclass(frozen=True)
class Team:
    """A workspace the app is installed in, and who the bot is there."""

    id: str
    name: str
    bot_user_id: str
    bot_id: str


def dm_id(user_id: str) -> str:
    """The id of the bot's DM with `user_id`."""
    return "D" + user_id.lstrip("UW")


class Workspace:
    """The people, conversations and views a Web API method reads and changes, under one lock.

    The Web API methods (`slack_methods`) run with `lock` held; the helpers below that say so
    expect it held too, the others take it themselves.
    """

    def __init__(self, home: Team, *, channel_rate_limit: bool, clock: Callable[[], float]) -> None:
        self.team_id = home.id
        self.team_name = home.name
        self.bot_user_id = home.bot_user_id
        self.bot_id = home.bot_id
        self.channel_rate_limit = channel_rate_limit
        self.clock = clock
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, Channel] = {}
        # Modals and Home tabs as last opened, updated or published, by view id / user id.
        self.views: dict[str, dict[str, Any]] = {}
        self.homes: dict[str, dict[str, Any]] = {}
        self._triggers: dict[str, float] = {}
        self._buckets: dict[str, tuple[float, float]] = {}
        self._last_ts = 0
        self._ids = itertools.count(1)
        self._group_dm_ids = itertools.count(1)
        self.lock = threading.RLock()
        self.add_user(home.bot_user_id, "reciprocity", is_bot=True)

    # -- directory ------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        real_name: str | None = None,
        tz: str = "America/New_York",
        is_bot: bool = False,
        deleted: bool = False,
        is_admin: bool = False,
        is_owner: bool = False,
        team_id: str | None = None,
    ) -> dict[str, Any]:
        """Add a person (or bot) to the directory and return Slack's user object for them."""
        zone = ZoneInfo(tz)
        offset = datetime.now(UTC).astimezone(zone).utcoffset()
        user = {
            "id": user_id,
            "team_id": team_id or self.team_id,
            "name": name,
            "real_name": real_name or name.title(),
            "deleted": deleted,
            "is_bot": is_bot,
            "is_app_user": False,
            "is_admin": is_admin,
            "is_owner": is_owner,
            "tz": tz,
            "tz_label": tz,
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "profile": {
                "display_name": name,
                "real_name": real_name or name.title(),
                **(
                    {"bot_id": self.bot_id if user_id == self.bot_user_id else f"B{user_id}"}
                    if is_bot
                    else {}
                ),
            },
        }
        with self.lock:
            self.users[user_id] = user
        return user

    def set_user_deleted(self, user_id: str, deleted: bool = True) -> None:
        """Deactivate a person (or reactivate them), as a workspace admin can."""
        with self.lock:
            self.users[user_id]["deleted"] = deleted

    def user_name(self, user_id: str) -> str:
        """Return the display name the directory holds for `user_id` (or the id)."""
        user = self.users.get(user_id)
        return str(user["name"]) if user else user_id

    # -- conversations --------------------------------------------------------------------

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        is_private: bool = False,
        is_im: bool = False,
        is_archived: bool = False,
        bot_is_member: bool = False,
        members: tuple[str, ...] | list[str] = (),
    ) -> None:
        """Add a conversation; `members` (if given) limits who may see ephemeral messages.

        The bot is a member only when `bot_is_member` says so (it was invited, or it joined), as
        for a freshly installed app; a DM (`is_im`) always has the bot in it.
        """
        with self.lock:
            self.channels[channel_id] = Channel(
                channel_id, name, is_private, is_im, is_archived, bot_is_member, set(members)
            )

    def set_channel_private(self, channel_id: str, is_private: bool) -> None:
        """Turn a channel private or public, as an admin can at any time."""
        with self.lock:
            self.channels[channel_id].is_private = is_private

    def set_bot_member(self, channel_id: str, is_member: bool) -> None:
        """Invite the bot to a channel (someone typed /invite), or remove it."""
        with self.lock:
            self.channels[channel_id].bot_is_member = is_member

    def hears(self, channel_id: str) -> bool:
        """Whether Slack would send the bot message and reaction events from `channel_id`.

        Only from conversations the bot is in, and from DMs with it; a conversation the stand-in
        does not know is one the bot is not in, unless its id is a DM's (D…).
        """
        with self.lock:
            channel = self.channels.get(channel_id)
            return channel.hears() if channel is not None else channel_id.startswith("D")

    def dm_with(self, user_id: str) -> Channel:
        """The bot's DM with `user_id`, added if need be (call with the lock held)."""
        channel_id = dm_id(user_id)
        if channel_id not in self.channels:
            self.channels[channel_id] = Channel(
                channel_id, user_id, is_im=True, user=user_id, members={user_id}
            )
        return self.channels[channel_id]

    def group_dm(self, users: list[str]) -> Channel:
        """The bot's group DM with `users` (any order), added if need be (call with the lock held).

        A new one gets a C… id unique in the workspace (Slack issues C ids for new group DMs; old
        ones kept their G ids) and a name from the people in the order given, as Slack's does.
        """
        found = self._find_group_dm(frozenset(users))
        if found is not None:
            return found
        channel_id = f"C0MPIM{next(self._group_dm_ids):04d}"
        while channel_id in self.channels:
            channel_id = f"C0MPIM{next(self._group_dm_ids):04d}"
        name = "mpdm-" + "--".join(self.user_name(user) for user in users) + "-1"
        self.channels[channel_id] = Channel(channel_id, name, members=set(users), is_mpim=True)
        return self.channels[channel_id]

    def group_dm_of(self, users: list[str] | tuple[str, ...] | set[str]) -> Channel | None:
        """The group DM the bot has with exactly `users` (in any order), or None: for tests."""
        with self.lock:
            return self._find_group_dm(frozenset(users))

    def _find_group_dm(self, people: frozenset[str]) -> Channel | None:
        return next((c for c in self.channels.values() if c.is_mpim and c.members == people), None)

    def user_posts(
        self, channel_id: str, user_id: str, text: str, *, thread_ts: str | None = None
    ) -> dict[str, Any]:
        """A person posts `text` in a conversation (in a thread with `thread_ts`).

        The message joins the conversation's history, so `conversations.history` / `replies` see
        it; the `message` event Slack would send is returned, for `SlackDriver.event`.
        """
        with self.lock:
            assert user_id in self.users, f"add_user({user_id!r}, ...) first"
            if channel_id == dm_id(user_id):
                # A person writing to the bot opens their DM with it.
                channel = self.dm_with(user_id)
            else:
                channel = self.channels[channel_id]
            if channel.is_mpim:
                assert user_id in channel.members, f"{user_id} is not in group DM {channel_id}"
            if thread_ts is not None:
                assert thread_ts in channel.messages, f"no message {thread_ts} in {channel_id}"
            ts = self.next_ts()
            message: dict[str, Any] = {
                "type": "message",
                "user": user_id,
                "text": text,
                "ts": ts,
                "team": self.team_id,
            }
            if thread_ts is not None:
                message["thread_ts"] = thread_ts
            channel.messages[ts] = message
            kind = channel.kind
        return payloads.message_event(
            user=user_id,
            channel=channel_id,
            text=text,
            ts=ts,
            thread_ts=thread_ts,
            channel_type=kind,
            team=self.team_id,
        )

    # -- ids, timestamps, triggers and views ----------------------------------------------

    def new_id(self) -> int:
        """A number no earlier call returned, for trigger, view and URL ids."""
        return next(self._ids)

    def next_ts(self) -> str:
        """A message timestamp like Slack's: the time in microseconds, unique and increasing."""
        with self.lock:
            micros = max(self._last_ts + 1, time.time_ns() // 1_000)
            self._last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def channel_rate_limited(self, channel_id: str) -> bool:
        """Spend one post in `channel_id`; whether Slack's one-a-second limit refuses it."""
        if not self.channel_rate_limit:
            return False
        with self.lock:
            # Read under the lock: a reading taken before another thread's later one would
            # count time backwards and take tokens away.
            now = self.clock()
            tokens, updated = self._buckets.get(channel_id, (3.0, now))
            tokens = min(3.0, tokens + (now - updated))
            if tokens < 1.0:
                self._buckets[channel_id] = (tokens, now)
                return True
            self._buckets[channel_id] = (tokens - 1.0, now)
        return False

    def issue_trigger_id(self) -> str:
        """Return a fresh trigger id, valid for `views.open` during 3 seconds."""
        trigger = f"{self.new_id()}.{secrets.randbelow(10**12)}.{secrets.token_hex(8)}"
        with self.lock:
            self._triggers[trigger] = self.clock() + TRIGGER_TTL
        return trigger

    def use_trigger(self, trigger: str) -> bool:
        """Spend `trigger`; whether it was issued and has not expired."""
        with self.lock:
            expires = self._triggers.pop(trigger, None)
        return expires is not None and self.clock() <= expires

    def save_view(self, view_id: str, view: dict[str, Any]) -> dict[str, Any]:
        """Store `view` as view `view_id` with Slack's added fields; return what was stored."""
        saved = {**view, "id": view_id, "team_id": self.team_id, "hash": f"{self.new_id()}.h"}
        with self.lock:
            self.views[view_id] = saved
        return saved
