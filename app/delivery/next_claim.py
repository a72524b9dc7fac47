"""Whether the delivery worker's next round claims: only when its claim could find a row that the
last claim did not take.

A round records the calls that ended and claims what is due. Most rounds of a busy worker are
woken by its own calls ending, and their claim read nothing: whatever was due, the last claim
took or knew the time of. That claim is the round's costliest statement, so a round claims only
when one of these says a row may be due that the last claim did not see:
- rows were queued: a commit of this process, another process's NOTIFY (`Doorbell.set`);
- the last claim read all it could take, or had no free slot to claim into;
- the earliest time the last claim knew of came (a retry, a paced row, a lapsing lease);
- the round's own recording made rows due (a follower let go, a row handed back or failed);
- a round failed (what it claimed is unknown), or the poll interval passed since the last claim
  (what nothing announces: a row another transaction held locked while the claim skipped it).

Rows queued within `claim_every_seconds` of the last claim wait for the rest of that moment
(`gathering`): a burst of kudos, a commit every few milliseconds, is claimed a few at a time
rather than in a round each, and a row queued after a quiet spell is claimed at once.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import datetime


class Doorbell(threading.Event):
    """The worker's wake-up. `set` says rows were queued (so the next round claims); `wake` only
    wakes the worker, for its own calls that ended (their round records, and claims if owed)."""

    def __init__(self) -> None:
        super().__init__()
        self._queued = False
        # `take_queued` reads and clears at once: a ring between the two must not be lost.
        self._queued_lock = threading.Lock()

    def set(self) -> None:
        """Ring for rows queued: wake the worker, and have its next round claim."""
        with self._queued_lock:
            self._queued = True
        super().set()

    def wake(self) -> None:
        """Wake the worker without saying anything was queued."""
        super().set()

    @property
    def rung(self) -> bool:
        """Whether rows were queued since the last `take_queued` (which this does not clear)."""
        return self._queued

    def take_queued(self) -> bool:
        """Whether rows were queued since the last call."""
        with self._queued_lock:
            queued, self._queued = self._queued, False
        return queued


@dataclass
class NextClaim:
    """What the last claim left to know, and whether a round now owes a claim (see the module)."""

    poll_seconds: float
    # A claim is owed whatever else says: at first, after a failed round, after a round that
    # had no free slot to claim into, when a drain is asked for.
    owed: bool = True
    # The last claim read as many due rows as it could take: more may be due at once.
    full: bool = False
    # When the earliest row the last claim did not take comes due (None: none known).
    due: datetime | None = None
    # When the last claim ran (the worker's monotonic clock).
    last: float = -math.inf

    def wanted(self, queued: bool, now: datetime, at: float) -> bool:
        """Whether a round starting at `now` (`at` on the monotonic clock) claims, `queued`
        saying whether rows were queued since the last round."""
        return (
            self.owed
            or queued
            or self.full
            or (self.due is not None and now >= self.due)
            or at - self.last >= self.poll_seconds
        )

    def gathering(self, queued: bool, at: float, every: float) -> float:
        """Seconds a round woken at `at` (monotonic) waits before it claims, so that rows
        `queued` by commits close together are claimed together: until `every` after the last
        claim, when rows were queued and nothing else already owes a claim now."""
        if not queued or self.owed or self.full:
            return 0.0
        return max(0.0, self.last + every - at)

    def no_room(self) -> None:
        """No slot was free to claim into: claim once one is (a call that ends wakes the worker),
        not before."""
        self.owed = True
        self.full = False
        self.due = None

    def claimed(self, full: bool, due: datetime | None, at: float) -> None:
        """A claim ran at `at`: it read all it could (`full`), or knew the rest come `due`."""
        self.owed = False
        self.full = full
        self.due = None if full else due
        self.last = at
