"""Matching quality over the evaluation asks, and matching one ask against 10,000 offers in a
5,000-person workspace, on SQLite and PostgreSQL.

`python -m bench.matching [--write]`. Quality: precision and recall of who gets the DM over
`bench.matching_eval` (the same run as `tests/asks/test_matching.py`). Speed baseline in the same
run: the same number of primary-key look-ups of one member, the cheapest query the ack path makes.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine, text

from app.asks import matching
from app.directory.service import save_members
from app.offers.topics import normalize
from app.store.db import make_engine, make_session_factory, transaction
from app.store.models import Ask, Member, Offer
from app.workspaces.service import Identity, ensure_workspace
from bench import matching_eval
from bench.delivery import database
from bench.loadgen import table, write_section

README = Path(__file__).with_name("README.md")
PEOPLE = 5_000
OFFERS = 10_000
TOPICS = [f"topic{n}" for n in range(400)] + ["postgres", "kubernetes", "react", "python"]
ASKS = 200


def analyze(engine: Engine) -> None:
    """Give the planner statistics of the rows just loaded, as a database in service has them
    (PostgreSQL's autovacuum, the `PRAGMA optimize` each SQLite connection runs on opening)."""
    # Planned on the empty tables' statistics, PostgreSQL filtered every offer of the workspace
    # for the ask's topics instead of seeking them in the (team, topic) index.
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()


def run(backend: str) -> tuple[float, float, float]:
    """Median and p99 ms per matched ask, and the baseline ms per member look-up."""
    rng = random.Random(3)
    now = datetime(2026, 3, 2, tzinfo=UTC)
    with database(backend) as url:
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        with transaction(sessions) as session:
            ensure_workspace(session, Identity("T1", "Acme", "UBOT", "BBOT"), now)
            save_members(
                session, "T1", [{"id": f"U{n:05d}", "name": f"u{n}"} for n in range(PEOPLE)], now
            )
            pairs = set()
            while len(pairs) < OFFERS:
                pairs.add((f"U{rng.randrange(PEOPLE):05d}", normalize(rng.choice(TOPICS))))
            session.add_all(
                Offer(
                    team_id="T1",
                    user_id=u,
                    topic=t,
                    note="",
                    active=True,
                    created_at=now,
                    confirmed_at=now,
                )
                for u, t in pairs
            )
        analyze(engine)
        timings = []
        with sessions() as session:
            for n in range(ASKS):
                picked = rng.sample(TOPICS, 3)
                topics = [normalize(t) for t in picked]
                # An everyday ask: two topics in its words, one as a tag, and some filler.
                text = (
                    f"How do we handle {picked[0]} together with {picked[1]} on staging? "
                    f"Tried the runbook, step 3 fails, need it by Friday #{picked[2]}"
                )
                ask = Ask(
                    id=None,
                    team_id="T1",
                    asker_id=f"U{n:05d}",
                    text=text,
                    topics=topics,
                    origin_channel_id="C1",
                    status="open",
                    created_at=now,
                    updated_at=now,
                )
                started = time.perf_counter()
                matching.choose(session, ask, now)
                timings.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            for n in range(ASKS):
                session.get(Member, ("T1", f"U{n:05d}"))
                session.expunge_all()
            baseline = (time.perf_counter() - started) * 1000 / ASKS
        engine.dispose()
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.99) - 1], baseline


def quality(backend: str) -> matching_eval.Result:
    """Who gets the DM over the evaluation asks, on a fresh database of `backend`."""
    with database(backend) as url, matching_eval.seeded(url) as sessions:
        return matching_eval.evaluate(sessions)


def main() -> None:
    """Measure matching quality and time on both backends and print (or write) the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    scored = []
    for backend in ("sqlite", "postgresql"):
        result = quality(backend)
        scored.append(
            [
                backend,
                str(result.cases),
                str(result.expected),
                str(result.told),
                f"{result.precision:.3f}",
                f"{result.recall:.3f}",
                str(len(result.false_reasons)),
            ]
        )
        print(scored[-1], *result.misses, sep="\n", flush=True)
    rows = []
    for backend in ("sqlite", "postgresql"):
        median, p99, baseline = run(backend)
        rows.append(
            [backend, f"{median:.2f}", f"{p99:.2f}", f"{baseline:.3f}", f"{median / baseline:.0f}x"]
        )
        print(rows[-1], flush=True)
    body = "\n".join(
        [
            f"Quality, measured {date.today().isoformat()}: {len(matching_eval.CASES)} everyday "
            f"asks (`bench/matching_eval.py`) against {len(matching_eval.ROSTER)} people's offers, "
            "each created through the real `/ask` service (topics extracted, matched, DMs "
            "queued); precision and recall of who gets the DM, caps lifted. Targets: precision "
            ">= 0.95, recall >= 0.9 (asserted by `tests/asks/test_matching.py`).",
            "",
            table(
                scored,
                [
                    "backend",
                    "asks",
                    "people expected",
                    "people told",
                    "precision",
                    "recall",
                    "DMs naming a topic not offered",
                ],
            ),
            "",
            f"{OFFERS:,} active offers by {PEOPLE:,} people over {len(TOPICS)} topics; {ASKS} asks "
            "of 3 topics each (two in the words, one as a tag, among filler), matched (ranked, "
            "caps and rotation applied) one after another.",
            "",
            table(
                rows,
                [
                    "backend",
                    "median ms per ask",
                    "p99 ms",
                    "baseline ms (one member get)",
                    "median vs baseline",
                ],
            ),
        ]
    )
    print(body)
    if args.write:
        write_section(str(README), "matching", body)


if __name__ == "__main__":
    main()
