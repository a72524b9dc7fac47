"""The weekly digest (compose + render) for one workspace: does its cost follow the week or history?

`python -m bench.digest [--scale 1.0] [--runs 5] [--write] [--same-as TREE]`; PostgreSQL via
`BENCH_PG_URL`. `--same-as /work/main` also checks, on each database, that this tree's posted
digest (text and blocks, with and without quotes, the week and the week so far) is byte-identical
to what the code in TREE posts.
One workspace of 5,000 people in teams of 50 and 10,000 events in the digest week (kudos, asks
with credited help, answers and claims, offers), over 1,000,000 kudos and 200,000 asks of
history; baseline in the same run: the same week over 10,000 rows of history. `--scale 0.05`
runs a small version in well under a minute. Rows are bulk-loaded (COPY on PostgreSQL, one
executemany per table on SQLite), then ANALYZEd, as a long-lived database would be.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, event, text

from app.digest.blocks import digest_blocks
from app.digest.compose import compose_digest
from app.digest.planner import plan_as_short_reads
from app.digest.weeks import iso_week_bounds
from app.directory.service import save_members
from app.store.db import make_engine, make_session_factory, transaction
from app.store.models import Workspace
from app.workspaces.service import Identity, ensure_workspace
from bench.delivery import database
from bench.in_service import settle
from bench.loadgen import table, write_section

README = Path(__file__).with_name("README.md")
TEAM = "T1"
TZ = ZoneInfo("Europe/Berlin")
WEEK = "2026-W44"
START, END = iso_week_bounds(WEEK, TZ)
NOW = END + timedelta(hours=9)
HISTORY_DAYS = 4 * 365
TEAM_SIZE = 50
TOPICS = [f"topic{n}" for n in range(400)]


@dataclass(frozen=True)
class Shape:
    """How many rows of each kind one database gets."""

    people: int
    history_kudos: int
    history_asks: int
    week_kudos: int
    week_asks: int
    week_offers: int
    old_offers: int
    # How far back the history reaches (`bench.insights` also reads a history cut to a year).
    history_days: int = HISTORY_DAYS

    @property
    def week_events(self) -> int:
        """Rows written by the digest week itself (credit rows not counted)."""
        return self.week_kudos + self.week_asks + self.week_offers


def shapes(scale: float) -> tuple[Shape, Shape]:
    """The baseline (10,000 rows of history) and the full history, both scaled by `scale`."""

    def n(value: int) -> int:
        return max(1, round(value * scale))

    people = max(2 * TEAM_SIZE, n(5_000))
    week = {"week_kudos": n(6_500), "week_asks": n(2_500), "week_offers": n(1_000)}
    small = Shape(people, n(8_333), n(1_667), **week, old_offers=n(2_000))
    big = Shape(people, n(1_000_000), n(200_000), **week, old_offers=n(2_000))
    return small, big


# -- data --------------------------------------------------------------------------------------


class People:
    """Members grouped in teams: most thanks and help stay inside a team, some cross over."""

    def __init__(self, count: int, rng: random.Random) -> None:
        self.ids = [f"U{n:06d}" for n in range(count)]
        self.rng = rng

    def one(self) -> str:
        return self.rng.choice(self.ids)

    def near(self, person: str, k: int = 1) -> list[str]:
        """`k` distinct others, 80% from `person`'s team."""
        index = int(person[1:])
        chosen: list[str] = []
        while len(chosen) < k:
            if self.rng.random() < 0.8:
                base = index - index % TEAM_SIZE
                other = self.ids[min(len(self.ids) - 1, base + self.rng.randrange(TEAM_SIZE))]
            else:
                other = self.one()
            if other != person and other not in chosen:
                chosen.append(other)
        return chosen


@dataclass
class Rows:
    """Rows per table, in load order, with ids assigned."""

    kudos: list[tuple[Any, ...]]
    recipients: list[tuple[Any, ...]]
    asks: list[tuple[Any, ...]]
    helpers: list[tuple[Any, ...]]
    offers: list[tuple[Any, ...]]


KUDOS_COLS = (
    "id",
    "team_id",
    "giver_id",
    "channel_id",
    "channel_is_private",
    "message",
    "values",
    "source",
    "created_at",
    "undone_at",
)
RECIPIENT_COLS = ("kudos_id", "recipient_id", "team_id", "giver_id")
ASK_COLS = (
    "id",
    "team_id",
    "asker_id",
    "text",
    "topics",
    "origin_channel_id",
    "channel_is_private",
    "channel_id",
    "message_ts",
    "status",
    "created_at",
    "updated_at",
    "claimed_at",
    "claimed_by",
    "answered_at",
    "answered_by",
    "resolved_at",
    "nudge_round",
)
HELPER_COLS = ("ask_id", "helper_id", "team_id", "credited_at", "asker_id")
OFFER_COLS = (
    "team_id",
    "user_id",
    "topic",
    "note",
    "active",
    "created_at",
    "confirmed_at",
)


class Generator:
    """Makes deterministic rows for one shape: history first, then the week."""

    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        self.rng = random.Random(7)
        self.people = People(shape.people, self.rng)
        self.rows = Rows([], [], [], [], [])
        self.kudos_id = 0
        self.ask_id = 0
        self.offered: set[tuple[str, str]] = set()

    def build(self) -> Rows:
        first = START - timedelta(days=self.shape.history_days)
        span = (START - first).total_seconds()
        # In time order, as a live workspace writes them: PostgreSQL's planner weighs how well a
        # table's order follows its time columns when choosing between an index and a scan.
        for offset in sorted(self.rng.random() * span for _ in range(self.shape.history_kudos)):
            self.kudos(first + timedelta(seconds=offset))
        for offset in sorted(self.rng.random() * span for _ in range(self.shape.history_asks)):
            self.ask(first + timedelta(seconds=offset), old=True)
        self.offers(first, self.shape.old_offers)
        week = (END - START).total_seconds()

        def in_week() -> datetime:
            return START + timedelta(seconds=self.rng.random() * week)

        for _ in range(self.shape.week_kudos):
            self.kudos(in_week())
        for _ in range(self.shape.week_asks):
            self.ask(in_week(), old=False)
        for _ in range(self.shape.week_offers):
            self.offers(in_week(), 1)
        return self.rows

    def kudos(self, at: datetime) -> None:
        self.kudos_id += 1
        giver = self.people.one()
        count = self.rng.choices((1, 2, 3), (70, 20, 10))[0]
        private = self.rng.random() < 0.1
        undone = at + timedelta(minutes=2) if self.rng.random() < 0.02 else None
        message = f"thanks for the help with {self.rng.choice(TOPICS)} " + "and more " * 5
        self.rows.kudos.append(
            (
                self.kudos_id,
                TEAM,
                giver,
                "D1" if private else "C1",
                private,
                message,
                "[]",
                "command",
                at,
                undone,
            )
        )
        self.rows.recipients += [
            (self.kudos_id, r, TEAM, giver) for r in self.people.near(giver, count)
        ]

    def ask(self, at: datetime, *, old: bool) -> None:
        self.ask_id += 1
        asker = self.people.one()
        private = self.rng.random() < 0.15
        topics = self.rng.sample(TOPICS, 2)
        fate = self.rng.random()
        later = at + timedelta(hours=self.rng.uniform(1, 40))
        if not old:
            later = min(later, END - timedelta(seconds=1))
        status, claimed, answered, resolved = "open", None, None, None
        helper = self.people.near(asker)[0]
        resolve_share = 0.8 if old else 0.45
        if fate < resolve_share:
            status, answered, resolved = "resolved", later, later
        elif fate < resolve_share + 0.1:
            status = "closed"
        elif fate < resolve_share + 0.17:
            status, answered = "answered", later
        elif fate < resolve_share + 0.22:
            status, claimed = "claimed", later
        self.rows.asks.append(
            (
                self.ask_id,
                TEAM,
                asker,
                f"How do I fix {topics[0]} with {topics[1]}? #{topics[0]} " + "details " * 10,
                json.dumps(topics),
                "G1" if private else "C1",
                private,
                None if private else "C1",
                None if private else f"1700000000.{self.ask_id:06d}",
                status,
                at,
                later,
                claimed,
                helper if claimed else None,
                answered,
                helper if answered else None,
                resolved,
                0,
            )
        )
        if resolved is not None:
            self.rows.helpers.append((self.ask_id, helper, TEAM, resolved, asker))

    def offers(self, at: datetime, count: int) -> None:
        # (team, user, topic) is unique: a repeated draw is skipped, whenever it was first made.
        for _ in range(count):
            key = (self.people.one(), self.rng.choice(TOPICS))
            if key not in self.offered:
                self.offered.add(key)
                self.rows.offers.append((TEAM, *key, "", True, at, at))


# -- loading -----------------------------------------------------------------------------------


def _sqlite_value(value: Any) -> Any:
    # SQLAlchemy's SQLite DATETIME text form; the digest's range comparisons depend on it.
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def _pg_value(value: Any) -> Any:
    return value.astimezone(UTC).replace(tzinfo=None) if isinstance(value, datetime) else value


def load(
    engine: Engine, name: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> None:
    """Bulk-insert `rows` into table `name`: COPY on PostgreSQL, executemany on SQLite."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        quoted = ", ".join(f'"{c}"' for c in columns)
        if engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY {name} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([_pg_value(v) for v in row])
        else:
            marks = ", ".join("?" for _ in columns)
            cursor.execute("BEGIN")
            # sqlite3 takes any iterable here; a generator keeps a million rows out of memory.
            cursor.executemany(
                f"INSERT INTO {name} ({quoted}) VALUES ({marks})",  # noqa: S608 (our own names)
                ([_sqlite_value(v) for v in row] for row in rows),  # type: ignore[arg-type]
            )
        raw.commit()
    finally:
        raw.close()


def populate(engine: Engine, shape: Shape) -> float:
    """Fill a migrated database with `shape`'s rows; return the seconds it took."""
    started = time.perf_counter()
    sessions = make_session_factory(engine)
    with transaction(sessions) as session:
        identity = Identity(TEAM, "Acme", "UBOT", "BBOT", domain="acme")
        ensure_workspace(session, identity, START - timedelta(days=HISTORY_DAYS + 1))
        session.get_one(Workspace, TEAM).timezone = TZ.key
        users = [{"id": f"U{n:06d}", "name": f"person{n}"} for n in range(shape.people)]
        save_members(session, TEAM, users, START)
    rows = Generator(shape).build()
    load(engine, "kudos", KUDOS_COLS, rows.kudos)
    load(engine, "kudos_recipients", RECIPIENT_COLS, rows.recipients)
    load(engine, "asks", ASK_COLS, rows.asks)
    load(engine, "ask_helpers", HELPER_COLS, rows.helpers)
    load(engine, "offers", OFFER_COLS, rows.offers)
    analyze(engine)
    return time.perf_counter() - started


def analyze(engine: Engine) -> None:
    """Refresh planner statistics, as autovacuum (PostgreSQL) or `ANALYZE` (SQLite) would."""
    if engine.dialect.name == "postgresql":
        settle(engine)
    else:
        # Loaded in bulk, past the bot's connections: their `PRAGMA optimize` has not seen it.
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")


# -- measuring ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """Median and spread of compose + render, its median CPU time (this process and the
    PostgreSQL server processes serving it), peak traced memory, and what the digest held."""

    median_ms: float
    best_ms: float
    worst_ms: float
    cpu_ms: float | None
    peak_mib: float
    helpers: int
    connections: int
    blocks: int
    slowest: list[tuple[str, float, str]]


def once(engine: Engine) -> tuple[int, int, int]:
    """Compose and render the week once in a fresh session; return what it found."""
    with make_session_factory(engine)() as session:
        digest = compose_digest(session, TEAM, START, END, now=NOW)
        _, blocks = digest_blocks(digest)
    return digest.helper_count, digest.connection_count, len(blocks)


def measure(engine: Engine, runs: int) -> Figures:
    """Time `runs` digests (after a warm-up), then one more under tracemalloc and one profiled."""
    found = once(engine)
    servers = server_processes(engine)
    timings, cpu = [], []
    for _ in range(runs):
        gc.collect()
        started, used = time.perf_counter(), cpu_seconds(servers)
        once(engine)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((cpu_seconds(servers) - used) * 1000)
    tracemalloc.start()
    once(engine)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return Figures(
        statistics.median(timings),
        min(timings),
        max(timings),
        statistics.median(cpu) if servers is not None else None,
        peak / 2**20,
        *found,
        slowest=profile(engine),
    )


def server_processes(engine: Engine) -> list[int] | None:
    """The PostgreSQL backends of `engine`'s pool (none on SQLite, whose work is in-process), or
    None when their CPU cannot be read (a server on another host)."""
    if engine.dialect.name != "postgresql":
        return []
    with engine.connect() as connection:
        pids = list(
            connection.scalars(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    " AND backend_type = 'client backend'"
                )
            )
        )
    readable = all(Path(f"/proc/{pid}/schedstat").exists() for pid in pids)
    return pids if readable else None


def cpu_seconds(servers: list[int] | None) -> float:
    """CPU time used so far by this process and by the `servers` processes.

    On a machine shared with other work, CPU time follows the digest's own cost where wall time
    also counts the time it waited for a core.
    """
    used = time.process_time()
    for pid in servers or []:
        # schedstat's first field: nanoseconds on a CPU (finer than /proc/<pid>/stat's ticks).
        used += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
    return used


def profile(engine: Engine) -> list[tuple[str, float, str]]:
    """The slowest SQL statements of one digest: first 70 characters, milliseconds, plan access."""
    spent: dict[str, float] = {}
    sample: dict[str, tuple[str, Any]] = {}
    marks: list[float] = []

    def before(*_: Any) -> None:
        marks.append(time.perf_counter())

    def after(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        key = " ".join(statement.split())[:70]
        spent[key] = spent.get(key, 0.0) + (time.perf_counter() - marks.pop()) * 1000
        sample.setdefault(key, (statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        once(engine)
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    slowest = sorted(spent.items(), key=lambda item: -item[1])[:4]
    return [(key, ms, access(engine, *sample[key])) for key, ms in slowest]


_INDEX = re.compile(r"\b(?:ix|pk|sqlite_autoindex)_\w+")
_SCAN = re.compile(r"(?:Seq Scan on|^SCAN) (\w+)")


def access(engine: Engine, statement: str, parameters: Any) -> str:
    """How the planner reaches the tables for `statement`: the indexes it uses, full scans."""
    sqlite = engine.dialect.name == "sqlite"
    prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (COSTS OFF) "
    with engine.connect() as connection:
        plan_as_short_reads(connection)  # the settings the digest plans its statements under
        lines = [
            str(row[-1] if sqlite else row[0]).strip()
            for row in connection.exec_driver_sql(prefix + statement, parameters)
        ]
    found = [m for line in lines for m in _INDEX.findall(line)]
    found += [f"full scan of {m}" for line in lines for m in _SCAN.findall(line)]
    return ", ".join(dict.fromkeys(found)) or "no table"


@dataclass(frozen=True)
class Result:
    """One table row: backend, history, setup time and figures."""

    backend: str
    history: str
    setup_s: float
    figures: Figures
    # Whether it posts byte-identically to the `--same-as` tree (None: not compared).
    same: bool | None = None


# What a tree's code posts for the bench's week on one database, as one line of JSON: run in a
# separate interpreter on that tree's code, so it uses only what both trees have.
POSTED = """
import json, sys
from datetime import datetime, timedelta
from app.digest.blocks import digest_blocks
from app.digest.compose import compose_digest
from app.store.db import make_engine, make_session_factory
url, team, start, end, now = sys.argv[1:]
start, end, now = (datetime.fromisoformat(t) for t in (start, end, now))
engine = make_engine(url, pool_size=1)
posted = []
for at in (now, start + timedelta(days=3, hours=5)):
    with make_session_factory(engine)() as session:
        digest = compose_digest(session, team, start, end, now=at)
    plain = digest_blocks(digest.without_quotes())
    posted += [digest_blocks(digest), digest.quoted_channels(), plain]
engine.dispose()
print(json.dumps(posted, sort_keys=True))
"""


def posted(tree: str, url: str) -> str:
    """What the code in `tree` posts for the bench's week on the database at `url`."""
    args = [sys.executable, "-c", POSTED, url, TEAM, *(t.isoformat() for t in (START, END, NOW))]
    env = {**os.environ, "PYTHONPATH": tree}
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=True, cwd=tree)
    return done.stdout


def run(backend: str, shape: Shape, runs: int, same_as: str | None) -> Iterator[Result]:
    """Measure one database of `shape`; with `same_as`, compare what that tree posts."""
    history = f"{shape.history_kudos:,} kudos + {shape.history_asks:,} asks"
    with database(backend) as url:
        engine = make_engine(url, pool_size=2)
        setup = populate(engine, shape)
        figures = measure(engine, runs)
        engine.dispose()
        same = None
        if same_as is not None:
            same = posted(same_as, url) == posted(str(Path(__file__).parent.parent), url)
        yield Result(backend, history, setup, figures, same)


def main() -> None:
    """Measure both backends at both history sizes and print (or write) the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--same-as", help="a tree whose posted digest must be identical")
    args = parser.parse_args()
    small, big = shapes(args.scale)
    rows: list[list[str]] = []
    notes: list[str] = []
    for backend in args.backends.split(","):
        baseline: float | None = None
        cpu_baseline: float | None = None
        for shape in (small, big):
            for result in run(backend, shape, args.runs, args.same_as):
                f = result.figures
                baseline = baseline or f.median_ms
                cpu_baseline = cpu_baseline or f.cpu_ms
                rows.append(_row(result, baseline, cpu_baseline))
                notes.append(_slowest(result))
                print(rows[-1], flush=True)
                print(notes[-1], flush=True)
    body = _body(small, big, args, rows, notes)
    print(body)
    if args.write:
        write_section(str(README), "digest", body)


def _row(result: Result, baseline: float, cpu_baseline: float | None) -> list[str]:
    f = result.figures
    ratio = f.median_ms / baseline
    return [
        result.backend,
        result.history + (" (baseline)" if ratio == 1.0 else ""),
        f"{f.median_ms:.0f}",
        f"{f.best_ms:.0f}–{f.worst_ms:.0f}",
        f"{ratio:.2f}x",
        "–" if f.cpu_ms is None else f"{f.cpu_ms:.0f}",
        "–" if f.cpu_ms is None or not cpu_baseline else f"{f.cpu_ms / cpu_baseline:.2f}x",
        f"{f.peak_mib:.1f}",
        f"{f.helpers:,} / {f.connections:,} / {f.blocks}",
        f"{result.setup_s:.0f}",
    ]


def _slowest(result: Result) -> str:
    top = "; ".join(
        f"`{sql[:48]}…` {ms:.0f} ms ({plan})" for sql, ms, plan in result.figures.slowest[:3]
    )
    same = {
        None: "",
        True: "; posts identically to the compared tree",
        False: "; POSTS DIFFERENTLY",
    }
    return f"- {result.backend}, {result.history}: {top}{same[result.same]}"


def _body(
    small: Shape, big: Shape, args: argparse.Namespace, rows: list[list[str]], notes: list[str]
) -> str:
    scale = "" if args.scale == 1.0 else f" (`--scale {args.scale}`)"
    return "\n".join(
        [
            f"One workspace of {big.people:,} people (teams of {TEAM_SIZE}), week {WEEK} in "
            f"{TZ.key}{scale}: {big.week_events:,} events in the week ({big.week_kudos:,} kudos, "
            f"{big.week_asks:,} asks with their credit, answers and claims, "
            f"{big.week_offers:,} offers). Compose + render, median of {args.runs} runs after a "
            "warm-up, each in a fresh session; CPU is this process's and, on PostgreSQL, its "
            "server processes' (read from /proc), the cost itself where wall time also counts "
            "waiting for a core on a shared machine; peak is tracemalloc's (Python objects only). "
            "Ratios are against the same week over "
            f"{small.history_kudos + small.history_asks:,} rows of history, same backend, "
            "same run.",
            "",
            table(
                rows,
                [
                    "backend",
                    "history",
                    "median ms",
                    "range ms",
                    "vs baseline",
                    "CPU ms",
                    "CPU vs baseline",
                    "peak MiB",
                    "helpers / new pairs / blocks",
                    "setup s",
                ],
            ),
            "",
            "Slowest statements of one digest (time inside `execute`; SQLite does much of its "
            "work while rows are fetched, so its figures undercount), with the indexes and full "
            "scans their plans use (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL):",
            "",
            *notes,
        ]
    )


if __name__ == "__main__":
    main()
