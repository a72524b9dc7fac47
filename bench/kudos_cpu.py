"""CPU a `/kudos` ack costs the bot's process and its PostgreSQL backends, from `/proc`.

`python -m bench.kudos_cpu [--backend postgresql] [--tree DIR ...] [--rounds 1]`: the bot as
`bench.kudos_ack` runs it (`reciprocity run --no-worker`, a subprocess, its own directory
filled), one load at a time ("1 connection, closed loop", "200/s offered"); for each, the CPU
time (user + system) the bot's process and the PostgreSQL backends serving its database spent,
divided by the kudos acked, and the load generator's and the whole host's busy CPU the same way.
With several `--tree`s (source trees, e.g. an export of main and this checkout) the trees take
turns, load by load, in the same run.

On a host others keep busy, wall-clock rates and tails say more about them than about the bot;
CPU time per kudos of the bot's own processes much less so (it still grows with cache and
scheduler contention, so compare trees only within one run).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from app.sandbox.slack_api import SlackStandIn
from app.store import migrate
from app.store.db import make_engine
from bench.delivery import TOKEN, database
from bench.kudos_ack import _load, bot_env, ready
from bench.loadgen import free_port, measure, spawn

TICK = os.sysconf("SC_CLK_TCK")
LOADS = ("1 connection, closed loop", "200/s offered")


def process_seconds(pid: int) -> float:
    """CPU seconds (user + system) process `pid` has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def host_busy_seconds() -> float:
    """CPU seconds all cores have spent busy (not idle, not waiting on I/O) since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / TICK


def _children_seconds() -> float:
    """CPU seconds used by this process's finished, waited-for children."""
    times = os.times()
    return times.children_user + times.children_system


def backends(engine: Engine) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to `engine`'s database (not this one)."""
    if engine.dialect.name != "postgresql":
        return {}
    with engine.connect() as connection:
        pids = connection.scalars(
            text(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).all()
    found: dict[int, float] = {}
    for pid in pids:
        try:
            found[pid] = process_seconds(pid)
        except OSError:
            continue  # ended meanwhile
    return found


def at_head_of(url: str, tree: str) -> None:
    """Bring `url`'s database (migrated by this checkout) back to `tree`'s newest migration, when
    `tree` is older: a bot refuses a database newer than its code."""
    config = Config()
    config.set_main_option("script_location", str(Path(tree) / "migrations"))
    head = ScriptDirectory.from_config(config).get_current_head()
    if (
        head is not None
        and head != ScriptDirectory.from_config(migrate.alembic_config(url)).get_current_head()
    ):
        migrate.downgrade(url, head)


def run_tree(tree: str, backend: str, load: str) -> str:
    """The bot from source tree `tree` on a fresh database under `load`: one line of figures."""
    with database(backend) as url, SlackStandIn(bot_token=TOKEN) as slack:
        at_head_of(url, tree)
        port = free_port()
        env = {**bot_env(url, slack, port), "PYTHONPATH": tree}
        server = spawn(["-m", "app", "run", "--no-worker"], env=env, cwd=tree)
        engine = make_engine(url, pool_size=1)
        try:
            ready(port, server, slack, engine)
            # Every pooled connection the load will use opened and warm before counting.
            measure(_load(port, "50/s offered", 1.0))
            bot, pg, host = process_seconds(server.pid), backends(engine), host_busy_seconds()
            started, children = time.monotonic(), _children_seconds()
            result = measure(_load(port, load, 5.0))
            elapsed = time.monotonic() - started
            # `measure` runs the load generator in a child process it has waited for by now.
            generator_ms = 1000 * (_children_seconds() - children) / (result.ok or 1)
            kudos = result.ok or 1
            bot_ms = 1000 * (process_seconds(server.pid) - bot) / kudos
            after = backends(engine)
            # A backend opened during the load counts from zero.
            pg_ms = 1000 * sum(v - pg.get(pid, 0.0) for pid, v in after.items()) / kudos
            busy = host_busy_seconds() - host
            return (
                f"{tree} {backend} {load}: {result.rps:.0f} acks/s, p50 {result.p50_ms:.1f} ms, "
                f"p99 {result.p99_ms:.1f} ms | CPU a kudos: bot {bot_ms:.2f} ms, PostgreSQL "
                f"{pg_ms:.2f} ms, load generator {generator_ms:.2f} ms, whole host "
                f"{1000 * busy / kudos:.2f} ms | host "
                f"{busy / elapsed:.2f} cores busy, load average {os.getloadavg()[0]:.2f}"
            )
        finally:
            engine.dispose()
            server.terminate()
            server.wait(15)


def main() -> None:
    """Measure each tree at each load, taking turns; print a line for each."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="postgresql", choices=("sqlite", "postgresql"))
    parser.add_argument("--tree", action="append", default=[])
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    trees = args.tree or [str(Path(__file__).resolve().parents[1])]
    for _ in range(args.rounds):
        for load in LOADS:
            for tree in trees:
                print(run_tree(tree, args.backend, load), flush=True)


if __name__ == "__main__":
    main()
