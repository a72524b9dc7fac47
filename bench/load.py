"""The whole bot under a realistic mix, over real HTTP, in multi-workspace OAuth mode.

`python -m bench.load [--seconds N] [--write]`: 50 workspaces of 100 people each install the bot
through the OAuth flow against the Slack stand-in, then signed requests arrive at a stepped rate:
60% `/kudos @someone …`, 20% `/ask …`, 10% `/offer topic`, 10% events (replies in ask threads,
`reaction_added`). Runs: SQLite with one process; PostgreSQL with one replica and with three (the
driver round-robins across them). Each step reports ack latency, the outbox drain after the load,
CPU per request of each replica and of PostgreSQL, and peak memory.

Tests import `Cluster`, `drive` / `start_drive` and `exactly_once_problems` from here.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import Engine, create_engine, func, select, update
from sqlalchemy.pool import NullPool

from app.delivery.sender import OUTBOX_EVENT, POSTS
from app.kudos.reactions import identity_of, reaction_key
from app.offers.topics import normalize
from app.sandbox import payloads
from app.sandbox.driver import signature
from app.sandbox.slack_api import SlackStandIn, _Answer
from app.slack.errors import SORRY
from app.slack.replies import TRY_AGAIN
from app.store.models import Ask, AskReply, Kudos, Member, Offer, OutboxMessage, Workspace
from bench.apps import SIGNING_SECRET
from bench.delivery import PG_ADMIN, database
from bench.loadgen import Result, free_port, table, wait_port, write_section

README = Path(__file__).with_name("README.md")
ROOT = Path(__file__).resolve().parents[1]
CLIENT_ID = "4242.4242"
CLIENT_SECRET = "load-client-secret"
STATE_SECRET = "load-state-secret"
# The emoji an admin of every workspace chose for kudos by reaction.
REACTION = "raised_hands"
CHANNELS_PER_WORKSPACE = 5
# Normalised already, so a row's topic is the one the request named.
TOPICS = tuple(
    normalize(topic)
    for topic in (
        "kubernetes",
        "postgresql",
        "python",
        "terraform",
        "react",
        "security",
        "design",
        "observability",
        "networking",
        "billing",
        "testing",
        "accessibility",
    )
)
COMMANDS = ("kudos", "ask", "offer")
EVENTS = ("reply", "reaction")
# Every request's text carries its marker, so its record can be found in the database.
_MARKER = re.compile(r"\br(\d{8})q\b")
_OK = {
    "kudos": re.compile(r"are on their way"),
    "ask": re.compile(r"^Ask #\d+ is (posted|saved)"),
    "offer": re.compile(r"^Thanks! You now offer help with"),
}
_TICKS = os.sysconf("SC_CLK_TCK")


def marker(seq: int) -> str:
    """The word that tags request `seq` in the text it stores."""
    return f"r{seq:08d}q"


# -- the Slack side --------------------------------------------------------------------------


class TeamScopedStandIn(SlackStandIn):
    """The stand-in, with `users.list` answering only the calling token's workspace, as Slack's
    does (the stand-in lists every person it knows, which is fine for one or two teams but not
    for 50 workspaces of 100 people, each synced by every replica that starts)."""

    def handle_api(self, method: str, args: dict[str, Any], token: str | None) -> _Answer:
        """Answer like the stand-in; keep only the caller's own workspace in `users.list`."""
        answer = super().handle_api(method, args, token)
        if method == "users.list" and answer.status == 200 and answer.body.get("ok"):
            team = super().handle_api("auth.test", {}, token).body.get("team_id")
            answer.body["members"] = [
                m for m in answer.body.get("members") or [] if m.get("team_id") == team
            ]
        return answer


@dataclass(frozen=True)
class Team:
    """One workspace of the load: its people (the first is the admin who installs) and channels."""

    team_id: str
    name: str
    bot_user_id: str
    users: tuple[str, ...]
    channels: tuple[str, ...]


@dataclass(frozen=True)
class AskThread:
    """An ask's post, whose thread the load replies in."""

    team_id: str
    channel: str
    ts: str
    asker: str


def layout(workspaces: int, users: int) -> list[Team]:
    """The workspaces of a load: ids unique across all of them, as Slack's are."""
    return [
        Team(
            team_id=f"TL{w:03d}",
            name=f"Load{w:03d}",
            bot_user_id=f"UB{w:03d}",
            users=tuple(f"U{w:03d}P{u:03d}" for u in range(users)),
            channels=tuple(f"C{w:03d}N{c}" for c in range(CHANNELS_PER_WORKSPACE)),
        )
        for w in range(workspaces)
    ]


def user_name(user_id: str) -> str:
    """The handle the stand-in's directory gives `user_id`."""
    return "p" + user_id[1:].lower()


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


# -- the cluster -----------------------------------------------------------------------------


class Cluster:
    """The stand-in, a database and `reciprocity run` replicas with every workspace installed.

    Use as a context manager. Replicas are separate processes on their own ports, sharing the
    database (SQLite serves one process only); their logs go to files in `folder`.
    """

    def __init__(
        self,
        backend: str = "sqlite",
        replicas: int = 1,
        workspaces: int = 50,
        users: int = 100,
        run_args: Sequence[str] = (),
        *,
        database_url: str | None = None,
        admin_url: str = PG_ADMIN,
        seed_asks: int = 2,
        channel_rate_limit: bool = True,
    ) -> None:
        if backend == "sqlite" and replicas != 1:
            raise ValueError("SQLite serves one process")
        self.backend = backend
        self.replica_count = replicas
        self.teams = layout(workspaces, users)
        self.run_args = list(run_args)
        self.seed_asks = seed_asks
        self.threads: list[AskThread] = []
        self.slack = TeamScopedStandIn(channel_rate_limit=channel_rate_limit)
        self.processes: list[subprocess.Popen[bytes] | None] = [None] * replicas
        self.ports = [free_port() for _ in range(replicas)]
        self.folder = Path(tempfile.mkdtemp(prefix="reciprocity-load-"))
        self.database_url = database_url or ""
        self._admin_url = admin_url
        self._stack = ExitStack()
        self._engine: Engine | None = None
        self._key = Fernet.generate_key().decode()
        self._seq = itertools.count(1)
        self._seq_lock = threading.Lock()
        # Tick part of event timestamps: unique per cluster, after every post the setup made.
        self.epoch = int(time.time()) + 10
        self.offers_taken: set[tuple[str, str, str]] = set()

    # -- lifecycle

    def __enter__(self) -> Cluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start the stand-in and the replicas, install every workspace, seed ask threads."""
        if not self.database_url:
            self.database_url = self._stack.enter_context(database(self.backend, self._admin_url))
        connect_args = {"timeout": 15} if self.backend == "sqlite" else {"connect_timeout": 5}
        self._engine = create_engine(
            self.database_url, poolclass=NullPool, connect_args=connect_args
        )
        self.slack.start()
        self.slack.enable_oauth(CLIENT_ID, CLIENT_SECRET)
        for team in self.teams:
            self.slack.add_user(team.bot_user_id, "reciprocity", is_bot=True, team_id=team.team_id)
            for index, user in enumerate(team.users):
                self.slack.add_user(
                    user, user_name(user), team_id=team.team_id, is_admin=index == 0
                )
            for index, channel in enumerate(team.channels):
                # Each team invited the bot (/invite @Reciprocity) to its channels: reaction
                # kudos and thread replies arrive only from channels the bot is in.
                self.slack.add_channel(channel, f"team-{index}")
                self.slack.set_bot_member(channel, True)
        for index in range(self.replica_count):
            self.start_replica(index)
        for team in self.teams:
            self._install(team)
        self._configure()
        self._wait_directories()
        self._seed_threads()
        if not self.wait_drained(120):
            raise RuntimeError(f"the setup's messages were not delivered: {self.outbox_counts()}")

    def stop(self) -> None:
        """Stop every replica (SIGTERM, then SIGKILL) and the stand-in; drop the database and
        the replicas' logs."""
        for index in range(len(self.processes)):
            self.stop_replica(index)
        if self._engine is not None:
            self._engine.dispose()
        self.slack.stop()
        self._stack.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- replicas

    @property
    def urls(self) -> list[str]:
        """Each replica's base URL, in order."""
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def env(self, index: int) -> dict[str, str]:
        """The environment `reciprocity run` gets as replica `index`."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("SLACK_", "DATABASE_URL", "TOKEN_ENCRYPTION"))
        }
        env.update(
            DATABASE_URL=self.database_url,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_CLIENT_ID=CLIENT_ID,
            SLACK_CLIENT_SECRET=CLIENT_SECRET,
            SLACK_STATE_SECRET=STATE_SECRET,
            TOKEN_ENCRYPTION_KEYS=self._key,
            SLACK_API_URL=self.slack.base_url,
            PORT=str(self.ports[index]),
            LOG_LEVEL="WARNING",
        )
        return env

    def start_replica(self, index: int) -> subprocess.Popen[bytes]:
        """Start (or restart, on the same port) replica `index` and wait until it serves."""
        # The child keeps its own copy of the file; appending keeps a killed replica's lines.
        with open(self.folder / f"replica-{index}.log", "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "app", "run", *self.run_args],
                env=self.env(index),
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        self.processes[index] = process
        wait_port(self.ports[index], process, timeout=60)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.urls[index]}/healthz", timeout=2).status_code == 200:
                    return process
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"replica {index} never became healthy: {self.log_tail(index)}")

    def kill_replica(self, index: int) -> None:
        """SIGKILL replica `index`: no chance to finish or record anything."""
        process = self.processes[index]
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()

    def stop_replica(self, index: int) -> None:
        """Stop replica `index` gracefully, killing it if it takes over 20 seconds."""
        process = self.processes[index]
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes[index] = None

    def pids(self) -> list[int]:
        """The process ids of the live replicas, in order."""
        return [p.pid for p in self.processes if p is not None and p.poll() is None]

    def log_tail(self, index: int, lines: int = 20) -> str:
        """The last `lines` lines replica `index` wrote to stderr."""
        path = self.folder / f"replica-{index}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    # -- setup steps

    def _install(self, team: Team) -> None:
        """Run the browser's side of Slack's OAuth flow for `team`, its admin installing."""
        with httpx.Client(base_url=self.urls[0], follow_redirects=False, timeout=30) as browser:
            page = browser.get("/slack/install")
            found = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page.text)
            if page.status_code != 200 or found is None:
                raise RuntimeError(f"no install link: {page.status_code} {page.text[:200]}")
            state = parse_qs(urlsplit(found.group(1).replace("&amp;", "&")).query)["state"][0]
            code = self.slack.issue_oauth_code(
                team_id=team.team_id,
                team_name=team.name,
                installer=team.users[0],
                bot_user_id=team.bot_user_id,
            )
            # Bolt's state cookie is Secure, so a browser would only return it over https.
            cookie = page.headers["set-cookie"].split(";")[0]
            done = browser.get(
                "/slack/oauth_redirect",
                params={"code": code, "state": state},
                headers={"Cookie": cookie},
            )
            if done.status_code != 200:
                raise RuntimeError(f"install of {team.team_id} failed: {done.text[:200]}")

    def _configure(self) -> None:
        """What each workspace's admin set in `/kudos settings`: kudos by reaction, and a daily
        limit no load run reaches (a refused kudos stores nothing, which would blur the check)."""
        with self.engine.begin() as connection:
            connection.execute(
                update(Workspace)
                .where(Workspace.team_id.in_([t.team_id for t in self.teams]))
                .values(reaction_emoji=REACTION, kudos_daily_limit=1_000_000)
            )

    def _wait_directories(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        wanted = {team.team_id: len(team.users) for team in self.teams}
        while time.monotonic() < deadline:
            with self.engine.connect() as connection:
                counts = {
                    str(team): int(count)
                    for team, count in connection.execute(
                        select(Member.team_id, func.count())
                        .where(Member.is_bot.is_(False))
                        .group_by(Member.team_id)
                    )
                }
            if all(counts.get(team, 0) >= count for team, count in wanted.items()):
                return
            time.sleep(0.2)
        raise RuntimeError("member directories did not fill after the installs")

    def _seed_threads(self) -> None:
        """Post `seed_asks` asks per workspace, for the load's replies to land in their threads."""
        if not self.seed_asks:
            return
        rng = random.Random(11)
        with httpx.Client(timeout=30) as client:
            for team in self.teams:
                for n in range(self.seed_asks):
                    topic = TOPICS[n % len(TOPICS)]
                    fields = payloads.slash_command(
                        command="/ask",
                        text=f"How do we run {topic} in staging? Tried the wiki, it is stale. "
                        f"Need it this week #{topic}",
                        user_id=team.users[1 + n % (len(team.users) - 1)],
                        channel_id=rng.choice(team.channels),
                        team_id=team.team_id,
                        team_domain=team.name.lower(),
                        response_url=self.slack.new_response_url(),
                    )
                    body = urlencode(fields).encode()
                    answer = client.post(
                        self.urls[n % len(self.urls)] + "/slack/events",
                        content=body,
                        headers=signed_headers(body, "application/x-www-form-urlencoded"),
                    )
                    if answer.status_code != 200 or "is posted" not in answer.text:
                        raise RuntimeError(f"seed ask refused: {answer.text[:200]}")
        deadline = time.monotonic() + 120
        wanted = len(self.teams) * self.seed_asks
        while time.monotonic() < deadline:
            with self.engine.connect() as connection:
                rows = connection.execute(
                    select(Ask.team_id, Ask.channel_id, Ask.message_ts, Ask.asker_id).where(
                        Ask.message_ts.is_not(None)
                    )
                ).all()
            if len(rows) >= wanted:
                self.threads = [AskThread(r[0], str(r[1]), str(r[2]), r[3]) for r in rows]
                return
            time.sleep(0.2)
        raise RuntimeError("the seed asks were not posted")

    # -- the database

    @property
    def engine(self) -> Engine:
        """An engine on the cluster's database without a pool (outages leave nothing stale)."""
        assert self._engine is not None, "start() the cluster first"
        return self._engine

    def outbox_counts(self) -> dict[str, int]:
        """How many outbox rows are in each status."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all()
        return {str(status): int(count) for status, count in rows}

    def wait_drained(self, timeout: float) -> bool:
        """Wait until no outbox row is pending or sending; return whether that happened."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                counts = self.outbox_counts()
                if not counts.get("pending") and not counts.get("sending"):
                    return True
            except Exception:  # noqa: S110 - the database may be coming back from an outage
                pass
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)

    def take_sequence(self, count: int) -> int:
        """Reserve `count` request numbers (markers and event timestamps); return the first."""
        with self._seq_lock:
            first = next(self._seq)
            self._seq = itertools.count(first + count)
        return first


def signed_headers(body: bytes, content_type: str, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """Slack's headers for `body` sent now: the timestamp and its v0 signature."""
    now = int(time.time())
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(now),
        "X-Slack-Signature": signature(secret, now, body),
    }


# -- the driver ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """Everything the driver process needs: where, how fast, for how long, and whom."""

    urls: tuple[str, ...]
    rate: float
    seconds: float
    warmup: float
    concurrency: int
    timeout: float
    teams: tuple[Team, ...]
    threads: tuple[AskThread, ...]
    first_seq: int
    epoch: int
    response_urls: tuple[str, ...]
    offers_taken: frozenset[tuple[str, str, str]]
    seed: int = 7
    secret: str = SIGNING_SECRET


@dataclass(frozen=True)
class Sent:
    """One request the driver sent, and how it was answered.

    `status` 0 means no HTTP answer at all (refused connection, reset, timeout); `at` is the wall
    time the request was due, from which `latency` counts (what Slack's 3 seconds count from).
    """

    seq: int
    kind: str
    team: str
    user: str
    replica: int
    at: float
    status: int = 0
    latency: float | None = None
    answer: str = ""
    error: str = ""
    channel: str = ""
    ts: str = ""
    topic: str = ""
    # The person thanked (kudos, reaction), or the ask post replied to (reply).
    author: str = ""
    thread_ts: str = ""

    @property
    def marker(self) -> str:
        """The word this request's stored text carries."""
        return marker(self.seq)

    @property
    def acked(self) -> bool:
        """Whether the bot answered with HTTP 200."""
        return self.status == 200

    @property
    def outcome(self) -> str:
        """How it was answered: ok, try_again, unexpected (another 200 answer) or unanswered."""
        if self.status != 200:
            return "unanswered"
        if self.kind in EVENTS:
            return "ok"
        if TRY_AGAIN in self.answer or SORRY in self.answer:
            return "try_again"
        return "ok" if _OK[self.kind].search(self.answer) else "unexpected"


def _request(spec: Spec, seq: int, rng: random.Random, taken: set[tuple[str, str, str]]) -> Sent:
    """Request `seq` of the mix: who sends what where (its text is made when it is sent)."""
    team = rng.choice(spec.teams)
    user, other = rng.sample(team.users, 2)
    base = Sent(seq, "", team.team_id, user, seq % len(spec.urls), 0.0)
    channel = rng.choice(team.channels)
    draw = rng.random()
    if draw < 0.6:
        return _with(base, kind="kudos", channel=channel, author=other)
    if draw < 0.8:
        return _with(base, kind="ask", channel=channel, topic=rng.choice(TOPICS))
    if draw < 0.9:
        for _ in range(20):
            offerer, topic = rng.choice(team.users), rng.choice(TOPICS)
            # Each person offers a topic once per cluster: a second offer would overwrite the
            # first one's note, and with it the marker the check looks for.
            if (team.team_id, offerer, topic) not in taken:
                taken.add((team.team_id, offerer, topic))
                return _with(base, kind="offer", user=offerer, channel=channel, topic=topic)
        return _with(base, kind="kudos", channel=channel, author=other)
    # Event timestamps are unique in the cluster and later than every post its setup made.
    ts = f"{spec.epoch + seq // 10**6}.{seq % 10**6:06d}"
    threads = [t for t in spec.threads if t.team_id == team.team_id]
    if threads and draw < 0.95:
        thread = rng.choice(threads)
        replier = rng.choice([u for u in team.users if u != thread.asker])
        return _with(
            base, kind="reply", user=replier, channel=thread.channel, ts=ts, thread_ts=thread.ts
        )
    return _with(base, kind="reaction", channel=channel, ts=ts, author=other)


def _with(sent: Sent, **changes: Any) -> Sent:
    """A copy of `sent` with `changes`."""
    return Sent(**{**asdict(sent), **changes})


def _payload(spec: Spec, sent: Sent, response_url: str) -> tuple[bytes, str]:
    """The body and content type Slack would post for `sent`."""
    team = next(t for t in spec.teams if t.team_id == sent.team)
    tag = marker(sent.seq)
    if sent.kind in COMMANDS:
        if sent.kind == "kudos":
            mention = payloads.escape_user(sent.author, user_name(sent.author))
            command, words = "/kudos", f"{mention} thanks for untangling the release {tag}"
        elif sent.kind == "ask":
            command = "/ask"
            words = (
                f"How do I set up {sent.topic} for the billing service? Tried the runbook, "
                f"step 3 fails. Need it by Friday #{sent.topic.replace(' ', '-')} {tag}"
            )
        else:
            command, words = "/offer", f"{sent.topic} — happy to pair on it {tag}"
        fields = payloads.slash_command(
            command=command,
            text=words,
            user_id=sent.user,
            user_name=user_name(sent.user),
            channel_id=sent.channel,
            team_id=sent.team,
            team_domain=team.name.lower(),
            response_url=response_url,
        )
        return urlencode(fields).encode(), "application/x-www-form-urlencoded"
    if sent.kind == "reply":
        event = payloads.message_event(
            user=sent.user,
            channel=sent.channel,
            text=f"Restarting the pods fixed it for me {tag}",
            ts=sent.ts,
            thread_ts=sent.thread_ts,
            team=sent.team,
        )
    else:
        event = payloads.reaction_added_event(
            user=sent.user,
            reaction=REACTION,
            channel=sent.channel,
            ts=sent.ts,
            item_user=sent.author,
        )
    envelope = payloads.event_callback(event, team_id=sent.team, bot_user_id=team.bot_user_id)
    return json.dumps(envelope).encode(), "application/json"


async def _drive(spec: Spec) -> tuple[float, list[Sent]]:
    """Send `spec`'s requests open-loop; return when the first was due and how each went."""
    rng = random.Random(spec.seed + spec.first_seq)
    taken = set(spec.offers_taken)
    total = int(spec.rate * (spec.warmup + spec.seconds))
    requests = [_request(spec, spec.first_seq + n, rng, taken) for n in range(total)]
    limits = httpx.Limits(
        max_connections=spec.concurrency, max_keepalive_connections=spec.concurrency
    )
    clients = [
        httpx.AsyncClient(base_url=url, limits=limits, timeout=spec.timeout) for url in spec.urls
    ]
    done: list[Sent] = []
    # Due times on the monotonic clock; `at` is reported as wall time for the outage tests.
    began = time.monotonic() + 0.2
    wall = time.time() - time.monotonic()

    async def one(n: int, sent: Sent) -> None:
        due = began + n / spec.rate
        body, content_type = _payload(spec, sent, spec.response_urls[n % len(spec.response_urls)])
        headers = signed_headers(body, content_type, spec.secret)
        status, answer, error = 0, "", ""
        try:
            response = await clients[sent.replica].post(
                "/slack/events", content=body, headers=headers
            )
            status, answer = response.status_code, _answer_text(response)
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        latency = time.monotonic() - due
        done.append(
            _with(
                sent,
                at=due + wall,
                status=status,
                latency=latency if status else None,
                answer=answer,
                error=error,
            )
        )

    tasks: list[asyncio.Task[None]] = []
    try:
        for n, sent in enumerate(requests):
            delay = began + n / spec.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n, sent)))
        await asyncio.gather(*tasks)
    finally:
        for client in clients:
            await client.aclose()
    done.sort(key=lambda s: s.seq)
    return began + wall, done


def _answer_text(response: httpx.Response) -> str:
    """The text of a command's ephemeral answer (empty for events), at most 500 characters."""
    if not response.content:
        return ""
    try:
        decoded = response.json()
    except ValueError:
        return response.text[:500]
    return str(decoded.get("text", "") if isinstance(decoded, dict) else decoded)[:500]


def _child(spec: Spec, pipe: Connection) -> None:
    """The driver process: run the load and send its outcome back through `pipe`."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    pipe.send(asyncio.run(_drive(spec)))
    pipe.close()


@dataclass
class Drive:
    """The outcome of a load run: every request sent, and the figures they make."""

    spec: Spec
    start: float
    sent: list[Sent]
    finished: float
    result: Result = field(init=False)

    def __post_init__(self) -> None:
        self.result = summarize(self)

    @property
    def acked(self) -> list[Sent]:
        """The requests the bot answered with HTTP 200."""
        return [s for s in self.sent if s.acked]

    @property
    def failed(self) -> list[Sent]:
        """The requests that got no HTTP 200 (refused or dropped connections, timeouts, 5xx)."""
        return [s for s in self.sent if not s.acked]


class DriveHandle:
    """A load run going on in its own process; `result()` waits for it."""

    def __init__(self, cluster: Cluster, spec: Spec) -> None:
        self.cluster = cluster
        self.spec = spec
        receive, send = multiprocessing.Pipe(duplex=False)
        self._receive = receive
        self._process = multiprocessing.get_context("spawn").Process(
            target=_child, args=(spec, send), daemon=True
        )
        self._process.start()
        send.close()

    def result(self) -> Drive:
        """Wait for the run to end; return what it sent and how it was answered."""
        try:
            start, sent = self._receive.recv()
        except EOFError:
            self._process.join()
            raise RuntimeError(f"the load driver died (exit {self._process.exitcode})") from None
        self._process.join()
        drive = Drive(self.spec, start, sent, time.time())
        self.cluster.offers_taken.update(
            (s.team, s.user, s.topic) for s in drive.sent if s.kind == "offer"
        )
        return drive


def start_drive(
    cluster: Cluster,
    rate: float,
    seconds: float,
    *,
    warmup: float = 1.0,
    concurrency: int = 64,
    timeout: float = 10.0,
    seed: int = 7,
) -> DriveHandle:
    """Start sending the mix at `rate` per second for `warmup + seconds` from a new process."""
    total = int(rate * (warmup + seconds)) + 1
    spec = Spec(
        urls=tuple(cluster.urls),
        rate=rate,
        seconds=seconds,
        warmup=warmup,
        concurrency=concurrency,
        timeout=timeout,
        teams=tuple(cluster.teams),
        threads=tuple(cluster.threads),
        first_seq=cluster.take_sequence(total),
        epoch=cluster.epoch,
        # One fresh response_url per request, each good for five posts as on Slack.
        response_urls=tuple(cluster.slack.new_response_url() for _ in range(total)),
        offers_taken=frozenset(cluster.offers_taken),
        seed=seed,
    )
    return DriveHandle(cluster, spec)


def drive(cluster: Cluster, rate: float, seconds: float, **options: Any) -> Drive:
    """Send the mix at `rate` per second for `seconds` (after a warm-up) and return the run."""
    return start_drive(cluster, rate, seconds, **options).result()


def summarize(run: Drive) -> Result:
    """The run's figures over its measured window (after the warm-up).

    An error is any request without HTTP 200, with an answer other than success, or answered
    after the client's timeout; latencies are those of the successes.
    """
    spec = run.spec
    begin = run.start + spec.warmup
    end = begin + spec.seconds
    measured = [s for s in run.sent if s.at >= begin]
    good = [
        s
        for s in measured
        if s.outcome == "ok" and s.latency is not None and s.latency <= spec.timeout
    ]
    latencies = sorted(s.latency for s in good if s.latency is not None)
    p50 = statistics.median(latencies) * 1000 if latencies else 0.0
    p99 = (
        latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000 if latencies else 0.0
    )
    in_window = sum(1 for s in good if s.latency is not None and s.at + s.latency <= end)
    return Result(
        len(measured), len(good), len(measured) - len(good), in_window, spec.seconds, p50, p99
    )


# -- the check -------------------------------------------------------------------------------


def exactly_once_problems(
    cluster: Cluster, sent: Sequence[Sent], *, drain_timeout: float = 120.0
) -> list[str]:
    """Everything wrong with `sent` as stored and delivered; [] when all is exactly once.

    (a) Each command acknowledged with success is stored exactly once (its marker in one kudos,
    ask or offer row; an event's reply or reaction kudos once); one answered "try again" is not
    stored at all; an unanswered one at most once. (b) Once the outbox drains (waiting up to
    `drain_timeout`), every row is `sent`, and every post a row owed (`chat.postMessage`, `dm`)
    is in the stand-in's record exactly once, under the channel and ts the row recorded.
    Ephemeral messages and response_url posts are at-least-once by design and not checked.
    """
    problems: list[str] = []
    drained = cluster.wait_drained(drain_timeout)
    if not drained:
        problems.append(
            f"the outbox did not drain in {drain_timeout:.0f}s: {cluster.outbox_counts()}"
        )
    stored = _stored(cluster)
    answers: list[str] = []
    for request in sent:
        count = stored[request.kind][_key(request)]
        outcome = request.outcome
        label = f"{request.kind} {request.marker} (replica {request.replica})"
        if outcome == "ok" and count != 1:
            problems.append(f"{label} was acknowledged but stored {count} times")
        elif outcome == "try_again" and count != 0:
            problems.append(f"{label} was answered 'try again' but stored {count} times")
        elif outcome in ("unanswered", "unexpected") and count > 1:
            problems.append(f"{label} got no success answer but was stored {count} times")
        if outcome == "unexpected":
            answers.append(f"{label} was answered {request.answer[:120]!r}")
    # Lost or repeated records first: answers nobody expected tend to come in crowds.
    return problems + _delivery_problems(cluster) + answers


def _key(request: Sent) -> str:
    """What identifies `request`'s record in `_stored`: its marker, or its event's natural key."""
    if request.kind == "reply":
        return f"{request.team}:{request.channel}:{request.ts}"
    if request.kind == "reaction":
        return f"{request.team}:{reaction_key(request.user, request.channel, request.ts)}"
    return request.marker


def _markers(values: Sequence[Any]) -> Counter[str]:
    """How many times each request marker appears in `values`."""
    found: Counter[str] = Counter()
    for value in values:
        for seq in _MARKER.findall(str(value or "")):
            found[marker(int(seq))] += 1
    return found


def _stored(cluster: Cluster) -> dict[str, Counter[str]]:
    """For each kind of request, how many times each request's key is in the database."""
    with cluster.engine.connect() as connection:
        kudos = connection.execute(
            select(Kudos.team_id, Kudos.message, Kudos.source, Kudos.dedupe_key)
        ).all()
        asks = connection.execute(select(Ask.text)).scalars().all()
        offers = connection.execute(select(Offer.note)).scalars().all()
        replies = connection.execute(
            select(AskReply.team_id, AskReply.channel_id, AskReply.ts)
        ).all()
    return {
        "kudos": _markers([row.message for row in kudos if row.source != "reaction"]),
        "ask": _markers(asks),
        "offer": _markers(offers),
        "reply": Counter(f"{r.team_id}:{r.channel_id}:{r.ts}" for r in replies),
        "reaction": Counter(
            # One add of a reaction is one kudos; its key adds the add's event_ts to the identity.
            f"{row.team_id}:{identity_of(row.dedupe_key)}"
            for row in kudos
            if row.source == "reaction"
        ),
    }


def _delivery_problems(cluster: Cluster) -> list[str]:
    """Outbox rows not sent, and owed posts missing, repeated or not where the row says."""
    problems: list[str] = []
    with cluster.engine.connect() as connection:
        rows = connection.execute(
            select(
                OutboxMessage.dedupe_key,
                OutboxMessage.method,
                OutboxMessage.status,
                OutboxMessage.result_channel,
                OutboxMessage.result_ts,
                OutboxMessage.last_error,
            )
        ).all()
    posts: dict[tuple[str, str], list[str]] = {}
    for message in cluster.slack.posted_messages():
        metadata = message.get("metadata")
        if not isinstance(metadata, dict) or metadata.get("event_type") != OUTBOX_EVENT:
            continue
        key = str((metadata.get("event_payload") or {}).get("key"))
        posts.setdefault((str(message["channel"]), key), []).append(str(message["ts"]))
    owed: set[tuple[str, str]] = set()
    for row in rows:
        if row.status != "sent":
            problems.append(
                f"outbox row {row.dedupe_key} ({row.method}) is {row.status}: {row.last_error}"
            )
            continue
        if row.method not in POSTS:
            continue
        where = (str(row.result_channel), row.dedupe_key)
        owed.add(where)
        found = posts.get(where, [])
        if len(found) != 1:
            problems.append(f"{row.dedupe_key} was posted {len(found)} times in {where[0]}")
        elif found[0] != row.result_ts:
            problems.append(f"{row.dedupe_key} recorded ts {row.result_ts}, posted {found[0]}")
    for where, found in posts.items():
        if where not in owed:
            problems.append(
                f"{where[1]} was posted {len(found)} times in {where[0]}, owed by no row"
            )
    return problems


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


def measure_step(cluster: Cluster, rate: float, seconds: float) -> Step:
    """Offer `rate` requests/s for `seconds`, wait for the outbox to drain, and measure."""
    pids = cluster.pids()
    cpu_before = [cpu_seconds(pid) for pid in pids]
    pg_before = postgres_cpu_seconds() if cluster.backend == "postgresql" else 0.0
    run = drive(cluster, rate, seconds)
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
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    best_rows: list[list[str]] = []
    step_rows: list[list[str]] = []
    started = time.monotonic()
    for index in (int(i) for i in args.runs.split(",")):
        label, backend, replicas = RUNS[index]
        setup = time.monotonic()
        with Cluster(backend, replicas, args.workspaces, args.users) as cluster:
            print(f"{label}: set up in {time.monotonic() - setup:.0f}s", flush=True)
            steps: list[Step] = []
            for rate in rates:
                step = measure_step(cluster, rate, args.seconds)
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
                if not step.passed:
                    break
            rss = [peak_rss_mib(pid) for pid in cluster.pids()]
        passing = [s for s in steps if s.passed]
        if not passing:
            best_rows.append([label, "none", *[""] * 8])
            continue
        best = passing[-1]
        cpu, database = _cpu(best, backend)
        overload = steps[-1] if not steps[-1].passed else None
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
