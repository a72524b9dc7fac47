"""The scheduled introductions pass over a small and a big history, on SQLite and PostgreSQL.

`python -m bench.intro_pass [--scale 1.0] [--runs 3] [--write] [--explain]`. The question: does
the pass cost follow what is due, not the size of the history? Per backend:

- an idle pass (nothing due: the steady state, every few minutes) over a small history and over
  a big one (200,000 asks by 5,000 people over 200 topics, 20,000 introductions in every state,
  past suggestions, 10,000 offers), and each of its three steps alone;
- a pass with work: 200 introductions due to expire and 200 due for their follow-up (400
  people), against the idle pass of the same history.

Both histories are the newest part of one generated stream (asks, introductions and suggestions
at a steady rate, newest first), so the small one is the big one's last week and the recent
asks the suggestion step reads are the same rows in both; only the older history differs. A
first pass (untimed) makes this week's suggestions, as the first pass of a week would; the idle
passes after it make none. Working passes change the database, so each runs on a fresh copy.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import sqlite3
import statistics
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import create_engine, event, insert, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from app.directory.service import save_members
from app.intros import shared_topics
from app.intros.follow_ups import BATCH as FOLLOW_UP_BATCH
from app.intros.passes import STEPS, run_pass
from app.intros.shared_topics import PASS_ASKS
from app.offers.topics import normalize
from app.store.db import make_engine, make_session_factory, transaction
from app.store.models import (
    Ask,
    Introduction,
    IntroPerson,
    IntroSuggestion,
    Member,
    Offer,
    Workspace,
)
from app.store.statuses import AskStatus, IntroAnswer, IntroStatus
from app.workspaces.service import Identity, ensure_workspace
from bench.delivery import PG_ADMIN, database
from bench.digest import access, analyze
from bench.loadgen import table, write_section

README = Path(__file__).with_name("README.md")
TEAM = "T1"
PEOPLE = 5_000
OFFERS = 10_000
TOPICS = [normalize(f"topic{n}") for n in range(200)]
INTERESTS = 3
BIG_ASKS = 200_000
# The small history holds enough asks that the newest the suggestion step reads (at most
# PASS_ASKS public ones) are all in it: both histories give it the same rows, and differ only in
# what lies behind them.
SMALL_ASKS = PASS_ASKS * 5 // 4
ASKS_PER_WEEK = 2_000
INTROS_PER_WEEK = 200
# Past suggestions, all older than 30 days (the first pass makes this week's).
SUGGESTIONS_PER_WEEK = 100
# The working pass: introductions due to expire, and connected ones due for their follow-up.
DUE_EXPIRY = 200
DUE_FOLLOW_UP = 200
WEEK = timedelta(weeks=1)
# Monday 20:00 UTC. The first pass runs 3 hours before, the idle passes 2 hours before (nothing
# is due then: the due rows come due 1 hour before NOW), the working pass at NOW.
NOW = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
SETTLE_AT = NOW - timedelta(hours=3)
IDLE_AT = NOW - timedelta(hours=2)
NEWEST = SETTLE_AT - timedelta(hours=1)
BATCH_ROWS = 5_000


@dataclass(frozen=True)
class Shape:
    """One history: how many asks, and the weeks they span at the steady rate."""

    asks: int

    @property
    def weeks(self) -> float:
        return self.asks / ASKS_PER_WEEK

    @property
    def intros(self) -> int:
        return round(self.weeks * INTROS_PER_WEEK)

    @property
    def suggestions(self) -> int:
        # Past suggestions start 31 days back.
        return max(0, round((self.weeks - 31 / 7) * SUGGESTIONS_PER_WEEK))

    def label(self) -> str:
        return f"{self.asks:,} asks, {self.intros:,} intros"


# -- the history ---------------------------------------------------------------------------------


def _person(n: int) -> str:
    return f"U{n:05d}"


def _asks(count: int) -> Iterator[dict[str, Any]]:
    """The newest `count` asks of the stream, newest first: the same first rows at any count."""
    rng = random.Random(11)
    interests = [random.Random(n).sample(TOPICS, INTERESTS) for n in range(PEOPLE)]
    # Some people ask far more than others (weights 1/rank^0.6), about their own few topics,
    # so some of them keep asking about the same topic: what the suggestion step looks for.
    weights = [1 / (n + 1) ** 0.6 for n in range(PEOPLE)]
    cumulative = list(accumulate(weights))
    step = WEEK / ASKS_PER_WEEK
    for n in range(count):
        asker = rng.choices(range(PEOPLE), cum_weights=cumulative)[0]
        created = NEWEST - n * step
        roll = rng.random()
        status = (
            AskStatus.OPEN
            if created > NOW - timedelta(days=2)
            else AskStatus.DISCARDED
            if roll < 0.02
            else AskStatus.RESOLVED
            if roll < 0.7
            else AskStatus.CLOSED
        )
        yield {
            "team_id": TEAM,
            "asker_id": _person(asker),
            "text": "How do we do this well?",
            "topics": rng.sample(interests[asker], 2),
            "origin_channel_id": "C1",
            "channel_is_private": rng.random() < 0.1,
            "status": status,
            "created_at": created,
            "updated_at": created,
            "nudge_round": 0,
            "next_nudge_at": None,
        }


@dataclass
class _Intro:
    row: dict[str, Any]
    people: list[dict[str, Any]] = field(default_factory=list)


def _intro(
    rng: random.Random, created: datetime, status: str, connected: datetime | None = None
) -> _Intro:
    """One introduction created at `created`, in `status`, with its two people's answers."""
    connector, first, second = (_person(n) for n in rng.sample(range(PEOPLE), 3))
    expires = created + timedelta(days=7)
    ended = {
        IntroStatus.DECLINED: created + timedelta(days=1),
        IntroStatus.EXPIRED: expires,
    }.get(IntroStatus(status))
    row = {
        "team_id": TEAM,
        "connector_id": connector,
        "first_id": first,
        "second_id": second,
        "reason": "You both work on billing and should compare notes.",
        "channel_id": "C1",
        "channel_is_private": False,
        "source": "command",
        "status": status,
        "created_at": created,
        "expires_at": expires,
        "connected_at": connected,
        "ended_at": ended,
        "group_channel_id": "G1" if connected else None,
        "group_ts": "1.0" if connected else None,
    }
    answers: dict[str, tuple[str | None, str | None]] = {
        IntroStatus.WAITING: (None, None),
        IntroStatus.ACCEPTED: (IntroAnswer.ACCEPTED, None),
        IntroStatus.CONNECTED: (IntroAnswer.ACCEPTED, IntroAnswer.ACCEPTED),
        IntroStatus.DECLINED: (IntroAnswer.ACCEPTED, IntroAnswer.DECLINED),
        IntroStatus.EXPIRED: (IntroAnswer.ACCEPTED, None),
    }[IntroStatus(status)]
    intro = _Intro(row)
    for user, answer in zip((first, second), answers, strict=True):
        followed = None
        if connected is not None and connected <= NOW - timedelta(days=14):
            # Followed up on its day, except a few the scheduler missed long ago (too late now).
            missed = connected < NOW - timedelta(days=18) and rng.random() < 0.05
            followed = None if missed else min(connected + timedelta(days=14), NEWEST)
        intro.people.append(
            {
                "user_id": user,
                "team_id": TEAM,
                "answer": answer,
                "answered_at": created + timedelta(hours=1) if answer else None,
                "followed_up_at": followed,
            }
        )
    return intro


def _intros(count: int) -> Iterator[_Intro]:
    """The newest `count` introductions of the stream, newest first, in every state."""
    rng = random.Random(13)
    step = WEEK / INTROS_PER_WEEK
    for n in range(count):
        created = NEWEST - n * step
        roll = rng.random()
        connected = created + timedelta(hours=rng.uniform(1, 48))
        if created > NOW - timedelta(days=7):
            # Still open unless both answered (it expires 7 days after it was made).
            if roll < 0.5:
                yield _intro(rng, created, IntroStatus.WAITING)
            elif roll < 0.7:
                yield _intro(rng, created, IntroStatus.ACCEPTED)
            elif roll < 0.9 and connected < NEWEST:
                yield _intro(rng, created, IntroStatus.CONNECTED, connected)
            else:
                yield _intro(rng, created, IntroStatus.DECLINED)
        elif roll < 0.5:
            yield _intro(rng, created, IntroStatus.CONNECTED, connected)
        elif roll < 0.7:
            yield _intro(rng, created, IntroStatus.DECLINED)
        else:
            yield _intro(rng, created, IntroStatus.EXPIRED)


def _due() -> Iterator[_Intro]:
    """The work: introductions that come due to expire, and for their follow-up, an hour
    before NOW (after the idle passes' time)."""
    rng = random.Random(17)
    for _ in range(DUE_EXPIRY):
        yield _intro(rng, NOW - timedelta(days=7, hours=1), IntroStatus.WAITING)
    connected = NOW - timedelta(days=14, hours=1)
    for _ in range(DUE_FOLLOW_UP):
        intro = _intro(rng, connected - timedelta(days=1), IntroStatus.CONNECTED, connected)
        for person in intro.people:
            person["followed_up_at"] = None
        yield intro


def _suggestions(count: int) -> Iterator[dict[str, Any]]:
    """Past suggestions, newest (31 days ago) first."""
    rng = random.Random(19)
    seen: set[tuple[str, str, str]] = set()
    step = WEEK / SUGGESTIONS_PER_WEEK
    for n in range(count):
        to, first, second = (_person(p) for p in rng.sample(range(PEOPLE), 3))
        if (to, first, second) in seen:
            continue
        seen.add((to, first, second))
        created = NOW - timedelta(days=31) - n * step
        yield {
            "team_id": TEAM,
            "suggested_to": to,
            "first_id": first,
            "second_id": second,
            "kind": "shared_topic",
            "topic": rng.choice(TOPICS),
            "created_at": created,
            "answer": rng.choice(["introduced", "dismissed", None]),
            "answered_at": created + timedelta(hours=2),
        }


def _chunks(rows: Iterator[Any], size: int = BATCH_ROWS) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def load(url: str, shape: Shape) -> float:
    """Fill a migrated database with `shape`'s history and the due rows (bulk Core inserts, in
    batches); refresh planner statistics; return the seconds it took."""
    started = time.perf_counter()
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    then = NEWEST - shape.weeks * WEEK - timedelta(days=1)
    with transaction(sessions) as session:
        ensure_workspace(session, Identity(TEAM, "Acme", "UBOT", "BBOT"), then)
        session.get_one(Workspace, TEAM).intro_suggestions = True
        people = [{"id": _person(n), "name": f"u{n}", "tz": "UTC"} for n in range(PEOPLE)]
        save_members(session, TEAM, people, then)
        # A third of the people have opened their Home tab, so introductions refresh theirs.
        session.execute(
            update(Member)
            .where(
                Member.team_id == TEAM,
                Member.user_id.in_([_person(n) for n in range(0, PEOPLE, 3)]),
            )
            .values(home_opened_at=then)
        )
        rng = random.Random(7)
        pairs: set[tuple[str, str]] = set()
        while len(pairs) < OFFERS:
            pairs.add((_person(rng.randrange(PEOPLE)), rng.choice(TOPICS)))
        offers = [
            {
                "team_id": TEAM,
                "user_id": u,
                "topic": t,
                "note": "",
                "active": True,
                "created_at": then,
                "confirmed_at": then,
            }
            for u, t in sorted(pairs)
        ]
        session.execute(insert(Offer), offers)
    for chunk in _chunks(_asks(shape.asks)):
        with transaction(sessions) as session:
            session.execute(insert(Ask), chunk)
    intros = _chunks(iter([*_intros(shape.intros), *_due()]))
    for chunk in intros:
        with transaction(sessions) as session:
            ids = session.scalars(
                insert(Introduction).returning(Introduction.id, sort_by_parameter_order=True),
                [intro.row for intro in chunk],
            ).all()
            people = [
                {**person, "intro_id": intro_id}
                for intro_id, intro in zip(ids, chunk, strict=True)
                for person in intro.people
            ]
            session.execute(insert(IntroPerson), people)
    for chunk in _chunks(_suggestions(shape.suggestions)):
        with transaction(sessions) as session:
            session.execute(insert(IntroSuggestion), chunk)
    analyze(engine)
    engine.dispose()
    return time.perf_counter() - started


@contextmanager
def copy_of(backend: str, url: str) -> Iterator[str]:
    """A copy of the database at `url` (nobody connected to it), dropped afterwards."""
    if backend == "sqlite":
        source = make_url(url).database or ""
        target = source.replace(".db", f"-{time.monotonic_ns()}.db")
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        try:
            yield f"sqlite:///{target}"
        finally:
            Path(target).unlink(missing_ok=True)
        return
    name = f"{make_url(url).database}_c{time.monotonic_ns() % 10**6}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(url).database}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- measuring ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One timed pass: seconds, what it did by step, SQL statements, and each statement's time."""

    seconds: float
    done: dict[str, int]
    failed: list[str]
    statements: int
    by_statement: dict[str, tuple[int, float, str, Any]]


def timed_pass(url: str, now: datetime, steps: Sequence[tuple[str, Any]] = STEPS) -> Run:
    """Run the pass (or `steps` alone) at `now` on a warm connection and time it.

    The connection is opened before the clock starts: the pass's own cost, not a connect.
    """
    engine = make_engine(url, pool_size=1)
    sessions = make_session_factory(engine)
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    statements = 0
    by_statement: dict[str, tuple[int, float, str, Any]] = {}
    marks: list[float] = []

    def before(*_: Any) -> None:
        marks.append(time.perf_counter())

    def after(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        nonlocal statements
        statements += 1
        key = " ".join(statement.split())[:90]
        count, ms, _, _ = by_statement.get(key, (0, 0.0, statement, parameters))
        spent = (time.perf_counter() - marks.pop()) * 1000
        by_statement[key] = (count + 1, ms + spent, statement, parameters)

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    # A collection left over from loading or an earlier pass is not this pass's cost.
    gc.collect()
    started = time.perf_counter()
    result = run_pass(sessions, now, steps)
    seconds = time.perf_counter() - started
    engine.dispose()
    return Run(seconds, dict(result.done), result.failed, statements, by_statement)


def median_of(runs: Sequence[Run]) -> Run:
    """The run with the median time (an odd count), so its other figures belong to it."""
    return sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]


@dataclass
class Figures:
    """Everything measured over one history on one backend."""

    setup_s: float
    settle: Run
    idle: list[Run]
    steps: dict[str, list[Run]]
    work: list[Run]
    asks_read: int
    slowest: list[str]
    plans: list[str]


def rows_returned(url: str, statement: str, parameters: Any) -> int:
    """How many rows `statement` returns when run again now."""
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        found = len(connection.exec_driver_sql(statement, parameters).fetchall())
    engine.dispose()
    return found


def explain(url: str, statement: str, parameters: Any) -> str:
    """PostgreSQL's plan for `statement` as run, with actual rows and buffers."""
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        lines = connection.exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, parameters
        )
        plan = "\n".join(str(row[0]) for row in lines)
    engine.dispose()
    return plan


def measure(backend: str, shape: Shape, runs: int, with_plans: bool) -> Figures:
    """Load `shape`, settle it, then time idle passes, each step alone, and working passes."""
    with database(backend) as url:
        setup = load(url, shape)
        settle = timed_pass(url, SETTLE_AT)
        timed_pass(url, IDLE_AT)  # warm-up, untimed
        idle = [timed_pass(url, IDLE_AT) for _ in range(runs)]
        steps = {
            name: [timed_pass(url, IDLE_AT, [(name, step)]) for _ in range(runs)]
            for name, step in STEPS
        }
        suggest = median_of(steps["suggested"])
        asks = [v for k, v in suggest.by_statement.items() if "FROM asks" in k]
        asks_read = sum(rows_returned(url, sql, params) for _, _, sql, params in asks)
        slowest = sorted(median_of(idle).by_statement.items(), key=lambda kv: -kv[1][1])[:3]
        planner = make_engine(url, pool_size=1)
        notes = [
            f"`{key[:60]}…` ×{count}, {ms:.1f} ms ({access(planner, sql, params)})"
            for key, (count, ms, sql, params) in slowest
        ]
        planner.dispose()
        plans = (
            [f"{key}\n{explain(url, sql, params)}" for key, (_, _, sql, params) in slowest]
            if with_plans and backend == "postgresql"
            else []
        )
        work = []
        for _ in range(runs):
            with copy_of(backend, url) as copy:
                timed_pass(copy, IDLE_AT)  # warms the copy's caches as the idle runs were
                work.append(timed_pass(copy, NOW))
    return Figures(setup, settle, idle, steps, work, asks_read, notes, plans)


# -- reporting ------------------------------------------------------------------------------------


def _ms(run: Run) -> float:
    return run.seconds * 1000


def _spread(runs: Sequence[Run]) -> str:
    times = sorted(_ms(r) for r in runs)
    return f"{times[0]:,.1f}–{times[-1]:,.1f}"


def _done(run: Run) -> str:
    text_ = ", ".join(f"{n} {name}" for name, n in run.done.items() if n) or "nothing"
    return text_ + (f"; FAILED {', '.join(run.failed)}" if run.failed else "")


def rows_for(
    backend: str, small: Figures, big: Figures, shapes: tuple[Shape, Shape]
) -> list[list[str]]:
    """The table rows of one backend."""
    rows = []
    base = statistics.median(_ms(r) for r in small.idle)
    for shape, found in zip(shapes, (small, big), strict=True):
        ms = statistics.median(_ms(r) for r in found.idle)
        rows.append(
            [
                backend,
                f"idle pass, {shape.label()}" + (" (baseline)" if found is small else ""),
                f"{ms:,.1f}",
                _spread(found.idle),
                f"{ms / base:.2f}x",
                str(median_of(found.idle).statements),
                _done(median_of(found.idle)),
            ]
        )
    for name in small.steps:
        step_base = statistics.median(_ms(r) for r in small.steps[name])
        for shape, found in zip(shapes, (small, big), strict=True):
            ms = statistics.median(_ms(r) for r in found.steps[name])
            extra = f"; {found.asks_read:,} asks read" if name == "suggested" else ""
            rows.append(
                [
                    backend,
                    f"step “{name}” alone, idle, {shape.label()}",
                    f"{ms:,.1f}",
                    _spread(found.steps[name]),
                    f"{ms / step_base:.2f}x vs same step, small",
                    str(median_of(found.steps[name]).statements),
                    _done(median_of(found.steps[name])) + extra,
                ]
            )
    for shape, found in zip(shapes, (small, big), strict=True):
        idle = statistics.median(_ms(r) for r in found.idle)
        ms = statistics.median(_ms(r) for r in found.work)
        middle = median_of(found.work)
        idle_sql = median_of(found.idle).statements
        items = sum(middle.done.values()) or 1
        per = (ms - idle) / items
        rows.append(
            [
                backend,
                f"working pass, {shape.label()}",
                f"{ms:,.1f}",
                _spread(found.work),
                f"{ms / idle:.1f}x idle pass; per item {per:.2f} ms = {per / idle:.1%} of it",
                f"{middle.statements} ({(middle.statements - idle_sql) / items:.1f} per item)",
                _done(middle),
            ]
        )
    return rows


HEADER = ["backend", "pass", "median ms", "range ms", "ratio", "SQL statements", "did"]


def main() -> None:
    """Measure both backends over both histories; print (or write) the table."""
    # A workspace gets at most `PER_DAY` shared-topic suggestions a day; once the first pass
    # spent them, later passes that day stop at once. Lifted here, so the idle passes measure
    # what a pass costs when it must examine every pair (a workspace's first pass of a day).
    shared_topics.PER_DAY = 1_000_000
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the big history")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per figure (odd)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--explain", action="store_true", help="print PostgreSQL's plans")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    shapes = (Shape(SMALL_ASKS), Shape(max(SMALL_ASKS, int(BIG_ASKS * args.scale))))
    rows: list[list[str]] = []
    notes: list[str] = []
    for backend in args.backends.split(","):
        small, big = (measure(backend, s, args.runs, args.explain) for s in shapes)
        mine = rows_for(backend, small, big, shapes)
        rows += mine
        for shape, found in zip(shapes, (small, big), strict=True):
            notes.append(
                f"- {backend}, {shape.label()}: loaded in {found.setup_s:.0f} s; first pass "
                f"{_ms(found.settle):,.0f} ms ({_done(found.settle)}); slowest statements of "
                f"the idle pass: " + "; ".join(found.slowest)
            )
            for plan in found.plans:
                print(f"-- plan, {backend}, {shape.label()}: {plan}\n", flush=True)
        for row in mine:
            print(" | ".join(row), flush=True)
    body = _body(shapes, args, rows, notes)
    print(body)
    if args.write:
        write_section(str(README), "intro-pass", body)


def _body(
    shapes: tuple[Shape, Shape], args: argparse.Namespace, rows: list[list[str]], notes: list[str]
) -> str:
    small, big = shapes
    scale = "" if args.scale == 1.0 else f" --scale {args.scale}"
    return "\n".join(
        [
            f"Measured {date.today().isoformat()} on this machine ({os.cpu_count()} cores, Python "
            f"{platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}; PostgreSQL on "
            f"the same machine): `python -m bench.intro_pass{scale}`. One workspace of "
            f"{PEOPLE:,} people with {OFFERS:,} offers over {len(TOPICS)} topics. History at a "
            f"steady rate of {ASKS_PER_WEEK:,} asks (2 topics each, of the asker's "
            f"{INTERESTS}; some people ask far more than others), {INTROS_PER_WEEK} "
            f"introductions and {SUGGESTIONS_PER_WEEK} suggestions a week: the small history "
            f"is the big one's last {small.weeks:g} week(s), the big one "
            f"{big.weeks:g} weeks ({big.asks:,} asks, {big.intros:,} introductions in every "
            f"state, {big.suggestions:,} past suggestions). Both also hold {DUE_EXPIRY} "
            f"introductions that come due to expire and {DUE_FOLLOW_UP} connected ones that "
            f"come due for their follow-up ({2 * DUE_FOLLOW_UP} people) an hour before the "
            "working pass; the idle passes run before that. A first pass (untimed) makes "
            "this week's suggestions; idle passes after it make none. Median of "
            f"{args.runs} runs on a warm connection; working passes each on a fresh copy of "
            "the loaded database, warmed by one idle pass. Ratios: each idle figure against "
            "the same figure over the small history; the working pass against the idle pass "
            "over the same history, and its time above the idle pass per item done (an "
            "introduction expired or a person followed up; a pass follows up at most "
            f"{FOLLOW_UP_BATCH} people, so the other {2 * DUE_FOLLOW_UP - FOLLOW_UP_BATCH} wait "
            "for the next pass). SQL per item likewise counts the statements above the idle "
            "pass's. \"Asks read\": rows the step's asks query returned, run again after it.",
            "",
            table(rows, HEADER),
            "",
            *notes,
        ]
    )


if __name__ == "__main__":
    main()
