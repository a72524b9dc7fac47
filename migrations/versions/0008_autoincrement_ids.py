"""ids are never reused: AUTOINCREMENT on kudos, asks and offers (SQLite)

SQLite gives an INTEGER PRIMARY KEY without AUTOINCREMENT the largest id in the table plus one,
so deleting the newest row (`reciprocity forget`) hands its id to the next insert, whose outbox
keys (`kudos:<id>:post`), links and button values then name the deleted row's messages: the
outbox takes the new kudos's post for one already sent and never posts it. With AUTOINCREMENT
SQLite remembers the largest id ever used (in `sqlite_sequence`). The tables are rebuilt with
it, and each sequence starts past every id the outbox still names, deleted rows' ids included.
PostgreSQL's sequences never hand out an id twice: nothing changes there.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 18:30:00
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("kudos", "asks", "offers")
# How outbox dedupe keys name a row (`notice:` keys repeat the failed row's key after it):
# `kudos:<id>:post`, `kudos:<id>:note:<user>`, `ask:<id>:post`, `ask:<id>:match:<user>`, ...
NAMED_IN_KEYS = {
    "kudos": re.compile(r"(?:^|:)kudos:(\d+)(?::|$)"),
    "asks": re.compile(r"(?:^|:)ask:(\d+)(?::|$)"),
}


def upgrade() -> None:
    """Rebuild the tables with AUTOINCREMENT, each sequence past every id still named."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ):
            pass
    for table in TABLES:
        _start_after(table, _largest_named_id(table))


def downgrade() -> None:
    """Rebuild the tables without AUTOINCREMENT (ids may then be reused again)."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": False}
        ):
            pass


def _largest_named_id(table: str) -> int:
    """The largest id of `table` that an outbox row (its key or its link) or a kudos key names."""
    bind = op.get_bind()
    largest = int(
        bind.execute(
            sa.text("SELECT COALESCE(MAX(link_id), 0) FROM outbox_messages WHERE link_table = :t"),
            {"t": table},
        ).scalar_one()
    )
    pattern = NAMED_IN_KEYS.get(table)
    if pattern is None:
        return largest
    # Kudos carry the key of the act that caused them too: `ask:<id>:thanks`.
    keys = sa.text(
        "SELECT dedupe_key FROM outbox_messages"
        " UNION ALL SELECT dedupe_key FROM kudos WHERE dedupe_key IS NOT NULL"
    )
    for (key,) in bind.execute(keys):
        found = pattern.search(key)
        if found:
            largest = max(largest, int(found.group(1)))
    return largest


def _start_after(table: str, named: int) -> None:
    """Make `table`'s next id larger than `named` and than any id it holds or has held."""
    bind = op.get_bind()
    params = {"t": table, "n": named}
    bind.execute(
        sa.text("UPDATE sqlite_sequence SET seq = :n WHERE name = :t AND seq < :n"), params
    )
    bind.execute(
        sa.text(
            "INSERT INTO sqlite_sequence (name, seq) SELECT :t, :n"
            " WHERE :n > 0 AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = :t)"
        ),
        params,
    )
