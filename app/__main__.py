"""The `reciprocity` command line (also `python -m app`)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from app.logs import configure_logging
from app.settings import Settings, SettingsError, load_settings

log = logging.getLogger("app")

EXIT_CONFIG = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reciprocity",
        description="Reciprocity: kudos, specific asks and a weekly digest of who helped whom.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="run the bot (HTTP on $PORT, or Socket Mode)")
    run.add_argument("--no-worker", action="store_true", help="do not deliver queued messages")
    run.add_argument("--no-scheduler", action="store_true", help="do not run scheduled jobs")
    run.add_argument(
        "--lease-seconds",
        type=float,
        default=60.0,
        help="how long a message the worker claimed is its own before another may take it over",
    )
    commands.add_parser("migrate", help="apply database migrations (alembic upgrade head)")
    worker = commands.add_parser("worker", help="run only the delivery worker (no HTTP server)")
    worker.add_argument("--concurrency", type=int, default=16, help="Slack calls in flight")
    worker.add_argument(
        "--lease-seconds",
        type=float,
        default=60.0,
        help="how long a claimed message is ours before another worker may take it over",
    )
    scheduler = commands.add_parser(
        "scheduler", help="run only the scheduler: weekly digests and nudge passes"
    )
    scheduler.add_argument("--once", action="store_true", help="run each pass once and exit")
    scheduler.add_argument(
        "--at",
        type=_instant,
        help="with --once: run the passes as of this ISO 8601 instant (drills, catch-up tests)",
    )
    digest = commands.add_parser("digest", help="preview or post a workspace's weekly digest")
    digest.add_argument("--team", required=True, help="the workspace's team id (T…)")
    digest.add_argument(
        "--week", default="current", help="current (default), last, or an ISO week: 2026-W45"
    )
    digest.add_argument(
        "--dry-run", action="store_true", help="print the digest as Slack would show it"
    )
    demo = commands.add_parser(
        "demo", help="run the whole bot offline against a built-in Slack stand-in"
    )
    demo.add_argument(
        "--interactive", action="store_true", help="after the story, type commands yourself"
    )
    demo.add_argument("--as", dest="as_", default="alice", help="who you are (alice, bob, …)")
    commands.add_parser(
        "keygen", help="print a new key for TOKEN_ENCRYPTION_KEYS (put it first to rotate)"
    )
    for name, purpose in (
        ("export", "print everything stored about a person, as JSON"),
        ("forget", "erase a person's data from a workspace"),
    ):
        person = commands.add_parser(name, help=purpose)
        person.add_argument("--team", required=True, help="the workspace's team id (T…)")
        person.add_argument("--user", required=True, help="the person's user id (U… or W…)")
    nudge = commands.add_parser("nudge", help="run the unanswered-ask nudge pass now")
    nudge.add_argument("--team", help="only this workspace (team id T…)")
    return parser


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 instant: {text!r}") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a time zone offset, e.g. {text}Z")
    return value.astimezone(UTC)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command in `argv`; return the process exit code."""
    args = _parser().parse_args(argv)
    if args.command == "keygen":
        from cryptography.fernet import Fernet

        print(Fernet.generate_key().decode())
        return 0
    try:
        settings = load_settings(os.environ)
    except SettingsError as exc:
        return _fail(str(exc))
    configure_logging(settings.log_level, settings.log_format)
    try:
        if args.command == "demo":
            from app.sandbox.demo import main as demo

            # The story is the output; the bot's own logs would drown it.
            configure_logging("WARNING", settings.log_format)

            # A throwaway SQLite file unless DATABASE_URL names a database to use.
            given = settings.database_url if os.environ.get("DATABASE_URL") else None
            return demo(given, interactive_as=args.as_ if args.interactive else None)
        if args.command == "migrate":
            return _migrate(settings)
        if args.command == "run":
            return _run(settings, args)
        if args.command == "worker":
            return _worker(settings, args)
        if args.command in ("scheduler", "digest", "nudge", "export", "forget"):
            from app import jobs_cli

            return int(getattr(jobs_cli, args.command)(settings, args))
    except SettingsError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130
    raise AssertionError(f"unhandled command {args.command}")


def _fail(line: str) -> int:
    print(f"reciprocity: {line}", file=sys.stderr)
    return EXIT_CONFIG


def _migrate(settings: Settings) -> int:
    from app.server import StartupError, prepare_database

    try:
        prepare_database(settings)
    except StartupError as exc:
        return _fail(str(exc))
    log.info("database is at the newest migration")
    return 0


def _run(settings: Settings, args: argparse.Namespace) -> int:
    from app.delivery.worker import WorkerConfig
    from app.server import BotServer, StartupError

    if args.lease_seconds <= 0:
        return _fail("--lease-seconds must be positive")
    try:
        server = BotServer(
            settings,
            with_worker=not args.no_worker,
            with_scheduler=not args.no_scheduler,
            worker_config=WorkerConfig(lease_seconds=args.lease_seconds),
        )
    except StartupError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"PORT: cannot listen on {settings.port} ({exc.strerror})")
    try:
        server.run()
    except StartupError as exc:
        return _fail(str(exc))
    return 0


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    from app.delivery.worker import WorkerConfig
    from app.server import StartupError, run_worker

    if args.concurrency < 1 or args.lease_seconds <= 0:
        return _fail("--concurrency and --lease-seconds must be positive")
    try:
        run_worker(
            settings,
            config=WorkerConfig(concurrency=args.concurrency, lease_seconds=args.lease_seconds),
        )
    except StartupError as exc:
        return _fail(str(exc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
