"""The Home tab's buttons: "Ask for help", "Offer help" (each opens a form) and "Remove"."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from app.asks import blocks as ask_blocks
from app.home import blocks
from app.offers import service as offers
from app.runtime import Runtime
from app.store.db import transaction

log = logging.getLogger(__name__)


def _open(client: WebClient, body: dict[str, Any], view: dict[str, Any]) -> None:
    try:
        client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=view)
    except SlackApiError as exc:
        log.warning("views.open from the Home tab failed: %s", exc.response.get("error"))


def register(app: App, runtime: Runtime) -> None:
    """Attach the Home tab button listeners."""

    @app.action(blocks.ASK)
    def ask(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        # No channel here: the ask is made from the person's DM with the app, so it stays private.
        _open(client, body, ask_blocks.compose_modal({"channel_id": "", "in_dm": True}))

    @app.action(blocks.OFFER_ADD)
    def offer(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        _open(client, body, blocks.offer_modal())

    @app.action(blocks.OFFER_REMOVE)
    def remove(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        value = str(action.get("value") or "")
        if not value.isdigit():
            return
        # The offer must be the clicking person's own: the value only names it.
        with transaction(runtime.sessions) as session:
            offers.remove_by_id(
                session,
                str(body.get("team", {}).get("id") or ""),
                str(body.get("user", {}).get("id") or ""),
                int(value),
                runtime.clock.now(),
            )
