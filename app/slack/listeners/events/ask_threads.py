"""`message` events: replies in an ask's thread and the deletion of an ask's message."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from app.asks import service
from app.events import first_delivery
from app.runtime import Runtime
from app.store.db import transaction


def register(app: App, runtime: Runtime) -> None:
    """Attach the message listener that follows ask threads."""

    @app.event("message")
    def message(ack: Ack, body: dict[str, Any], event: dict[str, Any]) -> None:
        ack()
        team_id = str(body.get("team_id") or "")
        subtype = event.get("subtype")
        channel = str(event.get("channel") or "")
        now = runtime.clock.now()
        with transaction(runtime.sessions) as session:
            if not first_delivery(session, team_id, str(body.get("event_id")), now):
                return
            if subtype == "message_deleted":
                service.on_deleted(session, team_id, channel, str(event.get("deleted_ts")), now)
                return
            thread_ts, ts = event.get("thread_ts"), event.get("ts")
            # Bot posts (ours included) and edits never count as answers.
            if subtype not in (None, "thread_broadcast", "file_share") or event.get("bot_id"):
                return
            if not thread_ts or thread_ts == ts:
                return
            # Slack has been seen to resend one message under several event ids.
            if not first_delivery(session, team_id, f"msg:{channel}:{ts}", now):
                return
            service.on_reply(
                session,
                team_id,
                channel,
                str(thread_ts),
                str(event.get("user") or ""),
                str(event.get("text") or ""),
                now,
            )
