"""What happens in an ask's channel: replies in its thread answer it (edits count once, deleting
the only answer puts it back), the asker writing "still …" reopens it, deleting its message
discards it, and the channel turning private hides what was said there."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from app.asks.lifecycle import reopened
from app.asks.notify import changed
from app.directory.service import set_privacy
from app.events import first_delivery
from app.store.models import Ask, AskReply
from app.store.statuses import LIVE_ASKS, AskStatus
from app.store.upsert import insert_new

_STILL = re.compile(r"\b(still|not (yet )?(solved|fixed|working)|doesn'?t work|reopen)\b", re.I)


@dataclass(frozen=True)
class ThreadReply:
    """A person's message in a thread: its ts, who wrote it and what it says."""

    ts: str
    user_id: str
    text: str


@dataclass(frozen=True)
class Replied:
    """A person wrote (or, when `edited`, edited) `reply` in the thread under `thread_ts`."""

    thread_ts: str
    reply: ThreadReply
    edited: bool = False


@dataclass(frozen=True)
class Deleted:
    """The message `ts` was deleted (or left as a "This message was deleted." stub)."""

    ts: str


@dataclass(frozen=True)
class PrivacyChanged:
    """The channel turned private (or public)."""

    is_private: bool


@dataclass(frozen=True)
class ChannelMessage:
    """One `message` event: where, its event id (Slack retries), and what it means for asks
    (None: nothing, such as a bot's message or a join)."""

    team_id: str
    event_id: str
    channel_id: str
    change: Replied | Deleted | PrivacyChanged | None


def on_message(session: Session, message: ChannelMessage, now: datetime) -> None:
    """Handle a `message` event once, however often Slack sends it.

    Most messages are nothing to asks: a reply is claimed (and so written) only when its
    thread is an ask's, so a channel's chatter costs a read, not a write per message."""
    team_id, channel, change = message.team_id, message.channel_id, message.change
    if change is None:
        return
    if isinstance(change, Replied):
        ask = _in_thread(session, team_id, channel, change.thread_ts)
        if ask is None or not first_delivery(session, team_id, message.event_id, now):
            return
        # Slack has been seen to resend one message under several event ids; an edit is a new
        # look at the same reply, which `_replied` records once by its ts.
        key = f"msg:{channel}:{change.reply.ts}"
        if change.edited or first_delivery(session, team_id, key, now):
            _replied(session, ask, channel, change.reply, now)
        return
    if not first_delivery(session, team_id, message.event_id, now):
        return
    if isinstance(change, PrivacyChanged):
        set_privacy(session, team_id, channel, change.is_private, now)
    else:
        on_deleted(session, team_id, channel, change.ts, now)


def _in_thread(session: Session, team_id: str, channel_id: str, thread_ts: str) -> Ask | None:
    """The ask whose message is `thread_ts`; its helpers are read only if something needs them
    (most replies do not: one statement fewer than loading them with it)."""
    return session.scalar(
        select(Ask)
        .where(Ask.team_id == team_id, Ask.channel_id == channel_id, Ask.message_ts == thread_ts)
        .options(lazyload(Ask.helpers))
    )


def on_reply(
    session: Session,
    team_id: str,
    channel_id: str,
    thread_ts: str,
    reply: ThreadReply,
    now: datetime,
) -> Ask | None:
    """Note a reply (new or edited) in an ask's thread: an answer, or the asker reopening it.

    Each reply is recorded once by its (channel, ts), so a resent or edited message counts once.
    """
    ask = _in_thread(session, team_id, channel_id, thread_ts)
    return None if ask is None else _replied(session, ask, channel_id, reply, now)


def _replied(
    session: Session, ask: Ask, channel_id: str, reply: ThreadReply, now: datetime
) -> Ask | None:
    """`on_reply` for the ask whose thread `reply` is in."""
    if ask.status not in (*LIVE_ASKS, AskStatus.RESOLVED):
        return None
    if reply.user_id == ask.asker_id:
        if ask.status in (AskStatus.ANSWERED, AskStatus.RESOLVED) and _STILL.search(reply.text):
            reopened(session, ask, now, f"reply:{reply.ts}")
        return ask
    # Recorded unless it is already (an edit, a resend): one statement, not a read and a write.
    row = {
        "team_id": ask.team_id,
        "channel_id": channel_id,
        "ts": reply.ts,
        "ask_id": ask.id,
        "user_id": reply.user_id,
        "created_at": now,
    }
    if not insert_new(session, AskReply, row, key=["team_id", "channel_id", "ts"]):
        return ask
    if ask.status in (AskStatus.OPEN, AskStatus.CLAIMED):
        ask.status = AskStatus.ANSWERED
        ask.answered_by = reply.user_id
        ask.answered_at = now
        changed(session, ask, now, f"answer:{reply.ts}")
    return ask


def on_deleted(session: Session, team_id: str, channel_id: str, ts: str, now: datetime) -> bool:
    """A message was deleted: discard the ask it posted, or withdraw the answer it gave.

    Return whether an ask changed. An ask whose only answer is deleted goes back to where it stood
    before (claimed or open); with other answers left, the earliest remaining one counts.
    """
    ask = _in_thread(session, team_id, channel_id, ts)
    if ask is not None:
        if ask.status == AskStatus.DISCARDED:
            return False
        ask.status = AskStatus.DISCARDED
        ask.closed_at = now
        ask.updated_at = now
        ask.next_nudge_at = None
        return True
    reply = session.get(AskReply, (team_id, channel_id, ts))
    if reply is None or reply.deleted_at is not None:
        return False
    reply.deleted_at = now
    ask = session.get_one(Ask, reply.ask_id)
    if ask.status != AskStatus.ANSWERED:
        return False
    remaining = session.scalars(
        select(AskReply)
        .where(AskReply.ask_id == ask.id, AskReply.deleted_at.is_(None))
        .order_by(AskReply.ts)
        .limit(1)
    ).first()
    if remaining is not None:
        ask.answered_by, ask.answered_at = remaining.user_id, remaining.created_at
    else:
        ask.status = AskStatus.CLAIMED if ask.claimed_by else AskStatus.OPEN
        ask.answered_by = ask.answered_at = None
    changed(session, ask, now, f"unanswer:{ts}")
    return True
