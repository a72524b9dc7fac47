"""The nudge pass: nudge rounds for unanswered asks, follow-ups for answered ones, and the check
that offers still stand. Each step claims its key (`AskNudge`, or the offer's `confirm_asked_at`)
in the transaction that queues its messages, so passes may overlap, crash and rerun freely.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.asks.access import still_here
from app.asks.lifecycle import close_stale
from app.asks.notify import is_posted, notify_matches, thread_reply
from app.asks.nudge_schedule import FOLLOW_UP, ROUNDS, hours_for, next_due
from app.delivery import outbox
from app.nudges import blocks
from app.nudges.offer_checks import check_offers
from app.store.db import SessionFactory, is_sqlite, transaction
from app.store.models import Ask, AskNudge, AskReply, OutboxMessage, Workspace
from app.store.statuses import AskStatus
from app.store.upsert import insert_new

log = logging.getLogger(__name__)
BATCH = 200
# A step that leaves the next round already due waits this long: one round per ask per pass.
SPACING = timedelta(minutes=1)
# An ask whose asker is deactivated waits, checked this often, until they are back (or forever).
AWAY_RECHECK = timedelta(days=1)


@dataclass
class PassResult:
    """What one pass did: how many asks it looked at, and what it sent, by kind."""

    examined: int = 0
    done: Counter[str] = field(default_factory=Counter)


def run_pass(
    sessions: SessionFactory, now: datetime, team_id: str | None = None, batch: int = BATCH
) -> PassResult:
    """Nudge every ask that is due at `now` (in `team_id` only, if given), batch by batch."""
    result = PassResult()
    while True:
        with transaction(sessions) as session:
            due = _due(session, now, team_id, batch)
            for ask in due:
                result.done[step(session, ask, now)] += 1
            result.examined += len(due)
        if len(due) < batch:
            break
    with transaction(sessions) as session:
        result.done["offer checks"] += check_offers(session, now, team_id)
    return result


def _due(session: Session, now: datetime, team_id: str | None, batch: int) -> Sequence[Ask]:
    query = (
        select(Ask)
        .where(Ask.status.in_((AskStatus.OPEN, AskStatus.ANSWERED)), Ask.next_nudge_at <= now)
        .order_by(Ask.next_nudge_at)
        .limit(batch)
    )
    if team_id is not None:
        query = query.where(Ask.team_id == team_id)
    if not is_sqlite(session.get_bind()):
        # Another scheduler skips the asks this one holds instead of waiting for them.
        query = query.with_for_update(skip_locked=True)
    return session.scalars(query).all()


def _claim(session: Session, ask: Ask, kind: str, now: datetime) -> bool:
    row = {"ask_id": ask.id, "kind": kind, "team_id": ask.team_id, "sent_at": now}
    return insert_new(session, AskNudge, row, key=["ask_id", "kind"])


def step(session: Session, ask: Ask, now: datetime) -> str:
    """Do what is due for one ask at `now`; return what it was. Leaves the ask's next check set."""
    workspace, hours = hours_for(session, ask)
    outcome = _act(session, ask, workspace, now, hours.contains(now))
    if outcome == "waiting":
        ask.next_nudge_at = hours.next_open(now)
    elif outcome == "snoozed":
        ask.next_nudge_at = ask.snoozed_until
    elif outcome == "asker away":
        ask.next_nudge_at = now + AWAY_RECHECK
    else:
        due = next_due(session, ask, now)
        ask.next_nudge_at = None if due is None else max(due, now + SPACING)
    return outcome


def _act(session: Session, ask: Ask, workspace: Workspace, now: datetime, working: bool) -> str:
    if not workspace.active:
        return "inactive"
    if ask.snoozed_until is not None and ask.snoozed_until > now:
        return "snoozed"
    if not still_here(session, ask.team_id, [ask.asker_id]):
        # Every round DMs the asker or asks others for them: nobody is there to read or thank.
        return "asker away"
    # Checked here, when sending, not only when scheduling: settings and zones change.
    if not working:
        return "waiting"
    if ask.status == AskStatus.ANSWERED:
        if _claim(session, ask, FOLLOW_UP, now):
            _follow_up(session, ask, now)
        return FOLLOW_UP
    if not workspace.nudges_enabled or ask.nudge_round >= len(ROUNDS):
        return "idle"
    kind = ROUNDS[ask.nudge_round]
    ask.nudge_round += 1
    if _claim(session, ask, kind, now):
        _ROUND[kind](session, ask, workspace, now)
    return kind


def _first(session: Session, ask: Ask, workspace: Workspace, now: datetime) -> None:
    posted = is_posted(session, ask)
    notify_matches(session, ask, now, posted=posted, limit=workspace.matches_per_ask)


def _second(session: Session, ask: Ask, workspace: Workspace, now: datetime) -> None:
    posted = is_posted(session, ask)
    # A wider circle this time: twice the usual number of people.
    told = notify_matches(session, ask, now, posted=posted, limit=2 * workspace.matches_per_ask)
    thread_reply(session, ask, blocks.thread_tip(ask.topics, len(told)), now, "nudge:second")


def _last(session: Session, ask: Ask, workspace: Workspace, now: datetime) -> None:
    key = f"ask:{ask.id}:nudge:last"
    if (
        session.scalar(
            select(OutboxMessage.id).where(
                OutboxMessage.team_id == ask.team_id, OutboxMessage.dedupe_key == key
            )
        )
        is not None
    ):
        # Asked again after "Keep it open" or a snooze: the round's claim (just taken) makes
        # this once; the key must differ from the first time's, or the outbox would drop it.
        key = f"{key}:{now:%Y%m%dT%H%M%S}"
    outbox.queue(
        session,
        team_id=ask.team_id,
        method="dm",
        args={"user": ask.asker_id, **blocks.last_round(ask.id, ask.text)},
        dedupe_key=key,
        now=now,
    )


def _stale(session: Session, ask: Ask, workspace: Workspace, now: datetime) -> None:
    close_stale(session, ask, now)
    outbox.queue(
        session,
        team_id=ask.team_id,
        method="dm",
        args={"user": ask.asker_id, **blocks.closed_stale(ask.text, workspace.stale_after_days)},
        dedupe_key=f"ask:{ask.id}:nudge:stale",
        now=now,
    )


_ROUND = {"first": _first, "second": _second, "last": _last, "stale": _stale}


def answerers(session: Session, ask: Ask) -> list[str]:
    """Who answered in the ask's thread (replies still there), then who offered to help."""
    replied = session.scalars(
        select(AskReply.user_id)
        .where(AskReply.ask_id == ask.id, AskReply.deleted_at.is_(None))
        .order_by(AskReply.ts)
    )
    people = [*replied, ask.answered_by or "", ask.claimed_by or ""]
    return [u for u in dict.fromkeys(people) if u and u != ask.asker_id]


def _follow_up(session: Session, ask: Ask, now: datetime) -> None:
    outbox.queue(
        session,
        team_id=ask.team_id,
        method="dm",
        args={
            "user": ask.asker_id,
            **blocks.follow_up(ask.id, ask.text, answerers(session, ask)),
        },
        dedupe_key=f"ask:{ask.id}:followup",
        now=now,
    )
