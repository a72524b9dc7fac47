"""The Home tab's "Offer help" form: offers recorded as `/offer` records them."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from app.home import blocks
from app.offers.home_actions import offer_from_home
from app.runtime import Runtime
from app.slack.answers import answer_view
from app.slack.door import door
from app.slackapi.payloads import Submission


def register(app: App, runtime: Runtime) -> None:
    """Attach the offer form listener."""

    @app.view(blocks.OFFER_CALLBACK)
    def offered(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
        form = Submission.from_payload(body, view)
        outcome = door(context).run(lambda session, now: offer_from_home(session, form, now))
        answer_view(ack, context, outcome, "topics")
