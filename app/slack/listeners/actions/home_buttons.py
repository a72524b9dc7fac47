"""The Home tab's buttons: "Ask for help", "Offer help" (each opens a form) and "Remove"."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from app.asks import blocks as ask_blocks
from app.home import blocks
from app.offers.home_actions import remove_from_home
from app.runtime import Runtime
from app.slack.answers import open_view
from app.slack.listeners.wiring import on_click
from app.slack.observe import report
from app.slackapi.outcomes import OpenView


def _open(context: BoltContext, client: WebClient, body: dict[str, Any], view: OpenView) -> None:
    """Open a form from the Home tab; nothing is stored, so no transaction is needed."""
    opened = open_view(client, body.get("trigger_id"), view)
    report(context, "form" if opened else "error")


def register(app: App, runtime: Runtime) -> None:
    """Attach the Home tab button listeners."""

    @app.action(blocks.ASK)
    def ask(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        ack()
        # No channel here: the ask is made from the person's DM with the app, so it stays private.
        compose = ask_blocks.compose_modal({"channel_id": "", "in_dm": True})
        _open(context, client, body, OpenView(compose))

    @app.action(blocks.OFFER_ADD)
    def offer(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        ack()
        _open(context, client, body, OpenView(blocks.offer_modal()))

    app.action(blocks.OFFER_REMOVE)(on_click(remove_from_home))
