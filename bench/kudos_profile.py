"""Where a kudos's CPU goes: `/kudos` over the real HTTP path, in process, under cProfile.

`python -m bench.kudos_profile [--kudos 1000] [--paced 100] [--backends sqlite,postgresql]
[--write]`: the bot (`BotServer`, no worker) on
SQLite and on PostgreSQL, and the bare Bolt app in the mode we run (`process_before_response=True`,
the same Starlette-on-uvicorn stack, a `/kudos` listener that only acks: the floor), each served on
a loopback port in this process. Signed `/kudos` requests go one after another over one keep-alive
connection (the client's own thread is not profiled); after a warm-up, the server's event-loop
thread and the threads that dispatch Slack requests are profiled for `--kudos` requests, and
`WIRE_KUDOS` more are sent unprofiled with what the bot says to the database recorded (libpq's
protocol trace on PostgreSQL), for statements and round trips per kudos. Then the
delivery worker of the same process drains what those kudos queued (a post and a DM each), its
loop on this thread and its sender threads profiled too (a burst: many rows a round). Then
`--paced` more kudos go to the started worker one at a time, each once the last was delivered,
so each kudos's post and DM go through rounds of their own (claim the post; record it and claim
the DM; record the DM), its threads profiled. For both, the statements the worker's rounds sent
the database are counted (on the thread that claims and records; BEGIN and COMMIT not counted).

Call counts do not depend on the host's speed, so they are the headline; times (cProfile's, which
inflates calls) only say where the time goes in proportion.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import uvicorn
from psycopg import pq
from slack_bolt import App, BoltRequest, BoltResponse
from sqlalchemy import Engine, event, update
from starlette.types import ASGIApp, Receive, Scope, Send

from app.logs import configure_logging
from app.runtime import build_runtime, build_worker
from app.sandbox.driver import signature
from app.sandbox.payloads import slash_command
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.settings import Settings
from app.store.db import is_sqlite, transaction
from app.store.models import Workspace
from app.web import create_web_app
from bench.apps import SIGNING_SECRET, bolt_app
from bench.delivery import TOKEN, database
from bench.loadgen import table, write_section

README = Path(__file__).with_name("README.md")
ROOT = str(Path(__file__).resolve().parents[1])
USERS = 500
# Kudos are given in this many channels, so the worker's per-channel pacing (Slack's limit of about
# one message a second in a channel) does not stretch the drain the profile covers.
CHANNELS = 500
# Unprofiled requests first, one in each channel: a channel the directory has not seen yet is
# looked up in Slack on the ack path (once), which is not the steady state being profiled.
WARMUP = CHANNELS

# Kudos sent after the profiled ones with the database's side of the conversation recorded.
WIRE_KUDOS = 200

# Package buckets, first match wins; anything else in the standard library is "stdlib, rest".
PACKAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Bolt (slack_bolt)", ("/slack_bolt/",)),
    ("slack_sdk", ("/slack_sdk/",)),
    ("SQLAlchemy", ("/sqlalchemy/",)),
    ("driver (sqlite3 / psycopg)", ("/sqlite3/", "/psycopg/", "/psycopg_pool/", "/psycopg_c/")),
    (
        "HTTP server (uvicorn, starlette, anyio, httptools)",
        ("/uvicorn/", "/starlette/", "/anyio/", "/httptools/"),
    ),
    ("HTTP client (httpx, httpcore, h11)", ("/httpx/", "/httpcore/", "/h11/")),
    ("our code (app/)", (f"{ROOT}/app/",)),
)
OURS = "our code (app/)"
OTHER_LIBRARIES = "other libraries"
STDLIB = "stdlib, rest"
HARNESS = "bench harness"


def bucket_of_file(filename: str) -> str | None:
    """The bucket of a profiled Python function's file; None for builtins ("~")."""
    if filename == "~":
        return None
    if filename.startswith(f"{ROOT}/bench/"):
        return HARNESS
    for name, markers in PACKAGES:
        if any(marker in filename for marker in markers):
            return name
    return OTHER_LIBRARIES if "site-packages" in filename else STDLIB


Key = tuple[str, int, str]


@dataclass
class Tally:
    """Calls and own time per bucket, over a merged profile."""

    calls: Counter[str] = field(default_factory=Counter)
    own: Counter[str] = field(default_factory=Counter)
    functions: dict[Key, tuple[int, float, float]] = field(default_factory=dict)
    # (our function, the library function it calls): calls, cumulative time of those calls.
    edges: dict[tuple[Key, Key], tuple[int, float]] = field(default_factory=dict)


def tally(stats: pstats.Stats) -> Tally:
    """Calls and own time per bucket. A builtin (a C function) counts as the driver's when it is
    sqlite3's or psycopg's, else it is shared out among its callers' buckets by calls."""
    table_: dict[Key, Any] = stats.stats  # type: ignore[attr-defined]
    result = Tally()

    def bucket(key: Key, depth: int = 0) -> Counter[str]:
        filename, _, name = key
        owner = bucket_of_file(filename)
        if owner is not None:
            return Counter({owner: 1})
        if "sqlite3" in name or "psycopg" in name:
            return Counter({PACKAGES[3][0]: 1})
        callers = table_[key][4]
        shares: Counter[str] = Counter()
        total = sum(caller[1] for caller in callers.values()) or 1
        for caller, counts in callers.items():
            weight = counts[1] / total
            inner = bucket(caller, depth + 1) if depth < 5 else Counter({STDLIB: 1})
            for name_, share in inner.items():
                shares[name_] += weight * share
        return shares or Counter({STDLIB: 1})

    for key, (_, calls, own, cumulative, _callers) in table_.items():
        for name, share in bucket(key).items():
            result.calls[name] += calls * share
            result.own[name] += own * share
        result.functions[key] = (calls, own, cumulative)
        if bucket_of_file(key[0]) not in (OURS, None):
            for caller, counts in _callers.items():
                if bucket_of_file(caller[0]) == OURS:
                    result.edges[(caller, key)] = (counts[1], counts[3])
    for counter in (result.calls, result.own):
        counter.pop(HARNESS, None)
    return result


class Probe:
    """Turns profiling on and off in the server's threads: its event loop, and each dispatch."""

    def __init__(self) -> None:
        self.on = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self.loop_profile = cProfile.Profile(time.thread_time)
        self.profiles: dict[int, cProfile.Profile] = {}

    def middleware(self, app: ASGIApp) -> ASGIApp:
        async def capture(scope: Scope, receive: Receive, send: Send) -> None:
            self.loop = asyncio.get_running_loop()
            await app(scope, receive, send)

        return capture

    def wrap(self, bolt: App) -> None:
        dispatch = bolt.dispatch

        def profiled(request: BoltRequest) -> BoltResponse:
            if not self.on:
                return dispatch(request)
            profile = self.profiles.setdefault(
                threading.get_ident(), cProfile.Profile(time.thread_time)
            )
            profile.enable()
            try:
                return dispatch(request)
            finally:
                profile.disable()

        bolt.dispatch = profiled  # type: ignore[method-assign,assignment]

    def _on_loop(self, action: Callable[[], None]) -> None:
        assert self.loop is not None
        done = threading.Event()

        def run() -> None:
            action()
            done.set()

        self.loop.call_soon_threadsafe(run)
        done.wait(10)

    def start(self) -> None:
        self.on = True
        self._on_loop(self.loop_profile.enable)

    def stop(self) -> pstats.Stats:
        self._on_loop(self.loop_profile.disable)
        self.on = False
        stats = pstats.Stats(self.loop_profile)
        for profile in self.profiles.values():
            stats.add(profile)
        return stats


def _request(client: httpx.Client, url: str, n: int) -> None:
    giver, other = n % USERS, (n * 7 + 1) % USERS
    if other == giver:
        other = (other + 1) % USERS
    body = urlencode(
        slash_command(
            command="/kudos",
            text=f"<@U{other:05d}|user{other}> thanks for the help",
            user_id=f"U{giver:05d}",
            channel_id=f"C{n % CHANNELS:08d}",
            response_url="https://hooks.invalid/r",
            trigger_id="1.2.3",
        )
    ).encode()
    now = int(time.time())
    response = client.post(
        url,
        content=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": str(now),
            "X-Slack-Signature": signature(SIGNING_SECRET, now, body),
        },
    )
    response.raise_for_status()


def profile_requests(probe: Probe, url: str, kudos: int) -> pstats.Stats:
    """Warm up, then profile `kudos` requests sent one after another on one connection."""
    with httpx.Client(timeout=30) as client:
        for n in range(WARMUP):
            _request(client, url, n)
        probe.start()
        for n in range(kudos):
            _request(client, url, WARMUP + n)
        return probe.stop()


@contextmanager
def bare_app(probe: Probe) -> Iterator[str]:
    """The floor: bench.apps' bare Bolt app in the mode we run, served as the bot is."""
    app = bolt_app(process_before_response=True)
    probe.wrap(app)
    folder = tempfile.mkdtemp()
    runtime = build_runtime(Settings(database_url=f"sqlite:///{folder}/bench.db"))
    web = create_web_app(runtime, app)
    web.add_middleware(probe.middleware)
    listening = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(
            web,
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=10,
            timeout_keep_alive=30,
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{listening.getsockname()[1]}/slack/events"
    finally:
        server.should_exit = True
        thread.join(15)
        runtime.close()


@dataclass(frozen=True)
class Wire:
    """What one kudos's ack said to the database: statements sent, and round trips (the times
    the bot waited for an answer before saying more; on SQLite, in process, each statement)."""

    statements: float
    round_trips: float


def trips(trace: str) -> tuple[int, int]:
    """Statements and round trips in a libpq trace: a statement is a `Query` (simple protocol)
    or an `Execute` message from the client; a round trip starts at each client message that
    follows a server message (or opens the trace)."""
    statements = round_trips = 0
    previous = "B"
    for line in trace.splitlines():
        direction, _, message = [*line.split("\t"), "", "", ""][:3]
        if direction == "F":
            statements += message in ("Query", "Execute")
            round_trips += previous == "B"
        if direction in ("F", "B"):
            previous = direction
    return statements, round_trips


@contextmanager
def recorded(engine: Engine) -> Iterator[Callable[[], tuple[int, int]]]:
    """Record what `engine`'s connections say while checked out; yield a function returning the
    statements and round trips so far. PostgreSQL: libpq's own protocol trace, so every message
    the driver sends counts (BEGIN, pipelined batches), whatever SQLAlchemy reports. SQLite: the
    statements SQLAlchemy runs, plus each COMMIT or ROLLBACK (sent from their events)."""
    counts = Counter[str]()
    if is_sqlite(engine):

        def executed(*_args: Any) -> None:
            counts["statements"] += 1

        def ended(*_args: Any) -> None:
            counts["statements"] += 1

        hooks: list[tuple[Any, str, Callable[..., None]]] = [
            (engine, "before_cursor_execute", executed),
            (engine, "commit", ended),
            (engine, "rollback", ended),
        ]
        for target, name, hook in hooks:
            event.listen(target, name, hook)
        try:
            yield lambda: (counts["statements"], counts["statements"])
        finally:
            for target, name, hook in hooks:
                event.remove(target, name, hook)
        return
    with tempfile.NamedTemporaryFile("w+") as handle:

        def taken(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
            dbapi_connection.pgconn.trace(handle.fileno())
            dbapi_connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)

        def returned(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.pgconn.untrace()

        event.listen(engine.pool, "checkout", taken)
        event.listen(engine.pool, "checkin", returned)
        try:
            yield lambda: trips(Path(handle.name).read_text())
        finally:
            event.remove(engine.pool, "checkout", taken)
            event.remove(engine.pool, "checkin", returned)


def count_wire(engine: Engine, url: str, first: int, kudos: int) -> Wire:
    """Send `kudos` more requests (numbered from `first`) with the database's side recorded."""
    with httpx.Client(timeout=30) as client, recorded(engine) as so_far:
        for n in range(first, first + kudos):
            _request(client, url, n)
        statements, round_trips = so_far()
    return Wire(statements / kudos, round_trips / kudos)


@dataclass
class Profiled:
    """One app's profile: the ack path and, for the bot, the worker's delivery of the same kudos."""

    ack: Tally
    worker: Tally | None = None
    delivered: dict[str, int] = field(default_factory=dict)
    rounds: Rounds | None = None
    # The same worker delivering kudos given one at a time (see `profile_paced`).
    paced: Tally | None = None
    paced_delivered: dict[str, int] = field(default_factory=dict)
    paced_rounds: Rounds | None = None
    wire: Wire | None = None


def profile_bot(backend: str, kudos: int, paced: int) -> Profiled:
    """The bot on `backend`: its ack path, then its worker draining what the kudos queued,
    then `paced` kudos delivered one at a time."""
    with database(backend) as url, SlackStandIn(bot_token=TOKEN) as slack:
        for n in range(CHANNELS):
            slack.add_channel(f"C{n:08d}", f"channel{n}")
        for n in range(USERS):
            slack.add_user(f"U{n:05d}", f"user{n}")
        settings = Settings(
            database_url=url,
            slack_bot_token=TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=slack.base_url,
            port=0,
        )
        bot = BotServer(settings, host="127.0.0.1", port=0, with_worker=False)
        probe = Probe()
        probe.wrap(bot.bolt)
        bot.web.add_middleware(probe.middleware)
        bot.start()
        try:
            deadline = time.monotonic() + 20
            while not slack.calls_to("users.list") and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)
            with transaction(bot.runtime.sessions) as session:
                # The daily limit would turn most of the load into cheap refusals.
                session.execute(update(Workspace).values(kudos_daily_limit=1_000_000))
            ack = tally(profile_requests(probe, f"{bot.url}/slack/events", kudos))
            wire = count_wire(
                bot.runtime.engine, f"{bot.url}/slack/events", WARMUP + kudos, WIRE_KUDOS
            )
            worker, delivered, rounds = profile_worker(bot, slack)
            result = Profiled(ack, worker, delivered, rounds, wire=wire)
            if paced:
                result.paced, result.paced_delivered, result.paced_rounds = profile_paced(
                    bot, slack, f"{bot.url}/slack/events", paced
                )
            return result
        finally:
            bot.stop()


@dataclass
class Rounds:
    """What the worker's rounds sent the database: transactions and statements on the thread
    that claims and records (BEGIN and COMMIT not counted), and statements on its senders."""

    transactions: int = 0
    statements: int = 0
    sender_statements: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)

    def per_round(self) -> str:
        """Statements per round, and the most frequent kinds of statement."""
        kinds = ", ".join(f"{n} {kind}" for kind, n in self.by_kind.most_common(6))
        return (
            f"{self.transactions} rounds, {self.statements} statements "
            f"({self.statements / (self.transactions or 1):.2f} a round: {kinds}); "
            f"{self.sender_statements} on sender threads"
        )


@contextmanager
def counting_rounds(bot: BotServer, loop_thread: Callable[[], bool]) -> Iterator[Rounds]:
    """Count what the worker's threads send the database while the block runs; `loop_thread`
    says whether the calling thread is the one that claims and records."""
    engine = bot.runtime.engine
    rounds = Rounds()
    lock = threading.Lock()

    def statement(*args: Any) -> None:
        text_ = str(args[2]).lstrip()
        if text_.upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            return
        with lock:
            if loop_thread():
                rounds.statements += 1
                rounds.by_kind[" ".join(text_.split()[:1]).upper()] += 1
            elif threading.current_thread().name.startswith("delivery"):
                rounds.sender_statements += 1

    def begin(_connection: Any) -> None:
        if loop_thread():
            with lock:
                rounds.transactions += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "begin", begin)
    try:
        yield rounds
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "begin", begin)


@contextmanager
def profiling_delivery_threads() -> Iterator[list[cProfile.Profile]]:
    """Profile every thread started while the block runs whose name starts with "delivery"
    (the worker's loop and its senders), from birth."""
    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()

    def hook(_frame: Any, _event: str, _arg: Any) -> None:
        if not threading.current_thread().name.startswith("delivery"):
            sys.setprofile(None)
            return
        profile = cProfile.Profile(time.thread_time)
        with lock:
            profiles.append(profile)
        profile.enable()

    threading.setprofile(hook)
    try:
        yield profiles
    finally:
        threading.setprofile(None)


def profile_worker(bot: BotServer, slack: SlackStandIn) -> tuple[Tally, dict[str, int], Rounds]:
    """Drain the outbox on this thread, its senders profiled from birth; return the tally, the
    Web API calls it made, by method (warm-up kudos included: all are divided among), and what
    its rounds sent the database."""
    before = len(slack.calls)
    worker = build_worker(bot.runtime, bot.runtime.tokens)
    me = threading.get_ident()
    loop = cProfile.Profile(time.thread_time)
    with (
        profiling_delivery_threads() as senders,
        counting_rounds(bot, lambda: threading.get_ident() == me) as rounds,
    ):
        loop.enable()
        worker.drain(timeout=300)
        loop.disable()
    stats = pstats.Stats(loop)
    for profile in senders:
        stats.add(profile)
    return tally(stats), dict(Counter(call.method for call in slack.calls[before:])), rounds


def profile_paced(
    bot: BotServer, slack: SlackStandIn, url: str, kudos: int
) -> tuple[Tally, dict[str, int], Rounds]:
    """The started worker delivering `kudos` kudos given one at a time, each only once the
    last was delivered (its post and DM on the stand-in): a kudos's rounds on their own, as
    when kudos are paced. Profiled are the worker's threads, not the ack path."""
    worker = build_worker(bot.runtime, bot.runtime.tokens)
    before = len(slack.calls)
    with (
        profiling_delivery_threads() as profiles,
        counting_rounds(
            bot, lambda: threading.current_thread().name == "delivery-worker"
        ) as rounds,
        httpx.Client(timeout=30) as client,
    ):
        worker.start()
        try:
            for n in range(kudos):
                posts = len(slack.calls_to("chat.postMessage"))
                # Past the burst's kudos, in channels whose one-a-second limit has refilled.
                _request(client, url, 2 * WARMUP + n)
                deadline = time.monotonic() + 30
                while len(slack.calls_to("chat.postMessage")) < posts + 2:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"paced kudos {n} was not delivered")
                    time.sleep(0.002)
        finally:
            worker.stop()
    stats = pstats.Stats()
    for profile in profiles:
        stats.add(profile)
    return tally(stats), dict(Counter(call.method for call in slack.calls[before:])), rounds


def profile_floor(kudos: int) -> Profiled:
    """The bare Bolt app's ack path."""
    probe = Probe()
    with bare_app(probe) as url:
        return Profiled(tally(profile_requests(probe, url, kudos)))


def _buckets() -> list[str]:
    return [name for name, _ in PACKAGES] + [OTHER_LIBRARIES, STDLIB]


def package_table(runs: dict[str, Tally], per: dict[str, int]) -> str:
    """Calls per kudos and shares of calls and own time, one row per bucket, one column group per
    run."""
    rows = []
    labels = list(runs)
    totals = {label: sum(runs[label].calls.values()) for label in labels}
    own_totals = {label: sum(runs[label].own.values()) or 1.0 for label in labels}
    for name in [*_buckets(), "total"]:
        row = [name]
        for label in labels:
            if name == "total":
                row += [f"{totals[label] / per[label]:,.0f}", "100%", "100%"]
                continue
            calls = runs[label].calls[name]
            row += [
                f"{calls / per[label]:,.0f}",
                f"{calls / (totals[label] or 1):.0%}",
                f"{runs[label].own[name] / own_totals[label]:.0%}",
            ]
        rows.append(row)
    header = ["package"]
    for label in labels:
        header += [f"{label}: calls", "% calls", "% own time"]
    return table(rows, header)


def top_ours(run: Tally, per: int, count: int = 10) -> str:
    """Our own functions on the path by calls, with their own and cumulative time."""
    ours = [
        (key, values) for key, values in run.functions.items() if bucket_of_file(key[0]) == OURS
    ]
    ours.sort(key=lambda item: -item[1][0])
    total_own = sum(run.own.values()) or 1.0
    rows = [
        [
            f"`{_where((filename, line, name))}`",
            f"{calls / per:,.1f}",
            f"{own / total_own:.1%}",
            f"{cumulative / total_own:.1%}",
        ]
        for (filename, line, name), (calls, own, cumulative) in ours[:count]
    ]
    return table(rows, ["function", "calls per kudos", "own time", "cumulative time"])


def _where(key: Key) -> str:
    filename, line, name = key
    if filename == "~":
        return name
    if filename.startswith(f"{ROOT}/"):
        filename = os.path.relpath(filename, ROOT)
    else:
        filename = filename.split("site-packages/")[-1].split("/python3.11/")[-1]
    return f"{filename}:{line} {name}"


def top_calls_out(run: Tally, per: int, count: int = 10) -> str:
    """Where our code calls Python functions outside app/ (libraries, the stdlib), by the CPU
    time spent beneath those calls."""
    edges = sorted(run.edges.items(), key=lambda item: -item[1][1])
    total_own = sum(run.own.values()) or 1.0
    rows = [
        [
            f"`{_where(ours)}`",
            f"`{_where(theirs)}`",
            f"{calls / per:,.1f}",
            f"{cumulative / total_own:.1%}",
        ]
        for (ours, theirs), (calls, cumulative) in edges[:count]
    ]
    return table(rows, ["our function", "calls", "calls per kudos", "cumulative time"])


def _rounds(
    bots: dict[str, Profiled], which: Callable[[Profiled], Rounds | None]
) -> list[tuple[str, Rounds]]:
    return [(backend, rounds) for backend, bot in bots.items() if (rounds := which(bot))]


def main() -> None:
    """Profile the floor and the bot on both backends; print (or write) the tables."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--kudos", type=int, default=1000)
    parser.add_argument("--paced", type=int, default=100)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    # Logging as `reciprocity run` sets it up at LOG_LEVEL=WARNING, as bench.kudos_ack runs the
    # bot: with no level of its own, Bolt's logger has Bolt format a debug line for every
    # middleware on every request, a cost no configured process pays.
    configure_logging("WARNING", "text")
    floor = profile_floor(args.kudos)
    bots = {
        backend: profile_bot(backend, args.kudos, args.paced)
        for backend in args.backends.split(",")
    }
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    acks = {"bare Bolt (floor)": floor.ack} | {
        f"/kudos {names[backend]}": bot.ack for backend, bot in bots.items()
    }
    per = dict.fromkeys(acks, args.kudos)
    workers: dict[str, Tally] = {}
    delivered: dict[str, dict[str, int]] = {}
    for backend in bots:
        label = f"worker {names[backend]}"
        tally_ = bots[backend].worker
        assert tally_ is not None
        workers[label] = tally_
        delivered[label] = bots[backend].delivered
    kudos_drained = args.kudos + WARMUP + WIRE_KUDOS
    parts = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} (`python -m bench.kudos_profile --kudos "
        f"{args.kudos} --paced {args.paced}`; load average "
        f"{', '.join(f'{v:.2f}' for v in os.getloadavg())}; "
        "logging set up as `reciprocity run` does at LOG_LEVEL=WARNING). "
        f"{args.kudos} signed `/kudos` requests among {USERS} people, one after another over "
        "one keep-alive connection to a server in this process, after "
        f"{WARMUP} unprofiled; profiled are the server's event-loop thread (uvicorn, Starlette) "
        "and the threads that dispatch Slack requests (Bolt, our listener, the database), not "
        "the client. Calls are Python and C function calls as cProfile counts them, per kudos; "
        "a C builtin counts as the driver's when it is sqlite3's or psycopg's, else as its "
        "callers'. Own time is each function's CPU time (its thread's, so waiting on the database "
        "or the network is not in it) excluding what it calls, so the shares add up to 100% "
        "(cProfile's overhead inflates every call alike).",
        "",
        package_table(acks, per),
        "",
        f"What the ack says to the database, per kudos over {WIRE_KUDOS} more sent the same way "
        "after the profiled ones (PostgreSQL: libpq's protocol trace, so BEGIN and COMMIT count; "
        "a round trip is each time the bot waits for the server's answer before sending more; "
        "SQLite: the statements run, COMMIT included): "
        + "; ".join(
            f"{label} {wire.statements:.2f} statements, {wire.round_trips:.2f} round trips"
            for label, wire in (
                (label, bot.wire)
                for label, bot in (
                    ("SQLite", bots.get("sqlite")),
                    ("PostgreSQL", bots.get("postgresql")),
                )
                if bot is not None
            )
            if wire is not None
        )
        + ".",
        "",
        "Our own functions on the ack path, by calls (SQLite, then PostgreSQL); cumulative time "
        "includes what they call, as a share of the path's total:",
        *(part for bot in bots.values() for part in ("", top_ours(bot.ack, args.kudos))),
        "",
        "Where our code calls out of itself on the ack path, by the CPU time beneath those calls "
        "(SQLite, then PostgreSQL):",
        *(part for bot in bots.values() for part in ("", top_calls_out(bot.ack, args.kudos))),
        "",
        "The worker delivering the same kudos afterwards, in the same process: `drain()` on one "
        "thread (claim, record) and its 16 sender threads (render, call Slack through `WebApi`), "
        "profiled from start until the outbox was empty; per kudos over all "
        f"{kudos_drained} kudos queued (warm-up included), "
        + "; ".join(
            f"{label}: " + ", ".join(f"{n} {method}" for method, n in sorted(calls.items()))
            for label, calls in delivered.items()
        )
        + ". The stand-in's own threads are not profiled.",
        "",
        package_table(workers, dict.fromkeys(workers, kudos_drained)),
        "",
        "The worker's rounds in that drain (the thread that claims and records): "
        + "; ".join(
            f"{backend}: {rounds.per_round()}"
            for backend, rounds in _rounds(bots, lambda bot: bot.rounds)
        )
        + ".",
    ]
    if args.paced:
        paced = {
            f"paced {backend}": bot.paced for backend, bot in bots.items() if bot.paced is not None
        }
        parts += [
            "",
            f"Paced: {args.paced} more kudos, each given once the last was delivered, to the "
            "started worker (its loop and sender threads profiled, not the ack path), so each "
            "kudos's post and DM go through rounds of their own; per kudos, "
            + "; ".join(
                f"{backend}: " + ", ".join(f"{n} {method}" for method, n in sorted(calls.items()))
                for backend, calls in ((b, bot.paced_delivered) for b, bot in bots.items())
            )
            + ".",
            "",
            package_table(paced, dict.fromkeys(paced, args.paced)),
            "",
            "Its rounds: "
            + "; ".join(
                f"{backend}: {rounds.per_round()}"
                for backend, rounds in _rounds(bots, lambda bot: bot.paced_rounds)
            )
            + ".",
        ]
    body = "\n".join(parts)
    print(body)
    if args.write:
        write_section(str(README), "kudos-profile", body)


if __name__ == "__main__":
    main()
