"""Privacy checked at send time: a channel can turn private between queueing and sending.

A queued call may carry, under `IF_PRIVATE`, a channel and the arguments to send instead when that
channel is private by the time the call goes out (a DM that must not quote a now-private ask, an
ask that must not be posted to the public asks channel). Slack is asked with `conversations.info`;
an answer is trusted for a short while, since every DM about one busy ask asks the same question.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from app.slack.web_api import SlackApiError, WebApi

IF_PRIVATE = "$if_private"
# Short enough that a conversion is honoured within the minute, long enough to spare Tier 3 calls.
TRUST_SECONDS = 30.0


def unless_private(
    args: Mapping[str, Any], channel_id: str, private_args: Mapping[str, Any]
) -> dict[str, Any]:
    """Return `args` marked to be sent as `private_args` if `channel_id` is private at send time."""
    return {**args, IF_PRIVATE: {"channel": channel_id, "args": dict(private_args)}}


class PrivacyCheck:
    """Resolves `IF_PRIVATE` arguments against Slack, with a short per-channel memory."""

    def __init__(self, api: WebApi, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.api = api
        self._monotonic = monotonic
        self._known: dict[tuple[str, str], tuple[bool, float]] = {}
        self._lock = threading.Lock()

    def resolve(self, team_id: str, token: str, args: Mapping[str, Any]) -> Mapping[str, Any]:
        """Return the arguments to send now; raises Slack's transient errors so the row retries."""
        guard = args.get(IF_PRIVATE)
        if not isinstance(guard, dict):
            return args
        if self._is_private(team_id, token, str(guard.get("channel") or "")):
            return dict(guard.get("args") or {})
        return {key: value for key, value in args.items() if key != IF_PRIVATE}

    def _is_private(self, team_id: str, token: str, channel_id: str) -> bool:
        key = (team_id, channel_id)
        now = self._monotonic()
        with self._lock:
            known = self._known.get(key)
        if known is not None and now - known[1] < TRUST_SECONDS:
            return known[0]
        try:
            channel = self.api.call("conversations.info", token, {"channel": channel_id})["channel"]
            private = bool(
                channel.get("is_private") or channel.get("is_im") or channel.get("is_mpim")
            )
        except SlackApiError:
            # Slack hides private channels we are not in; any refusal means "do not quote it".
            private = True
        with self._lock:
            self._known[key] = (private, now)
        return private
