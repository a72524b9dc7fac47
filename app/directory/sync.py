"""Keeping member directories complete: sync each workspace, retry an incomplete sync later.

A sync cut short (Slack kept answering 429 or 5xx) leaves the pages it saved, but is never reported
as the workspace's directory: it is retried with growing delays, going on from its cursor, until it
completes or the process stops. A workspace that refuses our token is not retried: installing again
starts a new sync. The state lives in memory: a restart syncs every workspace again anyway.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import replace

from sqlalchemy import select

from app.clock import Clock
from app.directory.slack_lookup import STOPPED, SlackLookup, SyncResult, Wait
from app.slackapi.web_api import AUTH_ERRORS
from app.store.db import SessionFactory
from app.store.models import Workspace

log = logging.getLogger(__name__)

# Seconds between attempts at a workspace whose sync did not complete; the last one repeats.
RETRY_DELAYS = (60.0, 300.0, 900.0, 3600.0)


def active_workspaces(sessions: SessionFactory) -> list[str]:
    """Return the team ids of every workspace the bot is installed in."""
    with sessions() as session:
        return list(session.scalars(select(Workspace.team_id).where(Workspace.active)))


class DirectorySync:
    """Brings the member directories of some workspaces to complete, in one background thread."""

    def __init__(
        self,
        lookup: SlackLookup,
        sessions: SessionFactory,
        clock: Clock,
        *,
        stop: threading.Event | None = None,
        wait: Wait | None = None,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
    ) -> None:
        self.lookup = lookup
        self.sessions = sessions
        self.clock = clock
        self.retry_delays = retry_delays
        self._stop = stop or threading.Event()
        # Every pause (Retry-After, backoff, the delay between attempts) goes through this.
        self._wait = wait or self._stop.wait
        # The last result of each workspace's sync: complete, or how far it got.
        self.results: dict[str, SyncResult] = {}
        self._thread: threading.Thread | None = None

    def start(self, team_ids: Iterable[str] | None = None) -> None:
        """Sync `team_ids` (by default every active workspace) in a background thread until each
        is complete or `stop` is called."""
        self._thread = threading.Thread(
            target=self._background, args=(team_ids,), name="directory-sync", daemon=True
        )
        self._thread.start()

    def _background(self, team_ids: Iterable[str] | None) -> None:
        """The background thread: list the workspaces, then `run`."""
        try:
            teams = list(team_ids) if team_ids is not None else active_workspaces(self.sessions)
        except Exception:
            log.exception("cannot list the workspaces to sync; look-ups fill directories on demand")
            return
        self.run(teams)

    def stop(self, timeout: float = 15.0) -> None:
        """Cut any wait short, and wait up to `timeout` seconds for a call in flight to end."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the background sync to end; return whether it has."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def run(self, team_ids: Iterable[str]) -> dict[str, SyncResult]:
        """Sync `team_ids`, retrying the incomplete ones after `retry_delays`, until every one
        is complete (or refuses our token) or the sync is stopped; return each workspace's last
        result."""
        teams = list(dict.fromkeys(team_ids))
        pending = teams
        attempt = 0
        while pending:
            retry_in = self.retry_delays[min(attempt, len(self.retry_delays) - 1)]
            left = []
            for team in pending:
                if self._stop.is_set():
                    break
                result = self.sync(team, retry_in)
                if not result.complete and result.reason not in AUTH_ERRORS:
                    left.append(team)
            pending = left
            if self._stop.is_set() or (pending and self._wait(retry_in)):
                break
            attempt += 1
        return {team: self.results[team] for team in teams if team in self.results}

    def sync(self, team_id: str, retry_in: float) -> SyncResult:
        """Make one attempt at `team_id`'s directory, going on from where the last one stopped;
        log it as synced only when it is complete, else say when it is retried (never when
        Slack refuses the token)."""
        before = self.results.get(team_id)
        error: Exception | None = None
        try:
            result = self.lookup.sync_members(
                self.sessions, team_id, self.clock.now(), wait=self._wait, resume=before
            )
        except Exception as exc:
            if self._stop.is_set():
                # Shutting down closes the client and the database under a call in flight.
                return SyncResult(complete=False, people=0, reason=STOPPED)
            error = exc
            kept = before if before is not None and not before.complete else None
            result = replace(
                kept or SyncResult(complete=False, people=0), reason=f"{type(exc).__name__}: {exc}"
            )
        self.results[team_id] = result
        if result.reason == STOPPED:
            # A wait answered "stop": nothing more is tried, and nothing is retried.
            self._stop.set()
        elif result.complete:
            log.info("member directory of %s synced: %d people", team_id, result.people)
        elif result.reason in AUTH_ERRORS:
            # Retrying cannot help; installing the app again starts a new sync.
            log.warning(
                "member directory of %s is incomplete (%d people so far; %s); not retried: "
                "Slack refuses the token",
                team_id,
                result.people,
                result.reason,
            )
        else:
            log.warning(
                "member directory of %s is incomplete (%d people so far; %s); "
                "retrying in %.0f s, look-ups fill it on demand meanwhile",
                team_id,
                result.people,
                result.reason,
                retry_in,
                exc_info=error,
            )
        return result
