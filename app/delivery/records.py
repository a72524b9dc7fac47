"""Recording how each attempt ended on its outbox row: sent, put off until later, or failed for
good (and then the person waiting on it is told)."""

from __future__ import annotations

import json
import logging
import random
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Dialect,
    Integer,
    String,
    Table,
    bindparam,
    func,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from app.delivery import outbox
from app.delivery.advice import failure_text
from app.delivery.config import WorkerConfig
from app.delivery.hooks import DeliveryHooks, PostLink
from app.delivery.pacing import Pacer
from app.delivery.sender import UNSURE, Outcome, api_method, marked_unsure
from app.delivery.stats import DeliveryStats
from app.store.core import connection
from app.store.models import OutboxMessage
from app.store.statuses import OutboxStatus

log = logging.getLogger(__name__)

_OUTBOX = cast(Table, OutboxMessage.__table__)
# What recording a round reads of each row it did not mark sent.
_READ = tuple(
    _OUTBOX.c[name]
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
_SENT = tuple(
    _OUTBOX.c[name]
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
    "finished_at": bindparam("b_finished", type_=_OUTBOX.c.finished_at.type),
    "last_error": None,
    "claimed_by": None,
    "lease_expires_at": None,
}
_STILL_OURS = (
    _OUTBOX.c.status == OutboxStatus.SENDING,
    _OUTBOX.c.claimed_by == bindparam("b_worker", type_=_OUTBOX.c.claimed_by.type),
)


# The rows recorded as handed back or failed; on PostgreSQL, a worker taking one of them over
# waits until they are recorded (SQLite renders no FOR UPDATE).
_READ_OTHERS = (
    select(*_READ)
    .where(_OUTBOX.c.id.in_(bindparam("b_ids", expanding=True, type_=_OUTBOX.c.id.type)))
    .order_by(_OUTBOX.c.id)
    .with_for_update()
)
_NOW = bindparam("b_now", type_=_OUTBOX.c.next_attempt_at.type)
# Makes due at once the followers, never tried, of the (team, dedupe key) pairs `b_followed`.
_FOLLOWERS_DUE = (
    update(_OUTBOX)
    .where(
        tuple_(_OUTBOX.c.team_id, _OUTBOX.c.after_key).in_(bindparam("b_followed", expanding=True)),
        _OUTBOX.c.status == OutboxStatus.PENDING,
        _OUTBOX.c.attempts == 0,
        _OUTBOX.c.next_attempt_at > _NOW,
    )
    .values(next_attempt_at=_NOW)
)


def _mark_sent_statement(dialect: str) -> Any:
    """One UPDATE marking every sent row of a round sent with its channel and ts, if the row is
    still ours, returning `_SENT` of each it marked. Its text is the same for any number of
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
        # `status || ''` keeps SQLite's planner off the status index: with it, it scanned every
        # leased row and the whole JSON array for each; without, each JSON row finds its row by
        # id.
        return (
            update(_OUTBOX)
            .where(
                _OUTBOX.c.id == row_id,
                _OUTBOX.c.status + "" == OutboxStatus.SENDING,
                _STILL_OURS[1],
            )
            .values({**_SET_SENT, "result_channel": channel, "result_ts": ts})
            .returning(*_SENT)
        )
    return (
        update(_OUTBOX)
        .where(_OUTBOX.c.id == row_id, *_STILL_OURS)
        .values({**_SET_SENT, "result_channel": channel, "result_ts": ts})
        .returning(*_SENT)
    )


def _record_sent_statement(links: Mapping[str, PostLink]) -> Any:
    """On PostgreSQL, all of recording a round's sent rows in one statement (one round trip):
    `_mark_sent_statement`, and in the same statement the links of their posts (`links`, by
    table) and the wake-up of their followers (`_FOLLOWERS_DUE`), from what it returned."""
    marked = _mark_sent_statement("postgresql").returning(
        _OUTBOX.c.result_channel, _OUTBOX.c.result_ts
    )
    sent = marked.cte("sent")
    # The followers of a sent row, and the next follower of the row a sent follower followed:
    # pending rows, while the sent rows are still `sending` in the statement's snapshot.
    followers = (
        update(_OUTBOX)
        .where(
            _OUTBOX.c.team_id == sent.c.team_id,
            or_(_OUTBOX.c.after_key == sent.c.dedupe_key, _OUTBOX.c.after_key == sent.c.after_key),
            _OUTBOX.c.status == OutboxStatus.PENDING,
            _OUTBOX.c.attempts == 0,
            _OUTBOX.c.next_attempt_at > _NOW,
        )
        .values(next_attempt_at=_NOW)
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
    return select(*(sent.c[column.name] for column in _SENT)).add_cte(followers, *linked)


def _sent_parameters(dialect: str, sent: list[tuple[int, Outcome]]) -> dict[str, Any]:
    """The parameters of `_mark_sent_statement` for the (row id, outcome) of `sent`, in id order
    (on PostgreSQL, the order their rows are locked in, as every recording worker takes them)."""
    ordered = sorted(sent, key=lambda item: item[0])
    if dialect == "postgresql":
        return {
            "b_ids": [row_id for row_id, _ in ordered],
            "b_channels": [outcome.channel for _, outcome in ordered],
            "b_ts": [outcome.ts for _, outcome in ordered],
        }
    return {
        "b_rows": json.dumps([[row_id, outcome.channel, outcome.ts] for row_id, outcome in ordered])
    }


def _updates_from_returning(dialect: Dialect) -> bool:
    """Whether the database takes `_mark_sent_statement` (SQLite before 3.35 does not)."""
    return dialect.name == "postgresql" or sqlite3.sqlite_version_info >= (3, 35)


# Marks one row sent, if it is still ours: the fallback for a SQLite older than 3.35, run
# with every sent row of a round at once.
_MARK_SENT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("b_id", type_=_OUTBOX.c.id.type), *_STILL_OURS)
    .values(
        {
            **_SET_SENT,
            "result_channel": bindparam("b_channel", type_=_OUTBOX.c.result_channel.type),
            "result_ts": bindparam("b_ts", type_=_OUTBOX.c.result_ts.type),
        }
    )
)


@dataclass
class Recorder:
    """Writes outcomes onto the rows of the worker named `worker_id`, in the caller's session."""

    worker_id: str
    config: WorkerConfig
    pacer: Pacer
    hooks: DeliveryHooks
    stats: DeliveryStats
    # Jitters the backoff.
    rng: random.Random
    # The UPDATE linking sent posts to their records, built once per table.
    _links: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    # Built once per dialect (see `_mark_sent_statement`).
    _mark_sent_statements: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    # Forces the fallback of a SQLite older than 3.35 (tests of that path).
    row_by_row: bool = field(default=False, repr=False)

    def record_all(
        self, session: Session, results: Iterable[tuple[int, Outcome]], now: datetime
    ) -> None:
        """Record each (row id, outcome) on its row, unless another worker took the row over.

        However many rows: one statement marks those sent and returns what their links and
        followers need, one per table links their posts, and one makes their followers due at
        once; the rest (handed back, failed) are read in one statement and go row by row.
        """
        sent: list[tuple[int, Outcome]] = []
        others: dict[int, Outcome] = {}
        for row_id, outcome in results:
            if outcome.ok:
                sent.append((row_id, outcome))
            else:
                others[row_id] = outcome
        if sent:
            self._mark_sent(session, sent, now)
        if others:
            self._record_others(session, others, now)

    def _record_others(self, session: Session, results: dict[int, Outcome], now: datetime) -> None:
        """Record rows handed back or failed (each outcome by row id), those still ours."""
        bind = connection(session)
        rows = {row.id: row for row in bind.execute(_READ_OTHERS, {"b_ids": sorted(results)})}
        for row_id, outcome in results.items():
            row = rows.get(row_id)
            if not self._still_ours(row_id, row):
                continue
            stored = session.get_one(OutboxMessage, row_id)
            if outcome.handed_back:
                wait = timedelta(seconds=outcome.retry_after or 0.0)
                self._hand_back(stored, now + wait)
            else:
                self._record_failure(session, stored, outcome, now)

    def _still_ours(self, row_id: int, row: Any) -> bool:
        """Whether `row` (as read for recording) is still leased to this worker."""
        if row is None or row.status != OutboxStatus.SENDING or row.claimed_by != self.worker_id:
            # Our lease ran out and another worker took the row over; its result stands.
            log.warning("outbox row %d was taken over before its result was recorded", row_id)
            return False
        return True

    def _mark_sent(self, session: Session, sent: list[tuple[int, Outcome]], now: datetime) -> None:
        """Mark the `sent` rows still ours sent, link their posts, and make due the messages
        that follow them."""
        bind = connection(session)
        outcomes = dict(sent)
        dialect = bind.dialect.name
        whole = dialect == "postgresql" and not self.row_by_row
        if self.row_by_row or not _updates_from_returning(bind.dialect):
            marked = self._mark_sent_row_by_row(bind, outcomes, now)
        else:
            statement = self._mark_sent_statements.get(dialect)
            if statement is None:
                statement = self._mark_sent_statements[dialect] = (
                    _record_sent_statement(self.hooks.links)
                    if whole
                    else _mark_sent_statement(dialect)
                )
            marked = list(
                bind.execute(
                    statement,
                    {
                        "b_worker": self.worker_id,
                        "b_finished": now,
                        "b_now": now,
                        **_sent_parameters(dialect, sent),
                    },
                )
            )
        for row_id in outcomes.keys() - {row.id for row in marked}:
            # Our lease ran out and another worker took the row over; its result stands.
            log.warning("outbox row %d was taken over before its result was recorded", row_id)
        if not marked:
            return
        for row in marked:
            if not outcomes[row.id].called:
                # Nothing was posted (a lookup found the post, or it was withheld): the slot it
                # took goes to the channel's next post.
                self.pacer.give_back(row.team_id, row.pace_key)
        with self.stats.lock:
            self.stats.sent += len(marked)
        if whole:
            return  # The statement linked the posts and let the followers go too.
        links: dict[str, list[dict[str, Any]]] = {}
        for row in marked:
            if row.link_table is not None and row.link_id is not None:
                outcome = outcomes[row.id]
                links.setdefault(row.link_table, []).append(
                    {
                        "b_id": row.link_id,
                        "b_team": row.team_id,
                        "b_channel": outcome.channel,
                        "b_ts": outcome.ts,
                    }
                )
        for table, params in links.items():
            bind.execute(self._link_statement(table), params)
        # What follows a sent message may go now, and so may the next follower of the message a
        # sent follower followed; the claim keeps their order and the channel's pace.
        followed = {(row.team_id, row.dedupe_key) for row in marked}
        followed |= {(row.team_id, row.after_key) for row in marked if row.after_key is not None}
        bind.execute(_FOLLOWERS_DUE, {"b_now": now, "b_followed": sorted(followed)})

    def _mark_sent_row_by_row(
        self, bind: Connection, outcomes: dict[int, Outcome], now: datetime
    ) -> list[Any]:
        """`_mark_sent_statement` for a SQLite older than 3.35: read the rows, then mark those
        still ours in one executemany; return `_SENT` of each marked."""
        query = select(*_SENT, _OUTBOX.c.status, _OUTBOX.c.claimed_by).where(
            _OUTBOX.c.id.in_(sorted(outcomes))
        )
        ours = [row for row in bind.execute(query) if self._still_ours(row.id, row)]
        if ours:
            bind.execute(
                _MARK_SENT,
                [
                    {
                        "b_id": row.id,
                        "b_worker": self.worker_id,
                        "b_finished": now,
                        "b_channel": outcomes[row.id].channel,
                        "b_ts": outcomes[row.id].ts,
                    }
                    for row in ours
                ],
            )
        return ours

    def _hand_back(self, row: OutboxMessage, due: datetime) -> None:
        """Put `row`, leased but never called, back in the queue as it was before its claim, due
        at `due`."""
        row.status = OutboxStatus.PENDING
        row.claimed_by = None
        row.lease_expires_at = None
        # The claim counted an attempt and spent a slot that no call used.
        row.attempts -= 1
        row.next_attempt_at = due
        self.pacer.give_back(row.team_id, row.pace_key)

    def _record_failure(
        self, session: Session, row: OutboxMessage, outcome: Outcome, now: datetime
    ) -> None:
        """Mark `row` due again later, or failed for good, as the failed `outcome` says."""
        row.claimed_by = None
        row.lease_expires_at = None
        if not outcome.called:
            # This attempt posted nothing (a lookup failed): the slot it took goes to the
            # channel's next post.
            self.pacer.give_back(row.team_id, row.pace_key)
        # The mark survives until a send settles it: the next attempt looks before it posts.
        row.last_error = UNSURE + (outcome.error or "") if outcome.unsure else outcome.error
        if outcome.retry_after is not None:
            limited = outcome.limited or api_method(row.method)
            self.pacer.cool_down(row.team_id, limited, outcome.retry_after)
            row.attempts -= 1  # Slack asked us to wait; that is not a failed try.
            self.retry_at(row, now + timedelta(seconds=outcome.retry_after))
        elif outcome.auth_failed:
            log.warning(
                "workspace %s refused our token (%s); pausing its messages",
                row.team_id,
                outcome.error,
            )
            self.hooks.on_auth_failure(session, row.team_id, now)
            row.attempts -= 1
            self.retry_at(row, now)
        elif outcome.permanent or row.attempts >= self.config.max_attempts:
            self.fail(session, row, outcome.error or "unknown error", now)
        else:
            self.retry_at(row, now + timedelta(seconds=self._retry_delay(row, outcome)))

    def retry_at(self, row: OutboxMessage, when: datetime) -> None:
        """Put `row` back in the queue, due at `when`."""
        row.status = OutboxStatus.PENDING
        row.next_attempt_at = when
        self.count_retry()

    def count_retry(self) -> None:
        """Count one row put back in the queue to be tried again."""
        with self.stats.lock:
            self.stats.retried += 1

    def fail(self, session: Session, row: OutboxMessage, error: str, now: datetime) -> None:
        """Mark `row` failed for good with `error`, and queue a word to whoever waits on it."""
        # A post that may be on Slack all the same keeps its mark: it may not be missing.
        unsure = marked_unsure(row.last_error)
        row.status = OutboxStatus.FAILED
        row.finished_at = now
        row.last_error = UNSURE + error if unsure else error
        row.claimed_by = None
        row.lease_expires_at = None
        with self.stats.lock:
            self.stats.failed += 1
        log.warning("outbox row %d (%s) failed for good: %s", row.id, row.method, row.last_error)
        if row.on_failure and not row.dedupe_key.startswith("notice:"):
            _tell(session, row, error, unsure, now)

    def _retry_delay(self, row: OutboxMessage, outcome: Outcome) -> float:
        """Return the seconds until `row` is tried again after the failed `outcome`."""
        delay = self._backoff(row.attempts)
        if not outcome.unsure:
            return delay
        if outcome.in_flight:
            # Slack may still be carrying the post out: a lookup now would not find it yet.
            return max(delay, self.config.unsure_wait_seconds)
        # Slack answered, so it is done with the call: a post it made shows within moments.
        return max(delay, self.config.answered_wait_seconds)

    def _backoff(self, attempts: int) -> float:
        # Exponential with full jitter: retries from many rows spread out instead of stampeding.
        ceiling = min(self.config.max_backoff_seconds, 2.0**attempts)
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)

    def _link_statement(self, table: str) -> Any:
        """One UPDATE recording sent posts' channel and ts on records of `table`, by id and team."""
        statement = self._links.get(table)
        if statement is None:
            link = self.hooks.links[table]
            columns = sa_inspect(link.model).columns
            statement = self._links[table] = (
                update(cast(Table, columns["id"].table))
                .where(
                    columns["id"] == bindparam("b_id", type_=columns["id"].type),
                    columns["team_id"] == bindparam("b_team", type_=columns["team_id"].type),
                )
                .values(
                    {
                        columns[link.channel_column]: bindparam(
                            "b_channel", type_=columns[link.channel_column].type
                        ),
                        columns[link.ts_column]: bindparam(
                            "b_ts", type_=columns[link.ts_column].type
                        ),
                    }
                )
            )
        return statement


def _tell(session: Session, row: OutboxMessage, error: str, unsure: bool, now: datetime) -> None:
    """Queue the notice `row.on_failure` asks for: by its response_url, else by DM."""
    notice = row.on_failure or {}
    text = failure_text(str(notice.get("what", "your message")), error, unsure=unsure)
    key = f"notice:{row.dedupe_key}"
    if notice.get("response_url"):
        outbox.queue(
            session,
            team_id=row.team_id,
            method="response_url",
            args={
                "url": notice["response_url"],
                "payload": {"response_type": "ephemeral", "replace_original": False, "text": text},
            },
            dedupe_key=key,
            now=now,
            notice=outbox.Notice(user_id=str(notice["user_id"]), what="a notice"),
        )
    else:
        outbox.queue(
            session,
            team_id=row.team_id,
            method="dm",
            args={"user": notice["user_id"], "text": text},
            dedupe_key=key,
            now=now,
        )
