"""The rows a delivery worker holds: leased to it and not yet recorded, and the room set aside
for rows being leased as a transaction queues them (`handoff`), shared by its threads."""

from __future__ import annotations

import threading
from collections.abc import Iterable


class Holdings:
    """What a worker holds, within `room` rows: its own claims, the rows handed over to it, and
    the room a transaction set aside for those it leased until it commits or rolls back."""

    def __init__(self, room: int) -> None:
        self.room = room
        # Rows leased and not yet recorded: queued for a sender, in a call, or awaiting a round.
        # Their leases may run out meanwhile (a short lease, a slow call), but the worker never
        # takes over a row it still holds.
        self._held: set[int] = set()
        self._reserved = 0
        # Rows handed over since the worker last asked (`handed_over`).
        self._handed = 0
        self._lock = threading.Lock()

    def free(self) -> int:
        """How many more rows the worker may lease now."""
        with self._lock:
            return self.room - len(self._held) - self._reserved

    def held(self) -> frozenset[int]:
        """The rows held now."""
        with self._lock:
            return frozenset(self._held)

    def any(self) -> bool:
        """Whether any row is held."""
        with self._lock:
            return bool(self._held)

    def add(self, ids: Iterable[int]) -> None:
        """Hold the rows `ids` the worker claimed."""
        with self._lock:
            self._held.update(ids)

    def let_go(self, ids: Iterable[int]) -> None:
        """Stop holding the rows `ids` (recorded, or left to their leases)."""
        with self._lock:
            self._held.difference_update(ids)

    def reserve(self, rows: int) -> bool:
        """Set aside room for `rows` being leased as they are queued; False if there is none."""
        with self._lock:
            if len(self._held) + self._reserved + rows > self.room:
                return False
            self._reserved += rows
            return True

    def release(self, rows: int) -> None:
        """Give back room set aside for `rows` that were not stored after all."""
        with self._lock:
            self._reserved -= rows

    def hand_over(self, ids: Iterable[int], reserved: int) -> bool:
        """Hold the rows `ids` handed over in room set aside for `reserved` rows (the rest were
        not stored after all); return whether nothing was held before."""
        with self._lock:
            was_empty = not self._held
            before = len(self._held)
            self._held.update(ids)
            self._handed += len(self._held) - before
            self._reserved -= reserved
            return was_empty

    def handed_over(self) -> int:
        """How many rows were handed over since the last call."""
        with self._lock:
            handed, self._handed = self._handed, 0
            return handed
