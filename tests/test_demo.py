"""`reciprocity demo` on a machine with no Slack and no credentials: the story, and a prompt."""

from __future__ import annotations

import os
import pty
import re
import subprocess
from pathlib import Path

import pytest

from app.sandbox.demo import COMMANDS
from tests.cli import ROOT, run_app, start_app

# Tens of seconds each: collected first, so parallel workers start them early (tests/conftest.py).
pytestmark = pytest.mark.slow


def _fresh() -> dict[str, str]:
    """No Slack variables, no database: what a newcomer has on a fresh clone."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "DATABASE_URL", "TOKEN_ENCRYPTION"))
    }
    return env | {"PYTHONPATH": str(ROOT)}


def _demo(
    tmp_path: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_app(
        "demo", *args, env=_fresh() | (env or {}), cwd=tmp_path, stdin=stdin, timeout=120
    )


@pytest.fixture(scope="module")
def story(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """One run of the plain story, shared by the tests that only read it."""
    folder = tmp_path_factory.mktemp("demo")
    return _demo(folder), folder


def test_the_demo_tells_who_helped_whom(
    story: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result, folder = story
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for step in range(1, 10):
        assert f"[{step}/9]" in out
    assert "DM to @carol" in out  # the ask reached the offerer
    assert "DM to @dave" in out  # the nudge reached another expert
    assert "Resolved with help from @bob, @carol" in out
    assert "Who helped whom, week 2026-W48" in out
    assert "@bob helped Alice" in out
    assert "@carol helped Alice" in out
    # Carol introduces Alice and Dave: each is asked privately, each says yes.
    introduction = out.split("[8/9]")[1].split("[9/9]")[0]
    assert "@carol types: /intro @alice @dave you both keep the staging" in introduction
    assert "DM to @alice\n    :wave: @carol would like to introduce you to @dave." in introduction
    assert "DM to @dave\n    :wave: @carol would like to introduce you to @alice." in introduction
    assert "@dave offers help with `postgresql`." in introduction
    assert "@alice clicks [Happy to connect]\n  DM to @alice (updated)\n" in introduction
    assert "You said yes. I'll start the group DM as soon as @dave does." in introduction
    both = introduction.split("@dave clicks [Happy to connect]\n")[1]
    assert "DM to @dave (updated)" in both
    assert "You both said yes: the introduction is in your group DM." in both
    group = both.split("Group DM of @alice, @dave and @carol\n")[1]
    assert ":handshake: @alice, meet @dave." in group
    assert "To start you off:" in group
    assert "• @carol connected Alice and Dave" in result.stdout
    assert "Traceback" not in result.stderr
    assert list(folder.iterdir()) == []  # a throwaway database, left nowhere


def test_the_demo_prints_messages_as_a_reader_sees_them(
    story: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    out = story[0].stdout
    # Links spelt out once, never "(see the post (https://…))".
    assert "(see the ask: https://demo.slack.com/archives/C0GENERAL/p" in out
    assert "))" not in out
    # Headings without their mrkdwn stars, no terminal codes in a pipe, quotes with a bar.
    assert "\n    :handshake: Who helped whom\n" in out
    assert "*" not in out
    assert "\x1b[" not in out
    assert "    │ You two saved my Friday!" in out
    assert "<@U" not in out
    assert "@U0" not in out
    assert "1 kudos" not in out
    assert "That's the demo. Set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET" in out


def test_the_demo_takes_commands_typed_as_a_team_member(tmp_path: Path) -> None:
    typed = "/kudos @dave thanks for the demo\n/foo bar\n/kudos\n/ask\n/intro\nhello\nexit\n"
    result = _demo(tmp_path, "--interactive", "--as", "bob", stdin=typed)
    assert result.returncode == 0, result.stderr
    story, prompt = result.stdout.split("Your turn. You are @bob")
    # It says first that the story comes before the prompt.
    assert "First the story, then it's your turn as @bob." in story.split("[1/9]")[0]
    # The hint suggests thanking someone else, never bob himself.
    hint = prompt.splitlines()[0]
    assert "`/kudos @carol thanks for the review`" in hint
    assert "`/intro @carol @alice why`" in hint
    assert "@bob" not in hint
    # Piped input is echoed after the prompt, before its answer.
    echoed = prompt.index("bob> /kudos @dave thanks for the demo\n")
    assert echoed < prompt.index("Kudos to @dave are on their way") < prompt.index("bob> /foo")
    assert ":tada: @bob gave kudos to @dave" in prompt
    # Unknown commands: Slack's one line, not Bolt's advice to developers.
    assert "bob> /foo bar\n  Unknown command /foo: try /kudos, /ask, /offer or /intro\n" in prompt
    assert "@app.command" not in result.stdout + result.stderr
    assert "Unhandled request" not in result.stdout + result.stderr
    # A command alone opens a form in Slack: the form as text, and what to type instead.
    kudos_form = prompt.split("bob> /kudos\n")[1].split("bob> /ask")[0]
    assert "A form opens" in kudos_form
    assert "Give kudos\n    Thank: [Who are you thanking? ▾]\n" in kudos_form
    assert "[Send]  [Cancel]" in kudos_form
    assert "type `/kudos @carol thanks for the review` instead" in kudos_form
    ask_form = prompt.split("bob> /ask\n")[1].split("bob> /intro")[0]
    assert "Ask for help\n    What do you need? [" in ask_form
    assert "type `/ask How do I rotate the staging password? #postgres` instead" in ask_form
    intro_form = prompt.split("bob> /intro\n")[1].split("bob> hello")[0]
    assert "Introduce two people\n    Introduce: [" in intro_form
    assert "type `/intro @carol @alice you both look after the staging database` instead" in (
        intro_form
    )
    assert "bob> hello\n  Type a slash command, e.g. /kudos @carol thanks" in prompt
    assert prompt.rstrip().endswith("to run it for real.")
    wrong = _demo(tmp_path, "--interactive", "--as", "mallory")
    assert wrong.returncode == 2
    assert "--as: pick one of alice" in wrong.stderr


def test_the_demo_never_touches_the_database_in_database_url(tmp_path: Path) -> None:
    real = tmp_path / "production.db"
    real.write_bytes(b"a real team's data")
    result = _demo(
        tmp_path,
        "--interactive",
        "--as",
        "Carol",
        stdin="/kudos @Bob thanks for the demo\nexit\n",
        env={"DATABASE_URL": f"sqlite:///{real}"},
    )
    assert result.returncode == 0, result.stderr
    assert "DATABASE_URL is set, and ignored" in result.stdout
    assert real.read_bytes() == b"a real team's data"
    assert list(tmp_path.iterdir()) == [real]
    # --as is a name, however it is capitalised; carol's hint names someone else.
    assert "You are @carol in #general. Try `/kudos @bob thanks" in result.stdout
    assert ":tada: @carol gave kudos to @bob" in result.stdout


def test_the_demo_knows_the_commands_the_manifest_registers() -> None:
    manifest = (ROOT / "manifest.yml").read_text()
    assert tuple(re.findall(r"command: (/[a-z]+)", manifest)) == COMMANDS


def test_on_a_terminal_bold_is_bold(tmp_path: Path) -> None:
    main, terminal = pty.openpty()
    demo = start_app(
        "demo",
        cwd=tmp_path,
        env=_fresh(),
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=subprocess.DEVNULL,
    )
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal's other end closed: the demo is done
            break
        if not chunk:
            break
        shown += chunk
    os.close(main)
    assert demo.wait(timeout=120) == 0
    assert "\x1b[1m:handshake: Who helped whom\x1b[22m" in shown.decode()
