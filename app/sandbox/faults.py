"""Failures the stand-in answers: injected faults, and Slack's per-method rate-limit tiers.

Slack limits most Web API methods per app per workspace by tier
(https://api.slack.com/docs/rate-limits): Tier 1 1+/min, Tier 2 20+/min, Tier 3 50+/min,
Tier 4 100+/min. Over the limit it answers HTTP 429 `{"ok": false, "error": "ratelimited"}` with
`Retry-After: <seconds>`. The stand-in enforces only the tiers in its table; by default that is
`users.list` at Tier 2, the one limit a bot meets in an ordinary run (a directory sync of a big
workspace). Tier 3 and 4 methods (`conversations.history`, `chat.update`, `views.publish`, …) are
left out of the default because tests call them far more often than a minute allows; pass
`method_tiers=` to enforce them too.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from types import MappingProxyType

from app.sandbox.answers import Answer, error_answer, refusal
from app.sandbox.workspace import RateLimited


@dataclass
class Fault:
    """The next `times` calls of a method hang, or fail with a status or error."""

    times: int
    status: int = 200
    retry_after: int = 1
    error: str | None = None
    hang: float = 0.0
    # Carry the call out first, then answer the failure: Slack's "some aspect may have succeeded".
    after_effect: bool = False
    # The test injects an error no Slack page documents for the method, on purpose.
    undocumented: bool = False


class FaultQueue:
    """The faults injected for each method, taken one call at a time, oldest first."""

    def __init__(self) -> None:
        self._faults: dict[str, list[Fault]] = {}
        self._lock = threading.Lock()

    def add(self, method: str, fault: Fault) -> None:
        """Queue `fault` for the next calls of `method`, after those already queued."""
        with self._lock:
            self._faults.setdefault(method, []).append(fault)

    def take(self, method: str) -> Fault | None:
        """The fault the next call of `method` meets, or None; spends one of its `times`."""
        with self._lock:
            queue = self._faults.get(method)
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.pop(0)
            return fault


def fault_answer(fault: Fault) -> Answer:
    """Slack's answer for an injected failure: 429 with Retry-After, a 5xx, or `ok: false`."""
    if fault.status == 429:
        return error_answer(RateLimited(fault.retry_after))
    if fault.status >= 500:
        return refusal("internal_error", fault.status)
    return Answer(
        200, {"ok": False, "error": fault.error or "fatal_error"}, undocumented=fault.undocumented
    )


@dataclass(frozen=True)
class Tier:
    """One of Slack's rate-limit tiers: `per_minute` calls a minute, in bursts of as many."""

    name: str
    per_minute: int


TIER_1 = Tier("Tier 1", 1)
TIER_2 = Tier("Tier 2", 20)
TIER_3 = Tier("Tier 3", 50)
TIER_4 = Tier("Tier 4", 100)

# The methods whose limits the stand-in enforces by default (see the module docstring).
DEFAULT_TIERS = MappingProxyType({"users.list": TIER_2})


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class TierLimiter:
    """A token bucket per (workspace, method): bursts of `per_minute` calls, then as many a minute.

    `take` answers None when the call may go ahead, or the whole seconds to wait (Retry-After):
    the time until the bucket holds a call again, at most 60 / per_minute rounded up.
    """

    tiers: dict[str, Tier]
    _buckets: dict[tuple[str, str], _Bucket] = field(default_factory=dict)

    def take(self, team: str, method: str, now: float) -> int | None:
        """Spend one call of `method` in workspace `team` at `now`; return Retry-After if over."""
        tier = self.tiers.get(method)
        if tier is None:
            return None
        rate = tier.per_minute / 60.0
        bucket = self._buckets.setdefault((team, method), _Bucket(float(tier.per_minute), now))
        bucket.tokens = min(float(tier.per_minute), bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return max(1, math.ceil((1.0 - bucket.tokens) / rate))
