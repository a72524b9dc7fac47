"""The Alembic history and the models describe the same schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from app.store import migrate
from app.store.db import make_engine
from app.store.models import Base


def _differences(url: str) -> list[object]:
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url, pool_size=1)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_migrated_database_matches_the_models(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url)
    assert _differences(empty_database_url) == []


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
