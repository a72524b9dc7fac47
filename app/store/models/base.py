"""The declarative base every model derives from, with its naming convention."""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names keep migrations (and SQLite batch rebuilds) deterministic.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base holding the shared metadata."""

    metadata = MetaData(naming_convention=NAMING)


def ids_never_reused() -> dict[str, Any]:
    """Table options that keep SQLite from handing a deleted row's id to a new row."""
    # Ids in outbox keys (`kudos:<id>:post`), links and button values must never name two rows;
    # without AUTOINCREMENT SQLite reuses the id of a deleted newest row. PostgreSQL never does.
    return {"sqlite_autoincrement": True}
