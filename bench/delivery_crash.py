"""Duplicates under crashes: SIGKILL `reciprocity worker` mid-batch 100+ times, count repeats.

`python -m bench.delivery_crash [--kills 100] [--messages 5000] [--write]`, on SQLite and on
PostgreSQL (`BENCH_PG_URL`). Every message must arrive; a repeat is only possible for a call
Slack answered before the kill whose "sent" never committed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.runtime import build_runtime
from app.sandbox.slack_api import SlackStandIn
from app.settings import Settings
from app.store.db import transaction
from app.workspaces.service import Identity, ensure_workspace
from bench.crashloop import CrashReport, kill_loop, queue_messages, worker_env
from bench.delivery import TOKEN, database
from bench.loadgen import table, write_section

README = Path(__file__).with_name("README.md")


def run(backend: str, kills: int, messages: int) -> CrashReport:
    """Queue `messages` on `backend`, run the kill loop, return the report."""
    with database(backend) as url, SlackStandIn(bot_token=TOKEN) as slack:
        runtime = build_runtime(
            Settings(database_url=url, slack_bot_token=TOKEN, slack_api_url=slack.base_url)
        )
        with transaction(runtime.sessions) as session:
            ensure_workspace(
                session, Identity("T0001", "Acme", "UBOT", "BBOT"), runtime.clock.now()
            )
        # Joining first, as asks and kudos post: the stand-in, like Slack, lets the bot read the
        # history its lookups search only in channels it is a member of.
        queued = queue_messages(
            runtime, "T0001", slack, messages, max(1, messages // 10), join=True, notes=True
        )
        runtime.engine.dispose()
        report = kill_loop(
            runtime,
            slack,
            worker_env(url, slack, TOKEN),
            kills=kills,
            messages=queued,
            finish_timeout=600,
        )
        runtime.close()
        return report


def main() -> None:
    """Run the kill loop on both backends and print (or write) the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=100)
    # Enough that the worker, killed every moment it posts, is still posting at the 100th kill.
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    rows = []
    for backend in ("sqlite", "postgresql"):
        report = run(backend, args.kills, args.messages)
        rows.append(
            [
                backend,
                str(report.kills),
                f"{report.messages:,}",
                f"{report.delivered:,}",
                str(report.unsent_rows),
                str(report.duplicates),
                f"{report.duplicates / max(1, report.kills):.2f}",
                str(report.max_per_message),
                str(report.wrong_links),
            ]
        )
        print(rows[-1], flush=True)
    body = "\n".join(
        [
            "Posts joining their channel first (as asks and kudos do; without it the stand-in, "
            "as strict as Slack, refuses the lookups), every other one followed by a note that "
            "quotes its ts (as a kudos's DM links its post, so most notes go from the post's "
            "sender right after it), every eighth by a second note too (a kudos to two people). "
            "A worker (8 calls at once) is SIGKILLed at a random moment "
            "while posting, again and again; a last one finishes the queue. Lost = queued "
            "messages never posted; wrong links = notes quoting a ts their post was not given.",
            "",
            table(
                rows,
                [
                    "backend",
                    "kills",
                    "messages",
                    "delivered",
                    "lost",
                    "duplicates",
                    "duplicates per kill",
                    "most posts of one message",
                    "wrong links",
                ],
            ),
        ]
    )
    print(body)
    if args.write:
        write_section(str(README), "delivery-crash", body)


if __name__ == "__main__":
    main()
