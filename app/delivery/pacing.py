"""Slack's per-channel and per-method limits, kept in this process.

`chat.postMessage` allows about one message a second per channel with short bursts: a token bucket
per channel. A 429 names how long to wait for that method in that workspace: a cooldown. A slot
spent on a call that never went out (a post that a lookup found already on Slack) is given back,
so the lookup does not hold back the channel's next posts.

A claim spends its slot when the row is leased, but Slack counts the call when it arrives, which
is later by however long the row queued for a sender, and not by the same amount for every row.
So each channel's calls are also counted as they leave and come back (`start_call`, `end_call`):
a call arrives at Slack no earlier than it left and no later than its answer came back. A call
answered counts as arriving when its answer came (the latest it can have); a call still in flight
may arrive at any moment from now on, so it counts as arriving now, each time the next call asks
to leave. A call let go only when Slack's limit allows it counted so is never refused, however
the calls in flight arrive: the limit is met at its tightest when they all arrive at once, now.
(Counted from departures, a call whose connection took a second to open, a SYN retransmitted,
reached Slack after three later ones and was refused: the odd 429 on the drain bench.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class Pacer:
    """Decides when the next call on a channel, or of a method in a workspace, may go out."""

    def __init__(
        self,
        *,
        rate: float = 1.0,
        burst: int = 3,
        monotonic: Callable[[], float],
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._now = monotonic
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._cooldowns: dict[tuple[str, str], float] = {}
        # Per channel, when its calls would be allowed again if none had burst (the generic cell
        # rate algorithm's theoretical arrival time), counted from the answered calls, each at
        # its answer's time.
        self._sent: dict[tuple[str, str], float] = {}
        # Per channel, how many calls `start_call` let go that `end_call` has not yet seen.
        self._flying: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def wait_for(self, team_id: str, method: str, pace_key: str | None) -> float:
        """Return 0 and spend a slot if the call may go now, else the seconds to wait."""
        with self._lock:
            now = self._now()
            until = self._cooldowns.get((team_id, method), 0.0)
            if until > now:
                return until - now
            if pace_key is None:
                return 0.0
            bucket = self._buckets.get((team_id, pace_key))
            if bucket is None:
                bucket = self._buckets[(team_id, pace_key)] = _Bucket(float(self.burst), now)
            self._refill(bucket, now)
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.rate

    def start_call(self, team_id: str, pace_key: str | None) -> float:
        """Return 0 and count a call on channel `pace_key` leaving now (in flight until
        `end_call`), if Slack's limit lets it in even should every call in flight on the channel
        arrive just before it; else the seconds until it would (and count nothing)."""
        if pace_key is None:
            return 0.0
        with self._lock:
            now = self._now()
            key = (team_id, pace_key)
            flying = self._flying.get(key, 0)
            # The calls in flight arriving now, one slot each after the answered ones.
            arrival = max(self._sent.get(key, now), now) + flying / self.rate
            allowed = arrival - (self.burst - 1) / self.rate
            if now < allowed:
                return allowed - now
            self._flying[key] = flying + 1
            return 0.0

    def end_call(self, team_id: str, pace_key: str | None, *, called: bool) -> None:
        """Count the call `start_call` let go on `pace_key` as arriving now, its answer's time
        (the latest it can have reached Slack), or not at all if it was not `called`."""
        if pace_key is None:
            return
        with self._lock:
            key = (team_id, pace_key)
            flying = self._flying.get(key, 0) - 1
            if flying > 0:
                self._flying[key] = flying
            else:
                self._flying.pop(key, None)
            if called:
                now = self._now()
                self._sent[key] = max(self._sent.get(key, now), now) + 1 / self.rate

    def give_back(self, team_id: str, pace_key: str | None) -> None:
        """Return the slot `wait_for` spent for a call that was not made after all."""
        if pace_key is None:
            return
        with self._lock:
            bucket = self._buckets.get((team_id, pace_key))
            if bucket is not None:
                self._refill(bucket, self._now())
                bucket.tokens = min(self.burst, bucket.tokens + 1.0)

    def _refill(self, bucket: _Bucket, now: float) -> None:
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now

    def cool_down(self, team_id: str, method: str, seconds: float) -> None:
        """Hold every call of `method` in `team_id` for `seconds` (Slack's Retry-After)."""
        with self._lock:
            until = self._now() + seconds
            key = (team_id, method)
            self._cooldowns[key] = max(self._cooldowns.get(key, 0.0), until)

    def forget_idle(self) -> None:
        """Drop full buckets and past cooldowns, so memory follows the channels in use."""
        with self._lock:
            now = self._now()
            self._cooldowns = {k: v for k, v in self._cooldowns.items() if v > now}
            self._sent = {
                key: until
                for key, until in self._sent.items()
                if until > now or key in self._flying
            }
            self._buckets = {
                key: bucket
                for key, bucket in self._buckets.items()
                if bucket.tokens + (now - bucket.updated) * self.rate < self.burst
            }
