"""APScheduler wiring: triggers only. The work lives in `app.digest.runs`, `app.nudges` and
`app.intros.passes`.

Each process may run its own scheduler: APScheduler does not share a job store between processes,
and it need not, since every job's effect is claimed by a database key (a digest per workspace and
week, a nudge per ask and round). Jobs read the injected clock, never APScheduler's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from app.digest.runs import RunOutcome, run_due
from app.intros import passes as intro_passes
from app.nudges.service import PassResult, run_pass
from app.runtime import Runtime
from app.store.models import Workspace

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Cadence:
    """How often each pass runs, in seconds."""

    digests: float = 60.0
    nudges: float = 300.0
    introductions: float = 300.0
    tokens: float = 900.0


class Scheduler:
    """Runs the digest, nudge and introduction passes on a cadence in background threads:
    start() to stop()."""

    def __init__(self, runtime: Runtime, cadence: Cadence | None = None) -> None:
        self.runtime = runtime
        self.cadence = cadence or Cadence()
        self._scheduler: BackgroundScheduler | None = None

    def start(self) -> None:
        """Start the triggers; each pass also runs once at start, to catch up after downtime."""
        scheduler = BackgroundScheduler(
            timezone="UTC",
            # A pass that overran its slot runs once, not once per missed slot.
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        )
        # APScheduler triggers on the wall clock; the passes themselves read the injected one.
        first = datetime.now(UTC)
        scheduler.add_job(
            self.digests,
            IntervalTrigger(seconds=self.cadence.digests),
            id="digests",
            next_run_time=first,
        )
        scheduler.add_job(
            self.nudges,
            IntervalTrigger(seconds=self.cadence.nudges),
            id="nudges",
            next_run_time=first,
        )
        scheduler.add_job(
            self.introductions,
            IntervalTrigger(seconds=self.cadence.introductions),
            id="introductions",
            next_run_time=first,
        )
        if self.runtime.installations is not None:
            scheduler.add_job(
                self.tokens,
                IntervalTrigger(seconds=self.cadence.tokens),
                id="tokens",
                next_run_time=first,
            )
        scheduler.start()
        self._scheduler = scheduler
        log.info(
            "scheduler started: digests every %.0f s, nudges every %.0f s, "
            "introductions every %.0f s",
            self.cadence.digests,
            self.cadence.nudges,
            self.cadence.introductions,
        )

    def stop(self) -> None:
        """Stop the triggers and wait for a pass in progress to finish."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None

    def tokens(self) -> int:
        """Touch every installed workspace's token so rotating ones are refreshed ahead of
        time, even where nothing is being sent; return how many workspaces have a token."""
        with self.runtime.sessions() as session:
            teams = list(session.scalars(select(Workspace.team_id).where(Workspace.active)))
        ready = 0
        for team_id in teams:
            try:
                ready += self.runtime.tokens.bot_token(team_id) is not None
            except Exception:
                log.exception("refreshing the token of %s failed; the next pass retries", team_id)
        return ready

    def digests(self) -> list[RunOutcome]:
        """Post the digests due now; never raises (a failed pass is logged and retried)."""
        try:
            outcomes = run_due(self.runtime.sessions, self.runtime.clock.now())
        except Exception:
            log.exception("digest pass failed; the next pass retries")
            self.runtime.metrics.scheduler_runs.labels(job="digests", outcome="error").inc()
            return []
        self.runtime.metrics.scheduler_runs.labels(job="digests", outcome="ok").inc()
        for outcome in outcomes:
            log.info("digest %s %s: %s", outcome.team_id, outcome.week, outcome.status)
        return outcomes

    def nudges(self) -> PassResult | None:
        """Run the nudge pass now; never raises (a failed pass is logged and retried)."""
        try:
            result = run_pass(self.runtime.sessions, self.runtime.clock.now())
        except Exception:
            log.exception("nudge pass failed; the next pass retries")
            self.runtime.metrics.scheduler_runs.labels(job="nudges", outcome="error").inc()
            return None
        self.runtime.metrics.scheduler_runs.labels(job="nudges", outcome="ok").inc()
        if result.examined or any(result.done.values()):
            log.info("nudge pass: %d asks, %s", result.examined, dict(result.done))
        return result

    def introductions(self) -> intro_passes.IntroPassResult | None:
        """Run the introductions pass now (expiry, follow-ups); never raises (a failed pass, or
        a failed step of it, is logged and retried)."""
        try:
            result = intro_passes.run_pass(self.runtime.sessions, self.runtime.clock.now())
        except Exception:
            log.exception("introductions pass failed; the next pass retries")
            result = None
        outcome = "ok" if result is not None and not result.failed else "error"
        self.runtime.metrics.scheduler_runs.labels(job="introductions", outcome=outcome).inc()
        if result is not None and any(result.done.values()):
            log.info("introductions pass: %s", dict(result.done))
        return result
