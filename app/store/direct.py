"""Hot-path Core statements run straight on the driver's cursor, in the caller's transaction
(or alone, as its first statement, where the caller allows it: `_run`).

`Connection.execute` costs about 65 Python calls a statement before and after the driver's own
work (the compiled cache's look-up, an execution context, a `CursorResult` and its metadata),
whatever the statement. A kudos's ack runs five statements and each delivery round about as
many: together, a sixth of a kudos's calls. A `DirectStatement` compiles its statement once per
dialect, as SQLAlchemy would, and keeps what each execution needs (the text, the order of its
parameters, the types' bind and result processors), so an execution is the driver's `execute`
and the processors' own calls.

What SQLAlchemy does around a statement and matters here is kept: the connection's transaction
is begun first if it is not yet (SQLite's turn, `sqlite_turns`), the engine's cursor events are
dispatched when something listens (the tests and benches that count statements), and a driver
error is raised as SQLAlchemy's `DBAPIError`, the connection invalidated when it was a
disconnect, as `Connection.execute` does (the door and the worker catch `SQLAlchemyError`).
Statements whose execution SQLAlchemy shapes per call (expanding `IN` lists, literal-execute
parameters, column defaults computed in Python) or whose columns it reads by the driver's
description (numeric columns, on psycopg) are refused when compiled: they stay on
`Connection.execute`.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect, Float, Numeric
from sqlalchemy.exc import DBAPIError, MultipleResultsFound, NoResultFound, StatementError
from sqlalchemy.sql.expression import ClauseElement

Processor = Callable[[Any], Any]
# A bind parameter's place: its name in the parameters passed, and its value when none is.
_REQUIRED = object()
# psycopg's transaction status of a connection with no transaction open (`pq.TransactionStatus`).
_IDLE = 0


@dataclass(frozen=True)
class _Form:
    """A statement as one dialect runs it."""

    sql: str
    # Each bind parameter in the order the driver takes them: its name in the compiled text,
    # the key callers pass it under, its fixed value (or `_REQUIRED`) and its bind processor.
    binds: tuple[tuple[str, str, Any, Processor | None], ...]
    positional: bool
    # The rows' type (attribute names as selected or returned) and each column's processor.
    row: Any
    results: tuple[Processor | None, ...]


class DirectStatement:
    """A Core statement compiled once per dialect and executed on the driver's cursor."""

    def __init__(self, statement: ClauseElement) -> None:
        self._statement = statement
        # By the dialect's class: one per backend in a process, whose text does not change.
        self._forms: dict[type[Dialect], _Form] = {}

    def rows(
        self, connection: Connection, parameters: Mapping[str, Any], *, alone: bool = False
    ) -> list[Any]:
        """Execute with `parameters` in `connection`'s transaction (or by itself, if `alone`
        allows: see `_run`) and return every row (named tuples: attributes by the selected or
        returned columns' names)."""
        form = self._form(connection.dialect)
        cursor = _run(connection, form, _bound(form, parameters), many=False, alone=alone)
        try:
            # Known from the statement: psycopg builds `cursor.description` anew on each read.
            if form.row is None:
                return []
            raw = cursor.fetchall()
        finally:
            cursor.close()
        return _processed(form, raw)

    def one(self, connection: Connection, parameters: Mapping[str, Any]) -> Any:
        """Execute and return the one row the statement yields; SQLAlchemy's `NoResultFound` or
        `MultipleResultsFound` if not one, as `Result.one` raises."""
        found = self.rows(connection, parameters)
        if not found:
            raise NoResultFound("No row was found when one was required")
        if len(found) > 1:
            raise MultipleResultsFound("Multiple rows were found when exactly one was required")
        return found[0]

    def execute(
        self, connection: Connection, parameters: Mapping[str, Any], *, alone: bool = False
    ) -> int:
        """Execute a statement that returns no rows (by itself, if `alone` allows: see `_run`);
        return the driver's row count."""
        form = self._form(connection.dialect)
        cursor = _run(connection, form, _bound(form, parameters), many=False, alone=alone)
        count: int = cursor.rowcount
        cursor.close()
        return count

    def execute_many(self, connection: Connection, parameters: Sequence[Mapping[str, Any]]) -> None:
        """Execute once for each set of `parameters` (the driver's `executemany`)."""
        if not parameters:
            return
        form = self._form(connection.dialect)
        _run(connection, form, [_bound(form, each) for each in parameters], many=True).close()

    def _form(self, dialect: Dialect) -> _Form:
        form = self._forms.get(type(dialect))
        if form is None:
            form = self._forms[type(dialect)] = _compile(self._statement, dialect)
        return form


def _compile(statement: ClauseElement, dialect: Dialect) -> _Form:
    """`statement` compiled for `dialect`, with what each execution needs kept beside it."""
    compiled: Any = statement.compile(dialect=dialect)
    if compiled.post_compile_params or compiled.literal_execute_params:
        raise ValueError("a direct statement cannot expand parameters at execution")
    if getattr(compiled, "insert_prefetch", None) or getattr(compiled, "update_prefetch", None):
        raise ValueError("a direct statement cannot compute column defaults in Python")
    if compiled.escaped_bind_names:
        raise ValueError("a direct statement's parameters need plain names")
    by_name = {name: bind for bind, name in compiled.bind_names.items()}
    order = compiled.positiontup if compiled.positional else list(by_name)
    binds = []
    for name in order:
        bind = by_name[name]
        fixed = _REQUIRED if bind.required else bind.effective_value
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        binds.append((name, bind.key, fixed, processor))
    columns = list(getattr(statement, "exported_columns", ()))
    names = [column.key for column in columns]
    if len(set(names)) != len(names):
        raise ValueError(f"a direct statement's columns need distinct names: {names}")
    # psycopg's numeric processors are chosen by the type code the driver reports for the column,
    # which a direct statement never reads.
    numeric = [column.key for column in columns if isinstance(column.type, Numeric | Float)]
    if numeric:
        raise ValueError(f"a direct statement cannot read numeric columns: {numeric}")
    return _Form(
        sql=compiled.string,
        binds=tuple(binds),
        positional=compiled.positional,
        row=namedtuple("Row", names) if names else None,
        results=tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ),
    )


def _bound(form: _Form, parameters: Mapping[str, Any]) -> Any:
    """`parameters` as the driver takes them: each processed, in order or by name."""
    values = []
    for _name, key, fixed, processor in form.binds:
        value = parameters[key] if fixed is _REQUIRED else parameters.get(key, fixed)
        values.append(value if processor is None else processor(value))
    if form.positional:
        return values
    return {bind[0]: value for bind, value in zip(form.binds, values, strict=True)}


def _processed(form: _Form, raw: list[Any]) -> list[Any]:
    """The driver's rows as the statement's named rows, each value through its processor."""
    make = form.row._make
    if not any(form.results):
        return [make(row) for row in raw]
    return [
        make([value if p is None else p(value) for p, value in zip(form.results, row, strict=True)])
        for row in raw
    ]


def _run(
    connection: Connection, form: _Form, values: Any, *, many: bool, alone: bool = False
) -> Any:
    """Execute `form` with the driver's `values` (a list of them if `many`) on a cursor of
    `connection`'s driver connection, in its transaction.

    `alone`: the caller allows the statement to run by itself when it would be the first the
    transaction sends (PostgreSQL only; SQLite's statements cost no round trip): psycopg then
    sends no BEGIN before it, and, if no statement follows, the commit sends nothing either.
    A read sees what it would inside (read committed takes a snapshot per statement); a write
    is committed when this returns, so only the unit's last write may allow it.
    """
    if not connection.in_transaction():
        connection.begin()
    driver = connection.connection.dbapi_connection
    assert driver is not None, "a connection in a transaction has its driver connection"
    outside = alone and _nothing_sent(connection, driver)
    if outside:
        driver.autocommit = True
    try:
        return _execute(connection, driver, form, values, many=many)
    finally:
        # A lost connection is invalidated (`_wrapped`) and never handed out again.
        if outside and driver.pgconn.transaction_status == _IDLE:
            driver.autocommit = False


def _nothing_sent(connection: Connection, driver: Any) -> bool:
    """Whether `connection` is PostgreSQL's and its transaction has sent nothing yet."""
    # libpq's own status, read straight: `driver.info` builds an object on every read.
    return connection.dialect.name == "postgresql" and driver.pgconn.transaction_status == _IDLE


def _execute(connection: Connection, driver: Any, form: _Form, values: Any, *, many: bool) -> Any:
    """`form` executed on a new cursor of `driver`, the engine's cursor events dispatched."""
    cursor = driver.cursor()
    # The flags `Connection.execute` reads too: asking the dispatcher costs ten calls a statement.
    listened = connection._has_events or connection.engine._has_events
    if listened:
        connection.dispatch.before_cursor_execute(connection, cursor, form.sql, values, None, many)
    try:
        if many:
            cursor.executemany(form.sql, values)
        else:
            cursor.execute(form.sql, values)
    except connection.dialect.loaded_dbapi.Error as error:
        cursor.close()
        raise _wrapped(connection, form, values, error, driver) from error
    if listened:
        connection.dispatch.after_cursor_execute(connection, cursor, form.sql, values, None, many)
    return cursor


def _wrapped(
    connection: Connection, form: _Form, values: Any, error: Any, driver: Any
) -> StatementError:
    """The driver's `error` as SQLAlchemy raises it; a lost connection is invalidated first,
    so the pool does not hand it out again."""
    dialect = connection.dialect
    lost = dialect.is_disconnect(error, driver, None)
    if lost:
        connection.invalidate(error)
    wrapped: StatementError = DBAPIError.instance(
        form.sql,
        values,
        error,
        dialect.loaded_dbapi.Error,
        connection_invalidated=lost,
        dialect=dialect,
    )
    return wrapped
