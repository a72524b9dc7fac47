"""Insert-or-update in one statement, on SQLite and PostgreSQL alike (both speak ON CONFLICT)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.store import core
from app.store.models import Base


def upsert(
    session: Session,
    model: type[Base],
    rows: Sequence[Mapping[str, Any]],
    *,
    key: Iterable[str],
    update: Iterable[str] = (),
) -> None:
    """Insert `rows` into `model`'s table; where `key` exists, overwrite the `update` columns."""
    if not rows:
        return
    connection = core.connection(session)
    statement = _upsert_statement(connection.dialect.name, model, tuple(key), tuple(update))
    # Parameters passed apart from the statement keep one statement (and its compiled form)
    # for every call; a Core statement needs none of `Session.execute`'s ORM layer.
    connection.execute(statement, [dict(row) for row in rows])


@functools.cache
def _upsert_statement(
    dialect: str, model: type[Base], key: tuple[str, ...], update: tuple[str, ...]
) -> Any:
    """The insert-or-update of `model`'s rows on `dialect`, on conflict over `key` overwriting
    `update` (nothing when empty); one statement object per shape."""
    # Built once per shape: the outbox and the directory upsert on every ack, and building the
    # statement cost more than running it.
    statement = _insert_for(dialect)(model.metadata.tables[model.__tablename__])
    if update:
        return statement.on_conflict_do_update(
            index_elements=list(key),
            set_={column: statement.excluded[column] for column in update},
        )
    return statement.on_conflict_do_nothing(index_elements=list(key))


def insert_new(
    session: Session, model: type[Base], row: Mapping[str, Any], key: Sequence[str]
) -> bool:
    """Insert `row` unless its `key` exists; return whether this call inserted it."""
    connection = core.connection(session)
    statement = _insert_new_statement(connection.dialect.name, model, tuple(key))
    # RETURNING yields the row only when it was inserted: reliable where rowcount is not.
    return connection.execute(statement, dict(row)).first() is not None


@functools.cache
def _insert_new_statement(dialect: str, model: type[Base], key: tuple[str, ...]) -> Any:
    """The insert of one `model` row that does nothing where `key` exists and returns the key
    of a row it inserted; one statement object per shape, its values passed apart (an event's
    claim is two of them, and building each anew cost more than running it)."""
    table = model.metadata.tables[model.__tablename__]
    return (
        _insert_for(dialect)(table)
        .on_conflict_do_nothing(index_elements=list(key))
        .returning(*(table.c[column] for column in key))
    )


def _insert_for(dialect: str) -> Any:
    return postgresql.insert if dialect == "postgresql" else sqlite.insert
