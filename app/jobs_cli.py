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
from types import FrameType

from app.calendar import zone
from app.clock import ManualClock
from app.digest import runs
from app.digest.blocks import digest_as_text
from app.digest.weeks import parse_week
from app.nudges.service import run_pass
from app.privacy.service import export_person, forget_person
from app.runtime import build_runtime
from app.scheduler import Scheduler
from app.server import StartupError, prepare_database
from app.settings import Settings
from app.store.db import transaction
from app.store.models import Workspace

log = logging.getLogger(__name__)


def _fail(line: str) -> int:
    print(f"reciprocity: {line}", file=sys.stderr)
    return 2


def scheduler(settings: Settings, args: argparse.Namespace) -> int:
    """Run the scheduler until SIGTERM or SIGINT (or each pass once, with --once)."""
    try:
        prepare_database(settings)
    except StartupError as exc:
        return _fail(str(exc))
    # A fixed instant (--at): the passes run as of then, wherever the wall clock is.
    runtime = build_runtime(settings, ManualClock(args.at) if args.once and args.at else None)
    try:
        if args.once:
            jobs = Scheduler(runtime)
            outcomes = jobs.digests()
            result = jobs.nudges()
            posted = ", ".join(f"{o.team_id} {o.week} {o.status}" for o in outcomes)
            print(f"digests: {posted or 'none due'}")
            print(f"nudges: {result.examined if result else 0} asks looked at")
            return 0
        stop = threading.Event()

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            stop.set()

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, on_signal)
        jobs = Scheduler(runtime)
        jobs.start()
        stop.wait()
        jobs.stop()
        return 0
    finally:
        runtime.close()


def digest(settings: Settings, args: argparse.Namespace) -> int:
    """Preview (--dry-run) or post a workspace's digest for a week."""
    try:
        prepare_database(settings)
    except StartupError as exc:
        return _fail(str(exc))
    runtime = build_runtime(settings)
    try:
        now = runtime.clock.now()
        with transaction(runtime.sessions) as session:
            workspace = session.get(Workspace, args.team)
            if workspace is None:
                return _fail(f"--team: no workspace {args.team} is installed here")
            try:
                week = parse_week(args.week, now, zone(workspace.timezone))
            except ValueError as exc:
                return _fail(f"--week: {exc}")
            if args.dry_run:
                _, blocks, _ = runs.render(session, workspace, week, now)
                print(digest_as_text(blocks))
                return 0
            outcome = runs.post(session, workspace, week, now, trigger="manual")
        print(_said(outcome))
        return 0 if outcome.status in ("queued", "quiet", "already") else 1
    finally:
        runtime.close()


def _said(outcome: runs.RunOutcome) -> str:
    return {
        "queued": f"digest for {outcome.week} queued; a delivery worker posts it",
        "quiet": f"{outcome.week} was quiet and the workspace skips quiet weeks: nothing posted",
        "already": f"the digest for {outcome.week} was already posted: nothing changed",
        "no-channel": "the workspace has no digest channel: set one in /kudos settings",
    }.get(outcome.status, outcome.status)


def nudge(settings: Settings, args: argparse.Namespace) -> int:
    """Run the nudge pass now, for one workspace or all."""
    try:
        prepare_database(settings)
    except StartupError as exc:
        return _fail(str(exc))
    runtime = build_runtime(settings)
    try:
        result = run_pass(runtime.sessions, runtime.clock.now(), args.team)
    finally:
        runtime.close()
    done = (
        ", ".join(f"{kind}: {n}" for kind, n in sorted(result.done.items()) if n) or "nothing due"
    )
    print(f"nudge pass: {result.examined} asks looked at; {done}")
    return 0


def export(settings: Settings, args: argparse.Namespace) -> int:
    """Print everything stored about one person in one workspace, as JSON."""
    try:
        prepare_database(settings)
    except StartupError as exc:
        return _fail(str(exc))
    runtime = build_runtime(settings)
    try:
        with runtime.sessions() as session:
            if session.get(Workspace, args.team) is None:
                return _fail(f"--team: no workspace {args.team} is installed here")
            data = export_person(session, args.team, args.user)
    finally:
        runtime.close()
    print(json.dumps(data, indent=2, ensure_ascii=False))
    return 0


def forget(settings: Settings, args: argparse.Namespace) -> int:
    """Erase one person's data in one workspace and say what was removed."""
    try:
        prepare_database(settings)
    except StartupError as exc:
        return _fail(str(exc))
    runtime = build_runtime(settings)
    try:
        with transaction(runtime.sessions) as session:
            if session.get(Workspace, args.team) is None:
                return _fail(f"--team: no workspace {args.team} is installed here")
            done = forget_person(session, args.team, args.user, runtime.clock.now())
    finally:
        runtime.close()
    removed = ", ".join(f"{kind}: {n}" for kind, n in done.counts.items() if n) or "nothing"
    print(f"forgot {args.user} in {args.team}: {removed}")
    return 0
