"""What a person's Home tab shows, read from the store (no rendering, no Slack)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, lazyload, selectinload

from app.store.models import (
    Ask,
    AskMatch,
    Introduction,
    IntroPerson,
    Kudos,
    KudosRecipient,
    Member,
    Offer,
    Workspace,
)
from app.store.statuses import LIVE_ASKS, OPEN_INTROS, AskStatus, IntroStatus

SHOWN = 8
# Asks older than this have had their chance; the Home tab lists what can still be helped.
FRESH = timedelta(days=30)
# How many recent open asks to consider when looking for ones matching a person's offers.
SCANNED = 300
# A connector's introductions from this long ago, at most `INTROS_SHOWN` of them: enough to see
# how the recent ones went, few enough to leave the Home tab's 100 blocks to the other sections.
INTROS_FRESH = timedelta(days=30)
INTROS_SHOWN = 10
# Introductions waiting for this person's own answer (one line each, above their own).
INVITES_SHOWN = 3


@dataclass(frozen=True)
class AskLine:
    """An ask as a Home tab lists it; `text` is None for an ask from a private place."""

    id: int
    asker_id: str
    text: str | None
    status: str
    channel_id: str | None
    message_ts: str | None


@dataclass(frozen=True)
class KudosLine:
    """A kudos given or received; `message` is None when it was given in private."""

    giver_id: str
    recipient_ids: tuple[str, ...]
    message: str | None
    created_at: datetime


@dataclass(frozen=True)
class OfferLine:
    """One active offer, with the id its Remove button names."""

    id: int
    topic: str
    note: str


@dataclass(frozen=True)
class IntroLine:
    """An introduction the person made, and where it stands as they may see it.

    `state` is an `IntroStatus`, read as of `now` (one past its expiry is "expired" even before
    the expiry pass marks it); who said yes or "not now" is never part of it.
    """

    first_id: str
    second_id: str
    state: str
    created_at: datetime
    expires_at: datetime
    connected_at: datetime | None


@dataclass(frozen=True)
class InviteLine:
    """An introduction waiting for this person's answer: who asks, and to whom."""

    connector_id: str
    other_id: str
    expires_at: datetime


@dataclass(frozen=True)
class HomeContent:
    """Everything a person's Home tab shows."""

    user_id: str
    domain: str | None
    my_asks: list[AskLine]
    could_help: list[AskLine]
    offers: list[OfferLine]
    kudos: list[KudosLine]
    intros: list[IntroLine] = field(default_factory=list)
    invites: list[InviteLine] = field(default_factory=list)


def _line(ask: Ask) -> AskLine:
    return AskLine(
        ask.id,
        ask.asker_id,
        None if ask.channel_is_private else ask.text,
        ask.status,
        ask.channel_id,
        ask.message_ts,
    )


def load(session: Session, team_id: str, user_id: str, now: datetime) -> HomeContent:
    """Read what `user_id`'s Home tab shows in `team_id` as of `now`."""
    workspace = session.get_one(Workspace, team_id)
    mine = session.scalars(
        select(Ask)
        .where(
            Ask.team_id == team_id,
            Ask.asker_id == user_id,
            Ask.status.in_(LIVE_ASKS),
        )
        .order_by(Ask.created_at.desc())
        .limit(SHOWN)
    )
    offers = list(
        session.scalars(
            select(Offer)
            .where(Offer.team_id == team_id, Offer.user_id == user_id, Offer.active.is_(True))
            .order_by(Offer.topic)
        )
    )
    return HomeContent(
        user_id=user_id,
        domain=workspace.domain,
        my_asks=[_line(a) for a in mine],
        could_help=_could_help(session, team_id, user_id, {o.topic for o in offers}, now),
        offers=[OfferLine(o.id, o.topic, o.note) for o in offers],
        kudos=_recent_kudos(session, team_id, user_id),
        intros=_my_intros(session, team_id, user_id, now),
        invites=_invites(session, team_id, user_id, now),
    )


def _could_help(
    session: Session, team_id: str, user_id: str, topics: set[str], now: datetime
) -> list[AskLine]:
    """Open asks by others that match the person's offers or were sent to them, newest first."""
    matched = select(AskMatch.ask_id).where(
        AskMatch.team_id == team_id, AskMatch.user_id == user_id
    )
    recent = session.scalars(
        select(Ask)
        .where(
            Ask.team_id == team_id,
            Ask.status == AskStatus.OPEN,
            Ask.asker_id != user_id,
            Ask.created_at >= now - FRESH,
            # An asker who left can no longer be helped; their ask waits for their return.
            ~select(Member.user_id)
            .where(
                Member.team_id == Ask.team_id,
                Member.user_id == Ask.asker_id,
                Member.deleted.is_(True),
            )
            .exists(),
        )
        .order_by(Ask.created_at.desc())
        .limit(SCANNED)
    )
    sent_to_me = set(session.scalars(matched.where(AskMatch.matched_at >= now - FRESH)))
    found = [
        ask
        for ask in recent
        if ask.id in sent_to_me or (not ask.channel_is_private and topics & set(ask.topics))
    ]
    return [_line(a) for a in found[:SHOWN]]


def _recent_kudos(session: Session, team_id: str, user_id: str) -> list[KudosLine]:
    received = select(KudosRecipient.kudos_id).where(
        KudosRecipient.team_id == team_id, KudosRecipient.recipient_id == user_id
    )
    rows = session.scalars(
        select(Kudos)
        .options(selectinload(Kudos.recipients))
        .where(
            Kudos.team_id == team_id,
            Kudos.undone_at.is_(None),
            or_(Kudos.giver_id == user_id, Kudos.id.in_(received)),
        )
        .order_by(Kudos.created_at.desc())
        .limit(SHOWN)
    )
    return [
        KudosLine(
            k.giver_id,
            tuple(r.recipient_id for r in k.recipients),
            None if k.channel_is_private else k.message,
            k.created_at,
        )
        for k in rows
    ]


def _state(intro: Introduction, now: datetime) -> str:
    if intro.status in OPEN_INTROS and intro.expires_at <= now:
        return IntroStatus.EXPIRED
    return intro.status


def _my_intros(session: Session, team_id: str, user_id: str, now: datetime) -> list[IntroLine]:
    """The introductions `user_id` made in the last `INTROS_FRESH`, newest first."""
    rows = session.scalars(
        select(Introduction)
        # Who answered what is not shown here: the two people's rows need not be read.
        .options(lazyload(Introduction.people))
        .where(
            Introduction.team_id == team_id,
            Introduction.connector_id == user_id,
            Introduction.created_at >= now - INTROS_FRESH,
        )
        .order_by(Introduction.created_at.desc(), Introduction.id.desc())
        .limit(INTROS_SHOWN)
    )
    return [
        IntroLine(
            i.first_id, i.second_id, _state(i, now), i.created_at, i.expires_at, i.connected_at
        )
        for i in rows
    ]


def _invites(session: Session, team_id: str, user_id: str, now: datetime) -> list[InviteLine]:
    """Open introductions still waiting for `user_id`'s own answer, soonest to expire first."""
    rows = session.scalars(
        select(Introduction)
        .options(lazyload(Introduction.people))
        .join(IntroPerson, IntroPerson.intro_id == Introduction.id)
        .where(
            IntroPerson.team_id == team_id,
            IntroPerson.user_id == user_id,
            IntroPerson.answer.is_(None),
            Introduction.status.in_(OPEN_INTROS),
            Introduction.expires_at > now,
        )
        .order_by(Introduction.expires_at, Introduction.id)
        .limit(INVITES_SHOWN)
    )
    return [
        InviteLine(
            i.connector_id, i.second_id if i.first_id == user_id else i.first_id, i.expires_at
        )
        for i in rows
    ]
