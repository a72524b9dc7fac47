"""`reciprocity demo` on a machine with no Slack and no credentials: the story, and a prompt."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _demo(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    # No Slack variables, no database: what a newcomer has on a fresh clone.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "DATABASE_URL", "TOKEN_ENCRYPTION"))
    }
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "app", "demo", *args],
        cwd=tmp_path,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_demo_tells_who_helped_whom(tmp_path: Path) -> None:
    result = _demo(tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for step in range(1, 9):
        assert f"[{step}/8]" in out
    assert "DM to @carol" in out  # the ask reached the offerer
    assert "DM to @dave" in out  # the nudge reached another expert
    assert "Resolved with help from @bob, @carol" in out
    assert "Who helped whom, week 2026-W48" in out
    assert "@bob helped Alice" in out
    assert "@carol helped Alice" in out
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []  # a throwaway database, left nowhere


def test_the_demo_takes_commands_typed_as_a_team_member(tmp_path: Path) -> None:
    result = _demo(
        tmp_path, "--interactive", "--as", "bob", stdin="/kudos @dave thanks for the demo\nexit\n"
    )
    assert result.returncode == 0, result.stderr
    prompt = result.stdout.split("You are @bob")[1]
    assert "Kudos to @dave are on their way" in prompt
    assert ":tada: @bob gave kudos to @dave" in prompt
    wrong = _demo(tmp_path, "--interactive", "--as", "mallory")
    assert wrong.returncode == 2
    assert "--as: pick one of alice" in wrong.stderr
