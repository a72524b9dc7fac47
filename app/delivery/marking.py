"""The statements that record a round's sent rows: one UPDATE marks them all sent (if still
the worker's) and returns what their links and followers need; on PostgreSQL the same
statement links their posts and wakes their followers. Built once, bound each round."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Dialect,
    Integer,
    String,
    Table,
    bindparam,
    func,
    select,
    union_all,
    update,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import ARRAY

from app import json_codec
from app.delivery import followers
from app.delivery.hooks import PostLink
from app.delivery.sender import Outcome
from app.store.models import OutboxMessage
from app.store.statuses import OutboxStatus, unindexed_status, written_status

log = logging.getLogger(__name__)

OUTBOX = cast(Table, OutboxMessage.__table__)
# What recording a round reads of each row it did not mark sent.
_READ = tuple(
    OUTBOX.c[name]
    for name in (
        "id",
        "team_id",
        "dedupe_key",
        "status",
        "claimed_by",
        "pace_key",
    )
)
# What marking rows sent returns of each row it marked: what their links and followers need.
SENT = tuple(
    OUTBOX.c[name]
    for name in (
        "id",
        "team_id",
        "dedupe_key",
        "pace_key",
        "link_table",
        "link_id",
        "after_key",
    )
)
_SET_SENT = {
    "status": OutboxStatus.SENT,
    "finished_at": bindparam("b_finished", type_=OUTBOX.c.finished_at.type),
    "last_error": None,
    "claimed_by": None,
    "lease_expires_at": None,
}
_STILL_OURS = (
    written_status(OUTBOX.c.status, OutboxStatus.SENDING),
    OUTBOX.c.claimed_by == bindparam("b_worker", type_=OUTBOX.c.claimed_by.type),
)


# The rows recorded as handed back or failed; on PostgreSQL, a worker taking one of them over
# waits until they are recorded (SQLite renders no FOR UPDATE).
READ_OTHERS = (
    select(*_READ)
    .where(OUTBOX.c.id.in_(bindparam("b_ids", expanding=True, type_=OUTBOX.c.id.type)))
    .order_by(OUTBOX.c.id)
    .with_for_update()
)


def mark_sent_statement(dialect: str) -> Any:
    """One UPDATE marking every sent row of a round sent with its channel and ts, if the row is
    still ours, returning `SENT` of each it marked. Its text is the same for any number of
    rows (one array parameter each, or one JSON parameter on SQLite), so it is built, compiled
    and (on PostgreSQL) prepared once."""
    if dialect == "postgresql":
        sent = (
            func.unnest(
                bindparam("b_ids", type_=ARRAY(BigInteger())),
                bindparam("b_channels", type_=ARRAY(String())),
                bindparam("b_ts", type_=ARRAY(String())),
            )
            .table_valued("id", "channel", "ts", name="sent")
            .render_derived()
        )
        row_id: ColumnElement[Any] = sent.c.id
        channel: ColumnElement[Any] = sent.c.channel
        ts: ColumnElement[Any] = sent.c.ts
    else:
        # SQLite (3.35 or later, for UPDATE ... FROM and RETURNING): a JSON array of
        # [id, channel, ts] rows.
        sent = func.json_each(bindparam("b_rows", type_=String())).table_valued(
            "value", name="sent"
        )
        row_id, channel, ts = (
            func.json_extract(sent.c.value, f"$[{n}]", type_=type_)
            for n, type_ in enumerate((Integer(), String(), String()))
        )
        # Each JSON row finds its row by id, not through the leased rows' index.
        return (
            update(OUTBOX)
            .where(
                OUTBOX.c.id == row_id,
                unindexed_status(OUTBOX.c.status, OutboxStatus.SENDING),
                _STILL_OURS[1],
            )
            .values({**_SET_SENT, "result_channel": channel, "result_ts": ts})
            .returning(*SENT)
        )
    return (
        update(OUTBOX)
        .where(OUTBOX.c.id == row_id, *_STILL_OURS)
        .values({**_SET_SENT, "result_channel": channel, "result_ts": ts})
        .returning(*SENT)
    )


def record_sent_statement(links: Mapping[str, PostLink]) -> Any:
    """On PostgreSQL, all of recording a round's sent rows in one statement (one round trip):
    `mark_sent_statement`, and in the same statement the links of their posts (`links`, by
    table) and the wake-up of their followers (as `followers.wake` does), from what it returned."""
    marked = mark_sent_statement("postgresql").returning(
        OUTBOX.c.result_channel, OUTBOX.c.result_ts
    )
    sent = marked.cte("sent")
    # The keys whose followers may go: each sent row's own, and the key a sent follower
    # followed (its next follower), as `followers.settled_keys` says. One key a row, so each
    # finds its followers through their index; an OR of the two could not use it.
    settled = union_all(
        select(sent.c.team_id, sent.c.dedupe_key.label("key")),
        select(sent.c.team_id, sent.c.after_key).where(sent.c.after_key.is_not(None)),
    ).subquery("settled")
    # Pending rows, while the sent rows are still `sending` in the statement's snapshot.
    woken = (
        update(OUTBOX)
        .where(
            OUTBOX.c.team_id == settled.c.team_id,
            OUTBOX.c.after_key == settled.c.key,
            *followers.WAITING,
        )
        .values(next_attempt_at=followers.NOW)
        .returning(OUTBOX.c.id)
        .cte("followers")
    )
    linked = []
    for name, link in sorted(links.items()):
        columns = sa_inspect(link.model).columns
        linked.append(
            update(cast(Table, columns["id"].table))
            .where(
                sent.c.link_table == name,
                columns["id"] == sent.c.link_id,
                columns["team_id"] == sent.c.team_id,
            )
            .values(
                {
                    columns[link.channel_column]: sent.c.result_channel,
                    columns[link.ts_column]: sent.c.result_ts,
                }
            )
            .cte(f"linked_{name}")
        )
    # How many followers it let go, beside each sent row: the worker's next claim may find them.
    let_go = select(func.count()).select_from(woken).scalar_subquery().label("woken")
    return select(*(sent.c[column.name] for column in SENT), let_go).add_cte(*linked)


def sent_parameters(dialect: str, sent: list[tuple[int, Outcome]]) -> dict[str, Any]:
    """The parameters of `mark_sent_statement` for the (row id, outcome) of `sent`, in id order
    (on PostgreSQL, the order their rows are locked in, as every recording worker takes them)."""
    ordered = sorted(sent, key=lambda item: item[0])
    if dialect == "postgresql":
        return {
            "b_ids": [row_id for row_id, _ in ordered],
            "b_channels": [outcome.channel for _, outcome in ordered],
            "b_ts": [outcome.ts for _, outcome in ordered],
        }
    return {
        "b_rows": json_codec.dumps(
            [[row_id, outcome.channel, outcome.ts] for row_id, outcome in ordered]
        )
    }


def updates_from_returning(dialect: Dialect) -> bool:
    """Whether the database takes `mark_sent_statement` (SQLite before 3.35 does not)."""
    return dialect.name == "postgresql" or sqlite3.sqlite_version_info >= (3, 35)


# Marks one row sent, if it is still ours: the fallback for a SQLite older than 3.35, run
# with every sent row of a round at once.
MARK_SENT = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("b_id", type_=OUTBOX.c.id.type), *_STILL_OURS)
    .values(
        {
            **_SET_SENT,
            "result_channel": bindparam("b_channel", type_=OUTBOX.c.result_channel.type),
            "result_ts": bindparam("b_ts", type_=OUTBOX.c.result_ts.type),
        }
    )
)
