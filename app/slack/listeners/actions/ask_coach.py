"""Typing in the ask form: show similar resolved asks before the person has to wait for help."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from app.asks import blocks, coach
from app.runtime import Runtime
from app.slack.door import Unavailable, door
from app.slackapi.payloads import Click, view_metadata

log = logging.getLogger(__name__)


def register(app: App, runtime: Runtime) -> None:
    """Attach the ask form's coach."""

    @app.action({"block_id": blocks.COMPOSE_BLOCK, "action_id": "text"})
    def typed(
        ack: Ack,
        context: BoltContext,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
    ) -> None:
        ack()
        view = body.get("view") or {}
        typing = Click.from_payload(body, action)
        metadata = view_metadata(view)
        form = door(context).run(lambda session, now: coach.coached_form(session, typing, metadata))
        if isinstance(form, Unavailable):
            return
        try:
            # The hash makes Slack refuse an update based on an older copy of the form.
            client.views_update(view_id=str(view.get("id") or ""), hash=view.get("hash"), view=form)
        except SlackApiError as exc:
            log.info("ask form not updated: %s", exc.response.get("error"))
