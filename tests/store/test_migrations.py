"""The Alembic history and the models describe the same schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, Table, delete, func, insert, inspect, select, text
from sqlalchemy.orm import Session

from app.kudos.rules import KUDOS_IDS
from app.store import fulltext, migrate
from app.store.db import make_engine, make_session_factory, transaction
from app.store.models import (
    Ask,
    Base,
    Kudos,
    KudosRecipient,
    Offer,
    OutboxMessage,
    Workspace,
)

AT = datetime(2026, 11, 30, 10, tzinfo=UTC)


def _differences(url: str) -> list[object]:
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                # The full-text index (migration 0010) is not mapped in the models.
                opts={"compare_type": True, "include_name": fulltext.not_the_index},
            )
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url, pool_size=1)
    try:
        names = set(inspect(engine).get_table_names()) - {"alembic_version"}
        return names - fulltext.SCHEMA_NAMES
    finally:
        engine.dispose()


def test_migrated_database_matches_the_models(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url)
    assert _differences(empty_database_url) == []


def test_the_kudos_id_is_drawn_from_the_sequence_its_column_owns(
    empty_database_url: str,
) -> None:
    """PostgreSQL: `/kudos` draws its id from the sequence by name (`rules.KUDOS_IDS`);
    the migrated column must own that sequence, or ids would come from elsewhere."""
    migrate.upgrade(empty_database_url)
    engine = make_engine(empty_database_url, pool_size=1)
    try:
        if engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL draws kudos ids ahead; SQLite does not")
        drawn = KUDOS_IDS.next_value().compile(dialect=engine.dialect)
        with engine.connect() as connection:
            owned = connection.scalar(text("SELECT pg_get_serial_sequence('kudos', 'id')"))
        assert owned == "public.kudos_id_seq"
        assert "nextval('kudos_id_seq')" in str(drawn)
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url)
    assert _tables(empty_database_url) == set(Base.metadata.tables)
    migrate.downgrade(empty_database_url, "base")
    assert _tables(empty_database_url) == set()
    migrate.upgrade(empty_database_url)
    assert _differences(empty_database_url) == []


def test_pending_reports_an_unmigrated_database(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url, pool_size=1)
    try:
        assert migrate.pending(engine)
        migrate.upgrade(empty_database_url)
        assert not migrate.pending(engine)
    finally:
        engine.dispose()


def test_comparison_notices_a_model_the_migrations_lack(empty_database_url: str) -> None:
    # Guards the guard: an empty database must differ from the models.
    assert _differences(empty_database_url) != []


def test_0005_fills_the_repeated_giver_and_asker_from_existing_rows(
    empty_database_url: str,
) -> None:
    migrate.upgrade(empty_database_url, "0004")
    engine = make_engine(empty_database_url, pool_size=1)
    at = "2026-11-02 10:00:00"
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO workspaces (team_id, name, active, installed_at, timezone,"
                    " digest_weekday, digest_hour, digest_when_quiet, kudos_daily_limit,"
                    " kudos_max_length, kudos_reply_mode, kudos_values, work_days,"
                    " work_start_hour, work_end_hour, matches_per_ask, expert_daily_cap)"
                    " VALUES ('T1', 'Acme', true, :at, 'UTC', 0, 9, true, 5, 1000, 'channel',"
                    " '[]', '[0,1,2,3,4]', 9, 18, 3, 5)"
                ),
                {"at": at},
            )
            connection.execute(
                text(
                    "INSERT INTO kudos (id, team_id, giver_id, channel_id, channel_is_private,"
                    ' message, "values", source, created_at)'
                    " VALUES (1, 'T1', 'UANA', 'C1', false, 'thanks', '[]', 'command', :at)"
                ),
                {"at": at},
            )
            connection.execute(
                text(
                    "INSERT INTO kudos_recipients (kudos_id, recipient_id, team_id)"
                    " VALUES (1, 'UBEN', 'T1')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO asks (id, team_id, asker_id, text, topics, origin_channel_id,"
                    " channel_is_private, status, created_at, updated_at, nudge_round)"
                    " VALUES (1, 'T1', 'UCAT', 'q', '[]', 'C1', false, 'resolved', :at, :at, 0)"
                ),
                {"at": at},
            )
            connection.execute(
                text(
                    "INSERT INTO ask_helpers (ask_id, helper_id, team_id, credited_at)"
                    " VALUES (1, 'UDAN', 'T1', :at)"
                ),
                {"at": at},
            )
    finally:
        engine.dispose()
    migrate.upgrade(empty_database_url)
    engine = make_engine(empty_database_url, pool_size=1)
    try:
        with engine.connect() as connection:
            giver = connection.scalar(text("SELECT giver_id FROM kudos_recipients"))
            asker = connection.scalar(text("SELECT asker_id FROM ask_helpers"))
    finally:
        engine.dispose()
    assert (giver, asker) == ("UANA", "UCAT")


def _kudos(n: int) -> Kudos:
    return Kudos(
        team_id="T1",
        giver_id="UANA",
        channel_id="C1",
        message=f"thanks #{n}",
        created_at=AT,
        recipients=[KudosRecipient(recipient_id="UBEN", team_id="T1", giver_id="UANA")],
    )


def _ask(n: int) -> Ask:
    return Ask(
        team_id="T1",
        asker_id="UCAT",
        text=f"question {n}",
        origin_channel_id="C1",
        created_at=AT,
        updated_at=AT,
    )


def _sent(key: str, link: tuple[str, int] | None = None) -> OutboxMessage:
    return OutboxMessage(
        team_id="T1",
        dedupe_key=key,
        method="chat.postMessage",
        args={"channel": "C1", "text": "x"},
        status="sent",
        created_at=AT,
        next_attempt_at=AT,
        link_table=link[0] if link else None,
        link_id=link[1] if link else None,
    )


def _workspace_as_of_then(session: Session) -> None:
    """Insert workspace T1 into a database at an older revision: only the columns it had then,
    with today's model defaults (the model has columns later migrations add)."""
    table = Table("workspaces", MetaData(), autoload_with=session.connection())
    values: dict[str, object] = {}
    for column in Workspace.__table__.columns:
        default = column.default
        if column.name in table.c and default is not None and hasattr(default, "arg"):
            values[column.name] = default.arg(None) if callable(default.arg) else default.arg
    values.update(team_id="T1", name="Acme", bot_user_id="UBOT", bot_id="BBOT")
    values["installed_at"] = AT.replace(tzinfo=None)
    session.execute(insert(table).values(**values))


def test_0008_never_reissues_an_id_the_outbox_still_names(empty_database_url: str) -> None:
    # Before 0008, SQLite gave a deleted newest row's id to the next insert: its outbox keys
    # were taken for the new row's, which was then never posted.
    migrate.upgrade(empty_database_url, "0007")
    engine = make_engine(empty_database_url, pool_size=1)
    sessions = make_session_factory(engine)
    try:
        with transaction(sessions) as session:
            _workspace_as_of_then(session)
            kudos = [_kudos(n) for n in range(3)]
            asks = [_ask(n) for n in range(2)]
            session.add_all([*kudos, *asks])
            session.flush()
            newest_kudos, newest_ask = kudos[-1].id, asks[-1].id
            session.add_all(
                [_sent(f"kudos:{k.id}:post", ("kudos", k.id)) for k in kudos]
                + [_sent(f"ask:{newest_ask}:match:UDAN")]
            )
        with transaction(sessions) as session:
            # The newest of each is erased; the outbox still names them.
            session.execute(delete(Kudos).where(Kudos.id == newest_kudos))
            session.execute(delete(Ask).where(Ask.id == newest_ask))
    finally:
        engine.dispose()

    migrate.upgrade(empty_database_url)

    engine = make_engine(empty_database_url, pool_size=1)
    sessions = make_session_factory(engine)
    try:
        with transaction(sessions) as session:
            # The rebuild kept every row, and the rows that point at them.
            assert session.scalar(select(func.count()).select_from(Kudos)) == 2
            assert session.scalar(select(func.count()).select_from(KudosRecipient)) == 2
            fresh_kudos, fresh_ask = _kudos(9), _ask(9)
            offer = Offer(team_id="T1", user_id="UBEN", topic="go", created_at=AT, confirmed_at=AT)
            session.add_all([fresh_kudos, fresh_ask, offer])
            session.flush()
            assert fresh_kudos.id > newest_kudos
            assert fresh_ask.id > newest_ask
            assert offer.id >= 1
        if engine.dialect.name == "sqlite":
            with engine.connect() as connection:
                tables = connection.execute(
                    text(
                        "SELECT name, sql FROM sqlite_master"
                        " WHERE name IN ('kudos', 'asks', 'offers')"
                    )
                ).all()
            assert {name for name, sql in tables if "AUTOINCREMENT" in sql} == {
                "kudos",
                "asks",
                "offers",
            }
    finally:
        engine.dispose()
    migrate.downgrade(empty_database_url, "0007")
    migrate.upgrade(empty_database_url)
    assert _differences(empty_database_url) == []
