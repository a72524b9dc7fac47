"""The ask coach over 200,000 resolved asks, on SQLite and PostgreSQL: speed and relevance.

`python -m bench.coach [--scale 1.0] [--write]`. Per backend, two histories loaded from the same
seed (bench/coach_corpus.py): 2,000 resolved asks and 200,000 (times `--scale`), 5% of them in
private channels and 5% in another workspace. On each:

- relevance: every evaluation ask of bench/matching_eval.py is given to the coach; a hit is a
  suggestion on the ask's topic among the 3 shown. Scored for the coach (the full-text index over
  the whole history) and for the coach before it (tf-idf in Python over the latest 500, kept
  below as `tfidf_similar`), on the same data.
- speed: every evaluation ask and each of its prefixes at a word boundary (what the form sends
  while it is typed), median and p99 ms per coach query, against one primary-key read of an ask
  in the same run (the baseline) and against the tf-idf coach.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from app.asks import coach
from app.asks.coach import Similar
from app.asks.topics import FILLER
from app.offers.topics import normalize
from app.store.db import SessionFactory, make_engine, make_session_factory, transaction
from app.store.models import Ask
from app.store.statuses import AskStatus
from app.workspaces.service import Identity, ensure_workspace
from bench.coach_corpus import LABELS, ask_text
from bench.delivery import database
from bench.loadgen import table, write_section

README = Path(__file__).with_name("README.md")
SMALL = 2_000
BIG = 200_000
NOW = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
RECENT = 500
BEFORE = "before: tf-idf over the latest 500"
Coach = Callable[[Session, str, str], list[Similar]]


def _typed_words(text_: str) -> Counter[str]:
    """The coach's words before the full-text index (verbatim)."""
    words = (normalize(w) for w in coach._WORD.findall(re.sub(r"<[^>]*>", " ", text_)))
    return Counter(w for w in words if w and w not in FILLER)


def tfidf_similar(session: Session, team_id: str, text: str, limit: int = 3) -> list[Similar]:
    """The coach before the full-text index (verbatim): tf-idf over the latest 500 resolved
    public asks, cosine >= 0.2."""
    asks = list(
        session.execute(
            select(Ask.id, Ask.text, Ask.channel_id, Ask.message_ts)
            .where(
                Ask.team_id == team_id,
                Ask.status == AskStatus.RESOLVED,
                Ask.channel_is_private.is_(False),
                Ask.message_ts.is_not(None),
            )
            .order_by(Ask.resolved_at.desc())
            .limit(RECENT)
        )
    )
    if not asks:
        return []
    documents = [_typed_words(row.text) for row in asks]
    frequency: Counter[str] = Counter()
    for words in documents:
        frequency.update(set(words))
    total = len(documents) + 1

    def vector(words: Counter[str]) -> dict[str, float]:
        return {w: n * math.log(total / (1 + frequency[w])) + n for w, n in words.items()}

    query = vector(_typed_words(text))
    query_norm = math.sqrt(sum(v * v for v in query.values())) or 1.0
    found = []
    for row, words in zip(asks, documents, strict=True):
        candidate = vector(words)
        dot = sum(value * candidate.get(word, 0.0) for word, value in query.items())
        norm = math.sqrt(sum(v * v for v in candidate.values())) or 1.0
        score = dot / (query_norm * norm)
        if score >= coach.THRESHOLD:
            found.append(Similar(row.id, row.text, row.channel_id, row.message_ts, score))
    return sorted(found, key=lambda s: -s.score)[:limit]


def _load(url: str, count: int) -> dict[str, tuple[str, str]]:
    """Load `count` resolved asks; each one's message ts → (its topic, "ok" or why it must
    never be suggested to T1)."""
    rng = random.Random(21)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    start = NOW - timedelta(days=730)
    with transaction(sessions) as session:
        for team in ("T1", "T2"):
            ensure_workspace(session, Identity(team, team, "UBOT", "BBOT"), start)
    truth: dict[str, tuple[str, str]] = {}
    rows = []
    for n in range(count):
        text_, topic = ask_text(rng)
        elsewhere = rng.random() < 0.05
        private = rng.random() < 0.05
        ts = f"{1_700_000_000 + n}.000100"
        truth[ts] = (topic, "other workspace" if elsewhere else "private" if private else "ok")
        at = start + timedelta(days=730) * (n / count)
        rows.append(
            {
                "team_id": "T2" if elsewhere else "T1",
                "asker_id": f"U{rng.randrange(2_000):05d}",
                "text": text_,
                "topics": [],
                "origin_channel_id": "C1",
                "channel_id": "C1",
                "channel_is_private": private,
                "message_ts": ts,
                "status": AskStatus.RESOLVED,
                "created_at": at - timedelta(hours=2),
                "updated_at": at,
                "resolved_at": at,
                "nudge_round": 0,
            }
        )
    for first in range(0, len(rows), 5_000):
        with transaction(sessions) as session:
            session.execute(insert(Ask), rows[first : first + 5_000])
    with engine.connect() as connection:
        # What autovacuum (PostgreSQL) or `PRAGMA optimize` on connect (SQLite) do in service.
        connection.execute(text("ANALYZE"))
        connection.commit()
    engine.dispose()
    return truth


def _queries() -> list[str]:
    """The evaluation asks, each also as typed: every prefix ending at a word that has a word
    the coach searches for (the others are answered without a query)."""
    typed = []
    for ask in LABELS:
        words = ask.split()
        typed += [" ".join(words[:n]) for n in range(1, len(words) + 1)]
    return [query for query in typed if coach._words(query)]


def _relevance(sessions: SessionFactory, find: Coach, truth: dict[str, tuple[str, str]]) -> dict:
    """Hits in the top 3 over the labelled evaluation asks, and what else was shown."""
    hits = labelled = shown = on_topic = idle_shown = leaks = 0
    for ask, topics in LABELS.items():
        with sessions() as session:
            found = find(session, "T1", ask)
        shown_topics = [truth[s.message_ts] for s in found]
        leaks += sum(1 for _, why in shown_topics if why != "ok")
        shown += len(found)
        on_topic += sum(1 for topic, _ in shown_topics if topic in topics)
        if topics:
            labelled += 1
            hits += any(topic in topics for topic, _ in shown_topics)
        else:
            idle_shown += len(found)
    return {
        "hit@3": hits / labelled,
        "hits": hits,
        "labelled": labelled,
        "shown": shown,
        "precision": on_topic / shown if shown else 1.0,
        "unlabelled shown": idle_shown,
        "leaks": leaks,
    }


def _timed(sessions: SessionFactory, call: Callable[[Session, str], object], inputs: list[str]):
    """Milliseconds per call of `call` on each input, each in its own session, after a warm-up."""
    for item in inputs[:20]:
        with sessions() as session:
            call(session, item)
    times = []
    for item in inputs:
        with sessions() as session:
            started = time.perf_counter()
            call(session, item)
            times.append((time.perf_counter() - started) * 1000)
    return times


def _summary(times: list[float]) -> tuple[float, float]:
    """Median and p99 of `times`."""
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def measure(backend: str, count: int, rounds: int) -> dict:
    """Relevance and speed of both coaches over `count` resolved asks on `backend`."""
    with database(backend) as url:
        loaded = time.perf_counter()
        truth = _load(url, count)
        loaded = time.perf_counter() - loaded
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        queries = _queries() * rounds
        rng = random.Random(5)
        with sessions() as session:
            ids = list(session.scalars(select(Ask.id).limit(5_000)))
        keys = [str(rng.choice(ids)) for _ in queries]
        result = {
            "asks": count,
            "load s": loaded,
            "queries": len(queries),
            "index": _relevance(sessions, coach.similar, truth),
            "tfidf": _relevance(sessions, tfidf_similar, truth),
            "baseline ms": _summary(
                _timed(
                    sessions,
                    lambda s, key: s.execute(select(Ask.text).where(Ask.id == int(key))).one(),
                    keys,
                )
            ),
            "index ms": _summary(_timed(sessions, lambda s, q: coach.similar(s, "T1", q), queries)),
            "tfidf ms": _summary(
                _timed(sessions, lambda s, q: tfidf_similar(s, "T1", q), _queries())
            ),
        }
        engine.dispose()
    return result


def main() -> None:
    """Measure both backends; print (or write) the tables."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of 200,000 asks")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the timed queries")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    big = max(SMALL, int(BIG * args.scale))
    load_before = os.getloadavg()[0]
    speed, quality = [], []
    for backend in args.backend or ["sqlite", "postgresql"]:
        for count in (SMALL, big):
            found = measure(backend, count, args.rounds)
            print(json.dumps({"backend": backend, **found}), flush=True)
            base = found["baseline ms"][0]
            for label, key in (("full-text index", "index"), (BEFORE, "tfidf")):
                median, p99 = found[f"{key} ms"]
                speed.append(
                    [
                        backend,
                        f"{count:,}",
                        label,
                        f"{median:.2f}",
                        f"{p99:.2f}",
                        f"{median / base:.0f}x",
                    ]
                )
                score = found[key]
                quality.append(
                    [
                        backend,
                        f"{count:,}",
                        label,
                        f"{score['hits']}/{score['labelled']} ({score['hit@3']:.2f})",
                        f"{score['precision']:.2f} of {score['shown']}",
                        str(score["unlabelled shown"]),
                        str(score["leaks"]),
                    ]
                )
            speed.append(
                [
                    backend,
                    f"{count:,}",
                    "baseline: one ask by primary key",
                    f"{found['baseline ms'][0]:.3f}",
                    f"{found['baseline ms'][1]:.3f}",
                    "1x",
                ]
            )
    load = f"load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    body = "\n".join(
        [
            f"Measured {datetime.now(UTC):%Y-%m-%d} on this machine ({os.cpu_count()} cores, "
            f"{load}; PostgreSQL on the same machine), `python -m bench.coach`. "
            f"Resolved asks in one workspace over two years ({SMALL:,} and {big:,}; 5% in "
            "private channels, 5% in a second workspace), written on 60 topics by "
            "`bench/coach_corpus.py`. Relevance: the matching evaluation's 93 asks "
            "(`bench/matching_eval.py`), each labelled with the topic(s) an answer must be on "
            "(3 are about nothing in the history); a hit is a suggestion on the ask's topic "
            "among the 3 shown. Speed: those asks and every prefix of them ending at a word "
            f"(as typed into the form) with a word to search for ({len(_queries())} queries, "
            f"timed {args.rounds} times "
            "over for the index), each in a fresh session from the pool; the baseline is one "
            "ask read by primary key in the same run.",
            "",
            table(
                quality,
                [
                    "backend",
                    "resolved asks",
                    "coach",
                    "on topic in top 3",
                    "suggestions on topic",
                    "suggestions for the 3 unanswerable asks",
                    "private or other workspace shown",
                ],
            ),
            "",
            table(
                speed,
                ["backend", "resolved asks", "coach", "median ms", "p99 ms", "vs baseline"],
            ),
        ]
    )
    print(body)
    if args.write:
        write_section(str(README), "coach", body)


if __name__ == "__main__":
    main()
