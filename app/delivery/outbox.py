"""Queue a message Slack is owed, inside the caller's transaction.

The row commits (or rolls back) with the record that owes it, so an acknowledged command can never
lose its message, and a rolled-back one never sends. The delivery worker does the sending.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, NotRequired, Protocol, TypedDict, Unpack, cast

from sqlalchemy import (
    BigInteger,
    DateTime,
    Insert,
    Integer,
    String,
    Table,
    bindparam,
    column,
    event,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

from app.delivery.group_dms import group_pace_key, group_users
from app.store import core
from app.store.db import SessionFactory
from app.store.direct import DirectStatement
from app.store.models import OutboxMessage
from app.store.statuses import OutboxStatus

Method = Literal[
    "chat.postMessage",
    "chat.postEphemeral",
    "chat.update",
    "views.publish",
    "response_url",
    "dm",
    "group_dm",
    # A file's upload and its share in a channel: queued together by `uploads.queue_upload`.
    "file_upload",
    "files.completeUploadExternal",
]
METHODS: frozenset[str] = frozenset(Method.__args__)  # type: ignore[attr-defined]

# Set in `Session.info` when a transaction queued something, so its commit rings the doorbell.
_QUEUED = "outbox_queued"
# On PostgreSQL, a transaction that queued something also notifies this channel as it commits,
# so delivery workers in other processes wake at once (app/delivery/wakeup.py listens). The
# database sends it: a trigger on each inserted row (migration 0012), so queuing costs no
# statement of its own, and a row skipped as a known key wakes no one.
NOTIFY_CHANNEL = "reciprocity_outbox"
AFTER_CHANNEL = "$after.channel"
AFTER_TS = "$after.ts"
AFTER_PERMALINK = "$after.permalink"
# Arguments rendered by the worker when it sends, from the store as it is then (a Home tab).
RENDER = "$render"
Renderer = Callable[[Session, str, Mapping[str, Any], datetime], dict[str, Any]]
# `Session.info` key of the process's delivery worker's lane, where it runs one: rows queued
# that it can send at once are written leased to it, and handed over as the transaction commits
# (app/delivery/handoff.py).
LANE = "delivery_lane"


class Leasing(Protocol):
    """What the outbox's writers ask of the worker's lane (`handoff.Lane`)."""

    def lease(
        self,
        session: Session,
        entries: list[dict[str, Any]],
        *,
        domain: str | None = None,
        followers: bool = False,
    ) -> bool:
        """Write the rows of `entries` that may go now as leased; return whether any was."""
        ...

    def inserted(self, session: Session, rows: Any) -> None:
        """Note the ids (`id`, `dedupe_key`) the statement inserted the rows under."""
        ...


@dataclass(frozen=True)
class Link:
    """After posting, record the message's channel and ts on this record (e.g. an ask)."""

    table: str
    id: int


@dataclass(frozen=True)
class Notice:
    """Who is waiting on a message, told what to do if it cannot be delivered.

    `what` names the message for that person ("your kudos for @bob"); `response_url` reaches them
    even where the bot is not a channel member, `user_id` by DM otherwise.
    """

    user_id: str
    what: str
    response_url: str | None = None


class Entry(TypedDict):
    """One Web API call the outbox owes, as `queue` and `entry` take it (keywords)."""

    team_id: str
    method: Method
    args: Mapping[str, Any]
    dedupe_key: str
    now: datetime
    # After posting, record the message's channel and ts on this record.
    link: NotRequired[Link | None]
    # Who to tell if it cannot be delivered.
    notice: NotRequired[Notice | None]
    # Send only after the message queued under this key was sent (see `AFTER_CHANNEL`)...
    after_key: NotRequired[str | None]
    # ...and these arguments instead if that message was never delivered (None: fail too).
    after_failed_args: NotRequired[Mapping[str, Any] | None]


def queue(session: Session, **fields: Unpack[Entry]) -> None:
    """Add one Web API call to the outbox in `session`'s transaction; a known key is a no-op.

    `dm` posts `args` to the DM of `args["user"]`; `group_dm` posts `args` (but `users`) to the
    group DM of the bot and `args["users"]` (2 to 8 user ids, in order; the row is refused
    otherwise), which it opens; `response_url` posts `args["payload"]` to `args["url"]`; the rest
    are Web API methods called with `args`. A sent post's channel and ts go to `link` and to the
    `$after.*` placeholders of its followers.
    """
    queue_all(session, [entry(**fields)])


def entry(**fields: Unpack[Entry]) -> dict[str, Any]:
    """One outbox row as `queue` would write it, for `queue_all` to write with others at once."""
    method, args, now = fields["method"], fields["args"], fields["now"]
    if method not in METHODS:
        raise ValueError(f"unknown outbox method {method!r}")
    if method == "group_dm":
        group_users(args)  # raises ValueError unless it names 2 to 8 people
    link, notice = fields.get("link"), fields.get("notice")
    instead = fields.get("after_failed_args")
    return {
        "team_id": fields["team_id"],
        "dedupe_key": fields["dedupe_key"],
        "method": method,
        "args": dict(args),
        "pace_key": pace_key(method, args),
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
        "link_table": link.table if link else None,
        "link_id": link.id if link else None,
        # Its fields are strings or None: `asdict`'s recursive deep copy (a dozen calls on every
        # ack) would buy nothing.
        "on_failure": dict(vars(notice)) if notice else None,
        "after_key": fields.get("after_key"),
        "after_failed_args": dict(instead) if instead else None,
        # Written by a lane that leases the row as it is queued (`handoff`).
        "claimed_by": None,
        "lease_expires_at": None,
    }


def queue_edit(
    session: Session,
    *,
    team_id: str,
    follows: str,
    message: Mapping[str, Any],
    dedupe_key: str,
    now: datetime,
) -> None:
    """Queue an edit (`chat.update`) of the message queued under key `follows` to `message`,
    sent once that message was and never if it was not delivered."""
    queue(
        session,
        team_id=team_id,
        method="chat.update",
        args={"channel": AFTER_CHANNEL, "ts": AFTER_TS, **message},
        dedupe_key=dedupe_key,
        now=now,
        after_key=follows,
    )


# The columns `entry` fills, in its order: `rows_insert`'s parameters are named after them.
ENTRY_COLUMNS = (
    "team_id",
    "dedupe_key",
    "method",
    "args",
    "pace_key",
    "status",
    "attempts",
    "created_at",
    "next_attempt_at",
    "link_table",
    "link_id",
    "on_failure",
    "after_key",
    "after_failed_args",
    "claimed_by",
    "lease_expires_at",
)


def _row_type(column: str) -> TypeEngine[Any]:
    """The PostgreSQL type `rows_insert` reads `column` from its JSON rows as."""
    if column in ("args", "on_failure", "after_failed_args"):
        return JSONB()
    if column in ("created_at", "next_attempt_at", "lease_expires_at"):
        return DateTime()
    if column == "attempts":
        return Integer()
    if column == "link_id":
        return BigInteger()
    return String()


@functools.cache
def rows_insert() -> Insert:
    """PostgreSQL's INSERT of rows built by `entry` (known keys are no-ops, the rest inserted in
    their order), bound as `row_parameters` binds them: one JSON array of the rows, so the
    statement is the same for any number of rows (built, compiled and prepared once) and the
    driver adapts one parameter. For a caller to write with others in one statement (a
    data-modifying CTE added to it), where `queue_all` would cost a round trip of its own; the
    caller must then `note_queued`."""
    table = cast(Table, OutboxMessage.__table__)
    rows = (
        func.jsonb_to_recordset(bindparam("o_rows", type_=JSONB()))
        .table_valued(
            *(column(name, _row_type(name)) for name in ENTRY_COLUMNS), column("i", Integer())
        )
        .render_derived(name="queued", with_types=True)
    )
    ordered = select(*(rows.c[name] for name in ENTRY_COLUMNS)).order_by(rows.c.i)
    return (
        postgresql.insert(table)
        .from_select(list(ENTRY_COLUMNS), ordered)
        .on_conflict_do_nothing(index_elements=["team_id", "dedupe_key"])
    )


# What an insert of rows a lane leased returns: which of them it inserted, under which ids.
_OUTBOX = cast(Table, OutboxMessage.__table__)
INSERTED = (_OUTBOX.c.id, _OUTBOX.c.dedupe_key)
# `queue_all`'s statements, run on the driver's cursor (`direct`): an ask or a form's kudos
# queues on its ack. PostgreSQL's is `rows_insert` (one JSON parameter); SQLite inserts each row
# in one executemany (a call into the driver, however many rows), or, when a lane leased some,
# in one multi-row INSERT that says which rows it inserted under which ids (`_sqlite_leased`).
_QUEUE_ROWS = DirectStatement(rows_insert())
_QUEUE_ROWS_LEASED = DirectStatement(rows_insert().returning(*INSERTED))
_QUEUE_EACH = DirectStatement(
    sqlite.insert(_OUTBOX)
    .values({name: bindparam(name, type_=_OUTBOX.c[name].type) for name in ENTRY_COLUMNS})
    .on_conflict_do_nothing(index_elements=["team_id", "dedupe_key"])
)


# The most rows `_sqlite_leased` writes at once: a text is kept for each count up to it, and
# SQLite takes at most 32,766 parameters a statement.
_SQLITE_ROWS = 32


@functools.cache
def _sqlite_leased(rows: int) -> DirectStatement:
    """SQLite's INSERT of `rows` rows built by `entry` in one statement (known keys are no-ops),
    returning `INSERTED`: executemany returns nothing. One text per row count (a kudos queues a
    post and a note per person thanked), each column of row n bound as `<column>_<n>`."""
    values = [
        {name: bindparam(f"{name}_{n}", type_=_OUTBOX.c[name].type) for name in ENTRY_COLUMNS}
        for n in range(rows)
    ]
    return DirectStatement(
        sqlite.insert(_OUTBOX)
        .values(values)
        .on_conflict_do_nothing(index_elements=["team_id", "dedupe_key"])
        .returning(*INSERTED)
    )


def row_parameters(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The parameters of `rows_insert()` for `entries` (built by `entry`), in their order."""
    times = ("created_at", "next_attempt_at", "lease_expires_at")
    return {
        "o_rows": [
            {**row, **{name: _naive(row[name]) for name in times}, "i": n}
            for n, row in enumerate(entries)
        ]
    }


def _naive(moment: datetime | None) -> str | None:
    """`moment` as the store keeps it (naive UTC, as `UTCDateTime` writes it), in ISO form."""
    return None if moment is None else moment.astimezone(UTC).replace(tzinfo=None).isoformat()


def note_queued(session: Session, entries: list[dict[str, Any]] | None = None) -> None:
    """Record that `session`'s transaction queued messages, so its commit rings the doorbell:
    any message, or of `entries` (built by `entry`) one left for the worker's claim (one a lane
    leased is handed over instead)."""
    if entries is None or any(row["status"] == OutboxStatus.PENDING for row in entries):
        session.info[_QUEUED] = True


def leasing_lane(
    session: Session,
    entries: list[dict[str, Any]],
    *,
    domain: str | None = None,
    followers: bool = False,
) -> Leasing | None:
    """Have this process's worker's lane (see `LANE`) lease the rows of `entries` it can send
    at once (`domain` and `followers` as `Leasing.lease` takes them); return the lane if it leased
    any: the statement inserting `entries` must then return `INSERTED`, for `Leasing.inserted`."""
    lane: Leasing | None = session.info.get(LANE)
    if lane is None or not lane.lease(session, entries, domain=domain, followers=followers):
        return None
    return lane


def queue_all(
    session: Session,
    entries: list[dict[str, Any]],
    *,
    domain: str | None = None,
    followers: bool = False,
) -> None:
    """Add rows built by `entry` in one statement (known keys are no-ops), in insertion order;
    those this process's worker can send at once leased to it (`handoff`; `domain` and
    `followers` as `Leasing.lease` takes them).

    One round trip instead of one per message: a kudos owes a post and a note per recipient,
    and the ack waits on this.
    """
    if not entries:
        return
    connection = core.connection(session)
    lane = leasing_lane(session, entries, domain=domain, followers=followers)
    postgresql = connection.dialect.name == "postgresql"
    if lane is None and postgresql:
        _QUEUE_ROWS.execute(connection, row_parameters(entries))
    elif lane is None:
        _QUEUE_EACH.execute_many(connection, entries)
    elif postgresql:
        lane.inserted(session, _QUEUE_ROWS_LEASED.rows(connection, row_parameters(entries)))
    else:
        for start in range(0, len(entries), _SQLITE_ROWS):
            rows = entries[start : start + _SQLITE_ROWS]
            bound = {f"{name}_{n}": v for n, row in enumerate(rows) for name, v in row.items()}
            lane.inserted(session, _sqlite_leased(len(rows)).rows(connection, bound))
    note_queued(session, entries)


def pace_key(method: str, args: Mapping[str, Any]) -> str | None:
    """Return the channel (DM user, or group DM's people) whose one-message-a-second limit paces
    this call."""
    if method == "chat.postMessage":
        return str(args.get("channel") or "") or None
    if method == "dm":
        return str(args.get("user") or "") or None
    if method == "group_dm":
        return group_pace_key(args)
    if method == "views.publish":
        return f"home:{args.get('user_id')}"
    if method == "files.completeUploadExternal":
        # Sharing a file posts a message in the channel.
        return str(args.get("channel_id") or "") or None
    return None


def ring_on_commit(factory: SessionFactory, doorbell: threading.Event) -> None:
    """Make every commit that queued a message wake this process's delivery worker at once."""

    def after_commit(session: Session) -> None:
        if session.info.pop(_QUEUED, False):
            doorbell.set()

    def after_rollback(session: Session) -> None:
        session.info.pop(_QUEUED, None)

    event.listen(factory, "after_commit", after_commit)
    event.listen(factory, "after_rollback", after_rollback)
