"""The life of an ask: posted, claimed, reopened, closed (by the asker, or as stale).

Each transition is timestamped and ends in `notify.changed`, so the ask's own message always shows
where it stands. Answers in its thread are in `app.asks.threads`; resolving with credit is in
`app.asks.resolution`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.asks import blocks, matching
from app.asks.access import AskRefusal, askers_ask, live_ask
from app.asks.notify import changed, is_posted, notify_matches, post_key, thread_reply
from app.asks.nudge_schedule import schedule
from app.asks.topics import candidates, topics_of
from app.delivery import outbox
from app.delivery.joins import join_first
from app.delivery.privacy import unless_private
from app.slackapi.outcomes import Refusal, Reply
from app.slackapi.payloads import Click, Conversation
from app.store.models import Ask, Workspace
from app.store.statuses import LIVE_ASKS, AskStatus

MAX_ASK = 3000


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
        status=AskStatus.OPEN,
        nudge_round=0,
        created_at=now,
        updated_at=now,
    )
    # Scheduled before the insert, so the row goes in whole: one statement, not two.
    schedule(session, ask, now)
    session.add(ask)
    session.flush()
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


def claim(session: Session, click: Click, now: datetime) -> Reply | Refusal:
    """ "I can help": record the volunteer and say so in the thread."""
    ask = live_ask(session, click.team_id, click.number)
    if isinstance(ask, Refusal):
        return ask
    user_id = click.user_id
    if ask.asker_id == user_id:
        return Refusal(
            AskRefusal.OWN_ASK,
            "That's your own ask; wait for a helper, or resolve it when you're sorted.",
        )
    if ask.claimed_by == user_id:
        return Refusal(
            AskRefusal.ALREADY_CLAIMED, "You already offered to help with this one. Thanks!"
        )
    ask.claimed_by = user_id
    ask.claimed_at = now
    if ask.status == AskStatus.OPEN:
        ask.status = AskStatus.CLAIMED
    thread_reply(
        session,
        ask,
        f"<@{user_id}> can help with this, <@{ask.asker_id}>.",
        now,
        f"claim:{user_id}",
    )
    changed(session, ask, now, "claim")
    return Reply("Thanks! I've told the asker in the thread.")


def reopen(session: Session, click: Click, now: datetime) -> Reply | Refusal:
    """ "Still need help" (asker only): reopen the ask and reach more people."""
    ask = askers_ask(
        session,
        click.team_id,
        click.number,
        click.user_id,
        "say they still need help",
        statuses=(*LIVE_ASKS, AskStatus.RESOLVED),
        closed="That ask is closed; ask again with /ask.",
    )
    if isinstance(ask, Refusal):
        return ask
    if ask.status == AskStatus.OPEN:
        return Refusal(
            AskRefusal.STILL_OPEN, "It's still open, and the people who can help have been told."
        )
    told = reopened(session, ask, now, f"button:{now.isoformat()}")
    people = "person who offers" if len(told) == 1 else "people who offer"
    more = f" I've also asked {len(told)} more {people} its topics." if told else ""
    return Reply("Reopened: it shows as open again." + more)


def reopened(session: Session, ask: Ask, now: datetime, why: str) -> list[str]:
    """Put `ask` back to open and tell more matching people; return who was told."""
    ask.status = AskStatus.OPEN
    ask.resolved_at = None
    changed(session, ask, now, f"reopen:{why}")
    return notify_matches(session, ask, now, posted=is_posted(session, ask))


def close(session: Session, click: Click, now: datetime) -> Reply | Refusal:
    """Close an ask without credit (asker only)."""
    ask = askers_ask(session, click.team_id, click.number, click.user_id, "close it")
    if isinstance(ask, Refusal):
        return ask
    ask.status = AskStatus.CLOSED
    ask.closed_at = now
    changed(session, ask, now, "close")
    return Reply("Closed. Ask again any time.")


def close_stale(session: Session, ask: Ask, now: datetime) -> None:
    """Close an ask nobody answered after its last nudge; its message says so."""
    ask.status = AskStatus.CLOSED
    ask.closed_at = now
    changed(session, ask, now, "stale")
