"""asks full text: the ask coach searches every ask's words through the database's own index

PostgreSQL: a stored generated `tsvector` column (`english` configuration: stemmed, stop words
dropped) with a GIN index; stored, so ranking reads it instead of parsing each candidate's text.
SQLite: an FTS5 table over `asks.text` (external content, Porter stemmer over unicode61), kept in
step by triggers and backfilled from the existing asks here.

Neither is mapped in the models (`app.store.fulltext` names them, and the schema comparison
leaves them out). On SQLite a later migration that rebuilds `asks` (batch mode copies the table)
drops these triggers with the old table and must create them again.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 04:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE_UP = [
    "CREATE VIRTUAL TABLE asks_fts USING fts5("
    "text, content='asks', content_rowid='id', tokenize='porter unicode61')",
    "CREATE TRIGGER asks_fts_insert AFTER INSERT ON asks BEGIN "
    "INSERT INTO asks_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER asks_fts_delete AFTER DELETE ON asks BEGIN "
    "INSERT INTO asks_fts(asks_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER asks_fts_update AFTER UPDATE OF text ON asks BEGIN "
    "INSERT INTO asks_fts(asks_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO asks_fts(rowid, text) VALUES (new.id, new.text); END",
    "INSERT INTO asks_fts(asks_fts) VALUES ('rebuild')",
]
_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS asks_fts_update",
    "DROP TRIGGER IF EXISTS asks_fts_delete",
    "DROP TRIGGER IF EXISTS asks_fts_insert",
    "DROP TABLE IF EXISTS asks_fts",
]
_POSTGRES_UP = [
    "ALTER TABLE asks ADD COLUMN search tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english'::regconfig, text)) STORED",
    "CREATE INDEX ix_asks_search ON asks USING gin (search)",
]
_POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_asks_search",
    "ALTER TABLE asks DROP COLUMN IF EXISTS search",
]


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    _run(_SQLITE_UP if sqlite else _POSTGRES_UP)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    _run(_SQLITE_DOWN if sqlite else _POSTGRES_DOWN)
