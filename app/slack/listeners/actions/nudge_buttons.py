"""Buttons on nudge DMs: "Keep it open", "Remind me tomorrow", "Resolved, thank them", and the
offer check's answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App

from app.nudges import blocks, service
from app.runtime import Runtime
from app.slack.listeners.actions.ask_buttons import ids_of, on_ask, tell
from app.store.db import transaction

Listener = Callable[[Ack, dict[str, Any], dict[str, Any]], None]


def register(app: App, runtime: Runtime) -> None:
    """Attach the nudge button listeners."""

    app.action(blocks.KEEP)(on_ask(runtime, service.keep_open))
    app.action(blocks.SNOOZE)(on_ask(runtime, service.snooze))
    app.action(blocks.THANK)(on_ask(runtime, service.thank_answerers))

    def on_offers(keep: bool) -> Listener:
        def listener(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
            ack()
            team_id, user_id, _ = ids_of(body, action)
            # The value only names topics; only the clicking person's own offers change.
            topics = str(action.get("value") or "").split(",")
            with transaction(runtime.sessions) as session:
                text = service.answer_offers_check(
                    session, team_id, user_id, topics, keep, runtime.clock.now()
                )
                tell(session, runtime, team_id, body, user_id, text)

        return listener

    app.action(blocks.OFFERS_KEEP)(on_offers(True))
    app.action(blocks.OFFERS_DROP)(on_offers(False))
