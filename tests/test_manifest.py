"""manifest.yml against the app: every command, shortcut, event and interaction the listeners
handle is declared, and every scope requested is needed by something the code does."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.runtime import build_runtime
from app.settings import Settings
from app.slack import listeners
from app.slack.oauth import BOT_SCOPES

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "manifest.yml"
# Web API methods (and outbox kinds) the code calls, found by scanning app/ (the stand-in aside).
_METHOD = re.compile(
    r'"((?:chat|users|conversations|views|reactions|auth|apps|oauth)\.[A-Za-z.]+|dm)"'
)
# What each bot scope is for: the methods or events that need it.
SCOPE_NEEDS: dict[str, set[str]] = {
    "commands": {"slash commands", "shortcuts"},
    "chat:write": {"chat.postMessage", "chat.update", "chat.postEphemeral"},
    "chat:write.public": {"chat.postMessage"},  # posts in public channels the bot has not joined
    "im:write": {"dm"},  # a post to a user id opens the DM
    "users:read": {"users.list", "users.info"},
    "channels:read": {"conversations.info"},
    "groups:read": {"conversations.info"},
    "channels:history": {"message.channels"},
    "groups:history": {"message.groups"},
    "reactions:read": {"reaction_added", "reaction_removed"},
}


class Recorder:
    """Stands in for Bolt's App while the listeners register: records what they listen for."""

    def __init__(self) -> None:
        self.commands: list[str] = []
        self.actions: list[Any] = []
        self.views: list[Any] = []
        self.shortcuts: list[Any] = []
        self.events: list[Any] = []

    def _record(self, into: list[Any], what: Any) -> Callable[[Any], Any]:
        into.append(what)
        return lambda listener: listener

    def command(self, name: str) -> Callable[[Any], Any]:
        return self._record(self.commands, name)

    def action(self, constraints: Any) -> Callable[[Any], Any]:
        return self._record(self.actions, constraints)

    def view(self, constraints: Any) -> Callable[[Any], Any]:
        return self._record(self.views, constraints)

    def shortcut(self, constraints: Any) -> Callable[[Any], Any]:
        return self._record(self.shortcuts, constraints)

    def event(self, constraints: Any) -> Callable[[Any], Any]:
        return self._record(self.events, constraints)


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return dict(yaml.safe_load(MANIFEST.read_text()))


@pytest.fixture(scope="module")
def registered(tmp_path_factory: pytest.TempPathFactory) -> Recorder:
    folder = tmp_path_factory.mktemp("manifest")
    runtime = build_runtime(Settings(database_url=f"sqlite:///{folder}/m.db"))
    recorder = Recorder()
    try:
        listeners.register(recorder, runtime)  # type: ignore[arg-type]
    finally:
        runtime.close()
    return recorder


def _event_types(recorder: Recorder) -> set[str]:
    types = set()
    for constraint in recorder.events:
        name = constraint["type"] if isinstance(constraint, dict) else constraint
        types.add(str(name))
    return types


def _bot_events(events: set[str]) -> set[str]:
    # A "message" listener hears public and private channels: two subscriptions.
    expanded = {e for e in events if e != "message"}
    if "message" in events:
        expanded |= {"message.channels", "message.groups"}
    return expanded


def _methods_used() -> set[str]:
    used: set[str] = set()
    for path in (ROOT / "app").rglob("*.py"):
        if "sandbox" in path.parts:
            continue
        used |= set(_METHOD.findall(path.read_text()))
    return used


def test_every_command_is_declared_and_escaped(
    manifest: dict[str, Any], registered: Recorder
) -> None:
    declared = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    assert set(registered.commands) == set(declared)
    for command in declared.values():
        assert command["should_escape"] is True, command["command"]
        assert command["description"]
        assert command["usage_hint"]


def test_every_shortcut_and_interaction_is_declared(
    manifest: dict[str, Any], registered: Recorder
) -> None:
    declared = {s["callback_id"] for s in manifest["features"].get("shortcuts", [])}
    assert {str(s) for s in registered.shortcuts} == declared
    if registered.actions or registered.views or registered.shortcuts:
        assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_every_event_listened_for_is_subscribed_and_none_other(
    manifest: dict[str, Any], registered: Recorder
) -> None:
    subscribed = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert _bot_events(_event_types(registered)) == subscribed
    if "app_home_opened" in subscribed:
        assert manifest["features"]["app_home"]["home_tab_enabled"] is True


def test_scopes_are_the_least_the_features_need(
    manifest: dict[str, Any], registered: Recorder
) -> None:
    declared = list(manifest["oauth_config"]["scopes"]["bot"])
    assert sorted(declared) == sorted(BOT_SCOPES), "the OAuth install asks for other scopes"
    evidence = _methods_used() | _bot_events(_event_types(registered))
    if registered.commands:
        evidence.add("slash commands")
    if registered.shortcuts:
        evidence.add("shortcuts")
    for scope in declared:
        assert scope in SCOPE_NEEDS, f"{scope} is requested but no feature is known to need it"
        assert SCOPE_NEEDS[scope] & evidence, f"{scope} is requested but nothing uses it"
    needed = {scope for scope, needs in SCOPE_NEEDS.items() if needs & evidence}
    assert needed <= set(declared), f"missing scopes: {sorted(needed - set(declared))}"
    # Methods with no scope entry would slip past the check above: name them all.
    unknown = {m for m in _methods_used() if m not in set().union(*SCOPE_NEEDS.values())}
    assert unknown <= {
        "views.open",
        "views.update",
        "views.publish",
        "auth.test",
        "apps.connections.open",
        "oauth.v2.access",
    }, f"methods whose scope is not accounted for: {sorted(unknown)}"


def test_socket_mode_is_enabled_for_app_token_installs(manifest: dict[str, Any]) -> None:
    assert manifest["settings"]["socket_mode_enabled"] is True
