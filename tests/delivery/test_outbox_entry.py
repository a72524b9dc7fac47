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
    parameters = outbox.row_parameters([entry, entry])
    assert parameters["m1_after_key"] == "post"
    assert len(parameters) == 2 * len(outbox.ENTRY_COLUMNS)
    compiled = outbox.rows_insert(2).compile()
    assert set(parameters) <= set(compiled.params)
