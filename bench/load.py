"""The whole bot under a realistic mix, over real HTTP, in multi-workspace OAuth mode.

`python -m bench.load [--seconds N] [--write]`: 50 workspaces of 100 people each install the bot
through the OAuth flow against the Slack stand-in, then signed requests arrive at a stepped rate:
60% `/kudos @someone …`, 20% `/ask …`, 10% `/offer topic`, 10% events (replies in ask threads,
`reaction_added`). Runs: SQLite with one process; PostgreSQL with one replica and with three (the
driver round-robins across them). Each step reports ack latency, the outbox drain after the load,
CPU per request of each replica and of PostgreSQL, and peak memory. Before the first step the
mix runs unmeasured for `SETTLING_SECONDS` (a bot in service has history), and before each step
PostgreSQL's statistics are refreshed as autovacuum keeps them in service (`bench.in_service`).

The cluster, the mix, its driver and the exactly-once check are in `bench.loadkit`, shared with
the fault tests (tests/faults).
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from app.store.models import OutboxMessage
from bench.in_service import settle
from bench.loadgen import Result, table, write_section
from bench.loadkit.cluster import Cluster
from bench.loadkit.driver import drive
from bench.loadkit.exactly_once import exactly_once_problems
from bench.loadkit.mix import MIX
from bench.loadkit.profiles import read, report

README = Path(__file__).with_name("README.md")
# Load at the first step's rate before any step, unmeasured: the history a bot in service has.
SETTLING_SECONDS = 5.0
_TICKS = os.sysconf("SC_CLK_TCK")


# -- measuring processes ---------------------------------------------------------------------


def _stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat: the command name, then the rest from the state on."""
    with open(f"/proc/{pid}/stat") as handle:
        raw = handle.read()
    # The command name may hold spaces; every field after it is a plain number.
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    return [name, *raw[raw.rindex(")") + 2 :].split()]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds process `pid` has used so far."""
    fields = _stat(pid)
    # After the name: state, ppid, …; utime and stime are the 14th and 15th fields of the file.
    return (int(fields[12]) + int(fields[13])) / _TICKS


def peak_rss_mib(pid: int) -> float:
    """The most resident memory process `pid` has held (VmHWM), in MiB."""
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def postgres_cpu_seconds() -> float:
    """CPU seconds used by this machine's `postgres` processes, exited backends included."""
    total = 0.0
    names: dict[int, tuple[str, list[str]]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = _stat(int(entry))
            except (FileNotFoundError, ProcessLookupError, ValueError):
                continue
            names[int(entry)] = (fields[0], fields)
    for _pid, (name, fields) in names.items():
        if name != "postgres":
            continue
        total += (int(fields[12]) + int(fields[13])) / _TICKS
        parent = names.get(int(fields[2]))
        if parent is None or parent[0] != "postgres":
            # The postmaster: its children's time (backends that have exited) counts too.
            total += (int(fields[14]) + int(fields[15])) / _TICKS
    return total


# -- the benchmark ---------------------------------------------------------------------------


@dataclass
class Step:
    """One offered rate on one cluster, measured from the load's start to the outbox drained."""

    rate: float
    result: Result
    requests: int
    backlog: int
    # Messages sent after the load stopped: 95% of them over the time they took, and when the
    # last one went (a retry's wait can make that much later).
    drain_rate: float
    drain_seconds: float
    retried: int
    cpu: list[float]
    pg_cpu: float
    problems: int

    @property
    def passed(self) -> bool:
        """Whether the step met the target: every request answered well, p99 under 300 ms."""
        return self.result.errors == 0 and self.result.p99_ms < 300


def measure_step(
    cluster: Cluster, rate: float, seconds: float, mix: tuple[float, float, float, float] = MIX
) -> Step:
    """Offer `rate` requests/s of `mix` for `seconds`, wait for the outbox to drain, and measure."""
    # The statistics autovacuum would have given the tables the setup and earlier steps grew.
    settle(cluster.engine)
    pids = cluster.pids()
    cpu_before = [cpu_seconds(pid) for pid in pids]
    pg_before = postgres_cpu_seconds() if cluster.backend == "postgresql" else 0.0
    run = drive(cluster, rate, seconds, mix=mix)
    stopped = datetime.now(UTC)
    counts = cluster.outbox_counts()
    backlog = counts.get("pending", 0) + counts.get("sending", 0)
    cluster.wait_drained(300)
    with cluster.engine.connect() as connection:
        sent = connection.execute(
            select(OutboxMessage.finished_at, OutboxMessage.attempts)
            .where(OutboxMessage.status == "sent", OutboxMessage.finished_at >= stopped)
            .order_by(OutboxMessage.finished_at)
        ).all()
    times = [(row.finished_at - stopped).total_seconds() for row in sent]
    most = times[int(0.95 * (len(times) - 1))] if times else 0.0
    drain_rate = 0.95 * len(times) / most if most > 0 else 0.0
    retried = sum(1 for row in sent if row.attempts > 1)
    cpu = [cpu_seconds(pid) - before for pid, before in zip(pids, cpu_before, strict=True)]
    pg_cpu = postgres_cpu_seconds() - pg_before if cluster.backend == "postgresql" else 0.0
    problems = exactly_once_problems(cluster, run.sent, drain_timeout=60)
    for problem in problems[:10]:
        print("  problem:", problem, flush=True)
    return Step(
        rate,
        run.result,
        len(run.sent),
        backlog,
        drain_rate,
        times[-1] if times else 0.0,
        retried,
        cpu,
        pg_cpu,
        len(problems),
    )


RUNS = (
    ("SQLite, 1 process", "sqlite", 1),
    ("PostgreSQL, 1 replica", "postgresql", 1),
    ("PostgreSQL, 3 replicas", "postgresql", 3),
)


def _per_process(values: Sequence[float], digits: int = 2) -> str:
    """One figure per process, in replica order."""
    return " / ".join(f"{v:.{digits}f}" for v in values)


def _drain(step: Step) -> str:
    """The drain rate, with the backlog it started from and when its last message went."""
    queued = f"{step.backlog} queued at stop, last after {step.drain_seconds:.0f} s"
    return f"{step.drain_rate:.0f} ({queued})"


def _cpu(step: Step, backend: str) -> tuple[str, str]:
    """CPU s per 1,000 requests of each replica, and PostgreSQL's CPU ms per request."""
    replicas = _per_process([c / step.requests * 1000 for c in step.cpu])
    database = f"{step.pg_cpu / step.requests * 1000:.1f}" if backend == "postgresql" else "–"
    return replicas, database


def main() -> None:
    """Step the offered rate up on each configuration; print (and optionally write) figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15.0, help="measured seconds per step")
    parser.add_argument("--rates", default="25,50,75,100,125,150,200,250,300")
    parser.add_argument("--workspaces", type=int, default=50)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--runs", default="0,1,2", help="which of the three runs (0,1,2)")
    parser.add_argument(
        "--mix",
        default=",".join(f"{share:g}" for share in MIX),
        help="shares of kudos, asks, offers and events (e.g. 0,1,0,0: asks only)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="run the replicas under cProfile (bench.loadkit.profiled), dumping into this folder, "
        "and print where their CPU went over the steps (the figures are then not comparable)",
    )
    parser.add_argument(
        "--every-step",
        action="store_true",
        help="go on past a step that missed (for CPU per request on a busy host)",
    )
    parser.add_argument(
        "--source",
        type=Path,
        help="run the bot of this checkout (e.g. an older commit's worktree) on this bench",
    )
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    kudos, ask, offer, event = (float(share) for share in args.mix.split(","))
    mix = (kudos, ask, offer, event)
    best_rows: list[list[str]] = []
    step_rows: list[list[str]] = []
    started = time.monotonic()
    for index in (int(i) for i in args.runs.split(",")):
        label, backend, replicas = RUNS[index]
        setup = time.monotonic()
        profile_dir = args.profile / f"run-{index}" if args.profile else None
        with Cluster(
            backend,
            replicas,
            args.workspaces,
            args.users,
            profile_dir=profile_dir,
            source=args.source,
        ) as cluster:
            # A bot in service has history: the first step starts from some, not from none.
            drive(cluster, rates[0], SETTLING_SECONDS, mix=mix)
            cluster.wait_drained(300)
            print(f"{label}: set up in {time.monotonic() - setup:.0f}s", flush=True)
            cluster.mark_profiles()
            steps: list[Step] = []
            for rate in rates:
                step = measure_step(cluster, rate, args.seconds, mix)
                steps.append(step)
                result = step.result
                cpu, database = _cpu(step, backend)
                print(
                    f"  {rate:g}/s: {result.rps:.1f} ok/s p50 {result.p50_ms:.1f} "
                    f"p99 {result.p99_ms:.1f} errors {result.errors} drain {_drain(step)} "
                    f"retried {step.retried} cpu {cpu} pg {database} problems {step.problems}",
                    flush=True,
                )
                step_rows.append(
                    [
                        label,
                        f"{rate:g}",
                        f"{result.rps:.0f}",
                        f"{result.p50_ms:.1f}",
                        f"{result.p99_ms:.0f}",
                        str(result.errors),
                        "yes" if step.passed else "no",
                        _drain(step),
                        cpu,
                        database,
                        str(step.problems),
                    ]
                )
                if not step.passed and not args.every_step:
                    break
            rss = [peak_rss_mib(pid) for pid in cluster.pids()]
            if profile_dir is not None:
                # Each replica dumps its profiles as it exits.
                for replica in range(replicas):
                    cluster.stop_replica(replica)
                requests = sum(s.requests for s in steps)
                breakdowns = [read(profile_dir / f"replica-{r}") for r in range(replicas)]
                print(f"{label}, profiled:\n{report(breakdowns, requests)}", flush=True)
        # The highest step met before the first miss (later ones may meet again by luck).
        passing = list(itertools.takewhile(lambda s: s.passed, steps))
        if not passing:
            best_rows.append([label, "none", *[""] * 8])
            continue
        best = passing[-1]
        cpu, database = _cpu(best, backend)
        overload = next((s for s in steps if not s.passed), None)
        best_rows.append(
            [
                label,
                f"{best.result.rps:.0f}",
                f"{best.result.p50_ms:.1f}",
                f"{best.result.p99_ms:.0f}",
                _drain(best),
                _drain(overload) if overload else "–",
                _per_process(rss, 0),
                cpu,
                database,
                str(sum(s.problems for s in steps)),
            ]
        )
    body = "\n".join(
        [
            f"Measured {datetime.now(UTC):%Y-%m-%d} on this machine (2 cores shared by the driver, "
            "the stand-in, PostgreSQL and the replicas): "
            f"{args.workspaces} workspaces × {args.users} people installed over OAuth; "
            f"{args.seconds:g} s per step after a 1 s warm-up; the stand-in enforces Slack's "
            "per-channel limit (5 channels per workspace). Total run "
            f"{(time.monotonic() - started) / 60:.1f} min.",
            "",
            table(
                best_rows,
                [
                    "run",
                    "sustained req/s",
                    "p50 ms",
                    "p99 ms",
                    "outbox drain msgs/s at that rate",
                    "drain after the first step that missed",
                    "peak RSS MiB per process",
                    "CPU s per 1,000 req per process",
                    "PostgreSQL CPU ms per req",
                    "exactly-once problems (all steps)",
                ],
            ),
            "",
            "Every step (a run stops at the first step that misses p99 < 300 ms or has an error):",
            "",
            table(
                step_rows,
                [
                    "run",
                    "offered/s",
                    "ok/s",
                    "p50 ms",
                    "p99 ms",
                    "errors",
                    "met",
                    "outbox drain msgs/s",
                    "CPU s per 1,000 req per process",
                    "PostgreSQL CPU ms per req",
                    "problems",
                ],
            ),
        ]
    )
    print(body)
    if args.write:
        write_section(str(README), "load", body)


if __name__ == "__main__":
    main()
