"""What binding a delivery round's arrays costs the bot: PostgreSQL's binary format against text.

`python -m bench.array_params [--rows 1,2,8,32] [--executions 2000] [--rounds 5] [--write]`: on a
fresh migrated PostgreSQL database (`BENCH_PG_URL`), the claim's write of a round's rows
(`claims._MOVE_ROWS`: one array per column, two of them timestamps) is executed `--executions`
times for rounds of each size in `--rows`, as the bot runs it (its arrays in binary, psycopg's
`%(name)b`) and with the same text's arrays sent as text (`%(name)s`, psycopg's choice for a
list, and the bot's until 2026-12-08), the two in turns, `--rounds` rounds.

Each figure is the median round's client CPU per execution (`time.thread_time`: psycopg adapting
the parameters, the protocol, the wait's system time), with Python calls per execution from
cProfile (they do not depend on the host's speed). The server's side is the same statement
either way and is not counted. Each execution runs by itself (no BEGIN or COMMIT, as the bot
runs a statement allowed alone) and writes the same rows the same values.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import os
import pstats
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, create_engine, insert
from sqlalchemy.pool import NullPool

from app.delivery import claims
from app.store.direct import DirectStatement
from app.store.models import OutboxMessage, Workspace
from app.store.statuses import OutboxStatus
from bench.delivery import PG_ADMIN, database
from bench.loadgen import table, write_section

README = Path(__file__).with_name("README.md")
OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]
NOW = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
PROFILED = 500
WORKSPACE = {"team_id": "T1", "name": "T1", "active": True, "installed_at": NOW, "timezone": "UTC"}


def as_text(statement: DirectStatement, connection: Connection) -> DirectStatement:
    """`statement` with its array parameters sent as text: the bot's compiled form but for the
    placeholders (a bench reaching into `DirectStatement`'s kept forms on purpose)."""
    dialect = connection.dialect
    form = statement._form(dialect)
    text = DirectStatement(statement._statement)
    text._forms[type(dialect)] = dataclasses.replace(form, sql=form.sql.replace(")b", ")s"))
    return text


def seed(connection: Connection, rows: int) -> list[int]:
    """`rows` pending outbox rows of workspace T1; their ids."""
    result = connection.execute(
        insert(OUTBOX).returning(OUTBOX.c.id),
        [
            {
                "team_id": "T1",
                "dedupe_key": f"bench:{rows}:{n}",
                "method": "chat.postMessage",
                "args": {"channel": f"C{n:08d}", "text": "thanks"},
                "status": OutboxStatus.PENDING,
                "attempts": 0,
                "created_at": NOW,
                "next_attempt_at": NOW,
            }
            for n in range(rows)
        ],
    )
    return sorted(row.id for row in result)


def parameters(ids: list[int]) -> dict[str, Any]:
    """A claim's write for rows `ids`: each leased to the worker, one put off with an error."""
    lease = NOW + timedelta(seconds=60)
    return {
        "b_id": ids,
        "b_status": [OutboxStatus.SENDING] * len(ids),
        "b_claimed_by": ["worker-bench"] * len(ids),
        "b_lease": [lease + timedelta(microseconds=n) for n in range(len(ids))],
        "b_attempts": [1] * len(ids),
        "b_next": [NOW + timedelta(seconds=n) for n in range(len(ids))],
        "b_error": [None] * (len(ids) - 1) + ["ratelimited"],
    }


def cpu_per_execution(run: Callable[[], None], executions: int) -> float:
    """This thread's CPU time per call of `run`, in microseconds."""
    start = time.thread_time()
    for _ in range(executions):
        run()
    return (time.thread_time() - start) / executions * 1e6


def calls_per_execution(run: Callable[[], None]) -> float:
    """Python calls per call of `run`, from cProfile."""
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(PROFILED):
        run()
    profile.disable()
    stats = pstats.Stats(profile)
    return sum(entry[1] for entry in stats.stats.values()) / PROFILED  # type: ignore[attr-defined]


def measure(url: str, sizes: list[int], executions: int, rounds: int) -> list[list[str]]:
    """One table row per round size: text and binary, CPU and calls per execution."""
    engine = create_engine(url, poolclass=NullPool)
    rows: list[list[str]] = []
    try:
        with engine.connect() as connection:
            binary = claims._MOVE_ROWS
            text = as_text(binary, connection)
            with connection.begin():
                connection.execute(insert(Workspace), WORKSPACE)
            for size in sizes:
                with connection.begin():
                    values = parameters(seed(connection, size))
                cpu: dict[str, list[float]] = {"binary": [], "text": []}
                calls: dict[str, float] = {}
                for _ in range(rounds):
                    for label, statement in (("text", text), ("binary", binary)):

                        def run(s: DirectStatement = statement, v: Any = values) -> None:
                            # By itself, as a statement allowed alone is: committed as it returns.
                            with connection.begin():
                                s.execute(connection, v, alone=True)

                        for _ in range(50):
                            run()
                        cpu[label].append(cpu_per_execution(run, executions))
                        if label not in calls:
                            calls[label] = calls_per_execution(run)
                t, b = statistics.median(cpu["text"]), statistics.median(cpu["binary"])
                rows.append(
                    [
                        str(size),
                        f"{t:.1f}",
                        f"{b:.1f}",
                        f"{b / t:.2f}x",
                        f"{calls['text']:.0f}",
                        f"{calls['binary']:.0f}",
                    ]
                )
    finally:
        engine.dispose()
    return rows


def main() -> None:
    """Measure, print, and with `--write` rewrite the README's section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1,2,8,32")
    parser.add_argument("--executions", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    sizes = [int(n) for n in args.rows.split(",")]
    with database("postgresql", os.environ.get("BENCH_PG_URL", PG_ADMIN)) as url:
        rows = measure(url, sizes, args.executions, args.rounds)
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    body = (
        f"Measured {datetime.now(UTC):%Y-%m-%d} (`python -m bench.array_params --rows {args.rows}"
        f" --executions {args.executions} --rounds {args.rounds}`; load average {load}). The "
        "claim's write of a round's rows (seven arrays, two of timestamps) on PostgreSQL: "
        "client CPU per execution (µs, median of the rounds, the two formats in turns) and "
        "Python calls per execution.\n\n"
        + table(
            rows,
            [
                "rows a round",
                "text µs",
                "binary µs",
                "binary vs text",
                "text calls",
                "binary calls",
            ],
        )
    )
    print(body)
    if args.write:
        write_section(str(README), "array-params", body)


if __name__ == "__main__":
    main()
