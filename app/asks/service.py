"""The life of an ask: posted, claimed, answered in its thread, resolved with credit or closed.

Plain functions over a Session. Each transition is timestamped and queues a `chat.update` so the
ask's own message always shows where it stands.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.asks import blocks, matching
from app.asks.topics import candidates, topics_of
from app.delivery import outbox
from app.delivery.joins import join_first
from app.delivery.privacy import unless_private
from app.home import refresh as home
from app.kudos import giving
from app.kudos.request import KudosRequest
from app.kudos.results import Refused
from app.nudges import schedule as nudges
from app.slackapi.payloads import Conversation
from app.store.models import (
    Ask,
    AskHelper,
    AskMatch,
    AskReply,
    Member,
    OutboxMessage,
    Workspace,
)

MAX_ASK = 3000
LIVE = ("open", "claimed", "answered")
_STILL = re.compile(r"\b(still|not (yet )?(solved|fixed|working)|doesn'?t work|reopen)\b", re.I)


@dataclass(frozen=True)
class ThreadReply:
    """A person's message in a thread: its ts, who wrote it and what it says."""

    ts: str
    user_id: str
    text: str


def post_key(ask_id: int) -> str:
    """The outbox dedupe key of an ask's own message."""
    return f"ask:{ask_id}:post"


def create(
    session: Session,
    team_id: str,
    asker_id: str,
    text: str,
    origin: Conversation,
    now: datetime,
    response_url: str | None = None,
) -> Ask:
    """Record an open ask and queue its message where the right people will see it.

    Public asks go to the workspace's asks channel if it has one, else where they were typed; an
    ask from a private channel stays there; an ask from a DM is posted nowhere public.
    """
    workspace = session.get_one(Workspace, team_id)
    private = origin.is_private or origin.is_dm
    ask = Ask(
        team_id=team_id,
        asker_id=asker_id,
        text=text.strip()[:MAX_ASK],
        topics=topics_of(text, matching.offered(session, team_id, candidates(text))),
        origin_channel_id=origin.channel_id,
        channel_is_private=private,
        status="open",
        created_at=now,
        updated_at=now,
    )
    session.add(ask)
    session.flush()
    nudges.schedule(session, ask, now)
    if origin.is_dm:
        notify_matches(session, ask, now, posted=False)
        return ask
    target = origin.channel_id if private else (workspace.asks_channel_id or origin.channel_id)
    # Joining first: Slack sends the thread's replies only from channels the bot is in.
    args = join_first({"channel": target, **blocks.ask_message(ask), "unfurl_links": False})
    if target != origin.channel_id:
        # Should the channel turn private before this goes out, the ask stays where it was typed.
        args = unless_private(args, origin.channel_id, {**args, "channel": origin.channel_id})
    outbox.queue(
        session,
        team_id=team_id,
        method="chat.postMessage",
        args=args,
        dedupe_key=post_key(ask.id),
        now=now,
        link=outbox.Link("asks", ask.id),
        notice=outbox.Notice(user_id=asker_id, what="your ask", response_url=response_url),
    )
    notify_matches(session, ask, now, posted=True)
    return ask


def notify_matches(
    session: Session, ask: Ask, now: datetime, *, posted: bool, limit: int | None = None
) -> list[str]:
    """Tell the next best-matching people privately (one DM each, at most `limit` or the
    workspace's number per ask); return who was told."""
    chosen = matching.choose(session, ask, now, limit)
    share = session.get_one(Workspace, ask.team_id).share_private_asks
    for candidate in chosen:
        session.add(
            AskMatch(
                ask_id=ask.id,
                user_id=candidate.user_id,
                team_id=ask.team_id,
                score=candidate.score,
                matched_at=now,
            )
        )
        user = {"user": candidate.user_id}
        private = ask.channel_is_private and not share
        unlinked = {**user, **blocks.match_dm(ask, candidate, None, private=private)}
        linked = {
            **user,
            **blocks.match_dm(ask, candidate, outbox.AFTER_PERMALINK, private=private),
        }
        if not ask.channel_is_private and not share:
            # Checked again when sent: the channel may have turned private in the meantime.
            hidden = {**user, **blocks.match_dm(ask, candidate, None, private=True)}
            unlinked = unless_private(unlinked, ask.origin_channel_id, hidden)
            linked = unless_private(linked, ask.origin_channel_id, hidden)
        outbox.queue(
            session,
            team_id=ask.team_id,
            method="dm",
            args=linked if posted else unlinked,
            dedupe_key=f"ask:{ask.id}:match:{candidate.user_id}",
            after_key=post_key(ask.id) if posted else None,
            after_failed_args=unlinked if posted else None,
            now=now,
        )
    told = [c.user_id for c in chosen]
    home.refresh(session, ask.team_id, [ask.asker_id, *told], now)
    return told


def _refresh(session: Session, ask: Ask, now: datetime, why: str) -> None:
    ask.updated_at = now
    nudges.schedule(session, ask, now)
    home.refresh(
        session, ask.team_id, [ask.asker_id, ask.claimed_by or "", ask.answered_by or ""], now
    )
    if not is_posted(session, ask):
        return
    outbox.queue(
        session,
        team_id=ask.team_id,
        method="chat.update",
        args={"channel": outbox.AFTER_CHANNEL, "ts": outbox.AFTER_TS, **blocks.ask_message(ask)},
        dedupe_key=f"ask:{ask.id}:update:{why}:{now.isoformat()}",
        after_key=post_key(ask.id),
        now=now,
    )


def thread_reply(session: Session, ask: Ask, text: str, now: datetime, why: str) -> None:
    """Reply in the ask's thread (or, for an ask from a DM, to the asker directly)."""
    if ask.channel_is_private and not is_posted(session, ask):
        # An ask from a DM has no thread: the asker hears it directly.
        outbox.queue(
            session,
            team_id=ask.team_id,
            method="dm",
            args={"user": ask.asker_id, "text": text},
            dedupe_key=f"ask:{ask.id}:reply:{why}",
            now=now,
        )
        return
    outbox.queue(
        session,
        team_id=ask.team_id,
        method="chat.postMessage",
        args={"channel": outbox.AFTER_CHANNEL, "thread_ts": outbox.AFTER_TS, "text": text},
        dedupe_key=f"ask:{ask.id}:reply:{why}",
        after_key=post_key(ask.id),
        now=now,
    )


def is_posted(session: Session, ask: Ask) -> bool:
    """Whether the ask's own message was queued (it has, or will have, a thread)."""
    return (
        session.scalar(
            select(OutboxMessage.id).where(
                OutboxMessage.team_id == ask.team_id, OutboxMessage.dedupe_key == post_key(ask.id)
            )
        )
        is not None
    )


def find(session: Session, team_id: str, ask_id: int) -> Ask | None:
    """Return the ask `ask_id` of `team_id`, or None."""
    ask = session.get(Ask, ask_id)
    return ask if ask is not None and ask.team_id == team_id else None


def claim(session: Session, team_id: str, ask_id: int, user_id: str, now: datetime) -> str:
    """ "I can help": record the volunteer and say so in the thread; return the answer for them."""
    ask = find(session, team_id, ask_id)
    if ask is None or ask.status not in LIVE:
        return "That ask is no longer open."
    if ask.asker_id == user_id:
        return "That's your own ask; wait for a helper, or resolve it when you're sorted."
    if ask.claimed_by == user_id:
        return "You already offered to help with this one. Thanks!"
    ask.claimed_by = user_id
    ask.claimed_at = now
    if ask.status == "open":
        ask.status = "claimed"
    thread_reply(
        session,
        ask,
        f"<@{user_id}> can help with this, <@{ask.asker_id}>.",
        now,
        f"claim:{user_id}",
    )
    _refresh(session, ask, now, "claim")
    return "Thanks! I've told the asker in the thread."


def _in_thread(session: Session, team_id: str, channel_id: str, thread_ts: str) -> Ask | None:
    return session.scalar(
        select(Ask).where(
            Ask.team_id == team_id, Ask.channel_id == channel_id, Ask.message_ts == thread_ts
        )
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
    if ask is None or ask.status not in (*LIVE, "resolved"):
        return None
    if reply.user_id == ask.asker_id:
        if ask.status in ("answered", "resolved") and _STILL.search(reply.text):
            _reopen(session, ask, now, f"reply:{reply.ts}")
        return ask
    if session.get(AskReply, (team_id, channel_id, reply.ts)) is not None:
        return ask
    session.add(
        AskReply(
            team_id=team_id,
            channel_id=channel_id,
            ts=reply.ts,
            ask_id=ask.id,
            user_id=reply.user_id,
            created_at=now,
        )
    )
    if ask.status in ("open", "claimed"):
        ask.status = "answered"
        ask.answered_by = reply.user_id
        ask.answered_at = now
        _refresh(session, ask, now, f"answer:{reply.ts}")
    return ask


def on_deleted(session: Session, team_id: str, channel_id: str, ts: str, now: datetime) -> bool:
    """A message was deleted: discard the ask it posted, or withdraw the answer it gave.

    Return whether an ask changed. An ask whose only answer is deleted goes back to where it stood
    before (claimed or open); with other answers left, the earliest remaining one counts.
    """
    ask = _in_thread(session, team_id, channel_id, ts)
    if ask is not None:
        if ask.status == "discarded":
            return False
        ask.status = "discarded"
        ask.closed_at = now
        ask.updated_at = now
        ask.next_nudge_at = None
        return True
    reply = session.get(AskReply, (team_id, channel_id, ts))
    if reply is None or reply.deleted_at is not None:
        return False
    reply.deleted_at = now
    ask = session.get_one(Ask, reply.ask_id)
    if ask.status != "answered":
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
        ask.status = "claimed" if ask.claimed_by else "open"
        ask.answered_by = ask.answered_at = None
    _refresh(session, ask, now, f"unanswer:{ts}")
    return True


def reopen(session: Session, team_id: str, ask_id: int, user_id: str, now: datetime) -> str:
    """ "Still need help" (asker only): reopen the ask and reach more people; return the answer."""
    ask = find(session, team_id, ask_id)
    if ask is None or ask.status not in (*LIVE, "resolved"):
        return "That ask is closed; ask again with /ask."
    if ask.asker_id != user_id:
        return "Only the person who asked can say they still need help."
    if ask.status == "open":
        return "It's still open, and the people who can help have been told."
    told = _reopen(session, ask, now, f"button:{now.isoformat()}")
    people = "person who offers" if len(told) == 1 else "people who offer"
    more = f" I've also asked {len(told)} more {people} its topics." if told else ""
    return "Reopened: it shows as open again." + more


def _reopen(session: Session, ask: Ask, now: datetime, why: str) -> list[str]:
    ask.status = "open"
    ask.resolved_at = None
    _refresh(session, ask, now, f"reopen:{why}")
    return notify_matches(session, ask, now, posted=is_posted(session, ask))


def close(session: Session, team_id: str, ask_id: int, user_id: str, now: datetime) -> str:
    """Close an ask without credit (asker only); return the answer for them."""
    ask = find(session, team_id, ask_id)
    if ask is None or ask.status not in LIVE:
        return "That ask is no longer open."
    if ask.asker_id != user_id:
        return "Only the person who asked can close it."
    ask.status = "closed"
    ask.closed_at = now
    _refresh(session, ask, now, "close")
    return "Closed. Ask again any time."


def close_stale(session: Session, ask: Ask, now: datetime) -> None:
    """Close an ask nobody answered after its last nudge; its message says so."""
    ask.status = "closed"
    ask.closed_at = now
    _refresh(session, ask, now, "stale")


def helper_candidates(ask: Ask) -> list[str]:
    """Who to prefill as helpers: whoever answered and whoever offered to help."""
    return [u for u in dict.fromkeys([ask.answered_by, ask.claimed_by]) if u]


def _still_here(session: Session, team_id: str, user_ids: Sequence[str]) -> list[str]:
    """Return `user_ids` less the people the directory knows as deactivated, in order."""
    gone = set(
        session.scalars(
            select(Member.user_id).where(
                Member.team_id == team_id,
                Member.user_id.in_(list(user_ids)),
                Member.deleted.is_(True),
            )
        )
    )
    return [user_id for user_id in user_ids if user_id not in gone]


def resolve(
    session: Session,
    team_id: str,
    ask_id: int,
    user_id: str,
    helpers: Sequence[str],
    note: str,
    now: datetime,
) -> str:
    """Resolve with credit (asker only): record who helped, update the message, thank them."""
    ask = find(session, team_id, ask_id)
    if ask is None or ask.status not in LIVE:
        return "That ask is no longer open."
    if ask.asker_id != user_id:
        return "Only the person who asked can resolve it."
    credited = [h for h in dict.fromkeys(helpers) if h != user_id]
    ask.status = "resolved"
    ask.resolved_at = now
    for helper in credited:
        ask.helpers.append(
            AskHelper(team_id=team_id, helper_id=helper, asker_id=ask.asker_id, credited_at=now)
        )
    session.flush()
    _refresh(session, ask, now, "resolve")
    # Credit stays with everyone who helped; the thank-you goes to those who can still get it.
    thanked = _still_here(session, team_id, credited)
    if note.strip() and thanked:
        given = giving.give(
            session,
            KudosRequest(
                team_id=team_id,
                giver_id=user_id,
                recipients=tuple(thanked),
                message=note.strip(),
                where=Conversation(
                    ask.channel_id or ask.origin_channel_id,
                    ask.channel_is_private,
                    is_dm=ask.channel_id is None,
                ),
                source="ask",
                dedupe_key=f"ask:{ask.id}:thanks",
            ),
            now,
        )
        if isinstance(given, Refused):
            return (
                "Resolved, with credit recorded. Your thank-you note couldn't be sent as kudos: "
                + given.reason.value.replace("_", " ")
                + "."
            )
    return "Resolved. Thanks for closing the loop!"
