"""The command line as tests run it: `python -m app …` in a child process, on this checkout's
code whatever the working directory."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def inherited(**variables: str) -> dict[str, str]:
    """This process's environment with `variables` set on top."""
    return {**os.environ, **variables}


def _command(args: tuple[str, ...], env: Mapping[str, str]) -> tuple[list[str], dict[str, str]]:
    # PYTHONPATH: the child imports this checkout's `app` even from another working directory.
    return [sys.executable, "-m", "app", *args], {"PYTHONPATH": str(ROOT), **env}


def run_app(
    *args: str,
    env: Mapping[str, str],
    cwd: Path = ROOT,
    stdin: str | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m app ARGS` in `cwd` with `env` as its whole environment; return it finished,
    with its output captured as text (a non-zero exit is the caller's to judge)."""
    command, full_env = _command(args, env)
    return subprocess.run(
        command,
        cwd=cwd,
        env=full_env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_app(
    *args: str, env: Mapping[str, str], cwd: Path = ROOT, **popen: Any
) -> subprocess.Popen[Any]:
    """Start `python -m app ARGS` in `cwd` with `env` as its whole environment; `popen` passes
    on to `subprocess.Popen` (stdout, stderr, text, …)."""
    command, full_env = _command(args, env)
    return subprocess.Popen(command, cwd=cwd, env=full_env, **popen)
