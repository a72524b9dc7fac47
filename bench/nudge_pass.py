"""The nudge pass over 100,000 open asks in a 5,000-person workspace, on SQLite and PostgreSQL.

`python -m bench.nudge_pass [--scale 1.0] [--write]`. Per backend: a pass with nothing due (the
steady state, every few minutes) and one with 1,000 asks due for their first round (the work),
over 100,000 open asks and, as baselines, over 1,000 open asks in all. The pass's cost should
follow the asks that are due, not the asks that are open.
"""

from __future__ import annotations

import argparse
import json
import random
import time
import tracemalloc
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, insert

from app.directory.service import save_members
from app.nudges.service import run_pass
from app.offers.topics import normalize
from app.store.db import make_engine, make_session_factory, transaction
from app.store.models import Ask, Offer, Workspace
from app.workspaces.service import Identity, ensure_workspace
from bench.delivery import database
from bench.loadgen import table, write_section
from bench.matching import analyze

README = Path(__file__).with_name("README.md")
PEOPLE = 5_000
OFFERS = 10_000
TOPICS = [normalize(f"topic{n}") for n in range(200)]
DUE = 1_000
# Monday 15:00 in New York: inside the askers' working hours, so due asks are acted on.
NOW = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)


def _load(url: str, open_asks: int, rng: random.Random) -> None:
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    then = NOW - timedelta(days=2)
    with transaction(sessions) as session:
        ensure_workspace(session, Identity("T1", "Acme", "UBOT", "BBOT"), then)
        session.get_one(Workspace, "T1").timezone = "America/New_York"
        people = [
            {"id": f"U{n:05d}", "name": f"u{n}", "tz": "America/New_York"} for n in range(PEOPLE)
        ]
        save_members(session, "T1", people, then)
        pairs: set[tuple[str, str]] = set()
        while len(pairs) < OFFERS:
            pairs.add((f"U{rng.randrange(PEOPLE):05d}", rng.choice(TOPICS)))
        session.execute(
            insert(Offer),
            [
                {
                    "team_id": "T1",
                    "user_id": u,
                    "topic": t,
                    "note": "",
                    "active": True,
                    "created_at": then,
                    "confirmed_at": then,
                }
                for u, t in pairs
            ],
        )
    rows = []
    for n in range(open_asks):
        due = n < DUE
        created = then if due else NOW - timedelta(minutes=30)
        rows.append(
            {
                "team_id": "T1",
                "asker_id": f"U{rng.randrange(PEOPLE):05d}",
                "text": "How do we do this well?",
                "topics": rng.sample(TOPICS, 2),
                "origin_channel_id": "C1",
                "channel_is_private": False,
                "status": "open",
                "created_at": created,
                "updated_at": created,
                "nudge_round": 0,
                # Due asks came due an hour ago; the rest in a few working hours.
                "next_nudge_at": NOW - timedelta(hours=1) if due else NOW + timedelta(hours=3),
            }
        )
    for start in range(0, len(rows), 5_000):
        with transaction(sessions) as session:
            session.execute(insert(Ask), rows[start : start + 5_000])
    analyze(engine)
    engine.dispose()


@dataclass(frozen=True)
class Pass:
    """One pass: seconds (untraced), peak MiB (a traced twin), asks examined, SQL statements."""

    seconds: float
    peak_mib: float
    examined: int
    statements: int


def _pass(url: str, now: datetime, *, traced: bool) -> tuple[float, float, int, int]:
    """Seconds, peak MiB (0 unless `traced`), asks examined and statements of a pass at `now`."""
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    statements = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    event.listen(engine, "before_cursor_execute", count)
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    result = run_pass(sessions, now)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if traced else 0.0
    tracemalloc.stop()
    engine.dispose()
    return seconds, peak, result.examined, statements


def _timed_and_traced(backend: str, open_asks: int, now: datetime, idle: bool) -> Pass:
    """Time a pass untraced, and take its peak memory from the same pass on an identical twin.

    tracemalloc slows allocation-heavy code several-fold, so it never runs in a timed pass. An
    idle pass changes nothing and is simply repeated; a working pass nudges its asks, so its twin
    runs on a second database loaded from the same seed.
    """
    with database(backend) as url:
        _load(url, open_asks, random.Random(7))
        seconds, _, examined, statements = _pass(url, now, traced=False)
        if idle:
            peak = _pass(url, now, traced=True)[1]
    if not idle:
        with database(backend) as url:
            _load(url, open_asks, random.Random(7))
            peak = _pass(url, now, traced=True)[1]
    return Pass(seconds, peak, examined, statements)


def measure(backend: str, open_asks: int) -> dict[str, Pass]:
    """The idle pass (nothing due) and the working pass (DUE asks due) over `open_asks` asks."""
    return {
        "idle": _timed_and_traced(backend, open_asks, NOW - timedelta(hours=2), idle=True),
        "work": _timed_and_traced(backend, open_asks, NOW, idle=False),
    }


def main() -> None:
    """Measure both backends; print (or write) the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of 100,000 open asks")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    big = max(DUE, int(100_000 * args.scale))
    rows = []
    for backend in ("sqlite", "postgresql"):
        small = measure(backend, DUE)
        large = measure(backend, big)
        # Each pass against its own kind among 1,000 open asks: working vs working, idle vs idle.
        for label, found, base in (
            (f"{DUE:,} open, {DUE:,} due (baseline)", small["work"], small["work"]),
            (f"{big:,} open, {DUE:,} due", large["work"], small["work"]),
            (f"{DUE:,} open, none due (idle baseline)", small["idle"], small["idle"]),
            (f"{big:,} open, none due", large["idle"], small["idle"]),
        ):
            per_ask = found.examined or 1
            rows.append(
                [
                    backend,
                    label,
                    f"{found.seconds * 1000:,.1f}",
                    f"{found.seconds * 1000 / per_ask:.2f}" if found.examined else "–",
                    f"{found.seconds / base.seconds:.2f}x",
                    f"{found.statements / per_ask:.1f}"
                    if found.examined
                    else str(found.statements),
                    f"{found.peak_mib:.1f}",
                ]
            )
            print(json.dumps(rows[-1]), flush=True)
    body = "\n".join(
        [
            f"One workspace of {PEOPLE:,} people (America/New_York) with {OFFERS:,} offers over "
            f"{len(TOPICS)} topics; open asks of 2 topics each, {DUE:,} of them due for their "
            "first round (each tells the next matching people, caps and rotation applied). "
            "A pass at a time when nothing is due is the steady state. Ratios: the working pass "
            f"against the same {DUE:,} due asks among {DUE:,} open, the idle pass against the idle "
            f"pass among {DUE:,} open; same backend, same run. Timed passes run without "
            "tracemalloc; peak (Python objects only) is from the same pass run again on an "
            "identical database.",
            "",
            table(
                rows,
                [
                    "backend",
                    "asks",
                    "pass ms",
                    "ms per due ask",
                    "vs baseline",
                    "SQL per due ask (idle: per pass)",
                    "peak MiB",
                ],
            ),
        ]
    )
    print(body)
    if args.write:
        write_section(str(README), "nudge-pass", body)


if __name__ == "__main__":
    main()
