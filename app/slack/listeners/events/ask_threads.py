"""`message` events: ask thread replies (new, edited, deleted), a deleted ask, privacy changes."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from app.asks import service
from app.directory.service import set_privacy
from app.events import first_delivery
from app.runtime import Runtime
from app.store.db import transaction

# Only what people type in a thread can answer an ask; joins, bots and the like never do.
_PERSON_SUBTYPES = (None, "thread_broadcast", "file_share")
_PRIVACY = {"channel_convert_to_private": True, "channel_convert_to_public": False}


def _reply(message: dict[str, Any]) -> tuple[str, service.ThreadReply] | None:
    """The thread and reply in a person's threaded message, or None for anything else."""
    thread_ts, ts = message.get("thread_ts"), message.get("ts")
    if message.get("subtype") not in _PERSON_SUBTYPES or message.get("bot_id"):
        return None
    if not thread_ts or not ts or thread_ts == ts or not message.get("user"):
        return None
    return str(thread_ts), service.ThreadReply(
        str(ts), str(message["user"]), str(message.get("text") or "")
    )


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
            if subtype in _PRIVACY:
                set_privacy(session, team_id, channel, _PRIVACY[subtype], now)
                return
            if subtype == "message_deleted":
                service.on_deleted(session, team_id, channel, str(event.get("deleted_ts")), now)
                return
            edited = event.get("message") if subtype == "message_changed" else None
            if isinstance(edited, dict) and edited.get("subtype") == "tombstone":
                # A deleted ask that had replies stays as a "This message was deleted." stub.
                service.on_deleted(session, team_id, channel, str(edited.get("ts")), now)
                return
            found = _reply(edited if isinstance(edited, dict) else event)
            if found is None:
                return
            thread_ts, reply = found
            # Slack has been seen to resend one message under several event ids; an edit is
            # a new look at the same reply, which the service records once by its ts.
            if edited is None and not first_delivery(
                session, team_id, f"msg:{channel}:{reply.ts}", now
            ):
                return
            service.on_reply(session, team_id, channel, thread_ts, reply, now)
