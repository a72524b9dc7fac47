"""The two people's answers to an introduction: "Happy to connect" and "Not now".

Only the two people named may answer, once each. When the second says yes, the introduction is
posted in a group DM of the three, exactly once (its outbox key), however often either button is
clicked or Slack resends the click.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.delivery import outbox
from app.directory import home_tabs as home
from app.intros import blocks, keys
from app.intros.making import topics_of
from app.slackapi.outcomes import Done, Refusal, Reply
from app.slackapi.payloads import Click
from app.store.models import Introduction, IntroPerson, Member
from app.store.statuses import OPEN_INTROS, IntroAnswer, IntroStatus


class AnswerRefusal(StrEnum):
    """Why a click on an invitation changed nothing."""

    GONE = "gone"
    NOT_YOURS = "not_yours"


_CLOSED = {
    IntroStatus.CONNECTED: "You're already connected: the introduction is in your group DM.",
    IntroStatus.DECLINED: "This introduction isn't going ahead, so there's nothing to answer.",
    IntroStatus.EXPIRED: "This introduction request has expired, so there's nothing to answer.",
}


def accept(session: Session, click: Click, now: datetime) -> Reply | Refusal | Done:
    """ "Happy to connect": record the yes; when both said yes, post the introduction."""
    found = _invited(session, click)
    if not isinstance(found, tuple):
        return found
    intro, person, other = found
    person.answer, person.answered_at = IntroAnswer.ACCEPTED, now
    if other.answer == IntroAnswer.ACCEPTED:
        _connect(session, intro, now)
    else:
        intro.status = IntroStatus.ACCEPTED
        _update_invitation(session, intro, person.user_id, "accepted", now)
    home.refresh(session, intro.team_id, [intro.connector_id, intro.first_id, intro.second_id], now)
    return Done()


def decline(session: Session, click: Click, now: datetime) -> Reply | Refusal | Done:
    """ "Not now": nobody is put in touch; the connector hears it kindly, without a name."""
    found = _invited(session, click)
    if not isinstance(found, tuple):
        return found
    intro, person, other = found
    person.answer, person.answered_at = IntroAnswer.DECLINED, now
    intro.status, intro.ended_at = IntroStatus.DECLINED, now
    _update_invitation(session, intro, person.user_id, "declined", now)
    _update_invitation(session, intro, other.user_id, "declined", now)
    outbox.queue(
        session,
        team_id=intro.team_id,
        method="dm",
        args={"user": intro.connector_id, **blocks.declined_note(intro.first_id, intro.second_id)},
        dedupe_key=keys.connector_note(intro.id, "declined"),
        now=now,
    )
    home.refresh(session, intro.team_id, [intro.connector_id, intro.first_id, intro.second_id], now)
    return Done()


def _invited(
    session: Session, click: Click
) -> tuple[Introduction, IntroPerson, IntroPerson] | Reply | Refusal | Done:
    """The open introduction the click answers, the clicker's part in it and the other's; or
    what to tell a clicker who may not or need not answer."""
    query = select(Introduction).where(
        Introduction.team_id == click.team_id, Introduction.id == click.number
    )
    # Both people may answer at the same moment: the second must see the first's yes.
    intro = session.scalar(query.with_for_update())
    if intro is None:
        return Refusal(AnswerRefusal.GONE, "This introduction no longer exists.")
    people = {p.user_id: p for p in intro.people}
    person = people.get(click.user_id)
    if person is None:
        return Refusal(AnswerRefusal.NOT_YOURS, "Only the two people introduced can answer this.")
    if person.answer is not None:
        # A second click, or Slack resending the first: the answer stands and nothing repeats.
        return Done()
    if intro.status not in OPEN_INTROS:
        return Reply(_CLOSED[IntroStatus(intro.status)])
    other = next(p for p in intro.people if p.user_id != click.user_id)
    return intro, person, other


def _connect(session: Session, intro: Introduction, now: datetime) -> None:
    """Both said yes: post the introduction in the group DM of the three, once."""
    intro.status, intro.connected_at = IntroStatus.CONNECTED, now
    topics = {p: topics_of(session, intro.team_id, p) for p in (intro.first_id, intro.second_id)}
    message = blocks.group_post(
        intro.connector_id, intro.first_id, intro.second_id, intro.reason, topics
    )
    outbox.queue(
        session,
        team_id=intro.team_id,
        method="group_dm",
        args={"users": _group(session, intro), **message, "unfurl_links": False},
        dedupe_key=keys.group_dm(intro.id),
        now=now,
        link=outbox.Link(Introduction.__tablename__, intro.id),
        notice=outbox.Notice(
            intro.connector_id,
            f"the introduction of <@{intro.first_id}> and <@{intro.second_id}>",
        ),
    )
    for person in (intro.first_id, intro.second_id):
        _update_invitation(session, intro, person, "connected", now)


def _group(session: Session, intro: Introduction) -> list[str]:
    """Who the group DM is with: the two, and the connector unless they have since left."""
    connector = session.get(Member, (intro.team_id, intro.connector_id))
    gone = connector is not None and connector.deleted
    return [intro.first_id, intro.second_id, *([] if gone else [intro.connector_id])]


def _update_invitation(
    session: Session, intro: Introduction, user_id: str, state: str, now: datetime
) -> None:
    """Replace `user_id`'s invitation (its buttons go) with what `state` means for them."""
    other = intro.other_than(user_id)
    line = _line(intro, user_id, state, other)
    update_invitation(session, intro, user_id, state, line, now)


def _line(intro: Introduction, user_id: str, state: str, other: str) -> str:
    if state == "accepted":
        return blocks.waiting_for_other(other)
    if state == "connected":
        return blocks.connected_line()
    mine = next(p for p in intro.people if p.user_id == user_id)
    return (
        blocks.declined_line()
        if mine.answer == IntroAnswer.DECLINED
        else blocks.not_going_ahead_line()
    )


def update_invitation(
    session: Session, intro: Introduction, user_id: str, state: str, line: str, now: datetime
) -> None:
    """Queue the edit of `user_id`'s invitation to `line`, once it was delivered (if ever)."""
    other = intro.other_than(user_id)
    outbox.queue_edit(
        session,
        team_id=intro.team_id,
        follows=keys.invitation(intro.id, user_id),
        message=blocks.answered(intro.connector_id, other, line),
        dedupe_key=keys.invitation_update(intro.id, user_id, state),
        now=now,
    )
