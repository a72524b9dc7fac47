"""How the delivery worker's rounds have PostgreSQL plan their statements: once, on a connection
of their own, and again as the outbox grows.

Planning the claim and the record each round cost the server more than running them. On the
rounds' own connection psycopg prepares each statement after five runs and PostgreSQL plans it
once (`ROUND_SETTINGS`), from the tables as they are then. A plan made while the outbox was a
few rows reads it as if it still were, whatever it grew to (a fresh database's first plans
walked whole indexes for each row claimed: hundreds of milliseconds a round at 40,000 rows).
So the rounds take a new connection, and plan again, each time the rows this worker has claimed
double (`PlanAge`): a plan then serves tables at most about twice the size it was made for, and
a worker that claims a million rows plans a dozen times. ANALYZE (autovacuum's too) also has
PostgreSQL plan again, with the statistics it gathered.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The rounds' connection settings, by dialect. A round reads and writes a handful of rows, each
# found through an index (the due rows in their order, a row by its id, a follower by its key).
# Planned once, a statement must fit whatever the tables hold later, so the planner is left index
# walks and nested loops only: sequential scans, hash and merge joins are what it picks when its
# statistics say a table is small (a fresh table's, or a backlog's that ANALYZE has not seen yet:
# the claim joined and sorted every due row, 4.6 ms where its index walk takes 0.4). No bitmaps
# either: each claim leaves a dead entry in the waiting rows' index until VACUUM; an ordered walk
# marks those it passes and the next skips them, where a bitmap reads them all, every claim.
ROUND_SETTINGS = {
    "postgresql": {
        "plan_cache_mode": "force_generic_plan",
        "enable_seqscan": "off",
        "enable_bitmapscan": "off",
        "enable_hashjoin": "off",
        "enable_mergejoin": "off",
    }
}


@dataclass
class PlanAge:
    """Counts the rows the rounds claim, and says when their plans are due to be made again."""

    # Claimed rows at which the first plans (made at start-up) are made again.
    first: int
    _claimed: int = field(default=0, init=False)
    # The count when the plans were last made again (0: only the first plans so far).
    _replanned_at: int = field(default=0, init=False)

    def claimed(self, rows: int) -> bool:
        """Count `rows` more claimed; return whether the rounds should plan afresh now (the
        count reached twice what it was when they last did, or `first`)."""
        self._claimed += rows
        if self._claimed < max(self.first, 2 * self._replanned_at):
            return False
        self._replanned_at = self._claimed
        return True
