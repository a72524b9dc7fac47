"""The `reciprocity` command line as a person meets it: `python -m app …` in a clean environment,
the first line it prints and its exit code, for `--help`, `--version` and each way to get a
command wrong."""

from __future__ import annotations

import os
import subprocess
from importlib import metadata
from pathlib import Path

import pytest

from tests.cli import run_app
from tests.conftest import free_port

COMMANDS = (
    "run",
    "migrate",
    "worker",
    "scheduler",
    "digest",
    "nudge",
    "export",
    "forget",
    "demo",
    "keygen",
)
# A command-line argument for each command that takes --team, naming a team nobody installed.
WITH_TEAM = {
    "digest": ["digest", "--team", "TNOPE"],
    "nudge": ["nudge", "--team", "TNOPE"],
    "export": ["export", "--team", "TNOPE", "--user", "U1"],
    "forget": ["forget", "--team", "TNOPE", "--user", "U1"],
}


def _cli(database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m app ARGS` with nothing in its environment but what the case gives it."""
    clean = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    return run_app(*args, env={**clean, "DATABASE_URL": database_url, **env})


def _first(text: str) -> str:
    return text.splitlines()[0] if text else ""


@pytest.fixture
def missing(tmp_path: Path) -> Path:
    """A SQLite file nobody made yet."""
    return tmp_path / "typo.db"


def test_version_is_the_installed_package_version(missing: Path) -> None:
    result = _cli(f"sqlite:///{missing}", "--version")
    assert (result.returncode, result.stdout) == (
        0,
        f"reciprocity {metadata.version('reciprocity')}\n",
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_says_what_it_does_its_defaults_and_environment(
    command: str, missing: Path
) -> None:
    result = _cli(f"sqlite:///{missing}", command, "--help")
    assert result.returncode == 0, result.stderr
    assert _first(result.stdout).startswith(f"usage: reciprocity {command} ")
    assert "\nenvironment:" in result.stdout
    if command not in ("keygen", "demo"):
        assert "DATABASE_URL" in result.stdout
        assert "(default: sqlite:///reciprocity.db)" in " ".join(result.stdout.split())
    assert not missing.exists()


def test_help_names_every_option_plainly() -> None:
    def shown(command: str) -> str:
        result = _cli("sqlite:///unused.db", command, "--help")
        return " ".join(result.stdout.split())

    demo = shown("demo")
    assert "--as NAME" in demo
    assert "AS_" not in demo
    assert "(default: alice)" in demo
    scheduler = shown("scheduler")
    assert "--at INSTANT with --once: run the passes as of this ISO 8601 instant" in scheduler
    digest = shown("digest")
    assert "(default: current)" in digest
    assert 'posted as the week "so far" and never claimed' in digest
    assert "--concurrency N Slack calls in flight (default: 16)" in shown("worker")


@pytest.mark.parametrize("command", sorted(WITH_TEAM))
def test_a_one_shot_command_refuses_a_database_never_migrated(command: str, missing: Path) -> None:
    url = f"sqlite:///{missing}"
    result = _cli(url, *WITH_TEAM[command])
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        f"reciprocity: DATABASE_URL: no tables yet in {url}: run `reciprocity migrate` first\n",
    )
    # A typo in DATABASE_URL leaves no empty database behind.
    assert not missing.exists()


def test_migrate_tells_its_steps_and_other_commands_stay_quiet(missing: Path) -> None:
    url = f"sqlite:///{missing}"
    migrated = _cli(url, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "Running upgrade  -> 0001" in migrated.stderr
    assert migrated.stderr.splitlines()[-1].endswith("database is at the newest migration")
    nudged = _cli(url, "nudge")
    assert (nudged.returncode, nudged.stderr) == (0, "")
    assert _first(nudged.stdout) == "nudge pass: 0 asks looked at; nothing due"
    # At DEBUG the migration log is there for whoever asked for it.
    debug = _cli(url, "nudge", LOG_LEVEL="DEBUG")
    assert "alembic.runtime.migration" in debug.stderr


@pytest.mark.parametrize("command", sorted(WITH_TEAM))
def test_every_command_taking_a_team_refuses_an_unknown_one_alike(
    command: str, database_url: str
) -> None:
    result = _cli(database_url, *WITH_TEAM[command])
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        "reciprocity: --team: no workspace TNOPE is installed here\n",
    )


def test_scheduler_at_needs_once(missing: Path) -> None:
    result = _cli(f"sqlite:///{missing}", "scheduler", "--at", "2026-11-30T14:30:00Z")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == "reciprocity: error: scheduler --at needs --once"
    assert not missing.exists()


def test_an_unreachable_slack_names_what_to_check(tmp_path: Path) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1-test",
        "SLACK_SIGNING_SECRET": "secret",
        "PORT": str(free_port()),
    }
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    # SLACK_API_URL unset: Slack itself, reached (here, not) through the proxy the network needs.
    default = _cli(url, "run", HTTPS_PROXY=nobody, **env)
    assert (default.returncode, default.stderr) == (
        2,
        "reciprocity: cannot reach Slack at https://slack.com/api/ (auth.test: ConnectError): "
        "check the network and any proxy (HTTPS_PROXY)\n",
    )
    named = _cli(url, "run", SLACK_API_URL=f"{nobody}/api/", **env)
    assert (named.returncode, named.stderr) == (
        2,
        f"reciprocity: SLACK_API_URL: cannot reach Slack at {nobody}/api/ "
        "(auth.test: ConnectError): check SLACK_API_URL and that the server it names is up\n",
    )
