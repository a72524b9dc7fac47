"""A cluster: the stand-in, a database and `reciprocity run` replicas, every workspace installed."""

from __future__ import annotations

import itertools
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import Engine, create_engine, func, select, update
from sqlalchemy.pool import NullPool

from app.sandbox import payloads
from app.store.models import Ask, Member, OutboxMessage, Workspace
from bench.apps import SIGNING_SECRET
from bench.delivery import PG_ADMIN, database
from bench.loadgen import free_port, wait_port
from bench.loadkit.mix import signed_headers
from bench.loadkit.teams import (
    REACTION,
    TOPICS,
    AskThread,
    Team,
    TeamScopedStandIn,
    layout,
    user_name,
)

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "4242.4242"
CLIENT_SECRET = "load-client-secret"
STATE_SECRET = "load-state-secret"


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
        profile_dir: Path | None = None,
        source: Path | None = None,
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
        # With a folder, replicas run under bench.loadkit.profiled, each dumping to its own.
        self.profile_dir = profile_dir
        # The checkout whose bot the replicas run (another commit's, for a before and after).
        self.source = source or ROOT

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
            # Another checkout's bot migrates to its own schema as it starts.
            self.database_url = self._stack.enter_context(
                database(self.backend, self._admin_url, migrated=self.source == ROOT)
            )
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
        if self.profile_dir is not None:
            env["PROFILE_DIR"] = str(self.profile_dir / f"replica-{index}")
        if self.source != ROOT:
            # Its `app` first; this checkout's `bench` (the profiled runner) after it.
            env["PYTHONPATH"] = os.pathsep.join((str(self.source), str(ROOT)))
        return env

    def start_replica(self, index: int) -> subprocess.Popen[bytes]:
        """Start (or restart, on the same port) replica `index` and wait until it serves."""
        # The child keeps its own copy of the file; appending keeps a killed replica's lines.
        module = "app" if self.profile_dir is None else "bench.loadkit.profiled"
        with open(self.folder / f"replica-{index}.log", "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", module, "run", *self.run_args],
                env=self.env(index),
                cwd=self.source,
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

    def mark_profiles(self) -> None:
        """Have every profiled replica dump its profiles so far, the start its end is read from."""
        if self.profile_dir is None:
            return  # SIGUSR1 would end a replica that is not profiled
        for process in self.processes:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 10
        folders = [self.profile_dir / f"replica-{i}" / "start" for i in range(len(self.processes))]
        while not all(f.exists() for f in folders) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)  # the last files of the dump

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
        short = {
            team: counts.get(team, 0)
            for team, count in wanted.items()
            if counts.get(team, 0) < count
        }
        raise RuntimeError(
            f"member directories did not fill after the installs: {len(short)} short "
            f"({dict(list(short.items())[:5])}); replica 0 said: {self.log_tail(0)}"
        )

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
