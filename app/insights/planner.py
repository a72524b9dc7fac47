"""How PostgreSQL plans the insights reads: as index reads from a time range, not table scans.

Every read of an insights page starts from an indexed time range and joins each row found to its
parent or children by primary key. PostgreSQL's planner, costing a quarter's kudos as a large
share of the table, hashed all of kudos_recipients (1.4 million rows) to join 54,000 kudos: 690 ms
where probing the primary key for each took 170 ms (the digest bench's 1,000,000-kudos workspace,
twelve weeks). JIT compilation and parallel workers, tuned for long scans, only add start-up cost
here (as `app.digest.planner` found for the digest). A year's pairs (250,000 in that workspace)
are grouped by hashing: at the default 4 MB of work memory the hash spilled to disk in five
batches, so the insights read with 64 MB per hash or sort (about 10% faster over 52 weeks). All
are set while the insights read, and put back as they were afterwards: the digest draws its
picture inside its own transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.orm import Session

_SETTINGS = {
    "jit": "off",
    "max_parallel_workers_per_gather": "0",
    "enable_hashjoin": "off",
    "enable_mergejoin": "off",
    "work_mem": "64MB",
}
_READ = "SELECT " + ", ".join(f"current_setting('{name}')" for name in _SETTINGS)
_WRITE = "SELECT " + ", ".join(f"set_config('{name}', :{name}, true)" for name in _SETTINGS)


@contextmanager
def index_reads(session: Session) -> Iterator[None]:
    """Within the block, PostgreSQL joins by index probes, without JIT or parallel workers;
    the transaction's settings are restored after it (nothing changes on SQLite)."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    before = session.execute(text(_READ)).one()
    session.execute(text(_WRITE), _SETTINGS)
    # Not in a `finally`: after a failed statement PostgreSQL refuses every statement until the
    # rollback, which undoes these settings anyway.
    yield
    session.execute(text(_WRITE), dict(zip(_SETTINGS, before, strict=True)))
