"""Builds the Bolt app: request verification, authorization from our own store, the listeners."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

from app.runtime import Runtime
from app.slack import listeners
from app.workspaces.service import Identity

log = logging.getLogger(__name__)


def build_bolt_app(runtime: Runtime, workspace: Identity) -> App:
    """Return the Bolt app serving the single workspace `workspace` with every listener attached."""
    settings = runtime.settings
    token = settings.slack_bot_token

    def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        # Answer from what start-up learnt, so no request ever waits on auth.test.
        if team_id != workspace.team_id and enterprise_id != workspace.enterprise_id:
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

    app = App(
        signing_secret=settings.slack_signing_secret or "",
        authorize=authorize,
        client=WebClient(base_url=settings.slack_api_url, timeout=3),
        # The listener runs on the request thread and its ack is the response: no 10 ms ack polling.
        process_before_response=True,
        request_verification_enabled=not settings.socket_mode,
        logger=logging.getLogger("slack_bolt"),
    )
    listeners.register(app, runtime)
    return app
