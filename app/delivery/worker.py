"""The delivery worker: claims due outbox rows, calls Slack, and records how each call ended.

A post whose attempt ended without Slack saying whether it posted (a 5xx, `fatal_error`, a
timeout, a worker that died mid-call) is marked unsure in `last_error`; its next attempt looks for
the post by its metadata tag and records the one it finds instead of posting again. It looks after
a moment when Slack answered (it is done with the call), after `unsure_wait_seconds` when Slack may
still be carrying the call out. A row waiting for its lookup holds back only its own followers.

Rounds lease ahead: besides the rows its senders are calling, the worker keeps up to a round's
worth (`batch_size`) leased and queued, so a sender that finishes takes its next row at once
instead of waiting for a round, and a round records every call that ended while the last one
ran. A queued row is sent only while at least half its lease is left (the rest is the call's);
one the worker will not send after all (it is stopping, or the row waited too long) is handed
back as it was, not left to lapse. Should the worker die, what it held, sent or not, is looked
for on Slack before it is posted again.

What a transaction of this process queues that can go at once is leased to the worker as it is
queued and handed over as it commits (`handoff`), with no claim. A call that went through does
not start a round of its own: the next round records it, one a commit that queued rows rings for,
or `record_within_seconds` later at the latest, so in a trickle one round records many. A call
that did not go through rings for its round at once, as does every call while the worker owes a
claim (it waits for a free slot).

The worker is given everything it works with (see app/runtime.py): the store, the clock, the
Web API client, the tokens, the doorbell commits ring, and the domain's `DeliveryHooks`.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from app.clock import Clock
from app.delivery.calls import call_slack
from app.delivery.claims import Claimed, Claims, any_unfinished
from app.delivery.config import WorkerConfig
from app.delivery.followers import after_sent
from app.delivery.handoff import Lane, Taker
from app.delivery.holdings import Holdings
from app.delivery.hooks import DeliveryHooks
from app.delivery.joins import ChannelJoins
from app.delivery.next_claim import Doorbell, NextClaim
from app.delivery.pacing import Pacer
from app.delivery.privacy import PrivacyCheck
from app.delivery.pruning import prune
from app.delivery.records import Recorder
from app.delivery.round_plans import ROUND_SETTINGS, PlanAge
from app.delivery.sender import Outcome
from app.delivery.stats import DeliveryStats
from app.delivery.tokens import TokenSource
from app.delivery.wakeup import OutboxListener
from app.slackapi.web_api import WebApi
from app.store.core import Kept, work
from app.store.db import IDLE_PING_SECONDS, SessionFactory, transaction

log = logging.getLogger(__name__)


class DeliveryWorker:
    """Delivers the outbox: start() runs it in background threads until stop()."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        clock: Clock,
        slack: WebApi,
        tokens: TokenSource,
        doorbell: Doorbell,
        hooks: DeliveryHooks,
        config: WorkerConfig | None = None,
        listener: OutboxListener | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.slack = slack
        self.tokens = tokens
        self.hooks = hooks
        self.config = config or WorkerConfig()
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.pacer = Pacer(monotonic=monotonic)
        self.privacy = PrivacyCheck(slack, monotonic=monotonic)
        self.joins = ChannelJoins(slack, monotonic=monotonic)
        self.stats = DeliveryStats()
        self.recorder = Recorder(
            self.id, self.config, self.pacer, hooks, self.stats, rng or random.Random()
        )
        self.claims = Claims(self.id, self.config, self.pacer, hooks.renderers, self.recorder)
        self._monotonic = monotonic
        # The loop's rounds run back to back on one connection of their own.
        engine = sessions.kw["bind"]
        self._kept = Kept(
            engine, IDLE_PING_SECONDS, monotonic, ROUND_SETTINGS.get(engine.dialect.name)
        )
        # Rung when a commit queued outbox messages, or a call finished: the loop wakes at once.
        self._wake = doorbell
        # Rings the doorbell when another process queued rows (PostgreSQL only).
        self.listener = listener
        # Whether a round claims, and when the rows the last claim did not take come due.
        self._next = NextClaim(self.config.poll_seconds)
        # When the rounds' plans are made again (only where they are made once).
        self._plan_age = (
            PlanAge(self.config.replan_after_rows)
            if engine.dialect.name in ROUND_SETTINGS
            else None
        )
        self._stopping = threading.Event()
        # Every sender busy and a round's worth of rows queued behind them, so a sender never
        # waits for a round (what a crash leaves unsent is looked up before it is posted).
        self.holdings = Holdings(self.config.concurrency + self.config.batch_size)
        # Rows transactions of this process lease as they queue them, while the worker runs.
        taker = Taker(self.id, self.config.lease_seconds, self.pacer, clock, monotonic)
        self.lane = Lane(taker, self.holdings, self._take)
        self._results: list[tuple[int, Outcome]] = []
        # Rows whose results a failed round gave back for the next round (once only).
        self._retried: set[int] = set()
        self._results_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._thread: threading.Thread | None = None
        self._last_prune = -float("inf")

    def start(self) -> None:
        """Run the delivery loop in a background thread."""
        self._pool = ThreadPoolExecutor(self.config.concurrency, thread_name_prefix="delivery")
        if self.listener is not None:
            self.listener.start()
        self._thread = threading.Thread(target=self._loop, name="delivery-worker", daemon=True)
        self._thread.start()
        self.lane.open(self.sessions)

    def stop(self) -> None:
        """Finish the calls in flight, record them, and stop."""
        self.lane.close()
        self._stopping.set()
        self._wake.set()
        if self.listener is not None:
            self.listener.stop()
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
        # Asked to drain, it claims at once: the caller may have queued rows without a ring.
        self._next.owed = True
        try:
            while self._monotonic() < deadline:
                worked = self._step()
                if not worked and self._idle():
                    if not self._has_unfinished_rows():
                        return
                    self._next.owed = True
                if not worked:
                    self._wake.wait(0.05)
                    self._wake.clear()
        finally:
            if own_pool and self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None
                self._flush_results()
            self._kept.close()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            # Cleared before the pass, not after the wait: a ring during the pass (a call ended,
            # a commit queued rows) then cuts the wait short instead of being lost.
            self._wake.clear()
            try:
                gather = self._gather_wait()
                if gather > 0:
                    self._stopping.wait(gather)
                self._step()
                self._maybe_prune()
                # A round that took all it could may have left rows due: the next goes at once.
                # Any other knows when the next row it could not take comes due.
                wait = 0.0 if self._next.full else self._idle_wait()
            except Exception:
                # A database hiccup must not kill delivery; the next pass retries.
                log.exception("delivery pass failed")
                self._next.owed = True
                self._stopping.wait(self.config.retry_seconds)
                continue
            if wait > 0:
                self._wake.wait(self._record_bound(wait))
        self._kept.close()

    def _gather_wait(self) -> float:
        """Seconds to wait before this round for more rows to be queued (`NextClaim.gathering`)."""
        return self._next.gathering(
            self._wake.rung, self._monotonic(), self.config.claim_every_seconds
        )

    def _record_bound(self, wait: float) -> float:
        """`wait`, cut to `record_within_seconds` while any row is held: a call that went
        through ends without a ring, and its round comes by then at the latest."""
        held = self.holdings.any()
        return min(wait, self.config.record_within_seconds) if held else wait

    def _idle_wait(self) -> float:
        """Seconds until the earliest time a row the last pass saw comes due, at most
        `poll_seconds`; the doorbell cuts it short when anything else happens."""
        due = self._next.due
        if due is None:
            # Nothing known due, or every sender and queue slot full (the next call that ends
            # rings the doorbell).
            return self.config.poll_seconds
        wait = (due - self.clock.now()).total_seconds()
        return min(max(wait, 0.0), self.config.poll_seconds)

    def _step(self) -> bool:
        """Record finished calls and, when a claim may find rows (`NextClaim`), claim new ones,
        in one transaction; then queue the calls. Return whether anything moved."""
        # Taken first: rows queued from here on ring again for the next round.
        queued = self._wake.take_queued()
        with self._results_lock:
            results, self._results = self._results, []
        held = self.holdings.held()
        limit = min(self.holdings.free(), self.config.batch_size)
        started = self._monotonic()
        wanted = self._next.wanted(queued, self.clock.now(), started)
        if limit <= 0:
            # No slot to claim into: the claim waits for a call to end (which wakes the loop).
            self._next.no_room()
        if not results and not (wanted and limit > 0):
            return False
        recorded = False
        claimed: list[Claimed] = []
        try:
            with work(self.sessions, self._kept) as round_work:
                now = self.clock.now()
                made_due = bool(results) and self.recorder.record_all(round_work, results, now)
                if limit > 0 and (wanted or made_due):
                    # What the results just recorded let go (a follower) is claimed with the
                    # rest. Every row due at `now` is read, and claimed or put off, unless the
                    # claim read all it could; its statement says when the rest come due.
                    claimed = self.claims.take(round_work, limit, now, held)
                    self._next.claimed(self.claims.read_all_it_could, self.claims.next_due, started)
            recorded = True
        finally:
            with self.stats.lock:
                self.stats.own_seconds += self._monotonic() - started
            self._after_round(results, recorded)
        # Measured from before the lease was taken, so never later than the lease says.
        start_by = started + self.config.lease_seconds / 2
        leased = [row.id for leader in claimed for row in leader.chain()]
        self.holdings.add(leased)
        # Rows handed over grow the outbox as claimed ones do.
        grown = len(leased) + self.holdings.handed_over()
        if self._plan_age is not None and grown and self._plan_age.claimed(grown):
            self._kept.renew()
        assert self._pool is not None
        for row in claimed:
            self._pool.submit(self._send, row, start_by)
        return bool(results or claimed)

    def _after_round(self, results: list[tuple[int, Outcome]], recorded: bool) -> None:
        """Let go of the rows whose `results` the round `recorded`; if it failed, queue them
        for the next round once more, then let them go unrecorded."""
        ids = {row_id for row_id, _ in results}
        if recorded:
            self._retried -= ids
            again: list[tuple[int, Outcome]] = []
        else:
            # A failed round (PostgreSQL chose it as a deadlock's victim, say) leaves its rows
            # this worker's leases: the next round records them, rather than leaving them to
            # lapse and be looked up. Should that fail too, they go as a dead worker's would.
            again = [result for result in results if result[0] not in self._retried]
            self._retried = {row_id for row_id, _ in again}
        with self._results_lock:
            self._results[:0] = again
        self.holdings.let_go(ids - self._retried)

    def _idle(self) -> bool:
        return not self.holdings.any()

    def _has_unfinished_rows(self) -> bool:
        with transaction(self.sessions) as session:
            return any_unfinished(session)

    def _send(self, row: Claimed, start_by: float) -> None:
        """Make `row`'s call, then that of each follower claimed behind it once the call before
        it was sent (else hand the follower back unsent), and queue how each ended for the next
        round, which then records them together."""
        outcome = self._call(row, start_by)
        # Each call's outcome by its row's key: a follower's placeholders come from the one it
        # follows (a second DM of a kudos follows the post, not the first DM).
        sent = {row.dedupe_key: outcome}
        while row.then is not None:
            self._finished(row.id, outcome, ring=False)
            follower = row.then
            before = sent.get(follower.follows or "")
            if outcome.ok and before is not None and before.ok:
                args = after_sent(follower.args, before.channel, before.ts, follower.domain)
                outcome = self._call(replace(follower, args=args), start_by)
            else:
                # Not sent, or not yet: the round that records why decides when it goes.
                outcome = Outcome.handed_back_unsent()
            sent[follower.dedupe_key] = outcome
            row = follower
        self._finished(row.id, outcome, ring=self._rings_for(outcome))

    def _take(
        self, claimed: list[Claimed], orphans: list[int], set_aside: int, start_by: float
    ) -> None:
        """Send the chains a committed transaction leased (`handoff`) in room `set_aside` for
        them, and hand back unsent the `orphans` it leased behind a row it did not store."""
        ids = [row.id for leader in claimed for row in leader.chain()]
        was_idle = self.holdings.hand_over([*ids, *orphans], set_aside)
        try:
            for row in claimed:
                assert self._pool is not None, "the lane is open only while the worker runs"
                self._pool.submit(self._send, row, start_by)
        except RuntimeError:
            # Stopped meanwhile: their leases run out, and they are looked for on Slack first.
            log.warning("the delivery worker stopped as rows were handed over to it")
        for row_id in orphans:
            self._finished(row_id, Outcome.handed_back_unsent(), ring=False)
        if was_idle or orphans:
            # An idle worker sleeps until the poll; what it holds now bounds its wait instead.
            self._wake.wake()

    def _call(self, row: Claimed, start_by: float) -> Outcome:
        """Make `row`'s call and return how it ended; hand it back unsent instead when the
        worker is stopping or the row waited past `start_by`, or its channel's limit holds it."""
        started = self._monotonic()
        if self._stopping.is_set() or started > start_by:
            return Outcome.handed_back_unsent()
        # Claimed when its channel's limit allowed, it may have queued for a sender less long
        # than the channel's last post did, and would reach Slack too soon after it: it waits
        # the difference (a wait is what a round would give it, without the round).
        wait = self.pacer.start_call(row.team_id, row.pace_key)
        if 0 < wait < start_by - started and not self._stopping.wait(wait):
            wait = self.pacer.start_call(row.team_id, row.pace_key)
        if wait > 0:
            return Outcome.handed_back_unsent(wait)
        started = self._monotonic()
        outcome = call_slack(row, self.slack, self.tokens, self.privacy, self.joins)
        self.pacer.end_call(row.team_id, row.pace_key, called=outcome.called)
        with self.stats.lock:
            self.stats.slack_seconds += self._monotonic() - started
        return outcome

    def _rings_for(self, outcome: Outcome) -> bool:
        """Whether the last call of a chain, ending with `outcome`, starts a round at once:
        when it did not go through (its round decides when it goes again), or a claim is owed
        (the worker waits for a slot, say). A sent one waits for the next round, which a commit
        that queues rows or `record_within_seconds` brings (`_record_bound`)."""
        return not outcome.ok or self._next.owed or self._stopping.is_set()

    def _finished(self, row_id: int, outcome: Outcome, *, ring: bool = True) -> None:
        """Queue `row_id`'s outcome for the next round; `ring` the doorbell to start it now
        (not when a follower's call is about to follow: both are recorded in one round)."""
        with self._results_lock:
            self._results.append((row_id, outcome))
        if ring:
            self._wake.wake()

    def _flush_results(self) -> int:
        with self._results_lock:
            results, self._results = self._results, []
        if not results:
            return 0
        started = self._monotonic()
        try:
            with work(self.sessions) as round_work:
                self.recorder.record_all(round_work, results, self.clock.now())
        finally:
            with self.stats.lock:
                self.stats.own_seconds += self._monotonic() - started
            self.holdings.let_go(row_id for row_id, _ in results)
        return len(results)

    def _maybe_prune(self) -> None:
        if self._monotonic() - self._last_prune < self.config.prune_every_seconds:
            return
        self._last_prune = self._monotonic()
        with transaction(self.sessions) as session:
            now = self.clock.now()
            prune(session, now, self.config)
            # The domain's bookkeeping that only needs days (event claims) goes at the same time.
            for housekeeping in self.hooks.housekeeping:
                housekeeping(session, now)
        self.pacer.forget_idle()
