"""A bench's database kept as it is in service, between the runs it measures.

In service, PostgreSQL's autovacuum vacuums and analyses each table once a tenth of it changed,
so the planner's statistics follow the tables as they grow. This machine's server runs without
autovacuum (its CI configuration), so a bench's fresh database kept the statistics of empty
tables for as long as it ran: the plans the bot's connections prepared early (PostgreSQL builds
a prepared statement's generic plan from the statistics of the moment and keeps it) read the
tables as if they were empty, whatever they held by then, which no database in service does.
The benches that grow a database while they measure call `settle` between their runs, outside
what they measure. SQLite needs nothing: the bot's own connections run `PRAGMA optimize` as they
open, as in service.
"""

from __future__ import annotations

from sqlalchemy import Engine, text


def settle(engine: Engine) -> None:
    """Vacuum and analyse a PostgreSQL database as autovacuum would have by now; nothing on
    SQLite."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
