"""The Prometheus series one process exposes on `/metrics`, on a registry of its own.

Labels are bounded: command names, event kinds, Web API method names and Slack's error codes
(unknown codes fold into "other"); never a team, a user or any text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from app.slackapi.web_api import AMBIGUOUS_ERRORS, AUTH_ERRORS, PERMANENT_ERRORS
from app.store.db import SessionFactory
from app.store.models import OutboxMessage
from app.store.statuses import OutboxStatus, written_status, written_unfinished

log = logging.getLogger(__name__)

# Slack allows 3 s for an ack; most should take a few milliseconds.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0)
COMMANDS = frozenset({"/kudos", "/ask", "/offer", "/intro"})
COMMAND_OUTCOMES = frozenset({"ok", "refused", "error", "form"})
KINDS = frozenset({"command", "action", "view", "shortcut", "event", "other"})
# Statuses a Web API call can end with besides Slack's own error codes.
CALL_STATUSES = frozenset({"ok", "ratelimited", "timeout", "http_5xx", "transport", "bad_response"})
_KNOWN_STATUSES = CALL_STATUSES | PERMANENT_ERRORS | AUTH_ERRORS | AMBIGUOUS_ERRORS


class Metrics:
    """Every series the bot records, registered on `registry`."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.commands = Counter(
            "reciprocity_commands",
            "Slash commands handled, by command and outcome (ok, refused, error, form).",
            ["command", "outcome"],
            registry=self.registry,
        )
        self.acks = Histogram(
            "reciprocity_ack_seconds",
            "Time from a request's arrival to its acknowledgement, by kind.",
            ["kind"],
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self.slack_calls = Counter(
            "reciprocity_slack_api_calls",
            "Slack Web API calls, by method and status (ok or Slack's error code).",
            ["method", "status"],
            registry=self.registry,
        )
        self.scheduler_runs = Counter(
            "reciprocity_scheduler_runs",
            "Scheduler job runs, by job and outcome (ok, error).",
            ["job", "outcome"],
            registry=self.registry,
        )

    def observe_request(self, kind: str, subject: str, outcome: str, seconds: float) -> None:
        """Record one request Slack sent: its ack time by kind and, for a command, its outcome."""
        kind = kind if kind in KINDS else "other"
        self.acks.labels(kind=kind).observe(seconds)
        if kind == "command":
            self.commands.labels(
                command=subject if subject in COMMANDS else "other",
                outcome=outcome if outcome in COMMAND_OUTCOMES else "error",
            ).inc()

    def slack_call(self, method: str, status: str) -> None:
        """Count one Web API call that ended with `status` ("ok" or an error code)."""
        # Slack invents error codes now and then; unknown ones fold into "other".
        known = status if status in _KNOWN_STATUSES else "other"
        self.slack_calls.labels(method=method, status=known).inc()

    def watch_outbox(self, sessions: SessionFactory, now: Callable[[], datetime]) -> None:
        """Report the outbox's depth and the age of its oldest waiting row at each scrape."""
        self.registry.register(_OutboxCollector(sessions, now))


class _OutboxCollector(Collector):
    """Reads the outbox at scrape time: one count and one min() over the indexes of the rows
    still owed."""

    def __init__(self, sessions: SessionFactory, now: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.now = now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Yield the depth and oldest-age gauges, or nothing when the database does not answer."""
        try:
            with self.sessions() as session:
                depth = session.scalar(
                    select(func.count()).where(written_unfinished(OutboxMessage.status))
                )
                first = session.scalar(
                    select(func.min(OutboxMessage.created_at)).where(
                        written_status(OutboxMessage.status, OutboxStatus.PENDING)
                    )
                )
        except SQLAlchemyError:
            # A scrape must not fail while the database is away; /healthz says so instead, and
            # the missing series is itself the alert.
            log.warning("outbox metrics unavailable: the database did not answer")
            return
        yield GaugeMetricFamily(
            "reciprocity_outbox_depth",
            "Messages owed to Slack: queued or being sent.",
            value=float(depth or 0),
        )
        yield GaugeMetricFamily(
            "reciprocity_outbox_oldest_seconds",
            "Age of the oldest message still queued (0 when none is).",
            value=max(0.0, (self.now() - first).total_seconds()) if first else 0.0,
        )
