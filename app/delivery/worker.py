"""The delivery worker: claims due outbox rows, calls Slack, and records how each call ended.

Claims are leases: a row is `sending` with an expiry, so a worker that dies mid-batch leaves rows
another worker takes up once the lease runs out. On PostgreSQL claims use `FOR UPDATE SKIP LOCKED`,
so any number of replicas share one queue; SQLite serves one process.

A post whose attempt ended without Slack saying whether it posted (a 5xx, `fatal_error`, a
timeout, a worker that died mid-call) is marked unsure in `last_error`; its next attempt looks for
the post by its metadata tag and records the one it finds instead of posting again. It looks after
a moment when Slack answered (it is done with the call), after `unsure_wait_seconds` when Slack may
still be carrying the call out. A row waiting for its lookup holds back only its own followers.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.delivery import outbox
from app.delivery.advice import failure_text
from app.delivery.joins import ChannelJoins
from app.delivery.pacing import Pacer
from app.delivery.privacy import PrivacyCheck
from app.delivery.sender import LOOKUP_METHODS, POSTS, UNSURE, Outcome, send
from app.delivery.tokens import TokenSource
from app.events import prune_processed
from app.home import refresh as home
from app.permalinks import permalink
from app.runtime import Runtime
from app.store.db import is_sqlite, transaction
from app.store.models import Ask, Kudos, OutboxMessage, Workspace
from app.workspaces.service import deactivate

log = logging.getLogger(__name__)

# Where "record the channel and ts" links point: table → (model, channel column, ts column).
LINKS: dict[str, tuple[type[Any], str, str]] = {
    "asks": (Ask, "channel_id", "message_ts"),
    "kudos": (Kudos, "post_channel_id", "post_ts"),
}


@dataclass(frozen=True)
class WorkerConfig:
    """How hard the worker pushes and how patient it is."""

    concurrency: int = 16
    batch_size: int = 100
    lease_seconds: float = 60.0
    poll_seconds: float = 1.0
    max_attempts: int = 8
    max_backoff_seconds: float = 300.0
    # After a post that may have gone through unseen and that Slack may still be working on (a
    # timeout, a connection cut mid-call, a worker that died mid-call), wait this long before
    # looking for it on Slack: a request Slack is still carrying out would not be found yet.
    unsure_wait_seconds: float = 30.0
    # After one Slack answered with a failure that may hide a post (a 5xx, `fatal_error`), it is
    # done with the request: look after this long (or the backoff, if longer).
    answered_wait_seconds: float = 2.0
    keep_sent_days: int = 7
    keep_failed_days: int = 30
    prune_every_seconds: float = 3600.0


@dataclass
class _Claimed:
    id: int
    team_id: str
    method: str
    args: dict[str, Any]
    dedupe_key: str
    # Set when an earlier attempt may have posted: look for messages since then before posting.
    look_since: datetime | None = None


@dataclass
class _Stats:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    slack_seconds: float = 0.0
    own_seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


class DeliveryWorker:
    """Delivers the outbox: start() runs it in background threads until stop()."""

    def __init__(
        self,
        runtime: Runtime,
        tokens: TokenSource,
        config: WorkerConfig | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        renderers: Mapping[str, outbox.Renderer] | None = None,
    ) -> None:
        self.runtime = runtime
        self.tokens = tokens
        self.config = config or WorkerConfig()
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.pacer = Pacer(monotonic=monotonic)
        self.privacy = PrivacyCheck(runtime.slack, monotonic=monotonic)
        self.joins = ChannelJoins(runtime.slack, monotonic=monotonic)
        self.renderers = renderers if renderers is not None else {home.RENDERER: home.render}
        self.stats = _Stats()
        self._monotonic = monotonic
        self._rng = rng or random.Random()
        self._wake = runtime.doorbell
        self._stopping = threading.Event()
        self._inflight = 0
        self._inflight_lock = threading.Lock()
        self._results: list[tuple[_Claimed, Outcome]] = []
        self._results_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._thread: threading.Thread | None = None
        self._last_prune = -float("inf")

    def start(self) -> None:
        """Run the delivery loop in a background thread."""
        self._pool = ThreadPoolExecutor(self.config.concurrency, thread_name_prefix="delivery")
        self._thread = threading.Thread(target=self._loop, name="delivery-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Finish the calls in flight, record them, and stop."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        self._flush_results()

    def drain(self, timeout: float = 30.0) -> None:
        """Deliver on the calling thread until no deliverable row is left or `timeout` passes."""
        own_pool = self._pool is None
        if own_pool:
            self._pool = ThreadPoolExecutor(self.config.concurrency, thread_name_prefix="delivery")
        deadline = self._monotonic() + timeout
        try:
            while self._monotonic() < deadline:
                worked = self._step()
                if not worked and self._idle() and not self._has_unfinished_rows():
                    return
                if not worked:
                    self._wake.wait(0.05)
                    self._wake.clear()
        finally:
            if own_pool and self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None
                self._flush_results()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                worked = self._step()
                self._maybe_prune()
            except Exception:
                # A database hiccup must not kill delivery; the next pass retries.
                log.exception("delivery pass failed")
                worked = False
                self._stopping.wait(self.config.poll_seconds)
            if not worked:
                self._wake.wait(self.config.poll_seconds)
                self._wake.clear()

    def _step(self) -> bool:
        """Record finished calls, then claim and start new ones; return whether anything moved."""
        flushed = self._flush_results()
        # Rows claimed but not yet recorded are what a crash would send twice: cap them at the
        # number of calls we make at once.
        with self._inflight_lock, self._results_lock:
            free = self.config.concurrency - self._inflight - len(self._results)
        claimed = self._claim(min(free, self.config.batch_size)) if free > 0 else []
        for row in claimed:
            with self._inflight_lock:
                self._inflight += 1
            assert self._pool is not None
            self._pool.submit(self._send, row)
        return bool(flushed or claimed)

    def _idle(self) -> bool:
        with self._inflight_lock, self._results_lock:
            return self._inflight == 0 and not self._results

    def _has_unfinished_rows(self) -> bool:
        with transaction(self.runtime.sessions) as session:
            query = (
                select(OutboxMessage.id)
                .join(Workspace, Workspace.team_id == OutboxMessage.team_id)
                .where(
                    Workspace.active.is_(True),
                    OutboxMessage.status.in_(("pending", "sending")),
                )
                .limit(1)
            )
            return session.scalar(query) is not None

    def _send(self, row: _Claimed) -> None:
        started = self._monotonic()
        try:
            # Looked up here, outside the claim's transaction: a token source may read the
            # store or rotate the token over HTTP.
            token = self.tokens.bot_token(row.team_id)
            if token is None:
                # The workspace is gone until someone reinstalls; its rows wait for that.
                outcome = Outcome(ok=False, error="no_token", auth_failed=True, called=False)
            else:
                outcome = send(
                    self.runtime.slack,
                    row.method,
                    row.args,
                    token,
                    self.privacy,
                    row.team_id,
                    dedupe_key=row.dedupe_key,
                    look_since=row.look_since,
                    joins=self.joins,
                )
        except SQLAlchemyError as exc:
            # The token or the privacy check could not be read (the database is busy or away):
            # nothing was posted, and it passes.
            log.warning("delivery of outbox row %d waits for the database: %s", row.id, exc)
            outcome = Outcome(
                ok=False,
                error=f"database: {type(exc).__name__}",
                # A row that may already be on Slack stays so until a lookup settles it.
                unsure=row.look_since is not None and row.method in POSTS,
                called=False,
            )
        except Exception as exc:  # a bug in a payload must not wedge the row
            log.exception("delivery of outbox row %d raised", row.id)
            outcome = Outcome.permanent_failure(f"internal: {type(exc).__name__}")
        with self.stats.lock:
            self.stats.slack_seconds += self._monotonic() - started
        with self._results_lock:
            self._results.append((row, outcome))
        with self._inflight_lock:
            self._inflight -= 1
        self._wake.set()

    # -- claiming ---------------------------------------------------------------------------

    def _due_query(self, now: datetime) -> Any:
        return (
            select(OutboxMessage)
            .join(Workspace, Workspace.team_id == OutboxMessage.team_id)
            .where(
                Workspace.active.is_(True),
                or_(
                    and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
                    and_(OutboxMessage.status == "sending", OutboxMessage.lease_expires_at < now),
                ),
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        )

    def _claim(self, limit: int) -> list[_Claimed]:
        started = self._monotonic()
        claimed: list[_Claimed] = []
        with transaction(self.runtime.sessions) as session:
            now = self.runtime.clock.now()
            query = self._due_query(now).limit(limit)
            if not is_sqlite(self.runtime.engine):
                query = query.with_for_update(skip_locked=True, of=OutboxMessage)
            for row in session.scalars(query):
                ready = self._admit(session, row, now)
                if ready is not None:
                    claimed.append(ready)
        with self.stats.lock:
            self.stats.own_seconds += self._monotonic() - started
        return claimed

    def _admit(self, session: Session, row: OutboxMessage, now: datetime) -> _Claimed | None:
        """Claim `row` if it may go now; otherwise move its next attempt to when it may."""
        if row.status == "sending" and row.method in POSTS and not _unsure(row):
            # The worker that claimed it stopped mid-call: Slack may have its post. Recorded on the
            # row, so a deferral below does not forget it.
            row.last_error = UNSURE + "the worker sending it stopped"
            # Its lease ran out, but its call may still be under way at Slack (a lease shorter
            # than the call's timeout): look no sooner than after any unsure attempt.
            if row.lease_expires_at is not None:
                started = row.lease_expires_at - timedelta(seconds=self.config.lease_seconds)
                look_at = started + timedelta(seconds=self.config.unsure_wait_seconds)
                if look_at > now:
                    self._retry_at(row, look_at)
                    return None
        args = dict(row.args)
        if row.after_key is not None:
            before = session.scalar(
                select(OutboxMessage).where(
                    OutboxMessage.team_id == row.team_id,
                    OutboxMessage.dedupe_key == row.after_key,
                )
            )
            if before is None or before.status in ("failed", "cancelled"):
                if row.after_failed_args is None:
                    self._fail(session, row, "the message it follows was not delivered", now)
                    return None
                args = dict(row.after_failed_args)
            elif before.status != "sent" or self._earlier_follower_unsent(session, row):
                # Followers of one message go out in the order they were queued: two edits of
                # an ask's message must not overtake each other.
                row.next_attempt_at = _follow_at(before, now)
                return None
            else:
                domain = session.scalar(
                    select(Workspace.domain).where(Workspace.team_id == row.team_id)
                )
                args = _substitute(args, _Posted(before.result_channel, before.result_ts, domain))
        if outbox.RENDER in args:
            render = self.renderers.get(str(args[outbox.RENDER]))
            if render is None:
                self._fail(session, row, f"no renderer {args[outbox.RENDER]!r}", now)
                return None
            args = render(session, row.team_id, args, now)
        wait = self._pace(row)
        if wait > 0:
            row.status = "pending"
            # Never less than a millisecond: a wait the clock cannot tell from none would leave
            # the row due at once, to be claimed and put off again in a loop.
            row.next_attempt_at = now + timedelta(seconds=max(wait, 0.001))
            return None
        row.status = "sending"
        row.claimed_by = self.id
        row.lease_expires_at = now + timedelta(seconds=self.config.lease_seconds)
        row.attempts += 1
        look_since = row.created_at if _unsure(row) else None
        return _Claimed(row.id, row.team_id, row.method, args, row.dedupe_key, look_since)

    def _pace(self, row: OutboxMessage) -> float:
        """Return 0 and spend `row`'s slot if its call may go now, else the seconds to wait."""
        if row.method in POSTS and _unsure(row):
            # Its lookup comes first: a lookup method Slack rate-limited holds back the rows
            # that must look, not the channel's other posts.
            held = max(self.pacer.wait_for(row.team_id, method, None) for method in LOOKUP_METHODS)
            if held > 0:
                return held
        return self.pacer.wait_for(row.team_id, _api_method(row.method), row.pace_key)

    def _earlier_follower_unsent(self, session: Session, row: OutboxMessage) -> bool:
        earlier = session.scalar(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.team_id == row.team_id,
                OutboxMessage.after_key == row.after_key,
                OutboxMessage.id < row.id,
                OutboxMessage.status.in_(("pending", "sending")),
            )
            .limit(1)
        )
        return earlier is not None

    # -- recording --------------------------------------------------------------------------

    def _flush_results(self) -> int:
        with self._results_lock:
            results, self._results = self._results, []
        if not results:
            return 0
        started = self._monotonic()
        with transaction(self.runtime.sessions) as session:
            now = self.runtime.clock.now()
            for claimed, outcome in results:
                row = session.get(OutboxMessage, claimed.id)
                if row is None or row.status != "sending" or row.claimed_by != self.id:
                    # Our lease ran out and another worker took the row over; its result stands.
                    log.warning(
                        "outbox row %d was taken over before its result was recorded", claimed.id
                    )
                    continue
                self._record(session, row, outcome, now)
        with self.stats.lock:
            self.stats.own_seconds += self._monotonic() - started
        return len(results)

    def _record(
        self, session: Session, row: OutboxMessage, outcome: Outcome, now: datetime
    ) -> None:
        row.claimed_by = None
        row.lease_expires_at = None
        if not outcome.called:
            # This attempt posted nothing (a lookup found the post, or failed): the slot it took
            # goes to the channel's next post.
            self.pacer.give_back(row.team_id, row.pace_key)
        if outcome.ok:
            row.status = "sent"
            row.finished_at = now
            row.result_channel = outcome.channel
            row.result_ts = outcome.ts
            row.last_error = None
            self._update_link(session, row)
            with self.stats.lock:
                self.stats.sent += 1
            return
        # The mark survives until a send settles it: the next attempt looks before it posts.
        row.last_error = UNSURE + (outcome.error or "") if outcome.unsure else outcome.error
        if outcome.retry_after is not None:
            limited = outcome.limited or _api_method(row.method)
            self.pacer.cool_down(row.team_id, limited, outcome.retry_after)
            row.attempts -= 1  # Slack asked us to wait; that is not a failed try.
            self._retry_at(row, now + timedelta(seconds=outcome.retry_after))
        elif outcome.auth_failed:
            log.warning(
                "workspace %s refused our token (%s); pausing its messages",
                row.team_id,
                outcome.error,
            )
            deactivate(session, row.team_id, now)
            row.attempts -= 1
            self._retry_at(row, now)
        elif outcome.permanent or row.attempts >= self.config.max_attempts:
            self._fail(session, row, outcome.error or "unknown error", now)
        else:
            self._retry_at(row, now + timedelta(seconds=self._retry_delay(row, outcome)))

    def _retry_at(self, row: OutboxMessage, when: datetime) -> None:
        row.status = "pending"
        row.next_attempt_at = when
        with self.stats.lock:
            self.stats.retried += 1

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
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    def _fail(self, session: Session, row: OutboxMessage, error: str, now: datetime) -> None:
        # A post that may be on Slack all the same keeps its mark: it may not be missing.
        unsure = _unsure(row)
        row.status = "failed"
        row.finished_at = now
        row.last_error = UNSURE + error if unsure else error
        row.claimed_by = None
        row.lease_expires_at = None
        with self.stats.lock:
            self.stats.failed += 1
        log.warning("outbox row %d (%s) failed for good: %s", row.id, row.method, row.last_error)
        notice = row.on_failure
        if not notice or row.dedupe_key.startswith("notice:"):
            return
        text = failure_text(str(notice.get("what", "your message")), error, unsure=unsure)
        key = f"notice:{row.dedupe_key}"
        if notice.get("response_url"):
            outbox.queue(
                session,
                team_id=row.team_id,
                method="response_url",
                args={
                    "url": notice["response_url"],
                    "payload": {
                        "response_type": "ephemeral",
                        "replace_original": False,
                        "text": text,
                    },
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

    def _update_link(self, session: Session, row: OutboxMessage) -> None:
        if row.link_table is None or row.link_id is None:
            return
        model, channel_column, ts_column = LINKS[row.link_table]
        session.execute(
            update(model)
            .where(model.id == row.link_id, model.team_id == row.team_id)
            .values({channel_column: row.result_channel, ts_column: row.result_ts})
        )

    # -- housekeeping -----------------------------------------------------------------------

    def _maybe_prune(self) -> None:
        if self._monotonic() - self._last_prune < self.config.prune_every_seconds:
            return
        self._last_prune = self._monotonic()
        with transaction(self.runtime.sessions) as session:
            now = self.runtime.clock.now()
            prune(session, now, self.config)
            # Event claims live beside the outbox: both are bookkeeping that only needs days.
            prune_processed(session, now)
        self.pacer.forget_idle()


def prune(session: Session, now: datetime, config: WorkerConfig) -> int:
    """Delete sent rows older than `keep_sent_days`, failed or cancelled ones older than
    `keep_failed_days`."""
    result = session.execute(
        delete(OutboxMessage).where(
            or_(
                and_(
                    OutboxMessage.status == "sent",
                    OutboxMessage.finished_at < now - timedelta(days=config.keep_sent_days),
                ),
                and_(
                    OutboxMessage.status.in_(("failed", "cancelled")),
                    OutboxMessage.finished_at < now - timedelta(days=config.keep_failed_days),
                ),
            )
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _unsure(row: OutboxMessage) -> bool:
    """Whether Slack may already have the message `row` owes, from an attempt that did not say."""
    return (row.last_error or "").startswith(UNSURE)


def _follow_at(before: OutboxMessage, now: datetime) -> datetime:
    """When to look again at a follower of `before`, which must go out first."""
    if before.status == "pending" and before.next_attempt_at > now:
        # Nothing can change before `before`'s own next attempt (a lookup's wait, a backoff).
        return before.next_attempt_at
    return now + timedelta(seconds=0.2 if before.status == "sent" else 1)


def _api_method(method: str) -> str:
    return "chat.postMessage" if method == "dm" else method


@dataclass(frozen=True)
class _Posted:
    channel: str | None
    ts: str | None
    domain: str | None

    @property
    def permalink(self) -> str:
        return permalink(self.domain, self.channel or "", self.ts or "")


def _substitute(value: Any, posted: _Posted) -> Any:
    if isinstance(value, str):
        if outbox.AFTER_PERMALINK in value:
            value = value.replace(outbox.AFTER_PERMALINK, posted.permalink)
        return value.replace(outbox.AFTER_CHANNEL, posted.channel or "").replace(
            outbox.AFTER_TS, posted.ts or ""
        )
    if isinstance(value, dict):
        return {key: _substitute(item, posted) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, posted) for item in value]
    return value
