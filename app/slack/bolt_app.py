"""Builds the Bolt app: request verification, authorization, the listeners.

One workspace (`SLACK_BOT_TOKEN`): authorization answers from what start-up learnt. Many
(`SLACK_CLIENT_ID`…): the OAuth flow and authorization from the installation store.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

from app.runtime import Runtime
from app.slack import listeners, oauth
from app.slack.errors import answer_failure
from app.workspaces.service import Identity

log = logging.getLogger(__name__)


def build_bolt_app(runtime: Runtime, workspace: Identity | None) -> App:
    """Return the Bolt app with every listener attached: for `workspace`, or for OAuth installs."""
    settings = runtime.settings
    client = WebClient(base_url=settings.slack_api_url, timeout=3)
    common: dict[str, Any] = {
        "signing_secret": settings.slack_signing_secret or "",
        "client": client,
        # The listener runs on the request thread and its ack is the response: no 10 ms polling.
        "process_before_response": True,
        "request_verification_enabled": not settings.socket_mode,
        "logger": logging.getLogger("slack_bolt"),
    }
    if workspace is None:
        flow = oauth.oauth_settings(runtime, client)
        assert runtime.installations is not None
        app = ObservedApp(
            **common,
            oauth_settings=flow,
            # Bolt takes an Authorize instance here too (it checks), though typed as a callable.
            authorize=oauth.authorize(runtime, client, runtime.installations),  # type: ignore[arg-type]
            installation_store_bot_only=True,
        )
    else:
        app = ObservedApp(
            **common, authorize=_single_workspace(workspace, settings.slack_bot_token)
        )
    app.observe = _observer(runtime)
    app.error(answer_failure)

    listeners.register(app, runtime)
    return app


class ObservedApp(App):
    """Bolt's App, timing each request from arrival to ack (the listener runs before the
    response with process_before_response) and logging one line for it, in HTTP and Socket
    Mode alike."""

    observe: Callable[[BoltRequest, BoltResponse, float], None] | None = None

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        """Handle `req` as Bolt does, then record what happened."""
        started = time.perf_counter()
        response = super().dispatch(req)
        if self.observe is not None:
            self.observe(req, response, time.perf_counter() - started)
        return response


def _observer(runtime: Runtime) -> Callable[[BoltRequest, BoltResponse, float], None]:
    def observe(req: BoltRequest, response: BoltResponse, seconds: float) -> None:
        body = req.body if isinstance(req.body, dict) else {}
        runtime.metrics.observe_request(body, response.status, seconds)
        # One line per request: who and what, never the text people typed or any token.
        log.info(
            "handled %s",
            _what(body),
            extra={
                "workspace": req.context.team_id,
                "user": req.context.user_id,
                "command": _what(body),
                "outcome": "ok" if response.status < 400 else "error",
                "latency_ms": round(seconds * 1000, 1),
            },
        )

    return observe


def _what(body: dict[str, Any]) -> str:
    """What a request was, for logs: the command, action, form or event type."""
    if "command" in body:
        return str(body["command"])
    actions = body.get("actions")
    if isinstance(actions, list) and actions and isinstance(actions[0], dict):
        return str(actions[0].get("action_id"))
    view = body.get("view")
    if isinstance(view, dict) and view.get("callback_id"):
        return str(view["callback_id"])
    event = body.get("event")
    if isinstance(event, dict):
        return str(event.get("type"))
    return str(body.get("type") or "unknown")


def _single_workspace(workspace: Identity, token: str | None) -> Any:
    def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        # Answer from what start-up learnt, so no request ever waits on auth.test.
        # This workspace, or (for an org-wide install) its enterprise; never anyone else.
        ours = team_id == workspace.team_id or (
            workspace.enterprise_id is not None and enterprise_id == workspace.enterprise_id
        )
        if not ours:
            log.warning("request for team %s, which is not this bot's workspace", team_id)
            # Bolt treats a missing result as "not installed here" and answers without a listener.
            return None  # type: ignore[return-value]
        return AuthorizeResult(
            enterprise_id=workspace.enterprise_id,
            team_id=workspace.team_id,
            bot_user_id=workspace.bot_user_id,
            bot_id=workspace.bot_id,
            bot_token=token,
        )

    return authorize
