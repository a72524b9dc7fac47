"""`/kudos` end to end over HTTP (verify, parse, guards, store, queue, ack) against bare acks.

`python -m bench.kudos_ack [--seconds 5] [--write]`: the real bot (`reciprocity run --no-worker`,
so only the ack path is measured) on SQLite and PostgreSQL, and in the same run a bare Bolt app
that only acks (Bolt's defaults and dev server) and our stack acking with no work, each at 50, 200
and 500 requests/s offered.
"""

from __future__ import annotations

import argparse
import os
import time
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


def baseline(kind: str, seconds: float) -> dict[int, Result]:
    """A baseline app from bench.apps at every offered rate."""
    port = free_port()
    server = spawn(["-m", "bench.apps", kind, "--port", str(port)])
    try:
        wait_port(port, server)
        return {rate: measure(_load(port, rate, seconds)) for rate in RATES}
    finally:
        server.terminate()
        server.wait(10)


def bot(backend: str, seconds: float) -> dict[int, Result]:
    """The real bot on `backend`, its directory filled, at every offered rate."""
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
            return {rate: measure(_load(port, rate, seconds)) for rate in RATES}
        finally:
            engine.dispose()
            server.terminate()
            server.wait(15)


def main() -> None:
    """Measure the baselines and the bot on both backends; print (or write) the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    bare = baseline("bolt-dev", args.seconds)
    runs = {
        "bare Bolt app that only acks (baseline)": bare,
        "our stack, ack only": baseline("ack-only", args.seconds),
        "/kudos on SQLite": bot("sqlite", args.seconds),
        "/kudos on PostgreSQL": bot("postgresql", args.seconds),
    }
    rows = []
    for label, results in runs.items():
        for rate in RATES:
            result = results[rate]
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
                    str(result.errors),
                ]
            )
        print(rows[-3:], flush=True)
    body = "\n".join(
        [
            f"Open loop, {args.seconds:g} s per cell after a 1 s warm-up, 32 connections, "
            f"{USERS} people thanking each other (every request a real kudos: parse, directory "
            "guards, daily limit in the giver's zone, insert, two outbox rows, commit, ack). "
            "Server, load generator and database share 2 cores.",
            "",
            table(
                rows, ["app", "offered/s", "acks/s", "vs bare Bolt", "p50 ms", "p99 ms", "errors"]
            ),
        ]
    )
    print(body)
    if args.write:
        write_section(str(README), "kudos-ack", body)


if __name__ == "__main__":
    main()
