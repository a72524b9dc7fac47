"""Privacy checked at send time: a channel can turn private between queueing and sending.

A queued call may carry, under `IF_PRIVATE`, the conversations it quotes and the arguments to send
instead when any of them is private by the time the call goes out (a DM that must not quote a
now-private ask, an ask or kudos that must not be posted to a public channel, a digest that must
not quote it), or None to send nothing at all. Slack is asked with `conversations.info`; an answer
is trusted for a short while, since every DM about one busy ask asks the same question.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from app.slackapi.web_api import RateLimited, WebApi, WebApiError

IF_PRIVATE = "$if_private"
# Short enough that a conversion is honoured within the minute, long enough to spare Tier 3 calls.
TRUST_SECONDS = 30.0


def unless_private(
    args: Mapping[str, Any],
    channels: str | Iterable[str],
    private_args: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Return `args` marked to be sent as `private_args` (None: not at all) if any of `channels`
    is private at send time."""
    wanted = [channels] if isinstance(channels, str) else list(dict.fromkeys(channels))
    guard = {"channels": wanted, "args": None if private_args is None else dict(private_args)}
    return {**args, IF_PRIVATE: guard}


class PrivacyCheck:
    """Resolves `IF_PRIVATE` arguments against Slack, with a short per-channel memory."""

    def __init__(self, api: WebApi, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.api = api
        self._monotonic = monotonic
        self._known: dict[tuple[str, str], tuple[bool, float]] = {}
        self._lock = threading.Lock()

    def resolve(
        self, team_id: str, token: str, args: Mapping[str, Any]
    ) -> Mapping[str, Any] | None:
        """Return the arguments to send now, or None to send nothing; raises Slack's transient
        errors so the row retries."""
        guard = args.get(IF_PRIVATE)
        if not isinstance(guard, dict):
            return args
        # Rows queued before guards named several channels carry one under "channel".
        channels = [str(c) for c in guard.get("channels") or [guard.get("channel") or ""]]
        if self._any_private(team_id, token, channels):
            private = guard.get("args")
            return None if private is None else dict(private)
        return {key: value for key, value in args.items() if key != IF_PRIVATE}

    def _any_private(self, team_id: str, token: str, channels: list[str]) -> bool:
        for checked, channel_id in enumerate(channels):
            try:
                if self._is_private(team_id, token, channel_id):
                    return True
            except RateLimited:
                if checked == 0:
                    raise
                # A long list (a digest) must not loop on Tier 3 limits while older answers
                # expire: what could not be checked is treated as private, which only hides.
                return True
        return False

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
        except WebApiError:
            # Slack hides private channels we are not in; any refusal means "do not quote it".
            private = True
        with self._lock:
            self._known[key] = (private, now)
        return private
