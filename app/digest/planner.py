"""How PostgreSQL plans the digest's reads: as the short index reads they are.

Every read of a digest is an index range over one week or an index probe per pair or person.
PostgreSQL's planner costs a statement by rows times work per row, so a busy week's statements
cross the thresholds meant for long scans: it JIT-compiled the met-before statement (170 ms of
compiling for 100 ms of probes) and started parallel workers for the week's kudos and credit
(a parallel sequential scan of all of ask_helpers chosen over a 3 ms index range, and workers
that take longer to start than the reads they share). Both are turned off for the digest's
transaction; nothing else in it benefits from them.
"""

from __future__ import annotations

from sqlalchemy import Connection, text


def plan_as_short_reads(connection: Connection) -> None:
    """Turn JIT compilation and parallel workers off until this transaction ends (PostgreSQL)."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            text(
                "SELECT set_config('jit', 'off', true),"
                " set_config('max_parallel_workers_per_gather', '0', true)"
            )
        )
