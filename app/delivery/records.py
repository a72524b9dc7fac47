"""Recording how each attempt ended on its outbox row: sent, put off until later, or failed for
good (and then the person waiting on it is told)."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Table,
    bindparam,
    select,
    update,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from app.delivery import followers, marking, outbox
from app.delivery.advice import failure_text
from app.delivery.config import WorkerConfig
from app.delivery.hooks import DeliveryHooks
from app.delivery.pacing import Pacer
from app.delivery.sender import UNSURE, Outcome, api_method, marked_unsure
from app.delivery.stats import DeliveryStats
from app.store.core import Work, connection
from app.store.direct import DirectStatement
from app.store.models import OutboxMessage
from app.store.statuses import OutboxStatus

log = logging.getLogger(__name__)


@dataclass
class Recorder:
    """Writes outcomes onto the rows of the worker named `worker_id`, in the round's transaction."""

    worker_id: str
    config: WorkerConfig
    pacer: Pacer
    hooks: DeliveryHooks
    stats: DeliveryStats
    # Jitters the backoff.
    rng: random.Random
    # The UPDATE linking sent posts to their records, built once per table.
    _links: dict[str, DirectStatement] = field(default_factory=dict, init=False, repr=False)

    # Built once per dialect (see `marking.mark_sent_statement`).
    _mark_sent_statements: dict[str, DirectStatement] = field(
        default_factory=dict, init=False, repr=False
    )
    # Forces the fallback of a SQLite older than 3.35 (tests of that path).
    row_by_row: bool = field(default=False, repr=False)

    def record_all(self, unit: Work, results: Iterable[tuple[int, Outcome]], now: datetime) -> bool:
        """Record each (row id, outcome) on its row, unless another worker took the row over;
        return whether that may have made rows due (a follower let go, a row put back).

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
        woke = bool(sent) and self._mark_sent(unit.connection, sent, now)
        if others:
            self._record_others(unit, others, now)
        return woke or bool(others)

    def _record_others(self, unit: Work, results: dict[int, Outcome], now: datetime) -> None:
        """Record rows handed back or failed (each outcome by row id), those still ours."""
        bind = unit.connection
        session = unit.session
        rows = {
            row.id: row for row in bind.execute(marking.READ_OTHERS, {"b_ids": sorted(results)})
        }
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

    def _mark_sent(self, bind: Connection, sent: list[tuple[int, Outcome]], now: datetime) -> bool:
        """Mark the `sent` rows still ours sent, link their posts, and make due the messages
        that follow them; return whether any was made due."""
        outcomes = dict(sent)
        dialect = bind.dialect.name
        whole = dialect == "postgresql" and not self.row_by_row
        if self.row_by_row or not marking.updates_from_returning(bind.dialect):
            marked = self._mark_sent_row_by_row(bind, outcomes, now)
        else:
            statement = self._mark_sent_statements.get(dialect)
            if statement is None:
                statement = self._mark_sent_statements[dialect] = DirectStatement(
                    marking.record_sent_statement(self.hooks.links)
                    if whole
                    else marking.mark_sent_statement(dialect)
                )
            marked = statement.rows(
                bind,
                {
                    "b_worker": self.worker_id,
                    "b_finished": now,
                    "b_now": now,
                    **marking.sent_parameters(dialect, sent),
                },
            )
        for row_id in outcomes.keys() - {row.id for row in marked}:
            # Our lease ran out and another worker took the row over; its result stands.
            log.warning("outbox row %d was taken over before its result was recorded", row_id)
        if not marked:
            return False
        for row in marked:
            if not outcomes[row.id].called:
                # Nothing was posted (a lookup found the post, or it was withheld): the slot it
                # took goes to the channel's next post.
                self.pacer.give_back(row.team_id, row.pace_key)
        with self.stats.lock:
            self.stats.sent += len(marked)
        if whole:
            # The statement linked the posts and let the followers go too, and counted them.
            return any(row.woken for row in marked)
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
            self._link_statement(table).execute_many(bind, params)
        # What follows a sent message may go now, and so may the next follower of the message a
        # sent follower followed; the claim keeps their order and the channel's pace.
        return followers.wake(
            bind,
            (
                key
                for row in marked
                for key in followers.settled_keys(row.team_id, row.dedupe_key, row.after_key)
            ),
            now,
        )

    def _mark_sent_row_by_row(
        self, bind: Connection, outcomes: dict[int, Outcome], now: datetime
    ) -> list[Any]:
        """`marking.mark_sent_statement` for a SQLite older than 3.35: read the rows, then mark
        those still ours in one executemany; return `marking.SENT` of each marked."""
        query = select(*marking.SENT, marking.OUTBOX.c.status, marking.OUTBOX.c.claimed_by).where(
            marking.OUTBOX.c.id.in_(sorted(outcomes))
        )
        ours = [row for row in bind.execute(query) if self._still_ours(row.id, row)]
        if ours:
            bind.execute(
                marking.MARK_SENT,
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
        """Mark `row` failed for good with `error`, queue a word to whoever waits on it, and let
        the messages that follow it go (with what they send instead, or to fail in turn)."""
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
        followers.wake(
            connection(session),
            followers.settled_keys(row.team_id, row.dedupe_key, row.after_key),
            now,
        )
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

    def _link_statement(self, table: str) -> DirectStatement:
        """One UPDATE recording sent posts' channel and ts on records of `table`, by id and team."""
        statement = self._links.get(table)
        if statement is None:
            link = self.hooks.links[table]
            columns = sa_inspect(link.model).columns
            statement = self._links[table] = DirectStatement(
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
