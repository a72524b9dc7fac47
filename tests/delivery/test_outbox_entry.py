"""An outbox row written with others in one statement (`outbox.rows_insert`) carries every column
`outbox.entry` fills, as `outbox.queue_all` would write it."""

from __future__ import annotations

from datetime import UTC, datetime

from app.delivery import outbox


def test_rows_insert_binds_every_column_an_entry_fills() -> None:
    entry = outbox.entry(
        team_id="T1",
        method="dm",
        args={"user": "U1", "text": "hi"},
        dedupe_key="k",
        now=datetime(2026, 12, 6, tzinfo=UTC),
        link=outbox.Link("kudos", 1),
        notice=outbox.Notice("U2", "your kudos"),
        after_key="post",
        after_failed_args={"user": "U1", "text": "hi anyway"},
    )
    assert set(entry) == set(outbox.ENTRY_COLUMNS)
    parameters = outbox.row_parameters([entry, {**entry, "dedupe_key": "k2"}])
    assert [row["dedupe_key"] for row in parameters["o_rows"]] == ["k", "k2"]
    assert set(parameters["o_rows"][0]) == {*outbox.ENTRY_COLUMNS, "i"}
    assert parameters["o_rows"][1]["created_at"] == "2026-12-06T00:00:00"
    statement = outbox.rows_insert()
    assert set(parameters) <= set(statement.compile().params)
    # One statement for any number of rows, so SQLAlchemy compiles it once.
    assert statement._generate_cache_key() is not None
