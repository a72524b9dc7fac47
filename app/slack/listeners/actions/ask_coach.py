"""Typing in the ask form: show similar resolved asks before the person has to wait for help."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from app.asks import blocks, coach, command
from app.runtime import Runtime
from app.slackapi.payloads import view_metadata
from app.store.models import Workspace

log = logging.getLogger(__name__)


def register(app: App, runtime: Runtime) -> None:
    """Attach the ask form's coach."""

    @app.action({"block_id": blocks.COMPOSE_BLOCK, "action_id": "text"})
    def typed(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        view = body.get("view") or {}
        team_id = str(body.get("team", {}).get("id") or "")
        with runtime.sessions() as session:
            workspace = session.get(Workspace, team_id)
            found = coach.similar(session, team_id, str(action.get("value") or ""))
            similar = command.suggestions(found, workspace.domain if workspace else None)
        try:
            # The hash makes Slack refuse an update based on an older copy of the form.
            client.views_update(
                view_id=str(view.get("id") or ""),
                hash=view.get("hash"),
                view=blocks.compose_modal(view_metadata(view), similar.strip()),
            )
        except SlackApiError as exc:
            log.info("ask form not updated: %s", exc.response.get("error"))
