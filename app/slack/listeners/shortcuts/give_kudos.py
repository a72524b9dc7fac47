"""The "Give kudos for this" message shortcut: the modal, prefilled with the author and a link."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from app.kudos import blocks
from app.permalinks import permalink
from app.runtime import Runtime
from app.slack.listeners.commands.kudos import open_modal
from app.store.models import Workspace


def register(app: App, runtime: Runtime) -> None:
    """Attach the message shortcut listener."""

    @app.shortcut(blocks.SHORTCUT_CALLBACK)
    def give_for_message(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        team_id = str(body.get("team", {}).get("id") or "")
        message = body.get("message") or {}
        channel_id = str(body.get("channel", {}).get("id") or "")
        with runtime.sessions() as session:
            workspace = session.get(Workspace, team_id)
            values = list(workspace.kudos_values) if workspace else []
            domain = workspace.domain if workspace else None
        author = message.get("user")
        ts = str(message.get("ts") or "")
        link = permalink(domain, channel_id, ts) if ts else ""
        recipients = (str(author),) if author and author != body.get("user", {}).get("id") else ()
        open_modal(
            client,
            body.get("trigger_id"),
            values,
            {"channel_id": channel_id, "in_dm": channel_id.startswith("D")},
            recipients=recipients,
            message=f"Thanks for this: {link}" if link else "",
        )
        ack()
