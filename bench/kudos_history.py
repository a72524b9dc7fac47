"""A kudos end to end on a database with a long history, against the same bot on a fresh one.

`python -m bench.kudos_history [--history 200000] [--kudos 2000] [--repeat 3] [--write]`: on
each backend, two bots (`reciprocity run`, as in `bench.kudos_e2e`, each with a stand-in of its
own): one on a fresh database, one on a database holding `--history` kudos of the past year (each
with its recipient) and twice as many sent outbox rows (each kudos's post and DM). The history is
loaded while its bot is up (so the workspace and the directory are the bot's own), then the
database's statistics are refreshed (SQLite `ANALYZE`, PostgreSQL `VACUUM ANALYZE`) and the bot
is restarted: its connections open on the grown, analysed file as a production bot's would after
a restart (SQLite's `PRAGMA optimize` then keeps those statistics). Both bots warm up, then take
`--kudos` on 4 connections in turns, fresh then grown, `--repeat` times; the grown bot's figures
are given as ratios of the fresh one's medians, measured in the same minutes.

What it guards: a statement whose plan turns bad once a planner knows the tables' real sizes (a
claim that read the whole outbox for the earliest lease, at 17,000 rows), and any read that
grows with the history instead of with what it answers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.pool import NullPool

from app.delivery.outbox import ENTRY_COLUMNS, entry
from app.store.models import Workspace
from bench.delivery import database
from bench.digest import KUDOS_COLS, RECIPIENT_COLS, analyze, load
from bench.kudos_e2e import (
    BURST,
    CHANNELS,
    PEOPLE,
    PER_SECOND,
    README,
    Bot,
    Run,
    _brief,
    channel,
    layout,
    person,
    run_bot,
)
from bench.loadgen import table, write_section

# What `outbox.entry` fills, and what a sent row has besides.
OUTBOX_COLUMNS = (*ENTRY_COLUMNS, "finished_at", "result_channel", "result_ts")
# The history ends a day before the bench starts: the givers' counts for today stay the bench's.
HISTORY_DAYS = 365


def _history(size: int, end: datetime) -> Iterator[tuple[int, datetime, int, int, int]]:
    """`size` kudos spread evenly over the year before `end`: (id, when, giver, recipient,
    channel), every person giving and receiving alike."""
    step = timedelta(days=HISTORY_DAYS) / size
    for n in range(size):
        giver = n % PEOPLE
        recipient = (giver + 1 + n // PEOPLE % (PEOPLE - 1)) % PEOPLE
        yield n + 1, end - step * (size - n), giver, recipient, n % CHANNELS


def _outbox_rows(team: str, size: int, end: datetime) -> Iterator[tuple[object, ...]]:
    """Each history kudos's post and DM, as `outbox.entry` queues them, then sent."""
    for kudos_id, at, _, recipient, where in _history(size, end):
        for kind, target in (("post", channel(where)), ("dm", person(recipient))):
            row = entry(
                team_id=team,
                method="chat.postMessage",
                args={"channel": target, "text": "thanks for the review"},
                dedupe_key=f"kudos:{kudos_id}:{kind}",
                now=at,
            )
            row.update(
                status="sent",
                attempts=1,
                finished_at=at + timedelta(seconds=1),
                result_channel=target,
                result_ts=f"{at.timestamp():.6f}",
            )
            # Written raw (`bench.digest.load`): JSON columns as their text.
            yield tuple(
                json.dumps(value) if isinstance(value, dict) else value
                for value in (row[name] for name in OUTBOX_COLUMNS)
            )


def grow(engine: Engine, size: int) -> float:
    """Load `size` kudos of history and their sent outbox rows into the bot's database, then
    refresh its statistics; return the seconds it took."""
    started = time.perf_counter()
    with engine.connect() as connection:
        team = connection.execute(select(Workspace.team_id)).scalar_one()
    end = datetime.now(UTC) - timedelta(days=1)
    load(
        engine,
        "kudos",
        KUDOS_COLS,
        (
            (kid, team, person(giver), channel(where), False, "thanks", "[]", "command", at, None)
            for kid, at, giver, _, where in _history(size, end)
        ),
    )
    load(
        engine,
        "kudos_recipients",
        RECIPIENT_COLS,
        (
            (kid, person(recipient), team, person(giver))
            for kid, _, giver, recipient, _ in _history(size, end)
        ),
    )
    load(engine, "outbox_messages", OUTBOX_COLUMNS, _outbox_rows(team, size, end))
    if engine.dialect.name == "postgresql":
        # Ids given explicitly leave the sequence behind; the bot's kudos draw from it.
        with engine.begin() as connection:
            connection.execute(
                text("SELECT setval(pg_get_serial_sequence('kudos', 'id'), max(id)) FROM kudos")
            )
    analyze(engine)
    return time.perf_counter() - started


@dataclass
class Pair:
    """One backend's runs: the fresh bot's and the grown bot's, and how long growing took."""

    fresh: list[Run]
    grown: list[Run]
    load_s: float


def measure(backend: str, history: int, kudos: int, repeat: int, source: str | None) -> Pair:
    """Start both bots (from checkout `source`, if given), grow one's database, then run them
    in turns."""
    # A bot of another checkout migrates its own database as it starts.
    migrated = source is None
    with (
        database(backend, migrated=migrated) as fresh_url,
        database(backend, migrated=migrated) as grown_url,
    ):
        bots: list[Bot] = []
        try:
            bots.append(Bot(backend, fresh_url, source))
            first = Bot(backend, grown_url, source)
            engine = create_engine(grown_url, poolclass=NullPool)
            try:
                load_s = grow(engine, history)
            finally:
                engine.dispose()
            first.close()
            print(f"{backend}: {history:,} kudos of history in {load_s:.1f} s", flush=True)
            bots.append(Bot(backend, grown_url, source))
            seq = 1
            for bot in bots:
                warm = layout(seq, PEOPLE, seed=0)
                seq += len(warm)
                run_bot(bot, warm, 4, None, "warm-up")
            runs: list[list[Run]] = [[], []]
            for index in range(repeat):
                for which, bot in enumerate(bots):
                    time.sleep(BURST / PER_SECOND + 1)
                    gives = layout(seq, kudos, seed=index + 1)
                    seq += kudos
                    runs[which].append(run_bot(bot, gives, 4, None, "4 connections"))
                    name = ("fresh", "grown")[which]
                    print(backend, name, _brief(runs[which][-1]), flush=True)
        finally:
            for bot in bots:
                bot.close()
    return Pair(runs[0], runs[1], load_s)


def _median(runs: Sequence[Run], pick: str) -> float:
    return statistics.median(float(getattr(run, pick)) for run in runs)


def _p(runs: Sequence[Run], index: int) -> float:
    return statistics.median(run.post_ms[index] for run in runs)


def report(
    pairs: dict[str, Pair], history: int, kudos: int, repeat: int, load: str, source: str | None
) -> str:
    """The Markdown section: each backend's fresh and grown figures, and their ratios."""
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    rows = []
    for backend, pair in pairs.items():
        delivered = _median(pair.grown, "delivered_per_s") / _median(pair.fresh, "delivered_per_s")
        for label, runs in (("fresh", pair.fresh), (f"{history:,} kudos", pair.grown)):
            rows.append(
                [
                    names[backend],
                    label,
                    f"{_median(runs, 'delivered_per_s'):.0f}",
                    f"{_median(runs, 'cpu_ms'):.2f}",
                    f"{_p(runs, 0):.0f} / {_p(runs, 1):.0f}",
                    ", ".join(f"{run.delivered_per_s:.0f}" for run in runs),
                ]
            )
        rows.append(
            [
                names[backend],
                "**grown / fresh**",
                f"**{delivered:.2f}x**",
                f"**{_median(pair.grown, 'cpu_ms') / _median(pair.fresh, 'cpu_ms'):.2f}x**",
                f"{_p(pair.grown, 1) / _p(pair.fresh, 1):.2f}x (p99)",
                f"history loaded and analysed in {pair.load_s:.0f} s",
            ]
        )
    header = [
        "backend",
        "database",
        "kudos fully delivered / s",
        "bot CPU ms / kudos",
        "request → post p50 / p99 ms",
        "runs (delivered / s)",
    ]
    command = f"python -m bench.kudos_history --history {history} --kudos {kudos} --repeat {repeat}"
    if source:
        command += f" --source {source}"
    return "\n".join(
        [
            f"`{command}`, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, {load}. "
            f"{kudos:,} kudos a run on 4 connections, fresh and grown bot in turns; medians of "
            f"{repeat} runs. The grown database holds {history:,} kudos of the past year and "
            f"{2 * history:,} sent outbox rows, analysed before its bot started.",
            "",
            table(rows, header),
        ]
    )


def main() -> None:
    """Measure both backends; print (and optionally write) the section."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--history", type=int, default=200_000)
    parser.add_argument("--kudos", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--source", help="run the bots from this checkout (e.g. a commit before)")
    args = parser.parse_args()
    load = f"load average {os.getloadavg()[0]:.1f} at the start"
    pairs = {
        backend: measure(backend, args.history, args.kudos, args.repeat, args.source)
        for backend in args.backends.split(",")
    }
    load += f", {os.getloadavg()[0]:.1f} at the end"
    body = report(pairs, args.history, args.kudos, args.repeat, load, args.source)
    print(body)
    if args.write:
        write_section(str(README), "kudos-history-before" if args.source else "kudos-history", body)


if __name__ == "__main__":
    main()
