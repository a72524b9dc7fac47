"""When an ask next needs the nudge pass: a pure function of its status, rounds and settings.

Round times count working hours from when the ask was made, in the asker's zone, so an ask made
on Friday evening is first nudged on Monday, not over the weekend.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.asks.working_hours import WorkingHours
from app.directory.service import people
from app.store.models import Ask, AskNudge, Workspace
from app.store.statuses import AskStatus

# The rounds of an open ask, in order; `Ask.nudge_round` counts how many have been done.
ROUNDS = ("first", "second", "last", "stale")
FOLLOW_UP = "followup"
# The claims the next due time depends on: whether the follow-up went, when the last round did.
SCHEDULING = (FOLLOW_UP, "last")


def hours_for(session: Session, ask: Ask) -> tuple[Workspace, WorkingHours]:
    """The ask's workspace, and the working hours counted in its asker's zone."""
    workspace = session.get_one(Workspace, ask.team_id)
    # The zone alone, as the ack path reads people: loading the whole member cost every `/ask`
    # more than the statement does.
    asker = people(session, ask.team_id, [ask.asker_id]).get(ask.asker_id)
    return workspace, WorkingHours.of(workspace, asker.tz if asker else None)


def schedule(session: Session, ask: Ask, now: datetime) -> None:
    """Set `ask.next_nudge_at` to when the nudge pass should next look at it (None: never)."""
    ask.next_nudge_at = next_due(session, ask, now)


def next_due(session: Session, ask: Ask, now: datetime) -> datetime | None:
    """When the ask's next nudge, follow-up or stale check is due, or None if nothing is."""
    if ask.status not in (AskStatus.ANSWERED, AskStatus.OPEN):
        return None

    def sent(kind: str) -> datetime | None:
        claim = session.get(AskNudge, (ask.id, kind))
        return None if claim is None else claim.sent_at

    workspace = session.get_one(Workspace, ask.team_id)
    return due_after(ask, workspace, lambda: hours_for(session, ask)[1], sent, now)


def due_after(
    ask: Ask,
    workspace: Workspace,
    hours: Callable[[], WorkingHours],
    sent: Callable[[str], datetime | None],
    now: datetime,
) -> datetime | None:
    """`next_due` from what it depends on, each asked for only if needed: the ask's workspace,
    its working hours, and when a claim of a given kind was taken (None: not taken)."""
    if ask.status == AskStatus.ANSWERED:
        if sent(FOLLOW_UP) is not None:
            return None
        return (ask.answered_at or now) + timedelta(hours=workspace.follow_up_hours)
    if ask.status != AskStatus.OPEN or ask.nudge_round >= len(ROUNDS):
        return None
    if not workspace.nudges_enabled:
        return None
    kind = ROUNDS[ask.nudge_round]
    if kind == "stale":
        return (sent("last") or now) + timedelta(days=workspace.stale_after_days)
    wait = {
        "first": workspace.nudge_first_hours,
        "second": workspace.nudge_second_hours,
        "last": workspace.nudge_last_hours,
    }[kind]
    return hours().add(ask.created_at, wait)
