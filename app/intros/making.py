"""Making an introduction: stored with both people and the invitation each is owed, in one
transaction; a refused introduction stores nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.delivery import outbox
from app.directory import home_tabs as home
from app.intros import blocks, keys
from app.intros.results import IntroRefusal, Refused
from app.intros.rules import Checked, IntroRequest, check
from app.offers.service import mine
from app.slackapi.outcomes import Refusal, Reply
from app.store.models import Introduction, IntroPerson
from app.store.statuses import IntroStatus


def introduce(session: Session, request: IntroRequest, now: datetime) -> Reply | Refusal:
    """Ask both people privately whether they would like the introduction; or say why not,
    beside the form field the refusal is about."""
    made = make(session, request, now)
    if isinstance(made, Refused):
        return refusal(made)
    return Reply(made_reply(made))


def refusal(refused: Refused) -> Refusal:
    """The answer to a refused introduction, beside the form field it is about."""
    field = blocks.REASON_BLOCK if refused.reason in _ABOUT_THE_REASON else blocks.FIRST_BLOCK
    return Refusal(refused.reason, blocks.refusal_text(refused), field)


def made_reply(intro: Introduction) -> str:
    """What the connector is told once both people were asked."""
    days = (intro.expires_at - intro.created_at).days
    return blocks.made_reply(intro.first_id, intro.second_id, days)


def make(session: Session, request: IntroRequest, now: datetime) -> Introduction | Refused:
    """Check every guard, then record the introduction and queue both invitations."""
    checked = check(session, request, now)
    if isinstance(checked, Refused):
        return checked
    intro = _record(session, request, checked, now)
    _invite(session, intro, request.response_url, now)
    # The two see the invitation waiting for their answer on their Home tab too.
    home.refresh(
        session, request.team_id, [intro.connector_id, intro.first_id, intro.second_id], now
    )
    return intro


_ABOUT_THE_REASON = (IntroRefusal.NO_REASON, IntroRefusal.TOO_LONG)


def _record(
    session: Session, request: IntroRequest, checked: Checked, now: datetime
) -> Introduction:
    intro = Introduction(
        team_id=request.team_id,
        connector_id=request.connector_id,
        first_id=checked.first,
        second_id=checked.second,
        reason=checked.reason,
        channel_id=request.where.channel_id,
        channel_is_private=request.where.is_private or request.where.is_dm,
        source=request.source,
        status=IntroStatus.WAITING,
        created_at=now,
        expires_at=now + timedelta(days=checked.expiry_days),
        people=[
            IntroPerson(team_id=request.team_id, user_id=person)
            for person in (checked.first, checked.second)
        ],
    )
    session.add(intro)
    session.flush()
    return intro


def topics_of(session: Session, team_id: str, user_id: str) -> list[str]:
    """The topics `user_id` offers help with, as `/offer` recorded them."""
    return [offer.topic for offer in mine(session, team_id, user_id)]


def _invite(session: Session, intro: Introduction, response_url: str | None, now: datetime) -> None:
    """Queue the invitation to each of the two, naming the other and what the other offers."""
    what = f"your introduction of <@{intro.first_id}> and <@{intro.second_id}>"
    entries = []
    for person, other in ((intro.first_id, intro.second_id), (intro.second_id, intro.first_id)):
        message = blocks.invitation(
            intro.id,
            intro.connector_id,
            other,
            intro.reason,
            topics_of(session, intro.team_id, other),
            intro.expires_at,
        )
        entries.append(
            outbox.entry(
                team_id=intro.team_id,
                method="dm",
                args={"user": person, **message, "unfurl_links": False},
                dedupe_key=keys.invitation(intro.id, person),
                now=now,
                notice=outbox.Notice(intro.connector_id, what, response_url),
            )
        )
    outbox.queue_all(session, entries)
