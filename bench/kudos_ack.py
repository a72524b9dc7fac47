"""`/kudos` end to end over HTTP (verify, parse, guards, store, queue, ack) against bare acks.

`python -m bench.kudos_ack [--seconds 5] [--repeat 3] [--write]`: the real bot (`reciprocity run
--no-worker`, so only the ack path is measured) on SQLite and PostgreSQL, and in the same run a
bare Bolt app that only acks (Bolt's defaults and dev server) and our stack acking with no work,
each at 50, 200 and 500 requests/s offered.

The machine is shared, and its speed drifts by half within minutes, so every cell is measured
`--repeat` times, spread over the run, and reported as the run with the median p99 beside the
range; a fixed pure-Python loop timed before each app says how fast the host was.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import update

from app.sandbox.slack_api import SlackStandIn
from app.store.db import make_engine, make_session_factory, transaction
from app.store.models import Workspace
from bench.apps import SIGNING_SECRET
from bench.delivery import TOKEN, database
from bench.loadgen import Load, Result, free_port, measure, spawn, table, wait_port, write_section

README = Path(__file__).with_name("README.md")
RATES = (50, 200, 500)
USERS = 200


def _load(port: int, rate: float, seconds: float) -> Load:
    return Load(
        url=f"http://127.0.0.1:{port}/slack/events",
        secret=SIGNING_SECRET,
        seconds=seconds,
        concurrency=32,
        rate=rate,
        users=USERS,
        mention=True,
    )


Runs = dict[int, list[Result]]


def host_seconds() -> float:
    """Seconds a fixed pure-Python loop takes here and now: the host's speed at this moment."""
    start = time.perf_counter()
    sum(i * i for i in range(10**7))
    return time.perf_counter() - start


def _measure_all(port: int, seconds: float, repeat: int) -> Runs:
    runs: Runs = {rate: [] for rate in RATES}
    # Rates interleaved, so a slow spell of the host does not land on one rate's every repeat.
    for _ in range(repeat):
        for rate in RATES:
            runs[rate].append(measure(_load(port, rate, seconds)))
    return runs


def baseline(kind: str, seconds: float, repeat: int = 1) -> Runs:
    """A baseline app from bench.apps, `repeat` times at every offered rate."""
    port = free_port()
    server = spawn(["-m", "bench.apps", kind, "--port", str(port)])
    try:
        wait_port(port, server)
        return _measure_all(port, seconds, repeat)
    finally:
        server.terminate()
        server.wait(10)


def bot(backend: str, seconds: float, repeat: int = 1) -> Runs:
    """The real bot on `backend`, its directory filled, `repeat` times at every offered rate."""
    with database(backend) as url, SlackStandIn(bot_token=TOKEN) as slack:
        slack.add_channel("C0GENERAL", "general")
        for n in range(USERS):
            slack.add_user(f"U{n:05d}", f"user{n}")
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.base_url,
            "PORT": str(port),
            "LOG_LEVEL": "WARNING",
        }
        server = spawn(["-m", "app", "run", "--no-worker"], env=env)
        engine = make_engine(url, pool_size=1)
        try:
            wait_port(port, server)
            deadline = time.monotonic() + 20
            while not slack.calls_to("users.list") and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)
            with transaction(make_session_factory(engine)) as session:
                # The daily limit would turn most of the load into cheap refusals.
                session.execute(update(Workspace).values(kudos_daily_limit=1_000_000))
            httpx.get(f"http://127.0.0.1:{port}/healthz")
            return _measure_all(port, seconds, repeat)
        finally:
            engine.dispose()
            server.terminate()
            server.wait(15)


def median_run(results: list[Result]) -> Result:
    """The run whose p99 is the median of `results` (the lower middle one for an even count)."""
    ordered = sorted(results, key=lambda result: result.p99_ms)
    return ordered[(len(ordered) - 1) // 2]


def main() -> None:
    """Measure the baselines and the bot on both backends; print (or write) the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    apps: dict[str, Callable[[], Runs]] = {
        "bare Bolt app that only acks (baseline)": lambda: baseline(
            "bolt-dev", args.seconds, args.repeat
        ),
        "our stack, ack only": lambda: baseline("ack-only", args.seconds, args.repeat),
        "/kudos on SQLite": lambda: bot("sqlite", args.seconds, args.repeat),
        "/kudos on PostgreSQL": lambda: bot("postgresql", args.seconds, args.repeat),
    }
    runs: dict[str, Runs] = {}
    hosts: dict[str, float] = {}
    for label, run in apps.items():
        hosts[label] = host_seconds()
        runs[label] = run()
    bare = {rate: median_run(results) for rate, results in runs[next(iter(apps))].items()}
    rows = []
    for label, results in runs.items():
        for rate in RATES:
            result = median_run(results[rate])
            p99s = [run.p99_ms for run in results[rate]]
            # A baseline that sustained next to nothing makes a ratio meaningless.
            ratio = (
                f"{result.rps / bare[rate].rps:.2f}"
                if bare[rate].rps >= 1
                else "baseline collapsed"
            )
            rows.append(
                [
                    label,
                    str(rate),
                    f"{result.rps:,.0f}",
                    ratio,
                    f"{result.p50_ms:.1f}",
                    f"{result.p99_ms:.1f}",
                    f"{min(p99s):.1f}-{max(p99s):.1f}",
                    str(result.errors),
                ]
            )
        print(rows[-len(RATES) :], flush=True)
    yardstick = ", ".join(f"{label} {seconds:.2f} s" for label, seconds in hosts.items())
    body = "\n".join(
        [
            f"Measured {datetime.now(UTC):%Y-%m-%d}. "
            f"Open loop, {args.seconds:g} s per cell after a 1 s warm-up, 32 connections, "
            f"{USERS} people thanking each other (every request a real kudos: parse, directory "
            "guards, daily limit in the giver's zone, insert, two outbox rows, commit, ack). "
            "Server, load generator and database share 2 cores. Each cell was measured "
            f"{args.repeat} times; shown is the run with the median p99, with the p99s' range. "
            f"Host yardstick (a fixed Python loop, lower is faster) before each app: {yardstick}.",
            "",
            table(
                rows,
                [
                    "app",
                    "offered/s",
                    "acks/s",
                    "vs bare Bolt",
                    "p50 ms",
                    "p99 ms",
                    "p99 range ms",
                    "errors",
                ],
            ),
        ]
    )
    print(body)
    if args.write:
        write_section(str(README), "kudos-ack", body)


if __name__ == "__main__":
    main()
