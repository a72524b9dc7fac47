"""`/kudos` end to end over HTTP (verify, parse, guards, store, queue, ack) against bare acks.

`python -m bench.kudos_ack [--seconds 5] [--repeat 3] [--write]`: the real bot (`reciprocity run
--no-worker`, so only the ack path is measured) on SQLite and PostgreSQL against, in the same run,
the bare Bolt app in the mode we run (`process_before_response=True`, served by the same
Starlette-on-uvicorn stack as the bot, a `/kudos` listener that only acks): on one connection in
a closed loop (acks per second, the issue's figure) and open loop at 50, 200 and 500 requests/s.

The machine is shared, and its speed drifts by half within minutes, so every cell is measured
`--repeat` times, spread over the run, and reported as the run with the median p99 beside the
range; a fixed pure-Python loop timed before each app says how fast the host was. Before each
cell the bot's PostgreSQL database is vacuumed and analysed as autovacuum keeps it in service
(`bench.in_service`): this machine's server runs without autovacuum.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, update

from app.sandbox.slack_api import SlackStandIn
from app.store.db import make_engine, make_session_factory, transaction
from app.store.models import Workspace
from bench.apps import SIGNING_SECRET
from bench.delivery import TOKEN, database
from bench.in_service import settle
from bench.loadgen import Load, Result, free_port, measure, spawn, table, wait_port, write_section

README = Path(__file__).with_name("README.md")
RATES = (50, 200, 500)
# The loads: one connection in a closed loop (as fast as it answers), then open loop at RATES.
CLOSED = "1 connection, closed loop"
LOADS: tuple[str, ...] = (CLOSED, *(f"{rate}/s offered" for rate in RATES))
USERS = 200
# Done-when of issue 21: /kudos on one connection at this share of the bare app's acks/s.
TARGETS = {"/kudos on SQLite": 0.4, "/kudos on PostgreSQL": 0.25}
BASELINE = "bare Bolt app, process_before_response, our server stack (baseline)"


def _load(port: int, load: str, seconds: float) -> Load:
    closed = load == CLOSED
    return Load(
        url=f"http://127.0.0.1:{port}/slack/events",
        secret=SIGNING_SECRET,
        seconds=seconds,
        concurrency=1 if closed else 32,
        rate=None if closed else float(load.split("/")[0]),
        users=USERS,
        mention=True,
    )


Runs = dict[str, list[Result]]


def host_seconds() -> float:
    """Seconds a fixed pure-Python loop takes here and now: the host's speed at this moment."""
    start = time.perf_counter()
    sum(i * i for i in range(10**7))
    return time.perf_counter() - start


def _measure_all(
    port: int, seconds: float, repeat: int, between: Callable[[], None] | None = None
) -> Runs:
    """Each load `repeat` times, `between()` (if any) before each, outside what is measured."""
    runs: Runs = {load: [] for load in LOADS}
    # Loads interleaved, so a slow spell of the host does not land on one load's every repeat.
    for _ in range(repeat):
        for load in LOADS:
            if between is not None:
                between()
            runs[load].append(measure(_load(port, load, seconds)))
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


def bot_env(url: str, slack: SlackStandIn, port: int) -> dict[str, str]:
    """Fill `slack` with the bench's channel and people; return the environment of a bot on
    database `url` serving `port` against it."""
    slack.add_channel("C0GENERAL", "general")
    for n in range(USERS):
        slack.add_user(f"U{n:05d}", f"user{n}")
    return {
        **os.environ,
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.base_url,
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }


def ready(port: int, server: Any, slack: SlackStandIn, engine: Engine) -> None:
    """Wait until the bot on `port` serves and has filled its directory from `slack`, and lift
    its daily limit (which would turn most of the load into cheap refusals)."""
    wait_port(port, server)
    deadline = time.monotonic() + 20
    while not slack.calls_to("users.list") and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    with transaction(make_session_factory(engine)) as session:
        session.execute(update(Workspace).values(kudos_daily_limit=1_000_000))
    httpx.get(f"http://127.0.0.1:{port}/healthz")


def bot(backend: str, seconds: float, repeat: int = 1) -> Runs:
    """The real bot on `backend`, its directory filled, `repeat` times at every offered rate."""
    with database(backend) as url, SlackStandIn(bot_token=TOKEN) as slack:
        port = free_port()
        env = bot_env(url, slack, port)
        server = spawn(["-m", "app", "run", "--no-worker"], env=env)
        engine = make_engine(url, pool_size=1)
        try:
            ready(port, server, slack, engine)
            # The statistics autovacuum would keep of the kudos the earlier loads left.
            return _measure_all(port, seconds, repeat, lambda: settle(engine))
        finally:
            engine.dispose()
            server.terminate()
            server.wait(15)


def median_run(results: list[Result], *, by_rate: bool = False) -> Result:
    """The run whose p99 (or, `by_rate`, acks/s) is the median of `results` (lower middle one)."""
    ordered = sorted(results, key=lambda result: result.rps if by_rate else result.p99_ms)
    return ordered[(len(ordered) - 1) // 2]


def _row(label: str, load: str, results: list[Result], bare: Result) -> list[str]:
    # On one connection the figure is the rate (the median run by acks/s); open loop, the tail.
    closed = load == CLOSED
    result = median_run(results, by_rate=closed)
    ratio = result.rps / bare.rps if bare.rps >= 1 else None
    spread = [run.rps for run in results] if closed else [run.p99_ms for run in results]
    target = ""
    if closed and label in TARGETS:
        met = ratio is not None and ratio >= TARGETS[label]
        shown = f"{ratio:.3f}x" if ratio is not None else "collapsed"
        target = f"{shown} vs >= {TARGETS[label]:.2f}x: {'met' if met else 'not met'}"
    if label == "/kudos on PostgreSQL" and load == "200/s offered":
        target = f"p99 < 50 ms: {'met' if result.p99_ms < 50 else 'not met'}"
    return [
        label,
        load,
        f"{result.rps:,.0f}",
        f"{ratio:.2f}x" if ratio is not None else "baseline collapsed",
        f"{result.p50_ms:.1f}",
        f"{result.p99_ms:.1f}",
        f"{min(spread):,.0f}-{max(spread):,.0f} acks/s"
        if closed
        else f"{min(spread):.1f}-{max(spread):.1f} ms",
        str(result.errors),
        target,
    ]


def main() -> None:
    """Measure the baseline and the bot on both backends; print (or write) the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    apps: dict[str, Callable[[], Runs]] = {
        BASELINE: lambda: baseline("ack-only", args.seconds, args.repeat),
        "/kudos on SQLite": lambda: bot("sqlite", args.seconds, args.repeat),
        "/kudos on PostgreSQL": lambda: bot("postgresql", args.seconds, args.repeat),
    }
    runs: dict[str, Runs] = {}
    hosts: dict[str, float] = {}
    loads: dict[str, str] = {}
    for label, run in apps.items():
        hosts[label] = host_seconds()
        loads[label] = ", ".join(f"{value:.2f}" for value in os.getloadavg())
        runs[label] = run()
    bare = {
        load: median_run(results, by_rate=load == CLOSED)
        for load, results in runs[BASELINE].items()
    }
    rows = []
    for label, results in runs.items():
        for load in LOADS:
            rows.append(_row(label, load, results[load], bare[load]))
        print(rows[-len(LOADS) :], flush=True)
    yardstick = ", ".join(
        f"{label} {seconds:.2f} s (load average {loads[label]})" for label, seconds in hosts.items()
    )
    body = "\n".join(
        [
            f"Measured {datetime.now(UTC):%Y-%m-%d}. Baseline: the bare Bolt app in the mode we "
            "run "
            "(`process_before_response=True`, a `/kudos` listener that only acks), served by the "
            "bot's own stack (Starlette on uvicorn, same options, start-up objects frozen). "
            f"Every request a real kudos among {USERS} people (parse, directory guards, daily "
            "limit in the giver's zone, insert, two outbox rows, commit, ack). One connection in "
            f"a closed loop, then open loop on 32 connections; {args.seconds:g} s per cell after "
            "a 1 s warm-up. Server, load generator and database share 2 cores. Each cell was "
            f"measured {args.repeat} times, interleaved; shown is the run with the median acks/s "
            "(one connection) or the median p99 (open loop), with the range. Host yardstick (a "
            f"fixed Python loop, lower is faster) before each app: {yardstick}.",
            "",
            table(
                rows,
                [
                    "app",
                    "load",
                    "acks/s",
                    "vs baseline",
                    "p50 ms",
                    "p99 ms",
                    "range",
                    "errors",
                    "issue 21 target",
                ],
            ),
        ]
    )
    print(body)
    if args.write:
        write_section(str(README), "kudos-ack", body)


if __name__ == "__main__":
    main()
