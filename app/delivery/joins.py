"""Joining a public channel before posting there, so the bot hears the replies.

Slack sends `message.channels` events (thread replies, edits, deletions) and reactions only from
conversations the bot is a member of. `chat:write.public` lets it post without joining, but then an
ask's thread answers never arrive. A post queued with `join_first` makes the worker call
`conversations.join` before posting; a private channel cannot be joined (only invited to), which is
fine: the post then succeeds if the bot was invited and fails with advice to invite it otherwise.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from app.slackapi.web_api import WebApi, WebApiError

log = logging.getLogger(__name__)

# The outbox argument that asks the worker to join the post's channel first.
JOIN_FIRST = "$join_first"
# Joins are remembered this long: a removed bot is re-joined on the next post after it.
REMEMBER_SECONDS = 3600.0
# Answers meaning "this channel cannot be joined, but posting may still work": a private channel
# (posting works if the bot was invited), or an install that predates the `channels:join` scope.
_POST_ANYWAY = frozenset({"method_not_supported_for_channel_type", "missing_scope"})


def join_first(args: Mapping[str, Any]) -> dict[str, Any]:
    """Return post `args` marked so the worker joins their channel before posting."""
    return {**args, JOIN_FIRST: True}


class ChannelJoins:
    """Joins channels before posts that need it, remembering which it joined for a while."""

    def __init__(self, api: WebApi, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.api = api
        self._monotonic = monotonic
        self._joined: dict[tuple[str, str], float] = {}
        # One lock per channel: posts to one new channel sent at once join it once, not each.
        self._channel_locks: dict[tuple[str, str], threading.Lock] = {}
        self._lock = threading.Lock()

    def ensure(self, team_id: str, token: str, channel_id: str) -> None:
        """Make the bot a member of public `channel_id` if it can be; raise Slack's other errors.

        Raises `WebApiError` for a channel that cannot take the post (archived, not found) and
        the Web API's transient and rate-limit errors; a private channel passes unjoined.
        """
        key = (team_id, channel_id)
        with self._lock:
            channel_lock = self._channel_locks.setdefault(key, threading.Lock())
        with channel_lock:
            self._join_unless_recent(key, token)

    def _join_unless_recent(self, key: tuple[str, str], token: str) -> None:
        """Join `key`'s channel unless this worker joined it within `REMEMBER_SECONDS`."""
        team_id, channel_id = key
        now = self._monotonic()
        with self._lock:
            joined = self._joined.get(key)
        if joined is not None and now - joined < REMEMBER_SECONDS:
            return
        try:
            self.api.call("conversations.join", token, {"channel": channel_id})
        except WebApiError as exc:
            if exc.error not in _POST_ANYWAY:
                raise
            if exc.error == "missing_scope":
                log.warning(
                    "workspace %s did not grant channels:join: replies in %s go unheard until "
                    "someone invites the bot there",
                    team_id,
                    channel_id,
                )
        with self._lock:
            self._joined[key] = now
