"""Kill `reciprocity worker` processes mid-batch and count what was lost or sent twice.

Shared by the CI crash test (a few kills) and `bench.delivery_crash` (100+ kills).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select

from app.delivery import outbox
from app.delivery.joins import join_first
from app.runtime import Runtime
from app.sandbox.answers import Call
from app.sandbox.slack_api import SlackStandIn
from app.store.db import transaction
from app.store.models import OutboxMessage

# Between a note's name and the ts of the post it follows.
_FOLLOWS = " follows "


@dataclass(frozen=True)
class CrashReport:
    """How a kill loop ended."""

    kills: int
    messages: int
    delivered: int
    duplicates: int
    unsent_rows: int
    max_per_message: int
    # Notes (followers) that quoted another ts than their post's.
    wrong_links: int = 0


def queue_messages(
    runtime: Runtime,
    team_id: str,
    slack: SlackStandIn,
    count: int,
    channels: int,
    *,
    join: bool = False,
    notes: bool = False,
) -> int:
    """Queue `count` uniquely worded posts spread over `channels` channels the stand-in knows;
    with `join`, each post joins its channel first, as asks and kudos do; with `notes`, every
    other post is followed by a note that quotes its ts, as a kudos's DM links its post, and
    every eighth by a second one, as a kudos to two people is. Return how many messages were
    queued."""
    for n in range(channels):
        slack.add_channel(f"C{n:06d}", f"load-{n}")
    now = runtime.clock.now()
    queued = 0
    with transaction(runtime.sessions) as session:
        for n in range(count):
            args = {"channel": f"C{n % channels:06d}", "text": f"message {n}"}
            outbox.queue(
                session,
                team_id=team_id,
                method="chat.postMessage",
                args=join_first(args) if join else args,
                dedupe_key=f"crash:{n}",
                now=now,
            )
            queued += 1
            for note in _notes(n) if notes else ():
                outbox.queue(
                    session,
                    team_id=team_id,
                    method="chat.postMessage",
                    args={
                        "channel": args["channel"],
                        "text": f"note {note}{_FOLLOWS}{outbox.AFTER_TS}",
                    },
                    dedupe_key=f"crash:{note}:note",
                    after_key=f"crash:{n}",
                    now=now,
                )
                queued += 1
    return queued


def _notes(n: int) -> list[str]:
    """The names of post `n`'s notes: "n" for every other post, "n.2" too for every eighth."""
    return [str(n)] * (n % 2 == 0) + [f"{n}.2"] * (n % 8 == 0)


def worker_env(database_url: str, slack: SlackStandIn, token: str) -> dict[str, str]:
    """The environment a `reciprocity worker` process needs to talk to the stand-in."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": token,
        "SLACK_API_URL": slack.base_url,
        "LOG_LEVEL": "WARNING",
    }


def start_worker(
    env: dict[str, str], lease: float, concurrency: int = 8
) -> subprocess.Popen[bytes]:
    """Start one `reciprocity worker` process."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app",
            "worker",
            "--lease-seconds",
            str(lease),
            "--concurrency",
            str(concurrency),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def posted_count(slack: SlackStandIn) -> int:
    """How many posts the stand-in accepted."""
    return sum(1 for call in slack.calls_to("chat.postMessage") if call.ok)


def unsent(runtime: Runtime) -> int:
    """How many outbox rows are not yet sent."""
    with runtime.sessions() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status != "sent")
            )
            or 0
        )


def kill_loop(
    runtime: Runtime,
    slack: SlackStandIn,
    env: dict[str, str],
    *,
    kills: int,
    messages: int,
    lease: float = 1.0,
    seed: int = 1,
    finish_timeout: float = 120.0,
) -> CrashReport:
    """SIGKILL a worker `kills` times while it posts, then let one finish; report the damage."""
    rng = random.Random(seed)
    done_kills = 0
    for _ in range(kills):
        if unsent(runtime) == 0:
            break
        before = posted_count(slack)
        process = start_worker(env, lease)
        deadline = time.monotonic() + 30
        # Kill only once it is posting, at a random moment of the batch.
        while posted_count(slack) == before and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 0.15))
        process.send_signal(signal.SIGKILL)
        process.wait()
        done_kills += 1
    final = start_worker(env, lease)
    deadline = time.monotonic() + finish_timeout
    try:
        while unsent(runtime) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        final.send_signal(signal.SIGTERM)
        final.wait(30)
    posted = [c for c in slack.calls_to("chat.postMessage") if c.ok]
    # A note is counted by whose note it is, whatever ts it quoted.
    texts = Counter(c.args["text"].split(_FOLLOWS)[0] for c in posted)
    return CrashReport(
        kills=done_kills,
        messages=messages,
        delivered=len(texts),
        duplicates=sum(n - 1 for n in texts.values()),
        unsent_rows=unsent(runtime),
        max_per_message=max(texts.values(), default=0),
        wrong_links=wrong_links(posted),
    )


def wrong_links(posted: list[Call]) -> int:
    """How many of the notes `posted` quote a ts that no post of their message was given."""
    given: dict[str, set[str]] = {}
    for call in posted:
        given.setdefault(call.args["text"], set()).add(str(call.response.get("ts")))
    wrong = 0
    for call in posted:
        note, follows, ts = call.args["text"].partition(_FOLLOWS)
        if follows:
            post = note.removeprefix("note ").partition(".")[0]
            wrong += ts not in given.get(f"message {post}", set())
    return wrong
