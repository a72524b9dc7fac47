"""The insights pages' data over a small and a big history: does a page's cost follow history?

`python -m bench.insights [--scale 1.0] [--runs 5] [--keep DIR] [--write]`; PostgreSQL via
`BENCH_PG_URL`. The workspaces are the digest bench's (`bench.digest`: 5,000 people, the digest
week's 10,000 events, over 10,000 rows of history or over 1,000,000 kudos and 200,000 asks), read
as of the digest bench's `now` (the Monday after its week). Each page is any callable of a
`Session` (`PAGES`), timed in a fresh session per run after a warm-up; ratios are against the
same page over the small history, same backend, same run. Target (issue #20): each page under
300 ms and under 2x its small-history time, on SQLite and PostgreSQL.

`--keep DIR` keeps the populated databases (SQLite files in DIR, PostgreSQL databases named
`bench_insights_*`) and reuses them on the next run, migrated to the newest schema first:
populating the big history takes minutes per backend.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from app.insights.exports import csv_export
from app.insights.model import HelpNetwork, Overview, Topics
from app.insights.network import help_network
from app.insights.overview import overview
from app.insights.people import people
from app.insights.periods import last_weeks
from app.insights.planner import index_reads
from app.insights.topics import topics
from app.site import insight_pages
from app.site.visitors import Visitor
from app.store import migrate
from app.store.db import make_engine, make_session_factory
from app.store.models import Kudos
from bench.delivery import PG_ADMIN, database
from bench.digest import (
    _INDEX,
    _SCAN,
    NOW,
    TEAM,
    TZ,
    Shape,
    cpu_seconds,
    populate,
    server_processes,
    shapes,
)
from bench.loadgen import table, write_section

README = Path(__file__).with_name("README.md")
TARGET_MS = 300.0
TARGET_RATIO = 2.0
# The big history's last year: whether a page's cost follows the history outside its period.
RECENT_DAYS = 53 * 7

# A page: what one request does, given a fresh session: its data alone, or the whole page as
# the site draws it (`app.site.insight_pages`: the data, the view and the HTML).
Page = Callable[[Session], object]

# An admin (the people page and the CSV are theirs), in the bench workspace's zone.
VISITOR = Visitor(
    team_id=TEAM,
    team_name="Bench",
    user_id="UBENCHADMIN",
    name="bench",
    is_admin=True,
    csrf_token="bench-csrf-token-bench-csrf-token-bench-csrf",
    expires_at=NOW + timedelta(hours=8),
    tz=TZ,
)


# As many people as the help-network picture draws (the web page's network).
PICTURE_PEOPLE = 120


def _network(weeks: int, most: int | None = None) -> Page:
    def read(session: Session) -> object:
        period = last_weeks(session, TEAM, weeks, NOW)
        return help_network(session, TEAM, period.start, period.end, most=most)

    return read


def _default_period(read: Callable[[Session, Any], object]) -> Page:
    def page(session: Session) -> object:
        return read(session, last_weeks(session, TEAM, 12, NOW))

    return page


PAGES: dict[str, Page] = {
    "overview": lambda session: overview(session, TEAM, NOW),
    "network all, 4 weeks": _network(4),
    "network all, 12 weeks": _network(12),
    "network all, 52 weeks": _network(52),
    f"network top {PICTURE_PEOPLE}, 4 weeks": _network(4, PICTURE_PEOPLE),
    f"network top {PICTURE_PEOPLE}, 12 weeks": _network(12, PICTURE_PEOPLE),
    f"network top {PICTURE_PEOPLE}, 52 weeks": _network(52, PICTURE_PEOPLE),
    "topics 12 weeks": _default_period(lambda s, p: topics(s, TEAM, p)),
    "people 12 weeks": _default_period(lambda s, p: people(s, TEAM, p, NOW)),
    "CSV helpers 12 weeks": _default_period(lambda s, p: csv_export(s, TEAM, "helpers", p, NOW)),
    "whole page: overview": lambda s: insight_pages.overview_page(s, VISITOR, NOW),
    "whole page: network 12 weeks": lambda s: insight_pages.network_page(s, VISITOR, NOW, 12),
    "whole page: network 52 weeks": lambda s: insight_pages.network_page(s, VISITOR, NOW, 52),
    "whole page: network.svg 12 weeks": lambda s: insight_pages.network_picture(
        s, VISITOR, NOW, 12
    ),
    "whole page: topics 12 weeks": lambda s: insight_pages.topics_page(s, VISITOR, NOW, 12),
    "whole page: people 12 weeks": lambda s: insight_pages.people_page(s, VISITOR, NOW, 12),
    "whole page: CSV network 12 weeks": lambda s: insight_pages.csv_download(
        s, VISITOR, NOW, "network", 12
    ),
}


@dataclass(frozen=True)
class Timing:
    """Median and spread of one page's time, and how its statements reach the tables."""

    median_ms: float
    best_ms: float
    worst_ms: float
    # This process's CPU and, on PostgreSQL, its server processes': less disturbed by load.
    cpu_ms: float | None
    plans: list[str]
    found: str


def time_page(engine: Engine, page: Page, runs: int) -> Timing:
    """Time `runs` reads of `page` (after a warm-up), each in a fresh session."""
    sessions = make_session_factory(engine)
    with sessions() as session:
        found = describe(page(session))
    servers = server_processes(engine)
    timings, cpu = [], []
    for _ in range(runs):
        gc.collect()
        with sessions() as session:
            started, used = time.perf_counter(), cpu_seconds(servers)
            page(session)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((cpu_seconds(servers) - used) * 1000)
    return Timing(
        statistics.median(timings),
        min(timings),
        max(timings),
        statistics.median(cpu) if servers is not None else None,
        plans(engine, page),
        found,
    )


def describe(result: object) -> str:
    """How much a page holds, where its size follows the period's rows."""
    if isinstance(result, HelpNetwork):
        if len(result.people) == result.people_total:
            return f"{len(result.people):,} people, {len(result.links):,} links"
        return (
            f"{len(result.people):,} of {result.people_total:,} people, "
            f"{len(result.links):,} of {result.links_total:,} links"
        )
    if isinstance(result, Overview):
        asks = sum(week.asks_posted for week in result.weeks)
        kudos = sum(week.kudos_given for week in result.weeks)
        return f"{kudos:,} kudos, {asks:,} asks"
    if isinstance(result, Topics):
        return f"{len(result.rows):,} topics"
    return ""


def plans(engine: Engine, page: Page) -> list[str]:
    """Each statement `page` runs (its first 50 characters) with the indexes and full scans its
    plan uses (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL), planned under the same
    settings as the page (`app.insights.planner`)."""
    seen: dict[str, tuple[str, Any]] = {}

    def after(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        key = " ".join(statement.split())[:50]
        if key.startswith("SELECT") and "set_config" not in key and "current_setting" not in key:
            seen.setdefault(key, (statement, parameters))

    event.listen(engine, "after_cursor_execute", after)
    try:
        with make_session_factory(engine)() as session:
            page(session)
    finally:
        event.remove(engine, "after_cursor_execute", after)
    sqlite = engine.dialect.name == "sqlite"
    prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (COSTS OFF) "
    found = []
    with make_session_factory(engine)() as session, index_reads(session):
        for key, (statement, parameters) in seen.items():
            rows = session.connection().exec_driver_sql(prefix + statement, parameters)
            lines = [str(row[-1] if sqlite else row[0]).strip() for row in rows]
            used = [m for line in lines for m in _INDEX.findall(line)]
            used += [f"full scan of {m}" for line in lines for m in _SCAN.findall(line)]
            found.append(f"`{key}…` ({', '.join(dict.fromkeys(used)) or 'no table'})")
    return found


@contextmanager
def kept(backend: str, shape: Shape, scale: float, folder: Path) -> Iterator[str]:
    """A populated database of `shape` that outlives the run (`--keep`), made on first use."""
    label = re.sub(r"\W", "_", f"{_name(shape, scale)}_{scale:g}")
    if backend == "sqlite":
        folder.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{folder / f'insights_{label}.db'}"
    else:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        name = f"bench_insights_{label}"
        with admin.connect() as connection:
            if not connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ):
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = admin.url.set(database=name).render_as_string(hide_password=False)
        admin.dispose()
    migrate.upgrade(url)
    engine = make_engine(url, pool_size=1)
    with engine.connect() as connection:
        filled = connection.scalar(select(func.count()).select_from(Kudos))
    if not filled:
        populate(engine, shape)
    engine.dispose()
    yield url


def recent(big: Shape) -> Shape:
    """`big` cut to its last `RECENT_DAYS`: the same rows in every period a page reads (52 weeks
    and the week after them at most), and no older history."""
    share = RECENT_DAYS / big.history_days
    return replace(
        big,
        history_kudos=round(big.history_kudos * share),
        history_asks=round(big.history_asks * share),
        history_days=RECENT_DAYS,
    )


def _name(shape: Shape, scale: float) -> str:
    if shape.history_days == RECENT_DAYS:
        return "recent"
    return "big" if shape.history_kudos >= 100_000 * scale else "small"


def measure(
    backend: str, shape: Shape, runs: int, keep: Path | None, scale: float
) -> dict[str, Timing]:
    """Time every page on one database of `shape`."""
    opened = kept(backend, shape, scale, keep) if keep else database(backend)
    with opened as url:
        engine = make_engine(url, pool_size=2)
        if keep is None:
            populate(engine, shape)
        found = {name: time_page(engine, page, runs) for name, page in PAGES.items()}
        engine.dispose()
    return found


def main() -> None:
    """Measure every page on both backends at both history sizes; print (or write) the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--keep", type=Path, help="keep and reuse the databases in this folder")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    small, big = shapes(args.scale)
    rows: list[list[str]] = []
    notes: list[str] = []
    for backend in args.backends.split(","):
        base = measure(backend, small, args.runs, args.keep, args.scale)
        year = measure(backend, recent(big), args.runs, args.keep, args.scale)
        full = measure(backend, big, args.runs, args.keep, args.scale)
        for name in PAGES:
            rows.append(_row(backend, name, base[name], full[name], year[name]))
            print(" | ".join(rows[-1]), flush=True)
            notes.append(f"- {backend}, {name}, big history: " + "; ".join(full[name].plans))
    body = _body(small, big, args, rows, notes)
    print(body)
    if args.write:
        write_section(str(README), "insights", body)


def _row(backend: str, name: str, small: Timing, big: Timing, year: Timing) -> list[str]:
    ratio = big.median_ms / small.median_ms
    met = big.median_ms < TARGET_MS and ratio < TARGET_RATIO
    cpu = "–"
    if big.cpu_ms is not None and small.cpu_ms:
        cpu = f"{small.cpu_ms:.0f} / {big.cpu_ms:.0f} ({big.cpu_ms / small.cpu_ms:.2f}x)"
    return [
        backend,
        name,
        f"{small.median_ms:.0f}",
        f"{big.median_ms:.0f}",
        f"{big.best_ms:.0f}–{big.worst_ms:.0f}",
        f"{ratio:.2f}x",
        f"{year.median_ms:.0f}",
        f"{big.median_ms / year.median_ms:.2f}x",
        cpu,
        " → ".join(f for f in (small.found, big.found) if f) or "–",
        "yes" if met else "no",
    ]


def _body(
    small: Shape, big: Shape, args: argparse.Namespace, rows: list[list[str]], notes: list[str]
) -> str:
    scale = "" if args.scale == 1.0 else f" (`--scale {args.scale}`)"
    load = os.getloadavg()[0]
    return "\n".join(
        [
            f"The digest bench's workspace{scale}: {big.people:,} people, its week's "
            f"{big.week_events:,} events, over {small.history_kudos + small.history_asks:,} "
            f"rows of history (small) or {big.history_kudos:,} kudos + "
            f"{big.history_asks:,} asks (big), read as of {NOW:%Y-%m-%d %H:%M} UTC. Median of "
            f"{args.runs} runs after a warm-up, each in a fresh session; load average "
            f"{load:.1f} at the end of the run. Target: under {TARGET_MS:.0f} ms and under "
            f'{TARGET_RATIO:.0f}x the small history. "Last year only" is the big history '
            f"cut to its last {RECENT_DAYS} days (the same rows inside every period a page "
            "reads, and nothing older): big vs last year only is what history outside the "
            "period costs.",
            "",
            table(
                rows,
                [
                    "backend",
                    "page",
                    "small ms",
                    "big ms",
                    "big range ms",
                    "big vs small",
                    "last year only ms",
                    "big vs last year only",
                    "CPU ms small / big",
                    "what it read: small → big",
                    "target met",
                ],
            ),
            "",
            "Statements of each page over the big history, with the indexes and full scans "
            "their plans use:",
            "",
            *notes,
        ]
    )


if __name__ == "__main__":
    main()
