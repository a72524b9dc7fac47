"""What an ask tells people: DMs to the people who match it, notes in its thread, and its own
message kept up to date (with the Home tabs that show it) after each change; and "Stop these"."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.asks import blocks, matching
from app.asks.nudge_schedule import schedule
from app.delivery import outbox
from app.delivery.privacy import unless_private
from app.directory import home_tabs as home
from app.offers import service as offers
from app.slackapi.outcomes import Reply
from app.slackapi.payloads import Click
from app.store.models import Ask, AskMatch, OutboxMessage, Workspace


def post_key(ask_id: int) -> str:
    """The outbox dedupe key of an ask's own message."""
    return f"ask:{ask_id}:post"


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


def changed(session: Session, ask: Ask, now: datetime, why: str) -> None:
    """After a change to `ask`: reschedule its nudges, refresh the Home tabs that show it, and
    update its message (`why` keeps each update's outbox key distinct)."""
    ask.updated_at = now
    schedule(session, ask, now)
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


def stop_matches(session: Session, click: Click, now: datetime) -> Reply:
    """ "Stop these" on an ask DM: the clicker hears of no more asks (until they offer again)."""
    return Reply(offers.stop_matches(session, click.team_id, click.user_id))
