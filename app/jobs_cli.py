"""Commands that need only the database: `reciprocity scheduler`, `digest` and `nudge` (the
scheduled jobs by hand), and `export` / `forget` (a person's data). Messages are queued in the
outbox for a delivery worker (`reciprocity run` or `reciprocity worker`) to send.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType

from sqlalchemy import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.calendar import zone
from app.clock import ManualClock
from app.console import blocks_text, mentioned_users
from app.digest import runs
from app.digest.weeks import parse_week
from app.directory.service import get_members
from app.intros.passes import IntroPassResult
from app.nudges.service import run_pass
from app.privacy.service import export_person, forget_person
from app.runtime import Runtime, build_runtime
from app.scheduler import Scheduler
from app.server import StartupError, prepare_database
from app.settings import Settings
from app.store import migrate
from app.store.db import transaction
from app.store.models import Workspace

log = logging.getLogger(__name__)


# Like `run` and `worker`, the long-running scheduler sets a new database up; the one-shot
# commands refuse one, so a typo in DATABASE_URL does not leave an empty database behind.
_CREATES = frozenset({"scheduler"})


def _fail(line: str) -> int:
    print(f"reciprocity: {line}", file=sys.stderr)
    return 2


class _Refused(Exception):
    """A command-line argument names something that is not there: one line, exit 2."""


def _command(
    run: Callable[[Runtime, argparse.Namespace], int],
) -> Callable[[Settings, argparse.Namespace], int]:
    """Give `run` a migrated database and a runtime, having checked any --team names an
    installed workspace; turn start-up and argument errors into one line on stderr, exit 2."""

    def command(settings: Settings, args: argparse.Namespace) -> int:
        try:
            _ready(settings, creates=run.__name__ in _CREATES)
        except StartupError as exc:
            return _fail(str(exc))
        # A fixed instant (scheduler --once --at): the passes run as of then.
        at = getattr(args, "at", None) if getattr(args, "once", False) else None
        runtime = build_runtime(settings, ManualClock(at) if at else None)
        try:
            team = getattr(args, "team", None)
            if team is not None:
                with runtime.sessions() as session:
                    _workspace(session, team)
            return run(runtime, args)
        except _Refused as exc:
            return _fail(str(exc))
        finally:
            runtime.close()

    command.__doc__ = run.__doc__
    return command


def _ready(settings: Settings, *, creates: bool) -> None:
    """Bring the database to the newest migration; unless `creates`, refuse one that was never
    migrated (or a SQLite file that does not exist) rather than make it as a side effect."""
    if not creates:
        try:
            known = migrate.initialised(settings.database_url)
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            raise StartupError(f"DATABASE_URL: cannot use the database ({reason})") from None
        if not known:
            where = make_url(settings.database_url).render_as_string(hide_password=True)
            raise StartupError(
                f"DATABASE_URL: no tables yet in {where}: run `reciprocity migrate` first"
            )
    prepare_database(settings)


def _workspace(session: Session, team_id: str) -> Workspace:
    workspace = session.get(Workspace, team_id)
    if workspace is None:
        raise _Refused(f"--team: no workspace {team_id} is installed here")
    return workspace


@_command
def scheduler(runtime: Runtime, args: argparse.Namespace) -> int:
    """Run the scheduler until SIGTERM or SIGINT (or each pass once, with --once)."""
    jobs = Scheduler(runtime)
    if args.once:
        outcomes = jobs.digests()
        result = jobs.nudges()
        intros = jobs.introductions()
        posted = ", ".join(f"{o.team_id} {o.week} {o.status}" for o in outcomes)
        print(f"digests: {posted or 'none due'}")
        print(f"nudges: {result.examined if result else 0} asks looked at")
        print(f"introductions: {_intros_said(intros)}")
        return 0
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    jobs.start()
    stop.wait()
    jobs.stop()
    return 0


def _intros_said(result: IntroPassResult | None) -> str:
    """One line for what the introductions pass did ("expired: 2, followed up: 1")."""
    if result is None:
        return "failed (see the log)"
    done = ", ".join(f"{step}: {n}" for step, n in result.done.items() if n) or "nothing due"
    return f"{done}; failed: {', '.join(result.failed)}" if result.failed else done


@_command
def digest(runtime: Runtime, args: argparse.Namespace) -> int:
    """Preview (--dry-run) or post a workspace's digest for a week."""
    now = runtime.clock.now()
    with transaction(runtime.sessions) as session:
        workspace = _workspace(session, args.team)
        try:
            week = parse_week(args.week, now, zone(workspace.timezone))
        except ValueError as exc:
            raise _Refused(f"--week: {exc}") from None
        if args.dry_run:
            _, blocks, _ = runs.render(session, workspace, week, now)
            # The console shows people by name, as Slack would, not as raw user ids.
            members = get_members(session, workspace.team_id, mentioned_users(blocks))
            names = {u: m.shown_name for u, m in members.items()}
            print(blocks_text(blocks, names, ansi=sys.stdout.isatty()))
            return 0
        outcome = runs.post(session, workspace, week, now, trigger="manual")
    print(_said(outcome))
    return 1 if outcome.status == runs.Outcome.NO_CHANNEL else 0


def _said(outcome: runs.RunOutcome) -> str:
    week = outcome.week
    return {
        runs.Outcome.QUEUED: f"digest for {week} queued; a delivery worker posts it",
        runs.Outcome.SO_FAR: (
            f"digest for {week} so far queued; a delivery worker posts it, and the week's "
            "own digest still comes after it ends"
        ),
        runs.Outcome.SO_FAR_ALREADY: (
            f"the digest for {week} so far was queued this minute: nothing changed"
        ),
        runs.Outcome.QUIET: f"{week} was quiet and the workspace skips quiet weeks: nothing posted",
        runs.Outcome.ALREADY: f"the digest for {week} was already posted: nothing changed",
        runs.Outcome.NO_CHANNEL: "the workspace has no digest channel: set one in /kudos settings",
    }.get(outcome.status, outcome.status)


@_command
def nudge(runtime: Runtime, args: argparse.Namespace) -> int:
    """Run the nudge pass now, for one workspace or all."""
    result = run_pass(runtime.sessions, runtime.clock.now(), args.team)
    done = (
        ", ".join(f"{kind}: {n}" for kind, n in sorted(result.done.items()) if n) or "nothing due"
    )
    print(f"nudge pass: {result.examined} asks looked at; {done}")
    return 0


@_command
def export(runtime: Runtime, args: argparse.Namespace) -> int:
    """Print everything stored about one person in one workspace, as JSON."""
    with runtime.sessions() as session:
        _workspace(session, args.team)
        data = export_person(session, args.team, args.user)
    print(json.dumps(data, indent=2, ensure_ascii=False))
    return 0


@_command
def forget(runtime: Runtime, args: argparse.Namespace) -> int:
    """Erase one person's data in one workspace and say what was removed."""
    with transaction(runtime.sessions) as session:
        _workspace(session, args.team)
        done = forget_person(session, args.team, args.user, runtime.clock.now())
    removed = ", ".join(f"{kind}: {n}" for kind, n in done.counts.items() if n) or "nothing"
    print(f"forgot {args.user} in {args.team}: {removed}")
    return 0
