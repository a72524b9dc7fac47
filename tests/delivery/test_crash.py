"""Crashes lose nothing: workers SIGKILLed mid-batch, a bot killed right after its ack, replicas."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from app.delivery.config import WorkerConfig
from app.runtime import Runtime
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from bench.crashloop import (
    kill_loop,
    queue_messages,
    start_worker,
    unsent,
    worker_env,
    wrong_links,
)
from tests.cli import start_app
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, free_port, wait_healthy
from tests.delivery.conftest import TEAM
from tests.waiting import eventually

# Tens of seconds each: collected first, so parallel workers start them early (tests/conftest.py).
pytestmark = pytest.mark.slow

KILLS = int(os.environ.get("CRASH_KILLS", "5"))
ROOT = Path(__file__).resolve().parents[2]


def child(database_url: str, slack: SlackStandIn, *extra: str) -> subprocess.Popen[bytes]:
    """Start `tests.delivery.worker_process` against this test's database and stand-in."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.delivery.worker_process",
            "--database-url",
            database_url,
            "--api-url",
            slack.base_url,
            "--token",
            BOT_TOKEN,
            "--team",
            TEAM,
            *extra,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )


def read_line(process: subprocess.Popen[bytes], timeout: float = 20) -> str:
    """The child's next line of stdout, or "" if it exits or stays silent for `timeout`."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            return ""
    return process.stdout.readline().decode().strip()


def test_killed_workers_lose_nothing_and_repeat_only_what_they_held(
    runtime: Runtime, slack: SlackStandIn, database_url: str
) -> None:
    # The channels are not joined, so Slack refuses the lookups: a row a dead worker held may be
    # posted again unchecked. bench.delivery_crash joins first and repeats nothing.
    if database_url.startswith("sqlite"):
        runtime.engine.dispose()  # one process at a time on SQLite: leave the file to workers
    # Half the posts have a note following them (an eighth two), most sent by the post's sender
    # right after it.
    queued = queue_messages(runtime, TEAM, slack, count=600, channels=60, notes=True)
    report = kill_loop(
        runtime, slack, worker_env(database_url, slack, BOT_TOKEN), kills=KILLS, messages=queued
    )
    assert report.kills >= 1
    assert report.unsent_rows == 0
    assert report.delivered == queued == 975
    assert report.wrong_links == 0
    # Only a call Slack answered before the kill, whose "sent" never committed, may repeat: at
    # most the rows the worker held, its 8 calls and a round's worth leased ahead of them.
    assert report.duplicates <= report.kills * (8 + WorkerConfig().batch_size)
    assert report.max_per_message <= 1 + report.kills


def test_a_bot_killed_right_after_its_ack_loses_no_kudos(
    database_url: str, slack: SlackStandIn, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **worker_env(database_url, slack, BOT_TOKEN),
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "PORT": str(port),
    }
    bot = start_app(
        "run",
        "--no-worker",
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", bot)
        with SlackDriver(f"http://127.0.0.1:{port}", SIGNING_SECRET) as driver:
            acked = driver.command(
                command="/kudos",
                text="<@U0BOB|bob> thanks for the rescue",
                user_id="U0ALICE",
                channel_id="C0GENERAL",
                response_url=slack.new_response_url(),
            )
        bot.send_signal(signal.SIGKILL)
        assert acked.status_code == 200
        assert "on their way" in acked.text
    finally:
        bot.kill()
        bot.wait()
    assert slack.calls_to("chat.postMessage") == []
    worker = start_worker(worker_env(database_url, slack, BOT_TOKEN), lease=1)
    try:
        slack.wait_for("chat.postMessage", count=2, timeout=20)
        time.sleep(0.5)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(20)
    channels = Counter(c.args["channel"] for c in slack.calls_to("chat.postMessage") if c.ok)
    assert channels == {"C0GENERAL": 1, "U0BOB": 1}


def test_a_listener_killed_right_after_commit_and_ack_has_its_message_delivered_once(
    runtime: Runtime, slack: SlackStandIn, database_url: str
) -> None:
    text = "thanks for the rescue"
    bot = child(database_url, slack, "--ack-one", text)
    try:
        acked = read_line(bot)
        # Killed the moment it acked: nothing after the commit may be needed to deliver.
        bot.send_signal(signal.SIGKILL)
    finally:
        bot.kill()
        bot.wait()
    assert acked == "acked"
    assert slack.calls_to("chat.postMessage") == []
    worker = child(database_url, slack, "--lease", "2")
    try:
        assert read_line(worker) == "ready"
        slack.wait_for("chat.postMessage", timeout=20)
        # Once the worker has recorded the post as sent, it will never post it again.
        eventually(lambda: unsent(runtime) == 0, what="the post recorded as sent")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(20)
    assert [c.args["text"] for c in slack.calls_to("chat.postMessage") if c.ok] == [text]
    assert unsent(runtime) == 0


@pytest.mark.postgres
def test_three_workers_share_one_queue_and_post_each_message_once(
    runtime: Runtime, slack: SlackStandIn, database_url: str
) -> None:
    queued = queue_messages(runtime, TEAM, slack, count=3000, channels=300, notes=True)
    env = worker_env(database_url, slack, BOT_TOKEN)
    workers = [start_worker(env, lease=30) for _ in range(3)]
    try:
        eventually(lambda: unsent(runtime) == 0, what="every row sent", timeout=120, interval=0.2)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(30)
    posted = [c for c in slack.calls_to("chat.postMessage") if c.ok]
    texts = Counter(c.args["text"] for c in posted)
    assert len(texts) == queued == 4875
    assert set(texts.values()) == {1}
    assert wrong_links(posted) == 0
    assert unsent(runtime) == 0
    per_channel = Counter(c.args["channel"] for c in slack.calls_to("chat.postMessage") if c.ok)
    # Ten posts a channel; in every other channel a note after each, and in every fourth a
    # second note after every other post (post n goes to channel n % 300, 300 % 8 == 4).
    assert per_channel == {
        f"C{n:06d}": 25 if n % 4 == 0 else 20 if n % 2 == 0 else 10 for n in range(300)
    }
