"""Recording how each attempt ended on its outbox row: sent, put off until later, or failed for
good (and then the person waiting on it is told)."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.delivery import outbox
from app.delivery.advice import failure_text
from app.delivery.config import WorkerConfig
from app.delivery.hooks import DeliveryHooks
from app.delivery.pacing import Pacer
from app.delivery.sender import UNSURE, Outcome, api_method, marked_unsure
from app.delivery.stats import DeliveryStats
from app.store.models import OutboxMessage
from app.store.statuses import OutboxStatus

log = logging.getLogger(__name__)


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

    def record_all(
        self, session: Session, results: Iterable[tuple[int, Outcome]], now: datetime
    ) -> None:
        """Record each (row id, outcome) on its row, unless another worker took the row over."""
        for row_id, outcome in results:
            row = session.get(OutboxMessage, row_id)
            if (
                row is None
                or row.status != OutboxStatus.SENDING
                or row.claimed_by != self.worker_id
            ):
                # Our lease ran out and another worker took the row over; its result stands.
                log.warning("outbox row %d was taken over before its result was recorded", row_id)
                continue
            self.record(session, row, outcome, now)

    def record(self, session: Session, row: OutboxMessage, outcome: Outcome, now: datetime) -> None:
        """Mark `row` sent, due again later, or failed for good, as `outcome` says."""
        row.claimed_by = None
        row.lease_expires_at = None
        if not outcome.called:
            # This attempt posted nothing (a lookup found the post, or failed): the slot it took
            # goes to the channel's next post.
            self.pacer.give_back(row.team_id, row.pace_key)
        if outcome.ok:
            row.status = OutboxStatus.SENT
            row.finished_at = now
            row.result_channel = outcome.channel
            row.result_ts = outcome.ts
            row.last_error = None
            self._link(session, row)
            with self.stats.lock:
                self.stats.sent += 1
            return
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

    def _link(self, session: Session, row: OutboxMessage) -> None:
        """Record the sent post's channel and ts on the record `row` links to, if any."""
        if row.link_table is None or row.link_id is None:
            return
        link = self.hooks.links[row.link_table]
        model = link.model
        session.execute(
            update(model)
            .where(model.id == row.link_id, model.team_id == row.team_id)
            .values({link.channel_column: row.result_channel, link.ts_column: row.result_ts})
        )


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
