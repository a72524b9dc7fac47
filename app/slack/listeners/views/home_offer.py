"""The Home tab's "Offer help" form: offers recorded as `/offer` records them."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from app.home import blocks
from app.offers.command import add_offer
from app.runtime import Runtime
from app.slackapi.payloads import view_text
from app.store.db import transaction


def register(app: App, runtime: Runtime) -> None:
    """Attach the offer form listener."""

    @app.view(blocks.OFFER_CALLBACK)
    def offered(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        with transaction(runtime.sessions) as session:
            reply = add_offer(
                session,
                str(body.get("team", {}).get("id") or ""),
                str(body.get("user", {}).get("id") or ""),
                view_text(view, "topics"),
                view_text(view, "note"),
                runtime.clock.now(),
            )
        if reply.refused:
            ack(response_action="errors", errors={"topics": reply.text})
            return
        ack()
