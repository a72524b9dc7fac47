"""What an ask tells people: DMs to the people who match it, notes in its thread, and its own
message kept up to date (with the Home tabs that show it) after each change; and "Stop these"."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.asks import blocks, matching
from app.asks.nudge_schedule import schedule
from app.delivery import outbox
from app.delivery.privacy import unless_private
from app.directory import home_tabs as home
from app.directory import service as directory
from app.offers import service as offers
from app.slackapi.outcomes import Reply
from app.slackapi.payloads import Click
from app.store.models import Ask, AskMatch, OutboxMessage, Workspace
from app.store.upsert import upsert


def post_key(ask_id: int) -> str:
    """The outbox dedupe key of an ask's own message."""
    return f"ask:{ask_id}:post"


def is_posted(session: Session, ask: Ask) -> bool:
    """Whether the ask's own message was queued (it has, or will have, a thread)."""
    return ask.id in posted_ids(session, [ask])


def posted_ids(session: Session, asks: Sequence[Ask]) -> set[int]:
    """The ids of those of `asks` whose own message was queued: one query per workspace."""
    by_team: dict[str, list[Ask]] = {}
    for ask in asks:
        by_team.setdefault(ask.team_id, []).append(ask)
    found: set[int] = set()
    for team_id, mine in by_team.items():
        keys = {post_key(ask.id): ask.id for ask in mine}
        found.update(
            keys[key]
            for key in session.scalars(
                select(OutboxMessage.dedupe_key).where(
                    OutboxMessage.team_id == team_id, OutboxMessage.dedupe_key.in_(keys)
                )
            )
        )
    return found


def notify_matches(
    session: Session, ask: Ask, now: datetime, *, posted: bool, limit: int | None = None
) -> list[str]:
    """Tell the next best-matching people privately (one DM each, at most `limit` or the
    workspace's number per ask); return who was told."""
    return notify_all(session, [ask], now, posted=[posted], limits=[limit])[0]


def notify_all(
    session: Session,
    asks: Sequence[Ask],
    now: datetime,
    *,
    posted: Sequence[bool],
    limits: Sequence[int | None],
) -> list[list[str]]:
    """`notify_matches` for each of `asks` in turn (whether its message is `posted`, and its
    limit), with one write of their matches and one of their DMs; return who each told."""
    chosen = matching.choose_all(session, asks, now, limits)
    matches: list[dict[str, object]] = []
    entries = []
    for ask, found, linked in zip(asks, chosen, posted, strict=True):
        share = session.get_one(Workspace, ask.team_id).share_private_asks
        for candidate in found:
            matches.append(
                {
                    "ask_id": ask.id,
                    "user_id": candidate.user_id,
                    "team_id": ask.team_id,
                    "score": candidate.score,
                    "matched_at": now,
                }
            )
            entries.append(_match_dm(ask, candidate, now, share=share, posted=linked))
    # Told already (a concurrent reopen): the DM's outbox key drops the second one too.
    upsert(session, AskMatch, matches, key=["ask_id", "user_id"])
    outbox.queue_all(session, entries)
    told = [[c.user_id for c in found] for found in chosen]
    _refresh_homes(session, asks, told, now)
    return told


def _match_dm(
    ask: Ask, candidate: matching.Candidate, now: datetime, *, share: bool, posted: bool
) -> dict[str, Any]:
    """The outbox row of one match's DM: linked to the ask's message once that is sent."""
    user = {"user": candidate.user_id}
    private = ask.channel_is_private and not share
    unlinked = {**user, **blocks.match_dm(ask, candidate, None, private=private)}
    linked = {**user, **blocks.match_dm(ask, candidate, outbox.AFTER_PERMALINK, private=private)}
    if not ask.channel_is_private and not share:
        # Checked again when sent: the channel may have turned private in the meantime.
        hidden = {**user, **blocks.match_dm(ask, candidate, None, private=True)}
        unlinked = unless_private(unlinked, ask.origin_channel_id, hidden)
        linked = unless_private(linked, ask.origin_channel_id, hidden)
    return outbox.entry(
        team_id=ask.team_id,
        method="dm",
        args=linked if posted else unlinked,
        dedupe_key=f"ask:{ask.id}:match:{candidate.user_id}",
        after_key=post_key(ask.id) if posted else None,
        after_failed_args=unlinked if posted else None,
        now=now,
    )


def _refresh_homes(
    session: Session, asks: Sequence[Ask], told: Sequence[Sequence[str]], now: datetime
) -> None:
    """Refresh the Home tabs of the askers and the people told: their directory facts read at
    once, as plain rows, say who has one (usually nobody)."""
    by_team: dict[str, list[str]] = {}
    for ask, people in zip(asks, told, strict=True):
        by_team.setdefault(ask.team_id, []).extend([ask.asker_id, *people])
    for team_id, user_ids in by_team.items():
        found = directory.people(session, team_id, user_ids)
        home.refresh(session, team_id, home.with_home(found, user_ids), now)


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
    # Only a private ask may lack a thread: a public one's message is always queued.
    posted = not ask.channel_is_private or is_posted(session, ask)
    outbox.queue_all(session, [reply_entry(ask, text, now, why, posted=posted)])


def reply_entry(ask: Ask, text: str, now: datetime, why: str, *, posted: bool) -> dict[str, Any]:
    """The outbox row of `thread_reply`, given whether the ask's message was queued."""
    if ask.channel_is_private and not posted:
        # An ask from a DM has no thread: the asker hears it directly.
        return outbox.entry(
            team_id=ask.team_id,
            method="dm",
            args={"user": ask.asker_id, "text": text},
            dedupe_key=f"ask:{ask.id}:reply:{why}",
            now=now,
        )
    return outbox.entry(
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
