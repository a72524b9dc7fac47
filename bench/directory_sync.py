"""Directory sync under Slack's Tier 2 limit: how long a full `users.list` sync takes, on Slack's
clock, against the least the limit allows.

`python -m bench.directory_sync [--people 1000,5000,20000] [--write]`; SQLite. The stand-in pages
as Slack may (at most half of `limit`, every third page empty) and answers 429 with Retry-After
past 20 calls a minute. Its clock and the sync's waits share one simulated clock, so a sync that
waits minutes for Slack runs in seconds here; what is reported is that simulated time. Baseline in
the same run: the limit's own lower bound for the same number of calls (20 at once, then one
every 3 s), and the calls a sync with no 429 at all would make.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from app.delivery.tokens import SingleWorkspaceTokens
from app.directory.slack_lookup import SlackLookup
from app.sandbox.slack_api import SlackStandIn
from app.slackapi.web_api import WebApi
from app.store import migrate
from app.store.db import make_engine, make_session_factory, transaction
from app.workspaces.service import Identity, ensure_workspace
from bench.loadgen import table, write_section

TOKEN = "xoxb-bench"
TEAM = "T0001"
README = Path(__file__).with_name("README.md")
TIER_2_PER_MINUTE = 20


class SimulatedClock:
    """Slack's clock for the stand-in, moved only by the sync's waits."""

    def __init__(self) -> None:
        self.now = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        """The simulated time, in seconds."""
        with self._lock:
            return self.now

    def wait(self, seconds: float) -> bool:
        """Let `seconds` pass at once; never asks the sync to stop."""
        with self._lock:
            self.now += seconds
        return False


def sync(people: int) -> dict[str, float]:
    """Sync a workspace of `people` into a fresh SQLite directory; return its figures."""
    clock = SimulatedClock()
    with (
        tempfile.TemporaryDirectory() as folder,
        SlackStandIn(bot_token=TOKEN, clock=clock) as slack,
    ):
        for n in range(people):
            slack.add_user(f"U{n:07d}", f"person{n}")
        url = f"sqlite:///{folder}/bench.db"
        migrate.upgrade(url)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        started_at = datetime(2026, 12, 1, tzinfo=UTC)
        with transaction(sessions) as session:
            ensure_workspace(session, Identity(TEAM, "Acme", "UBOT", "BBOT"), started_at)
        api = WebApi(slack.base_url)
        lookup = SlackLookup(api, SingleWorkspaceTokens(TEAM, TOKEN))
        wall = time.perf_counter()
        result = lookup.sync_members(sessions, TEAM, started_at, wait=clock.wait)
        wall = time.perf_counter() - wall
        calls = slack.calls_to("users.list")
        api.close()
        engine.dispose()
    answered = [c for c in calls if c.status == 200]
    limited = len(calls) - len(answered)
    # The limit allows a burst of 20 calls, then one every 60/20 s.
    bound = max(0, len(answered) - TIER_2_PER_MINUTE) * 60 / TIER_2_PER_MINUTE
    return {
        "complete": float(result.complete),
        "people": float(result.people),
        "pages": float(len(answered)),
        "429s": float(limited),
        "simulated": clock.now,
        "bound": bound,
        "wall": wall,
    }


def main() -> None:
    """Sync each workspace size; print (and optionally write) the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", default="1000,5000,20000")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    rows = []
    for people in (int(n) for n in args.people.split(",")):
        figures = sync(people)
        ratio = figures["simulated"] / figures["bound"] if figures["bound"] else 1.0
        rows.append(
            [
                f"{people:,}",
                "yes" if figures["complete"] else "NO",
                f"{int(figures['people']):,}",
                f"{int(figures['pages']):,}",
                f"{int(figures['429s']):,}",
                f"{figures['simulated']:,.0f}",
                f"{figures['bound']:,.0f}",
                f"{ratio:.2f}",
                f"{figures['wall']:.1f}",
            ]
        )
        print(rows[-1], flush=True)
    body = "\n".join(
        [
            f"Measured {datetime.now(UTC):%Y-%m-%d}. A full `users.list` sync of one workspace "
            "against the stand-in's Slack-like paging (at most 100 people a page for `limit` "
            "200, every third page empty with the cursor set) and its Tier 2 limit (20 calls a "
            "minute, then 429 with Retry-After). Simulated seconds are Slack's clock, moved only "
            "by the sync's waits; the bound is what the limit itself allows for the same calls "
            "(20 at once, then one every 3 s).",
            "",
            table(
                rows,
                [
                    "people",
                    "complete",
                    "people synced",
                    "pages",
                    "429s",
                    "simulated s",
                    "bound s",
                    "vs bound",
                    "wall s",
                ],
            ),
        ]
    )
    print(body)
    if args.write:
        write_section(str(README), "directory-sync", body)


if __name__ == "__main__":
    main()
