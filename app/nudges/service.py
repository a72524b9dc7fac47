"""The nudge pass: nudge rounds for unanswered asks, follow-ups for answered ones, and the check
that offers still stand. Each step claims its key (`AskNudge`, or the offer's `confirm_asked_at`)
in the transaction that queues its messages, so passes may overlap, crash and rerun freely.

The pass works a batch of due asks at a time, set by set rather than ask by ask: one query each
for their askers, their claims and what their rounds need (whether their messages were posted,
their answerers, matching for all of them at once), one write each for their claims, matches and
messages. Its cost follows the asks that are due, in a number of statements that does not.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.asks.lifecycle import close_stale
from app.asks.notify import notify_all, posted_ids, reply_entry
from app.asks.nudge_schedule import FOLLOW_UP, ROUNDS, SCHEDULING, due_after
from app.asks.working_hours import WorkingHours
from app.delivery import outbox
from app.nudges import blocks
from app.nudges.offer_checks import check_offers
from app.store.db import SessionFactory, is_sqlite, transaction
from app.store.models import Ask, AskNudge, AskReply, Member, OutboxMessage, Workspace
from app.store.statuses import AskStatus

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
            result.done.update(step_all(session, due, now))
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


@dataclass(frozen=True)
class _Due:
    """A due ask with what deciding its step needs: its workspace and the asker's hours."""

    ask: Ask
    workspace: Workspace
    hours: WorkingHours


def step_all(session: Session, asks: Sequence[Ask], now: datetime) -> list[str]:
    """Do what is due for each of `asks` at `now`; return what it was, ask by ask. Leaves each
    ask's next check set."""
    if not asks:
        return []
    workspaces = {t: session.get_one(Workspace, t) for t in {a.team_id for a in asks}}
    askers = _askers(session, asks)
    zones = {a: asker.tz if (asker := askers.get(a)) else None for a in asks}
    due = [
        _Due(a, workspaces[a.team_id], WorkingHours.of(workspaces[a.team_id], zones[a]))
        for a in asks
    ]
    outcomes = [_decide(d, askers.get(d.ask), now) for d in due]
    acting = [(d, kind) for d, kind in zip(due, outcomes, strict=True) if kind in _CLAIMED]
    for d, kind in acting:
        if kind in ROUNDS:
            d.ask.nudge_round += 1
    claimed = _claim_all(session, [(d.ask, kind) for d, kind in acting], now)
    _act_all(session, [(d, kind) for d, kind in acting if d.ask.id in claimed], now)
    sent = _claims(session, [d.ask for d, kind in zip(due, outcomes, strict=True)])
    for d, outcome in zip(due, outcomes, strict=True):
        d.ask.next_nudge_at = _next_check(d, outcome, sent, now)
    return outcomes


def _askers(session: Session, asks: Sequence[Ask]) -> dict[Ask, Member]:
    """The directory's member for each ask's asker (absent if it has none): one query a team."""
    by_team: dict[str, set[str]] = {}
    for ask in asks:
        by_team.setdefault(ask.team_id, set()).add(ask.asker_id)
    members: dict[tuple[str, str], Member] = {}
    for team_id, users in by_team.items():
        for member in session.scalars(
            select(Member).where(Member.team_id == team_id, Member.user_id.in_(users))
        ):
            members[(team_id, member.user_id)] = member
    return {a: members[(a.team_id, a.asker_id)] for a in asks if (a.team_id, a.asker_id) in members}


_CLAIMED = frozenset((*ROUNDS, FOLLOW_UP))


def _decide(due: _Due, asker: Member | None, now: datetime) -> str:
    """What is due for the ask now: a round or the follow-up (`_CLAIMED`), or why nothing is."""
    ask, workspace = due.ask, due.workspace
    if not workspace.active:
        return "inactive"
    if ask.snoozed_until is not None and ask.snoozed_until > now:
        return "snoozed"
    if asker is not None and asker.deleted:
        # Every round DMs the asker or asks others for them: nobody is there to read or thank.
        return "asker away"
    # Checked here, when sending, not only when scheduling: settings and zones change.
    if not due.hours.contains(now):
        return "waiting"
    if ask.status == AskStatus.ANSWERED:
        return FOLLOW_UP
    if not workspace.nudges_enabled or ask.nudge_round >= len(ROUNDS):
        return "idle"
    return ROUNDS[ask.nudge_round]


def _claim_all(session: Session, claims: Sequence[tuple[Ask, str]], now: datetime) -> set[int]:
    """Take each (ask, kind) claim not yet taken, in one statement; return the asks this took."""
    if not claims:
        return set()
    insert = sqlite.insert if is_sqlite(session.get_bind()) else postgresql.insert
    rows = [
        {"ask_id": ask.id, "kind": kind, "team_id": ask.team_id, "sent_at": now}
        for ask, kind in claims
    ]
    # RETURNING yields only the rows inserted: a claim another pass took is not ours.
    statement = (
        insert(AskNudge)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["ask_id", "kind"])
        .returning(AskNudge.ask_id)
    )
    return set(session.scalars(statement))


def _act_all(session: Session, acts: Sequence[tuple[_Due, str]], now: datetime) -> None:
    """Send what each claimed step owes: matches, thread tips, the asker's DMs."""
    entries: list[dict[str, Any]] = []
    rounds = [(d, kind) for d, kind in acts if kind in ("first", "second")]
    posted = posted_ids(session, [d.ask for d, _ in rounds]) if rounds else set()
    told = notify_all(
        session,
        [d.ask for d, _ in rounds],
        now,
        posted=[d.ask.id in posted for d, _ in rounds],
        # The second round casts a wider circle: twice the usual number of people.
        limits=[d.workspace.matches_per_ask * (2 if k == "second" else 1) for d, k in rounds],
    )
    for (d, kind), people in zip(rounds, told, strict=True):
        if kind == "second":
            tip = blocks.thread_tip(d.ask.topics, len(people))
            entries.append(reply_entry(d.ask, tip, now, "nudge:second", posted=d.ask.id in posted))
    entries += _last_rounds(session, [d.ask for d, kind in acts if kind == "last"], now)
    for d, kind in acts:
        if kind == "stale":
            entries.append(_stale(session, d, now))
    follow_ups = [d.ask for d, kind in acts if kind == FOLLOW_UP]
    for ask, people in zip(follow_ups, answerers_of(session, follow_ups), strict=True):
        entries.append(_follow_up(ask, people, now))
    outbox.queue_all(session, entries)


def _last_rounds(session: Session, asks: Sequence[Ask], now: datetime) -> list[dict[str, Any]]:
    """The last round's DMs: the asker is asked whether to keep the ask open."""
    keys = {ask.id: f"ask:{ask.id}:nudge:last" for ask in asks}
    sent: set[tuple[str, str]] = set()
    for team_id in {ask.team_id for ask in asks}:
        mine = [keys[a.id] for a in asks if a.team_id == team_id]
        query = select(OutboxMessage.dedupe_key).where(
            OutboxMessage.team_id == team_id, OutboxMessage.dedupe_key.in_(mine)
        )
        sent.update((team_id, key) for key in session.scalars(query))
    entries = []
    for ask in asks:
        key = keys[ask.id]
        if (ask.team_id, key) in sent:
            # Asked again after "Keep it open" or a snooze: the round's claim (just taken) makes
            # this once; the key must differ from the first time's, or the outbox would drop it.
            key = f"{key}:{now:%Y%m%dT%H%M%S}"
        entries.append(
            outbox.entry(
                team_id=ask.team_id,
                method="dm",
                args={"user": ask.asker_id, **blocks.last_round(ask.id, ask.text)},
                dedupe_key=key,
                now=now,
            )
        )
    return entries


def _stale(session: Session, due: _Due, now: datetime) -> dict[str, Any]:
    """Close the ask as stale; return the asker's DM saying so."""
    ask = due.ask
    close_stale(session, ask, now)
    return outbox.entry(
        team_id=ask.team_id,
        method="dm",
        args={
            "user": ask.asker_id,
            **blocks.closed_stale(ask.text, due.workspace.stale_after_days),
        },
        dedupe_key=f"ask:{ask.id}:nudge:stale",
        now=now,
    )


def _follow_up(ask: Ask, people: list[str], now: datetime) -> dict[str, Any]:
    """The follow-up DM of an answered ask, naming who answered."""
    return outbox.entry(
        team_id=ask.team_id,
        method="dm",
        args={"user": ask.asker_id, **blocks.follow_up(ask.id, ask.text, people)},
        dedupe_key=f"ask:{ask.id}:followup",
        now=now,
    )


def _claims(session: Session, asks: Sequence[Ask]) -> dict[tuple[int, str], datetime]:
    """When each of `asks`' claims that scheduling depends on was taken: one query."""
    rows = session.execute(
        select(AskNudge.ask_id, AskNudge.kind, AskNudge.sent_at).where(
            AskNudge.ask_id.in_([a.id for a in asks]), AskNudge.kind.in_(SCHEDULING)
        )
    )
    return {(ask_id, kind): sent_at for ask_id, kind, sent_at in rows}


def _next_check(
    due: _Due, outcome: str, sent: dict[tuple[int, str], datetime], now: datetime
) -> datetime | None:
    """When the pass should look at the ask again after this step's `outcome`."""
    ask = due.ask
    if outcome == "waiting":
        return due.hours.next_open(now)
    if outcome == "snoozed":
        return ask.snoozed_until
    if outcome == "asker away":
        return now + AWAY_RECHECK
    next_due = due_after(
        ask, due.workspace, lambda: due.hours, lambda kind: sent.get((ask.id, kind)), now
    )
    return None if next_due is None else max(next_due, now + SPACING)


def answerers(session: Session, ask: Ask) -> list[str]:
    """Who answered in the ask's thread (replies still there), then who offered to help."""
    return answerers_of(session, [ask])[0]


def answerers_of(session: Session, asks: Sequence[Ask]) -> list[list[str]]:
    """`answerers` of each of `asks`, from one query."""
    if not asks:
        return []
    replied: dict[int, list[str]] = {}
    rows = session.execute(
        select(AskReply.ask_id, AskReply.user_id)
        .where(AskReply.ask_id.in_([a.id for a in asks]), AskReply.deleted_at.is_(None))
        .order_by(AskReply.ask_id, AskReply.ts)
    )
    for ask_id, user_id in rows:
        replied.setdefault(ask_id, []).append(user_id)
    found = []
    for ask in asks:
        people = [*replied.get(ask.id, []), ask.answered_by or "", ask.claimed_by or ""]
        found.append([u for u in dict.fromkeys(people) if u and u != ask.asker_id])
    return found
