"""Outbox drain rate: 10,000 messages over 1,000 channels against the stand-in's per-channel limit.

`python -m bench.delivery [--messages 10000] [--channels 1000] [--runs sqlite,postgresql+join]
[--write]`; PostgreSQL via `BENCH_PG_URL`. Baseline in the same run: the same number of calls made
straight at the stand-in (no limit) from 16 threads sharing the worker's own Slack client
(`WebApi`), with no database at all. The stand-in serves from a process of its own, so neither
the worker nor the baseline shares its GIL.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from app.delivery.config import WorkerConfig
from app.delivery.tokens import SingleWorkspaceTokens
from app.runtime import build_runtime, build_worker
from app.sandbox.slack_api import SlackStandIn
from app.settings import Settings
from app.slackapi.web_api import WebApi
from app.store import migrate
from app.store.db import transaction
from app.workspaces.service import Identity, ensure_workspace
from bench.crashloop import queue_messages, unsent
from bench.loadgen import table, write_section

TOKEN = "xoxb-bench"
# Sender threads in the worker, and threads making the baseline's direct calls.
CONCURRENCY = 16
README = Path(__file__).with_name("README.md")
PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@contextmanager
def database(backend: str, admin_url: str = PG_ADMIN, *, migrated: bool = True) -> Iterator[str]:
    """A fresh database on `backend` ("sqlite" or "postgresql"), dropped afterwards: migrated,
    or left empty for a bot of another checkout to migrate as it starts.

    PostgreSQL's is created through `admin_url` with no connection pool, so a server stopped and
    started meanwhile (the fault tests do) leaves no stale connection in the way of the DROP.
    """
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/bench.db"
            if migrated:
                migrate.upgrade(url)
            yield url
        return
    name = f"bench_{os.getpid()}_{int(time.time() * 1000) % 10**9}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        if migrated:
            migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _stand_in(pipe: Connection, channels: int, limited: bool) -> None:
    """The stand-in's process: serve `channels` channels until told to stop; answer "counts"
    with the posts refused with a 429 and the joins made so far."""
    with SlackStandIn(bot_token=TOKEN, channel_rate_limit=limited) as slack:
        for n in range(channels):
            slack.add_channel(f"C{n:06d}", f"c{n}")
        pipe.send(slack.base_url)
        while pipe.recv() != "stop":
            posts = slack.calls_to("chat.postMessage")
            pipe.send(
                {
                    "429s": sum(1 for call in posts if call.status == 429),
                    "posted": sum(1 for call in posts if call.ok),
                    "joins": len(slack.calls_to("conversations.join")),
                }
            )


class StandIn:
    """The stand-in in a process of its own, as Slack is in life: it does not share the
    worker's GIL (nor the baseline's). Its channels exist already; `add_channel` is a no-op."""

    def __init__(self, channels: int, *, limited: bool) -> None:
        self._pipe, child = multiprocessing.Pipe()
        self._process = multiprocessing.get_context("spawn").Process(
            target=_stand_in, args=(child, channels, limited), daemon=True
        )
        self._process.start()
        child.close()
        self.base_url: str = self._pipe.recv()

    def add_channel(self, *_: Any) -> None:
        """The process made every channel at start."""

    def counts(self) -> dict[str, int]:
        """The 429s answered to posts, the posts accepted and the joins made so far."""
        self._pipe.send("counts")
        answer: dict[str, int] = self._pipe.recv()
        return answer

    def __enter__(self) -> StandIn:
        return self

    def __exit__(self, *_: object) -> None:
        self._pipe.send("stop")
        self._process.join(15)
        if self._process.is_alive():
            self._process.kill()


def baseline(messages: int, channels: int) -> float:
    """Calls per second straight to an unlimited stand-in, through the worker's own Slack client
    (`WebApi`) on as many threads: the ceiling for this machine."""
    with StandIn(channels, limited=False) as slack:
        client = WebApi(slack.base_url, max_connections=CONCURRENCY)

        def post(n: int) -> None:
            args = {"channel": f"C{n % channels:06d}", "text": f"m{n}"}
            client.call("chat.postMessage", TOKEN, args)

        started = time.perf_counter()
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            list(pool.map(post, range(messages)))
        elapsed = time.perf_counter() - started
        client.close()
    return messages / elapsed


def drain(backend: str, messages: int, channels: int, *, join: bool = False) -> dict[str, float]:
    """Queue `messages` and time one worker delivering them all under Slack's channel limit;
    with `join`, every post first joins its channel (once per channel, as asks and kudos do)."""
    with database(backend) as url, StandIn(channels, limited=True) as slack:
        runtime = build_runtime(
            Settings(database_url=url, slack_bot_token=TOKEN, slack_api_url=slack.base_url)
        )
        with transaction(runtime.sessions) as session:
            ensure_workspace(
                session, Identity("T0001", "Acme", "UBOT", "BBOT"), runtime.clock.now()
            )
        queue_messages(runtime, "T0001", slack, messages, channels, join=join)  # type: ignore[arg-type]
        worker = build_worker(
            runtime,
            SingleWorkspaceTokens("T0001", TOKEN),
            WorkerConfig(concurrency=CONCURRENCY, poll_seconds=0.05),
        )
        started = time.perf_counter()
        worker.start()
        while unsent(runtime):
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        worker.stop()
        counts = slack.counts()
        runtime.close()
    return {
        "rate": messages / elapsed,
        "seconds": elapsed,
        "slack": worker.stats.slack_seconds,
        "own": worker.stats.own_seconds,
        "429s": counts["429s"],
        "joins": counts["joins"],
    }


def main() -> None:
    """Run the baseline and both backends; print (and optionally write) the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--channels", type=int, default=1_000)
    parser.add_argument("--write", action="store_true")
    parser.add_argument(
        "--runs", default="sqlite,sqlite+join,postgresql,postgresql+join", help="which drains"
    )
    args = parser.parse_args()
    ceiling = baseline(args.messages, args.channels)
    per_channel = args.messages / args.channels
    # Slack's limit alone: a burst of 3, then one a second, in every channel at once.
    limit_bound = args.messages / max(1.0, per_channel - 3)
    rows = [["direct calls, no DB, no limit (baseline)", f"{ceiling:,.0f}", "1.00"] + [""] * 7]
    for run in args.runs.split(","):
        backend, join = run.removesuffix("+join"), run.endswith("+join")
        figures = drain(backend, args.messages, args.channels, join=join)
        waiting = figures["slack"] / max(1e-9, figures["slack"] + figures["own"])
        # Of the 16 sender threads' capacity over the run, how much was spent in Web API calls.
        senders_busy = figures["slack"] / (figures["seconds"] * CONCURRENCY)
        rows.append(
            [
                f"worker on {backend}"
                + (f", joining first ({int(figures['joins']):,} joins)" if join else ""),
                f"{figures['rate']:,.0f}",
                f"{figures['rate'] / ceiling:.2f}",
                f"{figures['rate'] / limit_bound:.2f}",
                f"{figures['seconds']:.1f}",
                f"{figures['slack']:.1f}",
                f"{figures['own']:.1f}",
                f"{waiting:.0%} / {1 - waiting:.0%}",
                f"{figures['own'] / figures['seconds']:.0%} / {senders_busy:.0%}",
                str(int(figures["429s"])),
            ]
        )
        print(rows[-1], flush=True)
    body = "\n".join(
        [
            f"{args.messages:,} messages over {args.channels:,} channels; the stand-in enforces "
            "Slack's per-channel limit (burst of 3, then 1/s), so no delivery can beat "
            f"{limit_bound:,.0f} msgs/s (the limit bound). Worker, database and stand-in share "
            "this machine's 2 cores; the stand-in runs in a process of its own, as Slack is "
            "elsewhere in life (so is the baseline's).",
            "",
            table(
                rows,
                [
                    "run",
                    "msgs/s",
                    "vs baseline",
                    "vs limit bound",
                    "wall s",
                    "Slack s (summed)",
                    "own s",
                    "Slack wait / own code",
                    "loop in DB / senders busy",
                    "429s",
                ],
            ),
            "",
            '"Slack s" is the time sender threads spent inside Web API calls, summed over the 16 '
            'threads (so it can exceed wall time); "own s" is the claim and record transactions '
            "on the worker's one loop thread, which are serial, so own s / wall s is the share of "
            "the run the loop was busy in the database; senders busy is Slack s over 16 threads' "
            'worth of wall time. A run "joining first" marks every post as asks and kudos '
            "are marked (`join_first`): the worker calls `conversations.join` before the first "
            "post to each channel and remembers it for an hour.",
        ]
    )
    print(body)
    if args.write:
        write_section(str(README), "delivery", body)


if __name__ == "__main__":
    main()
