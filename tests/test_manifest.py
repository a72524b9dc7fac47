"""manifest.yml against the app: every command, shortcut, event and interaction the real Bolt app
handles is declared, and every scope requested is needed by something the code does.

What the app listens for is read from the Bolt app `reciprocity run` builds (`build_bolt_app`):
each listener's primary matcher names its command, event or callback id, and a probe request of
that kind proves Bolt would dispatch it there. What the code calls is read from `app/` itself:
Web API method names in its string literals (the outbox's methods, `api.call("…")`) and slack-sdk
`WebClient` calls such as `client.views_open(…)`.
"""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import slack_sdk.web.client
import yaml
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.listener import Listener

from app.runtime import build_runtime
from app.settings import Settings
from app.site.oidc_routes import CALLBACK_PATH
from app.slack.bolt_app import build_bolt_app
from app.slack.oauth import BOT_SCOPES, REDIRECT_PATH
from app.workspaces.service import Identity

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "manifest.yml"

# Why each bot scope may be requested: the Web API methods, events (as bot_events name them) and
# features that need it. A scope is needed when anything in its row is used.
SCOPE_NEEDS: dict[str, set[str]] = {
    "commands": {"slash commands", "shortcuts"},
    "chat:write": {"chat.postMessage", "chat.postEphemeral", "chat.update", "chat.delete"},
    # Kudos, asks and digests are posted to channels nobody invited the bot to.
    "chat:write.public": {"chat.postMessage"},
    # Asks and kudos join a public channel before posting there, to hear its replies.
    "channels:join": {"conversations.join"},
    # `dm` (outbox): chat.postMessage to a user id, which opens the DM with that person.
    "im:write": {"dm", "conversations.open"},
    "users:read": {"users.info", "users.list", "user_change", "team_join"},
    "channels:read": {"conversations.info", "member_joined_channel", "channel_left"},  # public
    "groups:read": {"conversations.info", "member_joined_channel", "group_left"},  # private
    "channels:history": {"message.channels", "conversations.history", "conversations.replies"},
    "groups:history": {"message.groups", "conversations.history", "conversations.replies"},
    # The delivery worker reads a DM's history to find a post whose send timed out.
    "im:history": {"message.im", "conversations.history", "conversations.replies"},
    "reactions:read": {"reaction_added", "reaction_removed", "reactions.get"},
    # `group_dm` (outbox): conversations.open with several people opens their group DM.
    "mpim:write": {"group_dm"},
    # The delivery worker reads a group DM's history to find a post whose send timed out.
    "mpim:history": {"message.mpim", "group_dm"},
    "reactions:write": {"reactions.add", "reactions.remove"},
    # The digest's help-network picture: an upload, then its share in the digest channel.
    "files:write": {"files.getUploadURLExternal", "files.completeUploadExternal"},
}
# Methods, outbox kinds and events that need no bot scope.
NO_SCOPE = {
    "views.open",
    "views.update",
    "views.push",
    "views.publish",
    "auth.test",
    "apps.connections.open",  # the app-level token's connections:write
    "oauth.v2.access",
    # Sign in with Slack: the app's credentials, then the sign-in's own user token (the
    # authorize URL asks for `openid profile` each time); no install scope.
    "openid.connect.token",
    "openid.connect.userInfo",
    "response_url",
    "app_home_opened",
    "app_uninstalled",
    "tokens_revoked",
}


@dataclass
class Registered:
    """What the Bolt app's listeners answer to."""

    commands: set[str] = field(default_factory=set)
    events: set[str] = field(default_factory=set)
    shortcuts: set[str] = field(default_factory=set)
    actions: list[Any] = field(default_factory=list)
    views: set[str] = field(default_factory=set)

    @property
    def bot_events(self) -> set[str]:
        """The manifest's bot_events these listeners need: a `message` listener hears both
        public (`message.channels`) and private (`message.groups`) channels."""
        events = self.events - {"message"}
        if "message" in self.events:
            events |= {"message.channels", "message.groups"}
        return events


def _dispatches(listener: Listener, body: dict[str, Any]) -> bool:
    """Whether Bolt would hand a request with `body` to `listener` (its primary matcher)."""
    request = BoltRequest(body=body, mode="socket_mode")
    return bool(listener.matchers[0].matches(request, BoltResponse(status=200)))


def _classify(listener: Listener, into: Registered) -> None:
    """Record what one listener answers to, proved by a probe request of that kind."""
    func = listener.matchers[0].func  # type: ignore[attr-defined]
    uses = set(func.__code__.co_names)
    bound = inspect.getclosurevars(func).nonlocals
    value = next(iter(bound.values()), None)
    if "is_slash_command" in uses:
        probe: dict[str, Any] = {"command": value}
        into.commands.add(value)
    elif "is_event" in uses or "_check_event_subtype" in uses:
        value = value["type"] if isinstance(value, dict) else value
        probe = {"type": "event_callback", "event": {"type": value}}
        into.events.add(value)
    elif "is_shortcut" in uses or "is_message_shortcut" in uses:
        probe = {"type": "message_action", "callback_id": value}
        into.shortcuts.add(value)
    elif "is_view_submission" in uses:
        probe = {"type": "view_submission", "view": {"type": "modal", "callback_id": value}}
        into.views.add(value)
    elif "_block_action" in uses:
        ids = value if isinstance(value, dict) else {"action_id": value}
        probe = {"type": "block_actions", "actions": [{"block_id": "", "action_id": "", **ids}]}
        into.actions.append(value)
    else:
        raise AssertionError(f"a listener this test cannot read: {sorted(uses)} {bound}")
    assert isinstance(value, str | dict), f"register {value!r} by name"
    assert _dispatches(listener, probe), f"the listener for {value!r} does not take {probe}"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return dict(yaml.safe_load(MANIFEST.read_text()))


@pytest.fixture(scope="module")
def bolt(tmp_path_factory: pytest.TempPathFactory) -> App:
    """The Bolt app as `reciprocity run` builds it for one workspace (nothing is called)."""
    folder = tmp_path_factory.mktemp("manifest")
    settings = Settings(
        database_url=f"sqlite:///{folder}/m.db",
        slack_bot_token="xoxb-manifest-check",
        slack_signing_secret="manifest-check",
    )
    runtime = build_runtime(settings)
    try:
        return build_bolt_app(
            runtime, Identity(team_id="T0MANIFEST", name="m", bot_user_id="U0BOT", bot_id="B0BOT")
        )
    finally:
        runtime.close()


@pytest.fixture(scope="module")
def registered(bolt: App) -> Registered:
    found = Registered()
    for listener in bolt._listeners:
        _classify(listener, found)
    return found


@cache
def _web_client_methods() -> dict[str, str]:
    """slack-sdk's WebClient: each Python method name and the Web API method it calls."""
    tree = ast.parse(Path(inspect.getfile(slack_sdk.web.client)).read_text())
    methods: dict[str, str] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef) or node.name != "WebClient":
            continue
        for function in node.body:
            if not isinstance(function, ast.FunctionDef):
                continue
            for call in ast.walk(function):
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "api_call"
                    and call.args
                    and isinstance(call.args[0], ast.Constant)
                ):
                    methods[function.name] = str(call.args[0].value)
                    break
    assert len(methods) > 100, "slack-sdk's WebClient changed shape: update this reader"
    return methods


@cache
def _methods_used() -> frozenset[str]:
    """Web API methods (and outbox kinds) app/ calls, the Slack stand-in aside."""
    by_attribute = _web_client_methods()
    api_methods = set(by_attribute.values())
    used: set[str] = set()
    for path in (ROOT / "app").rglob("*.py"):
        if "sandbox" in path.relative_to(ROOT).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if node.value in api_methods or node.value in ("dm", "group_dm", "response_url"):
                    used.add(node.value)
            elif isinstance(node, ast.Attribute) and node.attr in by_attribute:
                used.add(by_attribute[node.attr])
    return frozenset(used)


def _evidence(registered: Registered) -> set[str]:
    evidence = set(_methods_used()) | registered.bot_events
    if registered.commands:
        evidence.add("slash commands")
    if registered.shortcuts:
        evidence.add("shortcuts")
    return evidence


def test_the_app_and_the_code_are_read(registered: Registered) -> None:
    # A reader that finds nothing would let every check below pass vacuously.
    for kind in ("commands", "events", "shortcuts", "actions", "views"):
        assert getattr(registered, kind), f"no {kind} read from the Bolt app"
    assert {"chat.postMessage", "views.open", "conversations.info", "users.list"} <= (
        _methods_used()
    )
    assert "auth.test" in _methods_used(), "client.auth_test(…) is read as auth.test"


def test_every_command_is_declared_and_escaped(
    manifest: dict[str, Any], registered: Registered
) -> None:
    declared = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    assert set(declared) == registered.commands, "the manifest's commands are not the app's"
    for command in declared.values():
        assert command["should_escape"] is True, command["command"]
        assert command["description"], command["command"]
        assert command["usage_hint"], command["command"]
    for word in ("stats", "top", "settings"):
        assert word in declared["/kudos"]["usage_hint"]


def test_every_shortcut_is_declared_with_the_type_it_is_handled_as(
    manifest: dict[str, Any], registered: Registered, bolt: App
) -> None:
    shortcuts = manifest["features"].get("shortcuts", [])
    assert {s["callback_id"] for s in shortcuts} == registered.shortcuts
    kinds = {"message": "message_action", "global": "shortcut"}
    for shortcut in shortcuts:
        probe = {"type": kinds[shortcut["type"]], "callback_id": shortcut["callback_id"]}
        assert any(_dispatches(listener, probe) for listener in bolt._listeners), shortcut


def test_interactivity_is_enabled_for_buttons_forms_and_shortcuts(
    manifest: dict[str, Any], registered: Registered
) -> None:
    if registered.actions or registered.views or registered.shortcuts:
        assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_every_event_listened_for_is_subscribed_and_none_other(
    manifest: dict[str, Any], registered: Registered
) -> None:
    subscribed = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    handled = registered.bot_events
    assert subscribed == handled, (
        f"handled, not subscribed: {sorted(handled - subscribed)}; "
        f"subscribed, not handled: {sorted(subscribed - handled)}"
    )
    app_home = manifest["features"]["app_home"]
    assert app_home["home_tab_enabled"] is ("app_home_opened" in registered.events)


def test_scopes_are_the_least_the_features_need(
    manifest: dict[str, Any], registered: Registered
) -> None:
    declared = set(manifest["oauth_config"]["scopes"]["bot"])
    evidence = _evidence(registered)
    for scope in sorted(declared):
        assert scope in SCOPE_NEEDS, f"{scope} is requested but this test knows no use for it"
        assert SCOPE_NEEDS[scope] & evidence, f"{scope} is requested but nothing uses it"
    needed = {scope for scope, needs in SCOPE_NEEDS.items() if needs & evidence}
    assert needed <= declared, f"missing scopes: {sorted(needed - declared)}"


def test_oauth_installs_ask_for_the_manifest_scopes(manifest: dict[str, Any]) -> None:
    assert sorted(BOT_SCOPES) == sorted(manifest["oauth_config"]["scopes"]["bot"])


def test_every_method_and_event_used_is_accounted_for(registered: Registered) -> None:
    # Something with no row above would slip past the scope check: name each one.
    known = NO_SCOPE.union(*SCOPE_NEEDS.values())
    unknown = _evidence(registered) - known
    assert not unknown, f"add the scope these need to SCOPE_NEEDS (or NO_SCOPE): {unknown}"


def test_transport_settings(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is True
    assert settings["token_rotation_enabled"] is False
    # The same URL serves everything, as Bolt does (README: POST /slack/events).
    urls = {settings["event_subscriptions"]["request_url"]}
    urls.add(settings["interactivity"]["request_url"])
    urls |= {c["url"] for c in manifest["features"]["slash_commands"]}
    assert len(urls) == 1, urls
    assert re.fullmatch(r"https://[^/]+/slack/events", urls.pop())


def test_slack_may_send_people_back_to_the_routes_that_take_them(manifest: dict[str, Any]) -> None:
    paths = {urlsplit(url).path for url in manifest["oauth_config"]["redirect_urls"]}
    assert paths == {REDIRECT_PATH, CALLBACK_PATH}
