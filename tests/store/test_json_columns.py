"""JSON columns go through `json_codec` on both backends: what is written reads back as the
standard library would read it, and the database's own JSON functions read the same text."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import StatementError

from app import json_codec
from app.store.direct import DirectStatement
from app.store.models import OutboxMessage
from app.store.statuses import OutboxStatus
from tests.engines import engine_with_workspaces

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
ARGS: dict[str, Any] = {
    "channel": "C1",
    "text": 'merci ☺ — «deploy» "quoted" \\ done',
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "é\n"}}],
    "unfurl_links": False,
    "counts": {1: 2},
}


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    with engine_with_workspaces(database_url, "T1") as built:
        yield built


def _queue(engine: Engine, key: str, args: Any) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(OutboxMessage),
            {
                "team_id": "T1",
                "dedupe_key": key,
                "method": "chat.postMessage",
                "args": args,
                "status": OutboxStatus.PENDING,
                "attempts": 0,
                "created_at": NOW,
                "next_attempt_at": NOW,
            },
        )


def test_arguments_read_back_as_the_standard_library_reads_them(engine: Engine) -> None:
    _queue(engine, "k1", ARGS)
    read = select(OutboxMessage.args).where(OutboxMessage.dedupe_key == "k1")
    with engine.connect() as connection:
        through_sqlalchemy = connection.execute(read).scalar_one()
        (direct,) = DirectStatement(read).rows(connection, {})
    expected = json.loads(json.dumps(ARGS))
    assert through_sqlalchemy == expected
    assert direct.args == expected


def test_the_database_reads_the_same_text_as_json(engine: Engine) -> None:
    _queue(engine, "k1", ARGS)
    if engine.dialect.name == "postgresql":
        text = OutboxMessage.args["text"].as_string()
    else:
        text = func.json_extract(OutboxMessage.args, "$.text")
    with engine.connect() as connection:
        assert connection.execute(select(text)).scalar_one() == ARGS["text"]


def test_a_datetime_in_the_arguments_is_refused_before_anything_is_stored(engine: Engine) -> None:
    with pytest.raises((StatementError, TypeError)):
        _queue(engine, "k1", {"when": NOW})
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(OutboxMessage)).scalar() == 0


def test_sqlite_stores_the_codecs_compact_text(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's JSONB keeps no text of its own")
    _queue(engine, "k1", ARGS)
    with engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT args FROM outbox_messages").scalar_one()
    assert stored == json_codec.dumps(ARGS)
