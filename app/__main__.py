"""The `reciprocity` command line (also `python -m app`)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import textwrap
from argparse import ArgumentParser
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from importlib import metadata

from app.logs import configure_logging
from app.settings import VARIABLES, Settings, SettingsError, load_settings

log = logging.getLogger("app")

EXIT_CONFIG = 2


_WIDTH = 79
_DB = ("DATABASE_URL", "LOG_LEVEL", "LOG_FORMAT")
_SLACK_CALLS = (
    "SLACK_BOT_TOKEN",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "TOKEN_ENCRYPTION_KEYS",
    "SLACK_API_URL",
)


def _environment(names: Sequence[str], defaults: Mapping[str, str] | None = None) -> str:
    """The help epilog listing the environment variables `names`, what each holds, and its
    default (from `defaults` where a command's differs)."""
    if not names:
        return "environment: reads none"
    known = {variable.name: variable for variable in VARIABLES}
    lines = ["environment:"]
    for name in names:
        variable = known[name]
        default = (defaults or {}).get(name, variable.default)
        text = variable.expects + (f" (default: {default})" if default is not None else "")
        lines.extend(
            textwrap.wrap(text, _WIDTH, initial_indent=f"  {name:<22} ", subsequent_indent=" " * 25)
        )
    return "\n".join(lines)


def _version() -> str:
    try:
        return metadata.version("reciprocity")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reciprocity",
        description="Reciprocity: kudos, specific asks and a weekly digest of who helped whom.",
        epilog="`reciprocity COMMAND --help` tells what a command does, its options and the "
        "environment variables it reads.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"reciprocity {_version()}",
        help="print `reciprocity VERSION` and exit",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        name: str,
        summary: str,
        details: str,
        env: Sequence[str],
        defaults: Mapping[str, str] | None = None,
    ) -> ArgumentParser:
        about = f"{summary[0].upper()}{summary[1:]}. {details}".strip()
        return commands.add_parser(
            name,
            help=summary,
            description=textwrap.fill(about, _WIDTH),
            epilog=_environment(env, defaults),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    run = command(
        "run",
        "run the bot (HTTP on $PORT, or Socket Mode when SLACK_APP_TOKEN is set)",
        "Applies pending migrations first, then serves Slack with the delivery worker and "
        "the scheduler in the same process unless told otherwise.",
        [variable.name for variable in VARIABLES],
    )
    run.add_argument("--no-worker", action="store_true", help="do not deliver queued messages")
    run.add_argument("--no-scheduler", action="store_true", help="do not run scheduled jobs")
    run.add_argument(
        "--lease-seconds",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long a message the worker claimed is its own before another may take it "
        "over (default: 60)",
    )
    command(
        "migrate",
        "apply database migrations (alembic upgrade head)",
        "Creates the database's tables on first use; the other commands expect them.",
        _DB,
    )
    worker = command(
        "worker",
        "run only the delivery worker (no HTTP server)",
        "Sends the messages other processes queued, until SIGTERM or SIGINT.",
        (*_DB, *_SLACK_CALLS),
    )
    worker.add_argument(
        "--concurrency",
        type=int,
        default=16,
        metavar="N",
        help="Slack calls in flight (default: 16)",
    )
    worker.add_argument(
        "--lease-seconds",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long a claimed message is ours before another worker may take it over "
        "(default: 60)",
    )
    scheduler = command(
        "scheduler",
        "run only the scheduler: weekly digests, nudge passes and introductions",
        "Queues what is due, for a delivery worker to send, until SIGTERM or SIGINT.",
        _DB,
    )
    scheduler.add_argument(
        "--once",
        action="store_true",
        help="run each pass once and exit (default: run until stopped)",
    )
    scheduler.add_argument(
        "--at",
        type=_instant,
        metavar="INSTANT",
        help="with --once: run the passes as of this ISO 8601 instant with a zone offset, "
        "e.g. 2026-11-30T14:30:00Z, for drills and catch-up tests (default: now)",
    )
    digest = command(
        "digest",
        "preview or post a workspace's weekly digest",
        "Without --dry-run the digest is queued for posting now, unless that week's digest was "
        'already posted. A week that is not over is posted as the week "so far" and never '
        "claimed, so its scheduled digest still comes.",
        _DB,
    )
    digest.add_argument("--team", required=True, metavar="T", help="the workspace's team id (T…)")
    digest.add_argument(
        "--week",
        default="current",
        metavar="WEEK",
        help="current (the week so far, in the workspace's time zone), last, or an ISO week "
        "such as 2026-W45 (default: current)",
    )
    digest.add_argument(
        "--dry-run", action="store_true", help="print the digest as Slack would show it"
    )
    demo = command(
        "demo",
        "run the whole bot offline against a built-in Slack stand-in",
        "Uses its own throwaway SQLite file; DATABASE_URL is ignored, so a demo never touches a "
        "real workspace's data. With --interactive it plays the story first, then takes your "
        "commands.",
        ("LOG_FORMAT",),
        {},
    )
    demo.add_argument(
        "--interactive", action="store_true", help="after the story, type commands yourself"
    )
    demo.add_argument(
        "--as",
        dest="as_",
        default="alice",
        metavar="NAME",
        help="with --interactive: who you are: alice, bob, carol or dave, any case "
        "(default: alice)",
    )
    command(
        "keygen",
        "print a new key for TOKEN_ENCRYPTION_KEYS (put it first to rotate)",
        "",
        (),
    )
    for name, purpose in (
        ("export", "print everything stored about a person, as JSON"),
        ("forget", "erase a person's data from a workspace"),
    ):
        person = command(name, purpose, "", _DB)
        person.add_argument(
            "--team", required=True, metavar="T", help="the workspace's team id (T…)"
        )
        person.add_argument(
            "--user", required=True, metavar="U", help="the person's user id (U… or W…)"
        )
    nudge = command(
        "nudge",
        "run the unanswered-ask nudge pass now",
        "Queues the nudges that are due, as the scheduler would.",
        _DB,
    )
    nudge.add_argument(
        "--team", metavar="T", help="only this workspace, by team id (default: every workspace)"
    )
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
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "scheduler" and args.at is not None and not args.once:
        parser.error("scheduler --at needs --once")
    if args.command == "keygen":
        from cryptography.fernet import Fernet

        print(Fernet.generate_key().decode())
        return 0
    environ = dict(os.environ)
    if args.command == "demo":
        # The demo ignores DATABASE_URL, so a malformed one must not stop it either.
        environ.pop("DATABASE_URL", None)
    try:
        settings = load_settings(environ)
    except SettingsError as exc:
        return _fail(str(exc))
    configure_logging(settings.log_level, settings.log_format, migrations=args.command == "migrate")
    try:
        if args.command == "demo":
            from app.sandbox.demo import main as demo

            # The story is the output; the bot's own logs would drown it.
            configure_logging("WARNING", settings.log_format)

            # The demo says so if DATABASE_URL is set: it uses its own throwaway file regardless.
            given = os.environ.get("DATABASE_URL") or None
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
    from app.delivery.config import WorkerConfig
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
    from app.delivery.config import WorkerConfig
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
