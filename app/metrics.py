"""The Prometheus series one process exposes on `/metrics`, on a registry of its own.

Labels are bounded: command names, event kinds, Web API method names and Slack's error codes
(unknown codes fold into "other"); never a team, a user or any text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from app.slack.web_api import AUTH_ERRORS, PERMANENT_ERRORS
from app.store.db import SessionFactory
from app.store.models import OutboxMessage

log = logging.getLogger(__name__)

ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0)
_KNOWN_ERRORS = (
    frozenset(
        {"ratelimited", "timeout", "http_5xx", "transport", "not_in_channel", "channel_not_found"}
    )
    | PERMANENT_ERRORS
    | AUTH_ERRORS
)


_KINDS = {
    "block_actions": "action",
    "view_submission": "view",
    "view_closed": "view",
    "shortcut": "shortcut",
    "message_action": "shortcut",
    "event_callback": "event",
}


class Metrics:
    """Every series the bot records, registered on `registry`."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.commands = Counter(
            "reciprocity_commands",
            "Slash commands handled, by command and outcome (ok, error).",
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

    def observe_request(self, body: Mapping[str, Any], status: int, seconds: float) -> None:
        """Record one request Slack sent: its ack time by kind, and a command's outcome."""
        kind = _KINDS.get(str(body.get("type") or ""), "command" if "command" in body else "other")
        self.acks.labels(kind=kind).observe(seconds)
        if kind == "command":
            name = str(body.get("command") or "")
            known = name if name in ("/kudos", "/ask", "/offer") else "other"
            outcome = "ok" if status < 400 else "error"
            self.commands.labels(command=known, outcome=outcome).inc()

    def slack_call(self, method: str, status: str) -> None:
        """Count one Web API call that ended with `status` ("ok" or an error code)."""
        known = status if status == "ok" or status in _KNOWN_ERRORS else "other"
        self.slack_calls.labels(method=method, status=known).inc()

    def watch_outbox(self, sessions: SessionFactory, now: Callable[[], datetime]) -> None:
        """Report the outbox's depth and the age of its oldest waiting row at each scrape."""
        self.registry.register(_OutboxCollector(sessions, now))


class _OutboxCollector(Collector):
    def __init__(self, sessions: SessionFactory, now: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.now = now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            "reciprocity_outbox_depth", "Messages queued or being sent to Slack."
        )
        oldest = GaugeMetricFamily(
            "reciprocity_outbox_oldest_seconds", "Age of the oldest message still queued."
        )
        try:
            with self.sessions() as session:
                waiting = OutboxMessage.status.in_(("pending", "sending"))
                count = session.scalar(select(func.count()).where(waiting)) or 0
                first = session.scalar(select(func.min(OutboxMessage.created_at)).where(waiting))
        except SQLAlchemyError:
            # A scrape must not fail while the database is away; /healthz says so instead.
            log.warning("outbox metrics unavailable: the database did not answer")
            return
        depth.add_metric([], float(count))
        oldest.add_metric([], (self.now() - first).total_seconds() if first else 0.0)
        yield depth
        yield oldest
