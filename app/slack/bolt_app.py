"""Builds the Bolt app: request verification, authorization, the listeners.

One workspace (`SLACK_BOT_TOKEN`): authorization answers from what start-up learnt. Many
(`SLACK_CLIENT_ID`…): the OAuth flow and authorization from the installation store.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

from app.runtime import Runtime
from app.slack import listeners, oauth
from app.slack.body_matchers import BodyMatchingApp
from app.slack.errors import answer_failure
from app.slack.observe import ObservedApp, observer
from app.workspaces.service import Identity

log = logging.getLogger(__name__)


class BotApp(BodyMatchingApp, ObservedApp):
    """Bolt's App as the bot runs it: listeners matched by the body alone, every request
    observed."""


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
        app = BotApp(
            **common,
            oauth_settings=flow,
            # Bolt takes an Authorize instance here too (it checks), though typed as a callable.
            authorize=oauth.authorize(runtime, client, runtime.installations),  # type: ignore[arg-type]
            installation_store_bot_only=True,
        )
    else:
        app = BotApp(**common, authorize=_single_workspace(workspace, settings.slack_bot_token))
    app.observe = observer(runtime)
    app.error(answer_failure)

    listeners.register(app, runtime)
    return app


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
