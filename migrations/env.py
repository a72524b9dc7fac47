"""Alembic environment: runs migrations on the URL the caller configured (see app.store.migrate)."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection

from app.store import fulltext
from app.store.db import is_sqlite, make_engine
from app.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    """Emit SQL for the configured URL without connecting."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Connect and apply the migrations in one transaction."""
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                # SQLite alters tables by copying them; batch mode does that for us.
                render_as_batch=True,
                compare_type=True,
                # Autogenerate must not propose dropping the unmapped full-text index.
                include_name=fulltext.not_the_index,
            )
            _foreign_keys(connection, on=False)
            with context.begin_transaction():
                context.run_migrations()
                if is_sqlite(connection):
                    _check_foreign_keys(connection)
            _foreign_keys(connection, on=True)
    finally:
        engine.dispose()


def _foreign_keys(connection: Connection, *, on: bool) -> None:
    """Switch SQLite's foreign key enforcement, which it ignores inside a transaction.

    Batch mode rebuilds a table by copying it and dropping the original; with enforcement on,
    dropping a table that others reference deletes their rows (ON DELETE CASCADE). SQLite's own
    procedure for altering a table turns it off around the transaction, as here.
    """
    if is_sqlite(connection):
        driver: Any = connection.connection.driver_connection
        driver.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _check_foreign_keys(connection: Connection) -> None:
    """Refuse to commit migrations that left a row pointing at nothing."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"migration left rows with dangling foreign keys: {broken[:5]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
