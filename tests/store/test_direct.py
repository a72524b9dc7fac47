"""`direct.DirectStatement`: a Core statement run on the driver's cursor binds, reads and fails
as `Connection.execute` does, on the backend this run tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from typing import cast as typed

import pytest
from sqlalchemy import (
    ARRAY,
    Engine,
    Float,
    Table,
    bindparam,
    cast,
    event,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.store.among import among
from app.store.direct import DirectStatement
from app.store.models import OutboxMessage
from app.store.statuses import OutboxStatus
from tests.engines import engine_with_workspaces

OUTBOX = typed(Table, OutboxMessage.__table__)
NOW = datetime(2026, 12, 7, 9, 30, 15, 123456, tzinfo=UTC)

_INSERT = insert(OUTBOX).values(
    team_id=bindparam("team_id"),
    dedupe_key=bindparam("key"),
    method="chat.postMessage",
    args=bindparam("args", type_=OUTBOX.c.args.type),
    status=OutboxStatus.PENDING,
    attempts=0,
    created_at=bindparam("at", type_=OUTBOX.c.created_at.type),
    next_attempt_at=bindparam("at", type_=OUTBOX.c.next_attempt_at.type),
)
_READ = select(
    OUTBOX.c.id,
    OUTBOX.c.dedupe_key.label("key"),
    OUTBOX.c.args,
    OUTBOX.c.next_attempt_at,
    OUTBOX.c.lease_expires_at,
    literal(True).label("flag"),
).where(OUTBOX.c.team_id == bindparam("team_id"))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    with engine_with_workspaces(database_url, "T1") as built:
        yield built


def test_a_row_reads_back_with_the_types_sqlalchemy_gives_it(engine: Engine) -> None:
    args = {"channel": "C1", "text": "héllo", "blocks": [{"type": "divider"}]}
    with engine.begin() as connection:
        DirectStatement(_INSERT).execute(
            connection, {"team_id": "T1", "key": "k1", "args": args, "at": NOW}
        )
    direct = DirectStatement(_READ)
    with engine.connect() as connection:
        (row,) = direct.rows(connection, {"team_id": "T1"})
        expected = connection.execute(_READ, {"team_id": "T1"}).one()
    assert tuple(row) == tuple(expected)
    assert row.key == "k1"
    assert row.args == args
    assert row.next_attempt_at == NOW
    assert row.next_attempt_at.tzinfo is UTC
    assert row.lease_expires_at is None
    assert row.flag is True
    assert row._asdict()["key"] == "k1"


def test_fixed_values_are_bound_and_the_row_count_is_the_drivers(engine: Engine) -> None:
    with engine.begin() as connection:
        insert_direct = DirectStatement(_INSERT)
        for key in ("a", "b", "c"):
            insert_direct.execute(connection, {"team_id": "T1", "key": key, "args": {}, "at": NOW})
    lease = update(OUTBOX).where(
        OUTBOX.c.team_id == bindparam("team_id"), OUTBOX.c.dedupe_key != bindparam("but")
    )
    statement = lease.values(
        status=OutboxStatus.SENDING,
        lease_expires_at=bindparam("until", type_=OUTBOX.c.lease_expires_at.type),
    )
    with engine.begin() as connection:
        count = DirectStatement(statement).execute(
            connection, {"team_id": "T1", "but": "a", "until": NOW + timedelta(minutes=1)}
        )
    with engine.connect() as connection:
        statuses = dict(connection.execute(select(OUTBOX.c.dedupe_key, OUTBOX.c.status)).all())
    assert count == 2
    assert statuses == {"a": "pending", "b": "sending", "c": "sending"}


def test_many_parameter_sets_go_in_one_call(engine: Engine) -> None:
    with engine.begin() as connection:
        DirectStatement(_INSERT).execute_many(
            connection,
            [{"team_id": "T1", "key": f"k{n}", "args": {"n": n}, "at": NOW} for n in range(3)],
        )
    with engine.connect() as connection:
        rows = DirectStatement(_READ).rows(connection, {"team_id": "T1"})
    assert sorted((row.key, row.args["n"]) for row in rows) == [("k0", 0), ("k1", 1), ("k2", 2)]


def test_it_runs_in_the_callers_transaction(engine: Engine) -> None:
    with engine.connect() as connection:
        with connection.begin() as transaction:
            DirectStatement(_INSERT).execute(
                connection, {"team_id": "T1", "key": "gone", "args": {}, "at": NOW}
            )
            assert DirectStatement(_READ).rows(connection, {"team_id": "T1"})
            transaction.rollback()
        assert DirectStatement(_READ).rows(connection, {"team_id": "T1"}) == []


def _keys(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return sorted(row.key for row in DirectStatement(_READ).rows(connection, {"team_id": "T1"}))


def test_a_statement_allowed_alone_runs_by_itself_only_as_its_transactions_first(
    engine: Engine,
) -> None:
    """On PostgreSQL a first statement allowed alone is committed by itself, and the next one
    opens the transaction as usual; once the transaction has sent anything, `alone` changes
    nothing. SQLite runs every statement in the transaction."""
    insert_row = DirectStatement(_INSERT)

    def row(key: str) -> dict[str, Any]:
        return {"team_id": "T1", "key": key, "args": {}, "at": NOW}

    with engine.connect() as connection:
        with connection.begin() as transaction:
            insert_row.execute(connection, row("first"), alone=True)
            insert_row.execute(connection, row("after"))
            transaction.rollback()
        with connection.begin() as transaction:
            DirectStatement(_READ).rows(connection, {"team_id": "T1"})
            insert_row.execute(connection, row("second"), alone=True)
            transaction.rollback()
        driver: Any = connection.connection.dbapi_connection
        # The driver is left as SQLAlchemy expects it: transactions begun implicitly.
        assert getattr(driver, "autocommit", False) is False
    postgresql = engine.dialect.name == "postgresql"
    assert _keys(engine) == (["first"] if postgresql else [])


def test_a_statement_alone_that_fails_leaves_the_connection_as_it_found_it(engine: Engine) -> None:
    insert_row = DirectStatement(_INSERT)
    row = {"team_id": "T1", "key": "same", "args": {}, "at": NOW}
    with engine.begin() as connection:
        insert_row.execute(connection, row)
    with engine.connect() as connection:
        with pytest.raises(IntegrityError), connection.begin():
            insert_row.execute(connection, row, alone=True)
        with connection.begin() as transaction:
            insert_row.execute(connection, {**row, "key": "rolled back"})
            transaction.rollback()
    assert _keys(engine) == ["same"]


def test_a_driver_error_is_sqlalchemys_and_the_statement_is_named(engine: Engine) -> None:
    direct = DirectStatement(_INSERT)
    with engine.connect() as connection:
        with connection.begin():
            direct.execute(connection, {"team_id": "T1", "key": "same", "args": {}, "at": NOW})
        with pytest.raises(IntegrityError) as raised, connection.begin():
            direct.execute(connection, {"team_id": "T1", "key": "same", "args": {}, "at": NOW})
    assert isinstance(raised.value, DBAPIError)
    assert "outbox_messages" in str(raised.value)


def test_a_missing_parameter_is_refused_before_the_database(engine: Engine) -> None:
    with engine.connect() as connection, pytest.raises(KeyError):
        DirectStatement(_READ).rows(connection, {})


def test_the_engines_cursor_events_see_each_statement(engine: Engine) -> None:
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        with engine.connect() as connection:
            DirectStatement(_READ).rows(connection, {"team_id": "T1"})
    finally:
        event.remove(engine, "before_cursor_execute", before)
    assert len(seen) == 1
    assert seen[0].startswith("SELECT outbox_messages.id")


def test_statements_sqlalchemy_shapes_per_call_are_refused(engine: Engine) -> None:
    expanding = select(OUTBOX.c.id).where(OUTBOX.c.id.in_(bindparam("ids", expanding=True)))
    with engine.connect() as connection, pytest.raises(ValueError, match="expand"):
        DirectStatement(expanding).rows(connection, {"ids": [1]})


def test_numeric_columns_are_refused_as_psycopg_reads_them_by_the_drivers_type_code(
    engine: Engine,
) -> None:
    share = select(OUTBOX.c.id, cast(OUTBOX.c.attempts, Float).label("share"))
    with engine.connect() as connection, pytest.raises(ValueError, match="numeric"):
        DirectStatement(share).rows(connection, {})


def test_arrays_of_a_rounds_columns_read_back_as_bound(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("arrays are PostgreSQL's")
    with engine.begin() as connection:
        for key in ("k1", "k2", "k3"):
            DirectStatement(_INSERT).execute(
                connection, {"team_id": "T1", "key": key, "args": {}, "at": NOW}
            )
        ids = sorted(row.id for row in DirectStatement(_READ).rows(connection, {"team_id": "T1"}))
    moved = (
        func.unnest(
            bindparam("ids", type_=ARRAY(OUTBOX.c.id.type)),
            bindparam("errors", type_=ARRAY(OUTBOX.c.last_error.type)),
            bindparam("leases", type_=ARRAY(OUTBOX.c.lease_expires_at.type)),
        )
        .table_valued("id", "last_error", "lease_expires_at", name="moved")
        .render_derived()
    )
    move = DirectStatement(
        update(OUTBOX)
        .where(OUTBOX.c.id == moved.c.id)
        .values(last_error=moved.c.last_error, lease_expires_at=moved.c.lease_expires_at)
    )
    among_keys = DirectStatement(
        select(OUTBOX.c.dedupe_key).where(among("postgresql", OutboxMessage.dedupe_key, "keys"))
    )
    errors = ['say "{x}", \\ then, NULL', None, ""]
    leases = [NOW, None, NOW + timedelta(seconds=30)]
    with engine.begin() as connection:
        assert move.execute(connection, {"ids": ids, "errors": errors, "leases": leases}) == 3
        assert move.execute(connection, {"ids": [], "errors": [], "leases": []}) == 0
        found = among_keys.rows(connection, {"keys": ["k3", "k1", "nobody"]})
    assert sorted(row.dedupe_key for row in found) == ["k1", "k3"]
    with engine.connect() as connection:
        rows = connection.execute(
            select(OUTBOX.c.id, OUTBOX.c.last_error, OUTBOX.c.lease_expires_at).order_by(
                OUTBOX.c.id
            )
        ).all()
    stored = [(row.last_error, row.lease_expires_at) for row in rows]
    assert stored == list(zip(errors, leases, strict=True))
