"""The follow-up: two weeks after two people were connected, each is asked once whether it
helped, with a one-click thanks to the connector (`app.intros.thanks` answers the click).

`IntroPerson.followed_up_at` is the claim, set in the transaction that queues the DM (whose
dedupe key is per person as well): a second pass, or a second process, sends nothing again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.delivery import outbox
from app.intros import blocks, keys
from app.store.db import is_sqlite
from app.store.models import Introduction, IntroPerson, Member, Workspace
from app.store.statuses import IntroStatus

# How long after the group DM each of the two is asked whether the introduction helped.
FOLLOW_UP_AFTER = timedelta(days=14)
# A follow-up that could not go out within this long of its day (the scheduler was down, the
# workspace uninstalled, the connector away) is dropped: "two weeks ago" would no longer be true.
LATE_LIMIT = timedelta(days=3)
# At most this many people per pass; the rest wait for the next one.
BATCH = 200


def follow_up_due(session: Session, now: datetime) -> int:
    """Ask each person whose introduction was connected two weeks before `now` whether it
    helped, once, up to `BATCH`; return how many were asked."""
    due = _due(session, now)
    for person in due:
        send(session, person, now)
    return len(due)


def _here(user_id: InstrumentedAttribute[str]) -> ColumnElement[bool]:
    """Whether `user_id` is in the directory, active and not forgotten."""
    return exists().where(
        Member.team_id == Introduction.team_id,
        Member.user_id == user_id,
        Member.deleted.is_(False),
        Member.forgotten_at.is_(None),
    )


def _anyone_forgotten() -> ColumnElement[bool]:
    return exists().where(
        Member.team_id == Introduction.team_id,
        Member.user_id.in_([Introduction.first_id, Introduction.second_id]),
        Member.forgotten_at.is_not(None),
    )


def _due(session: Session, now: datetime) -> Sequence[IntroPerson]:
    due_by = now - FOLLOW_UP_AFTER
    query = (
        select(IntroPerson)
        .join(Introduction, Introduction.id == IntroPerson.intro_id)
        .join(Workspace, Workspace.team_id == Introduction.team_id)
        .where(
            Workspace.active.is_(True),
            Introduction.status == IntroStatus.CONNECTED,
            Introduction.connected_at <= due_by,
            Introduction.connected_at > due_by - LATE_LIMIT,
            IntroPerson.followed_up_at.is_(None),
            _here(IntroPerson.user_id),
            # The follow-up is a one-click thanks to the connector: with the connector
            # deactivated or forgotten there is nobody to thank, so nobody is asked at all
            # (rather than asked a question whose only useful answer cannot be given).
            _here(Introduction.connector_id),
            # Someone who asked to be forgotten is not brought up in anyone's DM again.
            ~_anyone_forgotten(),
        )
        .order_by(Introduction.connected_at, IntroPerson.intro_id, IntroPerson.user_id)
        .limit(BATCH)
    )
    if not is_sqlite(session.get_bind()):
        # Another scheduler skips the people this one is asking instead of waiting for them.
        query = query.with_for_update(skip_locked=True, of=IntroPerson)
    return session.scalars(query).all()


def send(session: Session, person: IntroPerson, now: datetime) -> None:
    """Mark `person` followed up and queue their DM: did it help, thank the connector?"""
    intro = person.introduction
    other = intro.other_than(person.user_id)
    person.followed_up_at = now
    message = blocks.follow_up(
        intro.id, intro.connector_id, other, name_of(session, intro.team_id, intro.connector_id)
    )
    outbox.queue(
        session,
        team_id=intro.team_id,
        method="dm",
        args={"user": person.user_id, **message},
        dedupe_key=keys.follow_up(intro.id, person.user_id),
        now=now,
    )


def name_of(session: Session, team_id: str, user_id: str) -> str:
    """The name the directory shows for `user_id` (display name first), or "" if none."""
    member = session.get(Member, (team_id, user_id))
    if member is None:
        return ""
    return member.shown_name
