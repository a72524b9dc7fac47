"""`message` events: ask thread replies (new, edited, deleted), a deleted ask, privacy changes."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from app.asks import threads
from app.runtime import Runtime
from app.slack.event_door import run_event

# Only what people type in a thread can answer an ask; joins, bots and the like never do.
_PERSON_SUBTYPES = (None, "thread_broadcast", "file_share")
_PRIVACY = {"channel_convert_to_private": True, "channel_convert_to_public": False}


def _reply(message: dict[str, Any], edited: bool) -> threads.Replied | None:
    """A person's threaded message, or None for anything else."""
    thread_ts, ts = message.get("thread_ts"), message.get("ts")
    if message.get("subtype") not in _PERSON_SUBTYPES or message.get("bot_id"):
        return None
    if not thread_ts or not ts or thread_ts == ts or not message.get("user"):
        return None
    reply = threads.ThreadReply(str(ts), str(message["user"]), str(message.get("text") or ""))
    return threads.Replied(str(thread_ts), reply, edited)


def _change(
    event: dict[str, Any],
) -> threads.Replied | threads.Deleted | threads.PrivacyChanged | None:
    """What a `message` event means for asks."""
    subtype = event.get("subtype")
    if subtype in _PRIVACY:
        return threads.PrivacyChanged(_PRIVACY[subtype])
    if subtype == "message_deleted":
        return threads.Deleted(str(event.get("deleted_ts")))
    edited = event.get("message") if subtype == "message_changed" else None
    if not isinstance(edited, dict):
        return _reply(event, edited=False)
    if edited.get("subtype") == "tombstone":
        # A deleted ask that had replies stays as a "This message was deleted." stub.
        return threads.Deleted(str(edited.get("ts")))
    return _reply(edited, edited=True)


def channel_message(body: dict[str, Any], event: dict[str, Any]) -> threads.ChannelMessage:
    """Read a `message` event callback."""
    return threads.ChannelMessage(
        team_id=str(body.get("team_id") or ""),
        event_id=str(body.get("event_id")),
        channel_id=str(event.get("channel") or ""),
        change=_change(event),
    )


def register(app: App, runtime: Runtime) -> None:
    """Attach the message listener that follows ask threads."""

    @app.event("message")
    def message(
        ack: Ack, body: dict[str, Any], event: dict[str, Any], context: BoltContext
    ) -> None:
        ack()
        parsed = channel_message(body, event)
        if parsed.change is None:
            # A channel's chatter, a join, a bot's post: nothing for asks, and no transaction.
            return
        # A database failure raises, and Slack retries an event that got no 2xx: the reply is
        # counted once the store is back.
        run_event(context, lambda session, now: threads.on_message(session, parsed, now))
