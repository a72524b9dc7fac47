"""Child processes for crash tests: a bare delivery worker, or a bot that queues, commits and acks.

`python -m tests.delivery.worker_process --database-url URL --api-url URL --token T --team T0001
--lease 2 [--concurrency N]` delivers the outbox until SIGTERM. With `--ack-one TEXT --channel C`
it instead queues one post, commits, prints "acked" and waits to be killed, as a listener does
between committing its records and answering Slack.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from app.delivery import outbox
from app.delivery.config import WorkerConfig
from app.delivery.tokens import SingleWorkspaceTokens
from app.runtime import Runtime, build_runtime, build_worker
from app.settings import Settings
from app.store.db import transaction


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.delivery.worker_process")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--team", required=True)
    parser.add_argument("--lease", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--ack-one", metavar="TEXT", help="queue this post, commit, print acked")
    parser.add_argument("--channel", default="C0GENERAL", help="where --ack-one posts")
    return parser


def deliver(runtime: Runtime, team: str, token: str, lease: float, concurrency: int) -> None:
    """Run a delivery worker with a short lease, print "ready", and stop it on SIGTERM."""
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    # A short lease so rows a killed worker held are taken up within the test's patience; a short
    # poll because no other process's commit can ring this process's doorbell.
    config = WorkerConfig(concurrency=concurrency, lease_seconds=lease, poll_seconds=0.05)
    worker = build_worker(runtime, SingleWorkspaceTokens(team, token), config)
    worker.start()
    print("ready", flush=True)
    stop.wait()
    worker.stop()


def ack_one(runtime: Runtime, team: str, channel: str, text: str) -> None:
    """Queue one post in a committed transaction, print "acked", then wait to be killed."""
    with transaction(runtime.sessions) as session:
        outbox.queue(
            session,
            team_id=team,
            method="chat.postMessage",
            args={"channel": channel, "text": text},
            dedupe_key=f"acked:{text}",
            now=runtime.clock.now(),
        )
    print("acked", flush=True)
    # The parent SIGKILLs us here; an exit of our own would make the kill pointless.
    threading.Event().wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the mode `argv` asks for; return the process exit code."""
    args = _parser().parse_args(argv)
    runtime = build_runtime(
        Settings(
            database_url=args.database_url,
            slack_bot_token=args.token,
            slack_api_url=args.api_url,
        )
    )
    try:
        if args.ack_one is not None:
            ack_one(runtime, args.team, args.channel, args.ack_one)
        else:
            deliver(runtime, args.team, args.token, args.lease, args.concurrency)
    finally:
        runtime.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
