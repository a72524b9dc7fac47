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

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.asks import service as asks
from app.delivery import outbox
from app.nudges import blocks
from app.nudges.schedule import FOLLOW_UP, ROUNDS, hours_for, next_due
from app.offers import service as offers
from app.offers.topics import normalize, spellings
from app.store.db import SessionFactory, is_sqlite, transaction
from app.store.models import Ask, AskNudge, AskReply, Member, Offer, OutboxMessage, Workspace
from app.store.upsert import insert_new

log = logging.getLogger(__name__)
BATCH = 200
# A step that leaves the next round already due waits this long: one round per ask per pass.
SPACING = timedelta(minutes=1)
# An ask whose asker is deactivated waits, checked this often, until they are back (or forever).
AWAY_RECHECK = timedelta(days=1)
# "Remind me tomorrow": this long, then on to the asker's next working moment.
SNOOZE = timedelta(days=1)


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
        .where(Ask.status.in_(("open", "answered")), Ask.next_nudge_at <= now)
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
    if _deactivated(session, ask.team_id, ask.asker_id):
        # Every round DMs the asker or asks others for them: nobody is there to read or thank.
        return "asker away"
    # Checked here, when sending, not only when scheduling: settings and zones change.
    if not working:
        return "waiting"
    if ask.status == "answered":
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
    posted = asks.is_posted(session, ask)
    asks.notify_matches(session, ask, now, posted=posted, limit=workspace.matches_per_ask)


def _second(session: Session, ask: Ask, workspace: Workspace, now: datetime) -> None:
    posted = asks.is_posted(session, ask)
    # A wider circle this time: twice the usual number of people.
    told = asks.notify_matches(
        session, ask, now, posted=posted, limit=2 * workspace.matches_per_ask
    )
    asks.thread_reply(session, ask, blocks.thread_tip(ask.topics, len(told)), now, "nudge:second")


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
    asks.close_stale(session, ask, now)
    outbox.queue(
        session,
        team_id=ask.team_id,
        method="dm",
        args={"user": ask.asker_id, **blocks.closed_stale(ask.text, workspace.stale_after_days)},
        dedupe_key=f"ask:{ask.id}:nudge:stale",
        now=now,
    )


def _deactivated(session: Session, team_id: str, user_id: str) -> bool:
    """Whether the directory has `user_id` as deactivated in Slack (reversible)."""
    member = session.get(Member, (team_id, user_id))
    return member is not None and member.deleted


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


def _askers_open_ask(
    session: Session, team_id: str, ask_id: int, user_id: str, what: str
) -> Ask | str:
    """Return the ask if it is open and `user_id` asked it, else why they may not do `what`."""
    ask = asks.find(session, team_id, ask_id)
    if ask is None or ask.status not in asks.LIVE:
        return "That ask is no longer open."
    if ask.asker_id != user_id:
        return f"Only the person who asked can {what}."
    return ask


def keep_open(session: Session, team_id: str, ask_id: int, user_id: str, now: datetime) -> str:
    """ "Keep it open" on the last round: ask again after another last-round wait."""
    ask = _askers_open_ask(session, team_id, ask_id, user_id, "keep it open")
    if isinstance(ask, str):
        return ask
    _back_to_last_round(session, ask)
    workspace, hours = hours_for(session, ask)
    ask.snoozed_until = None
    ask.next_nudge_at = hours.add(now, workspace.nudge_last_hours - workspace.nudge_second_hours)
    return "Kept open. I'll check with you again later if it's still unanswered."


def snooze(session: Session, team_id: str, ask_id: int, user_id: str, now: datetime) -> str:
    """ "Remind me tomorrow" on the last round: ask the asker again a day later, at the first
    moment of their working hours from then; only the asker may."""
    ask = _askers_open_ask(session, team_id, ask_id, user_id, "snooze its reminders")
    if isinstance(ask, str):
        return ask
    _back_to_last_round(session, ask)
    _, hours = hours_for(session, ask)
    until = hours.next_open(now + SNOOZE)
    ask.snoozed_until = ask.next_nudge_at = until
    local = until.astimezone(hours.tz)
    return f"Snoozed. I'll ask you about it again on {local:%A} at {local:%H:%M}."


def _back_to_last_round(session: Session, ask: Ask) -> None:
    """Let the last round come round again: drop its claim (and the stale one after it)."""
    session.execute(
        delete(AskNudge).where(AskNudge.ask_id == ask.id, AskNudge.kind.in_(("last", "stale")))
    )
    ask.nudge_round = ROUNDS.index("last")


def thank_answerers(
    session: Session, team_id: str, ask_id: int, user_id: str, now: datetime
) -> str:
    """ "Resolved, thank them": credit whoever answered and thank them with a kudos."""
    ask = asks.find(session, team_id, ask_id)
    if ask is None:
        return "That ask is no longer open."
    return asks.resolve(
        session,
        team_id,
        ask_id,
        user_id,
        answerers(session, ask),
        "Thank you for answering my ask!",
        now,
    )


def check_offers(session: Session, now: datetime, team_id: str | None = None) -> int:
    """Ask each person whose offers are due for confirmation whether they still stand; count DMs."""
    workspaces = select(Workspace).where(Workspace.active.is_(True))
    if team_id is not None:
        workspaces = workspaces.where(Workspace.team_id == team_id)
    sent = 0
    for workspace in session.scalars(workspaces).all():
        cutoff = now - timedelta(days=workspace.offer_confirm_days)
        rows = session.scalars(
            select(Offer)
            .where(
                Offer.team_id == workspace.team_id,
                Offer.active.is_(True),
                Offer.confirmed_at < cutoff,
                Offer.confirm_asked_at.is_(None),
            )
            .order_by(Offer.user_id, Offer.topic)
        ).all()
        by_person: dict[str, list[Offer]] = {}
        for offer in rows:
            by_person.setdefault(offer.user_id, []).append(offer)
        for user_id, mine in by_person.items():
            if _deactivated(session, workspace.team_id, user_id):
                # Asked once they are back: their offers stay as they are meanwhile.
                continue
            for offer in mine:
                offer.confirm_asked_at = now
            outbox.queue(
                session,
                team_id=workspace.team_id,
                method="dm",
                args={
                    "user": user_id,
                    **blocks.offers_check([o.topic for o in mine], workspace.offer_grace_days),
                },
                dedupe_key=f"offers:check:{user_id}:{now.date().isoformat()}",
                now=now,
            )
            sent += 1
    return sent


def answer_offers_check(
    session: Session, team_id: str, user_id: str, topics: Sequence[str], keep: bool, now: datetime
) -> str:
    """The person kept or removed the offers a check named (their own offers only)."""
    names = [normalize(t) for t in topics if t.strip()]
    # Offers saved before the topic normal form changed are kept under their older spelling.
    stored = {spelled for name in names for spelled in spellings(name)} | set(topics)
    if keep:
        session.execute(
            update(Offer)
            .where(
                Offer.team_id == team_id,
                Offer.user_id == user_id,
                Offer.topic.in_(stored),
                Offer.active.is_(True),
            )
            .values(confirmed_at=now, confirm_asked_at=None)
        )
        return "Thanks! Your offers stand; asks on them will keep finding you."
    removed = [t for t in names if offers.remove(session, team_id, user_id, t, now)]
    return f"Removed {len(removed)} offer{'s' if len(removed) != 1 else ''}. Thanks for saying."
