"""The rows of one workspace's week, read from the store for the digest to shape.

Every read is bounded by the week: rows are found through indexed time ranges (`created_at`,
`credited_at`, `answered_at`, `claimed_at`) or through the ids and people the week produced,
never by reading the whole history. The one count that is not is the open asks still waiting,
which is the backlog itself.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    Connection,
    String,
    and_,
    any_,
    bindparam,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement

from app.offers.topics import normalize, spellings
from app.store.among import among
from app.store.models import Ask, AskHelper, Kudos, KudosRecipient, Member, Offer
from app.store.statuses import LIVE_ASKS, AskStatus

OPEN_LISTED = 10


@dataclass(frozen=True)
class Window:
    """The part of workspace `team_id`'s week to read: [start, until), `until` no later than now."""

    team_id: str
    start: datetime
    until: datetime


@dataclass(frozen=True)
class Directory:
    """The names of the people a digest involves, and which of them it must treat apart.

    Kept as one dict and two sets, not an object per person: a busy week names thousands.
    """

    names: dict[str, str]
    # Deleted, bots, or opted out of leaderboards: never on the week's ranked lists.
    unranked: set[str]
    # Their data was erased (`reciprocity forget`): the digest never names them.
    forgotten: set[str]

    def ranked(self, user: str) -> bool:
        """Whether `user` is in the directory and may appear on the week's ranked lists."""
        return user in self.names and user not in self.unranked


# The week's rows are only read, thousands of them: named tuples (one object each), built
# straight from result rows fetched all at once (one driver call, not one per row).


class KudosRow(NamedTuple):
    """One recipient of a live kudos given in the window: who thanked whom. What was said, and
    when and where, is read for the few kudos the digest quotes (`read_kudos_texts`)."""

    kudos_id: int
    giver_id: str
    recipient_id: str
    private: bool


class KudosText(NamedTuple):
    """A kudos as the digest quotes it."""

    message: str
    at: datetime
    channel_id: str


class HelpRow(NamedTuple):
    """One helper credited on an ask resolved in the window."""

    ask_id: int
    helper_id: str
    asker_id: str
    text: str
    private: bool
    at: datetime
    origin_channel_id: str


class AskRow(NamedTuple):
    """An ask made in the window."""

    text: str
    topics: list[str]
    private: bool
    origin_channel_id: str


class AnswerRow(NamedTuple):
    """An ask answered or taken on in the window, who did it (never its asker), and which of
    them were credited on it."""

    ask_id: int
    people: tuple[str, ...]
    credited: frozenset[str]


@dataclass(frozen=True)
class OpenAskRow:
    """A public live ask made before the window's end."""

    ask_id: int
    asker_id: str
    text: str
    status: AskStatus
    channel_id: str | None
    message_ts: str | None
    created_at: datetime
    origin_channel_id: str


@dataclass(frozen=True)
class Backlog:
    """The live asks at the window's end: the newest public ones, and all of them counted."""

    newest: list[OpenAskRow]
    public: int
    private: int


def kudos_in(window: Window) -> tuple[ColumnElement[bool], ...]:
    """The week's live kudos to others: over kudos joined with their recipients (index: kudos
    team_id, created_at)."""
    return (
        Kudos.team_id == window.team_id,
        Kudos.created_at >= window.start,
        Kudos.created_at < window.until,
        Kudos.undone_at.is_(None),
        Kudos.revoked_at.is_(None),
        KudosRecipient.recipient_id != Kudos.giver_id,
    )


def credit_in(window: Window) -> tuple[ColumnElement[bool], ...]:
    """The week's credit to others on asks resolved in it: over ask_helpers joined with their
    asks (index: ask_helpers team_id, credited_at)."""
    return (
        AskHelper.team_id == window.team_id,
        AskHelper.credited_at >= window.start,
        AskHelper.credited_at < window.until,
        Ask.resolved_at >= window.start,
        Ask.resolved_at < window.until,
        AskHelper.helper_id != Ask.asker_id,
    )


def read_kudos(connection: Connection, window: Window) -> list[KudosRow]:
    """Live kudos given in the window, one row per recipient, oldest first (index: kudos team_id,
    created_at).

    Only who and whether private: every row is counted, paired and ranked, but only the few
    listed are quoted, so their text and time are not read (nor a datetime built) for the rest.
    """
    query = (
        select(
            Kudos.id,
            Kudos.giver_id,
            KudosRecipient.recipient_id,
            Kudos.channel_is_private,
        )
        .join(KudosRecipient, KudosRecipient.kudos_id == Kudos.id)
        .where(*kudos_in(window))
        .order_by(Kudos.created_at, Kudos.id, KudosRecipient.recipient_id)
    )
    return list(map(KudosRow._make, connection.execute(query).all()))


def read_kudos_texts(connection: Connection, kudos_ids: set[int]) -> dict[int, KudosText]:
    """The message, time and conversation of each of `kudos_ids`, by primary key, in one
    statement."""
    if not kudos_ids:
        return {}
    listed = sorted(kudos_ids)
    # One parameter however many ids, as `app.store.among` sends strings: an array on
    # PostgreSQL, a JSON array on SQLite.
    if connection.dialect.name == "postgresql":
        wanted = Kudos.id == any_(bindparam("ids", listed, type_=ARRAY(BigInteger())))
    else:
        ids = bindparam("ids", json.dumps(listed), type_=String())
        wanted = Kudos.id.in_(select(func.json_each(ids).table_valued("value").c.value))
    query = select(Kudos.id, Kudos.message, Kudos.created_at, Kudos.channel_id).where(wanted)
    rows = connection.execute(query).all()
    return {kudos_id: KudosText(message, at, channel) for kudos_id, message, at, channel in rows}


def read_help(connection: Connection, window: Window) -> list[HelpRow]:
    """Credit given on asks resolved in the window (index: ask_helpers team_id, credited_at)."""
    query = (
        select(
            Ask.id,
            AskHelper.helper_id,
            Ask.asker_id,
            Ask.text,
            Ask.channel_is_private,
            AskHelper.credited_at,
            Ask.origin_channel_id,
        )
        .join(Ask, Ask.id == AskHelper.ask_id)
        .where(*credit_in(window))
        .order_by(AskHelper.credited_at, Ask.id, AskHelper.helper_id)
    )
    return list(map(HelpRow._make, connection.execute(query).all()))


def read_asks(connection: Connection, window: Window) -> list[AskRow]:
    """Asks created in the window (index: asks team_id, created_at)."""
    query = select(Ask.text, Ask.topics, Ask.channel_is_private, Ask.origin_channel_id).where(
        Ask.team_id == window.team_id,
        Ask.created_at >= window.start,
        Ask.created_at < window.until,
        Ask.status != AskStatus.DISCARDED,
    )
    return [
        AskRow(text, list(topics or []), bool(private), origin)
        for text, topics, private, origin in connection.execute(query).all()
    ]


def read_answers(connection: Connection, window: Window) -> list[AnswerRow]:
    """Asks answered or taken on in the window, with who did it and whether each was credited.

    The OR of two ranges is read through both indexes (team_id, answered_at) and (team_id,
    claimed_at): SQLite's multi-index OR, PostgreSQL's BitmapOr. Whether the answerer and the
    claimer were credited is read in the same statement (a primary-key probe of ask_helpers
    each, or one hash of it where the planner finds that cheaper).
    """
    answered = and_(Ask.answered_at >= window.start, Ask.answered_at < window.until)
    claimed = and_(Ask.claimed_at >= window.start, Ask.claimed_at < window.until)

    def credited(person: Any) -> Any:
        """Whether `person` (a column of the ask) is credited on the ask."""
        return exists().where(AskHelper.ask_id == Ask.id, AskHelper.helper_id == person)

    query = select(
        Ask.id,
        Ask.asker_id,
        Ask.answered_by,
        Ask.claimed_by,
        answered,
        claimed,
        credited(Ask.answered_by),
        credited(Ask.claimed_by),
    ).where(Ask.team_id == window.team_id, or_(answered, claimed))
    rows = []
    for ask_id, asker, answerer, claimer, was_answered, was_claimed, *thanked in connection.execute(
        query
    ):
        roles = [(answerer, was_answered, thanked[0]), (claimer, was_claimed, thanked[1])]
        chosen = tuple(dict.fromkeys(p for p, did, _ in roles if did and p and p != asker))
        if chosen:
            credited_people = frozenset(p for p, did, was in roles if did and was and p in chosen)
            rows.append(AnswerRow(ask_id, chosen, credited_people))
    return rows


def uncredited_counts(answers: Sequence[AnswerRow]) -> dict[str, int]:
    """For each person who answered or claimed asks, how many; absent if credited on any of them."""
    counts: Counter[str] = Counter()
    thanked: set[str] = set()
    for answer in answers:
        counts.update(answer.people)
        thanked |= answer.credited
    return {person: n for person, n in counts.items() if person not in thanked}


def read_offers(connection: Connection, window: Window) -> list[tuple[str, str]]:
    """(user, topic) of active offers first made in the window (index: team_id, created_at)."""
    query = (
        select(Offer.user_id, Offer.topic)
        .where(
            Offer.team_id == window.team_id,
            Offer.created_at >= window.start,
            Offer.created_at < window.until,
            Offer.active.is_(True),
        )
        .order_by(Offer.created_at, Offer.id)
    )
    return [(user, topic) for user, topic in connection.execute(query)]


def read_backlog(connection: Connection, window: Window) -> Backlog:
    """The newest public live asks made before the window's end, and live counts by privacy.

    The counts read every live ask (index team_id, status, created_at, then the row for its
    privacy), so they follow the workspace's backlog, not its history; the listing walks
    (team_id, created_at) backwards and stops at the tenth public live ask.
    """
    live = and_(
        Ask.team_id == window.team_id,
        Ask.status.in_(LIVE_ASKS),
        Ask.created_at < window.until,
    )
    counts = dict(
        connection.execute(
            select(Ask.channel_is_private, func.count())
            .where(live)
            .group_by(Ask.channel_is_private)
        ).all()
    )
    query = (
        select(
            Ask.id,
            Ask.asker_id,
            Ask.text,
            Ask.status,
            Ask.channel_id,
            Ask.message_ts,
            Ask.created_at,
            Ask.origin_channel_id,
        )
        .where(live, Ask.channel_is_private.is_(False))
        .order_by(Ask.created_at.desc(), Ask.id.desc())
        .limit(OPEN_LISTED)
    )
    newest = [
        OpenAskRow(ask_id, asker, text, AskStatus(status), channel, ts, created, origin)
        for ask_id, asker, text, status, channel, ts, created, origin in connection.execute(query)
    ]
    return Backlog(newest, int(counts.get(False, 0)), int(counts.get(True, 0)))


def read_members(connection: Connection, team_id: str, user_ids: set[str]) -> Directory:
    """Names and ranking eligibility of the people the week involves, by primary key, in one
    statement however many they are."""
    query = select(
        Member.user_id,
        Member.real_name,
        Member.name,
        Member.deleted,
        Member.is_bot,
        Member.leaderboard_opt_out,
        Member.forgotten_at,
    ).where(Member.team_id == team_id, among(connection.dialect.name, Member.user_id, "people"))
    directory = Directory({}, set(), set())
    for user, real, name, deleted, bot, opted_out, forgotten in connection.execute(
        query, {"people": user_ids}
    ).all():
        directory.names[user] = real or name or user
        if deleted or bot or opted_out:
            directory.unranked.add(user)
        if forgotten is not None:
            directory.forgotten.add(user)
    return directory


def offered_topics(connection: Connection, team_id: str, topics: set[str]) -> set[str]:
    """The topics among `topics` with an active offer by someone not deactivated."""
    member = and_(Member.team_id == Offer.team_id, Member.user_id == Offer.user_id)
    # Each stored spelling (offers saved before the normal form changed) → the topics it means.
    meaning: dict[str, set[str]] = {}
    for topic in topics:
        for spelled in spellings(normalize(topic)) | {topic}:
            meaning.setdefault(spelled, set()).add(topic)
    if not meaning:
        return set()
    query = (
        select(Offer.topic)
        .distinct()
        .join(Member, member, isouter=True)
        .where(
            Offer.team_id == team_id,
            among(connection.dialect.name, Offer.topic, "spellings"),
            Offer.active.is_(True),
            or_(Member.deleted.is_(False), Member.user_id.is_(None)),
        )
    )
    offered: set[str] = set()
    for found in connection.scalars(query, {"spellings": list(meaning)}):
        offered |= meaning.get(found, set())
    return offered
