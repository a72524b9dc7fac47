"""The weekly digest's contents, read from the store for one workspace and one week.

`compose_digest` returns plain frozen dataclasses; `app.digest.blocks` draws them. Time is passed
in, never read. Every query is bounded by the week: rows are found through indexed time ranges
(`created_at`, `credited_at`, `answered_at`, `claimed_at`) or through the ids and people the
week produced, never by reading the whole history. The one count that is not is the open asks
still waiting, which is the backlog itself. Content from private channels and DMs is counted and
never quoted.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal, TypeVar

from sqlalchemy import String, and_, column, func, literal, or_, select, text
from sqlalchemy.orm import Session

from app.calendar import zone
from app.digest.weeks import week_label
from app.offers.topics import normalize, spellings
from app.slackapi.mrkdwn import (
    Broadcast,
    ChannelMention,
    Hyperlink,
    UserGroup,
    UserMention,
    escape,
    parse,
    tokenize,
    unescape,
)
from app.store.models import Ask, AskHelper, Kudos, KudosRecipient, Member, Offer, Workspace
from app.store.statuses import LIVE_ASKS, AskStatus

EXCERPT = 100
TOP_THANKED = 10
OPEN_LISTED = 10
UNMET_LISTED = 10
# Bound parameters per IN list: far below SQLite's 32,766 and PostgreSQL's 65,535 limits.
CHUNK = 500
# Directed pairs per history query (they travel as one parameter).
PAIRS_PER_QUERY = 5_000
USER = String(32)
_MENTIONED = re.compile(r"<@([UW][A-Z0-9]{1,20})")
T = TypeVar("T")


@dataclass(frozen=True)
class Help:
    """One act of help: `helper_id` helped `other_id` on an ask, or `other_id` thanked them.

    `other_name` is the other person's display name, for naming them without a mention.

    `quote` is a short excerpt of the ask or kudos text, still in Slack's escaped form and with
    person mentions turned into plain "@name" (so quoting never pings); None when the item came
    from a private channel or DM, whose content is never quoted.
    """

    kind: Literal["ask", "kudos"]
    helper_id: str
    other_id: str
    other_name: str
    quote: str | None
    private: bool
    at: datetime
    # The conversations the quote comes from, checked again when the digest is sent.
    channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class HelperLine:
    """Everything one person was thanked or credited for this week, oldest first."""

    helper_id: str
    name: str
    helps: tuple[Help, ...]


@dataclass(frozen=True)
class Thanked:
    """A person on the week's most-thanked list: how many people thanked them, in how many kudos."""

    user_id: str
    name: str
    givers: int
    kudos: int


@dataclass(frozen=True)
class Connection:
    """Two people who thanked or helped each other this week for the first time."""

    first_id: str
    first_name: str
    second_id: str
    second_name: str


@dataclass(frozen=True)
class OpenAsk:
    """A public ask still waiting for help; `link` is its message when it was posted."""

    ask_id: int
    asker_id: str
    asker_name: str
    quote: str
    status: AskStatus
    link: str | None
    created_at: datetime
    channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class OpenAsks:
    """Asks still open at the week's end: the newest public ones listed, all of them counted."""

    listed: tuple[OpenAsk, ...]
    public: int
    private: int

    @property
    def total(self) -> int:
        """Every open ask, public and private."""
        return self.public + self.private


@dataclass(frozen=True)
class NewOffer:
    """The topics one person newly offered to help with this week."""

    user_id: str
    name: str
    topics: tuple[str, ...]


@dataclass(frozen=True)
class UnmetTopic:
    """A topic public asks raised this week that no active offer covers."""

    topic: str
    asks: int
    # The conversations of the asks it was drawn from: a topic is a word of their text.
    channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unsung:
    """Someone who answered or took on asks this week and was credited on none of them."""

    user_id: str
    name: str
    asks: int


@dataclass(frozen=True)
class Totals:
    """The week's counts, private items included."""

    kudos: int
    private_kudos: int
    asks: int
    asks_resolved: int
    helpers: int


@dataclass(frozen=True)
class Digest:
    """One workspace's digest for one week, [start, end) in UTC, as it stood at `as_of`."""

    team_id: str
    week: str
    start: datetime
    end: datetime
    as_of: datetime
    helpers: tuple[HelperLine, ...]
    top_thanked: tuple[Thanked, ...]
    connections: tuple[Connection, ...]
    open_asks: OpenAsks
    new_offers: tuple[NewOffer, ...]
    unmet_topics: tuple[UnmetTopic, ...]
    unsung: tuple[Unsung, ...]
    totals: Totals

    def quoted_channels(self) -> tuple[str, ...]:
        """Every conversation whose content the digest quotes (to check again when sending)."""
        found = [c for line in self.helpers for h in line.helps if h.quote for c in h.channels]
        found += [c for ask in self.open_asks.listed for c in ask.channels]
        found += [c for topic in self.unmet_topics for c in topic.channels]
        return tuple(dict.fromkeys(c for c in found if c))

    def without_quotes(self) -> Digest:
        """This digest with nothing quoted: counts and names only, as for private items."""
        helpers = tuple(
            replace(line, helps=tuple(replace(h, quote=None) for h in line.helps))
            for line in self.helpers
        )
        return replace(
            self,
            helpers=helpers,
            open_asks=replace(self.open_asks, listed=()),
            unmet_topics=(),
        )

    @property
    def is_quiet(self) -> bool:
        """True when nothing happened this week: no thanks, help, asks, offers or answers."""
        return not (
            self.helpers or self.totals.kudos or self.totals.asks or self.new_offers or self.unsung
        )


@dataclass(frozen=True)
class _Person:
    name: str
    ranked: bool  # may appear on the most-thanked list (not deleted, not a bot, not opted out)


@dataclass(frozen=True)
class _Window:
    team_id: str
    start: datetime
    until: datetime


@dataclass(frozen=True)
class _KudosRow:
    kudos_id: int
    giver_id: str
    recipient_id: str
    message: str
    private: bool
    at: datetime
    channel_id: str


@dataclass(frozen=True)
class _HelpRow:
    ask_id: int
    helper_id: str
    asker_id: str
    text: str
    private: bool
    at: datetime
    origin_channel_id: str


@dataclass(frozen=True)
class _AskRow:
    text: str
    topics: list[str]
    private: bool
    origin_channel_id: str


@dataclass(frozen=True)
class _AnswerRow:
    ask_id: int
    people: tuple[str, ...]


def compose_digest(
    session: Session,
    team_id: str,
    week_start_utc: datetime,
    week_end_utc: datetime,
    *,
    now: datetime,
) -> Digest:
    """Read workspace `team_id`'s week [start, end) as it stands at `now` into a `Digest`."""
    timezone, domain = session.execute(
        select(Workspace.timezone, Workspace.domain).where(Workspace.team_id == team_id)
    ).one()
    window = _Window(team_id, week_start_utc, min(week_end_utc, now))
    kudos = _week_kudos(session, window)
    helped = _week_help(session, window)
    asks = _week_asks(session, window)
    answers = _week_answers(session, window)
    unsung_counts = _unsung_counts(session, answers)
    offers = _week_offers(session, window)
    open_asks = _open_asks(session, window)
    people = _members(
        session, team_id, _people_needed(kudos, helped, unsung_counts, offers, open_asks)
    )
    names = {user: person.name for user, person in people.items()}
    return Digest(
        team_id=team_id,
        week=week_label(week_start_utc, zone(timezone)),
        start=week_start_utc,
        end=week_end_utc,
        as_of=now,
        helpers=_helper_lines(kudos, helped, names),
        top_thanked=_top_thanked(kudos, people),
        connections=_new_connections(session, window, kudos, helped, names),
        open_asks=_open_listing(open_asks, domain, names),
        new_offers=_new_offers(offers, people),
        unmet_topics=_unmet_topics(session, team_id, asks),
        unsung=_unsung(unsung_counts, people),
        totals=Totals(
            kudos=len({k.kudos_id for k in kudos}),
            private_kudos=len({k.kudos_id for k in kudos if k.private}),
            asks=len(asks),
            asks_resolved=len({h.ask_id for h in helped}),
            helpers=len({k.recipient_id for k in kudos} | {h.helper_id for h in helped}),
        ),
    )


# -- reading the week ---------------------------------------------------------------------------


def _week_kudos(session: Session, window: _Window) -> list[_KudosRow]:
    """Live kudos given in the window, one row per recipient (index: kudos team_id, created_at)."""
    query = (
        select(
            Kudos.id,
            Kudos.giver_id,
            KudosRecipient.recipient_id,
            Kudos.message,
            Kudos.channel_is_private,
            Kudos.created_at,
            Kudos.channel_id,
        )
        .join(KudosRecipient, KudosRecipient.kudos_id == Kudos.id)
        .where(
            Kudos.team_id == window.team_id,
            Kudos.created_at >= window.start,
            Kudos.created_at < window.until,
            Kudos.undone_at.is_(None),
            Kudos.revoked_at.is_(None),
            KudosRecipient.recipient_id != Kudos.giver_id,
        )
        .order_by(Kudos.created_at, Kudos.id, KudosRecipient.recipient_id)
    )
    return [_KudosRow(*row) for row in session.execute(query)]


def _week_help(session: Session, window: _Window) -> list[_HelpRow]:
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
        .where(
            AskHelper.team_id == window.team_id,
            AskHelper.credited_at >= window.start,
            AskHelper.credited_at < window.until,
            Ask.resolved_at >= window.start,
            Ask.resolved_at < window.until,
            AskHelper.helper_id != Ask.asker_id,
        )
        .order_by(AskHelper.credited_at, Ask.id, AskHelper.helper_id)
    )
    return [_HelpRow(*row) for row in session.execute(query)]


def _week_asks(session: Session, window: _Window) -> list[_AskRow]:
    """Asks created in the window (index: asks team_id, created_at)."""
    query = select(Ask.text, Ask.topics, Ask.channel_is_private, Ask.origin_channel_id).where(
        Ask.team_id == window.team_id,
        Ask.created_at >= window.start,
        Ask.created_at < window.until,
        Ask.status != AskStatus.DISCARDED,
    )
    return [
        _AskRow(text, list(topics or []), bool(private), origin)
        for text, topics, private, origin in session.execute(query)
    ]


def _week_answers(session: Session, window: _Window) -> list[_AnswerRow]:
    """Asks answered or taken on in the window, with who did it.

    The OR of two ranges is read through both indexes (team_id, answered_at) and (team_id,
    claimed_at): SQLite's multi-index OR, PostgreSQL's BitmapOr.
    """
    answered = and_(Ask.answered_at >= window.start, Ask.answered_at < window.until)
    claimed = and_(Ask.claimed_at >= window.start, Ask.claimed_at < window.until)
    query = select(Ask.id, Ask.asker_id, Ask.answered_by, Ask.claimed_by, answered, claimed).where(
        Ask.team_id == window.team_id, or_(answered, claimed)
    )
    rows = []
    for ask_id, asker, answerer, claimer, was_answered, was_claimed in session.execute(query):
        people = [answerer if was_answered else None, claimer if was_claimed else None]
        chosen = tuple(dict.fromkeys(p for p in people if p and p != asker))
        if chosen:
            rows.append(_AnswerRow(ask_id, chosen))
    return rows


def _unsung_counts(session: Session, answers: Sequence[_AnswerRow]) -> dict[str, int]:
    """For each person who answered or claimed asks, how many; absent if credited on any of them."""
    credited: set[tuple[int, str]] = set()
    for ids in _chunks([a.ask_id for a in answers]):
        query = select(AskHelper.ask_id, AskHelper.helper_id).where(AskHelper.ask_id.in_(ids))
        credited.update((ask_id, helper) for ask_id, helper in session.execute(query))
    counts: Counter[str] = Counter()
    thanked: set[str] = set()
    for answer in answers:
        for person in answer.people:
            counts[person] += 1
            if (answer.ask_id, person) in credited:
                thanked.add(person)
    return {person: n for person, n in counts.items() if person not in thanked}


def _week_offers(session: Session, window: _Window) -> list[tuple[str, str]]:
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
    return [(user, topic) for user, topic in session.execute(query)]


def _open_asks(session: Session, window: _Window) -> tuple[list[Any], int, int]:
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
        session.execute(
            select(Ask.channel_is_private, func.count())
            .where(live)
            .group_by(Ask.channel_is_private)
        ).all()
    )
    listed = session.execute(
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
    ).all()
    return list(listed), int(counts.get(False, 0)), int(counts.get(True, 0))


def _members(session: Session, team_id: str, user_ids: set[str]) -> dict[str, _Person]:
    """Names and ranking eligibility of the people the week involves, by primary key."""
    found: dict[str, _Person] = {}
    for ids in _chunks(sorted(user_ids)):
        query = select(
            Member.user_id,
            Member.real_name,
            Member.name,
            Member.deleted,
            Member.is_bot,
            Member.leaderboard_opt_out,
        ).where(Member.team_id == team_id, Member.user_id.in_(ids))
        for user, real, name, deleted, bot, opted_out in session.execute(query):
            found[user] = _Person(real or name or user, not (deleted or bot or opted_out))
    return found


def _people_needed(
    kudos: Sequence[_KudosRow],
    helped: Sequence[_HelpRow],
    unsung: Mapping[str, int],
    offers: Sequence[tuple[str, str]],
    open_asks: tuple[list[Any], int, int],
) -> set[str]:
    people = {k.giver_id for k in kudos} | {k.recipient_id for k in kudos}
    people |= {h.helper_id for h in helped} | {h.asker_id for h in helped}
    people |= set(unsung) | {user for user, _ in offers} | {row[1] for row in open_asks[0]}
    quoted = [k.message for k in kudos if not k.private] + [h.text for h in helped if not h.private]
    quoted += [row[2] for row in open_asks[0]]
    for body in quoted:
        people.update(_MENTIONED.findall(body))
    return people


# -- shaping the sections -----------------------------------------------------------------------


def _helper_lines(
    kudos: Sequence[_KudosRow], helped: Sequence[_HelpRow], names: Mapping[str, str]
) -> tuple[HelperLine, ...]:
    """Group the week's credit and thanks by the person who helped, busiest first."""
    by_helper: defaultdict[str, list[Help]] = defaultdict(list)
    for h in helped:
        quote = None if h.private else excerpt(h.text, names)
        other = names.get(h.asker_id, h.asker_id)
        typed_in = (h.origin_channel_id,)
        by_helper[h.helper_id].append(
            Help("ask", h.helper_id, h.asker_id, other, quote, h.private, h.at, typed_in)
        )
    for k in kudos:
        quote = None if k.private else excerpt(k.message, names)
        other = names.get(k.giver_id, k.giver_id)
        where = (k.channel_id,)
        by_helper[k.recipient_id].append(
            Help("kudos", k.recipient_id, k.giver_id, other, quote, k.private, k.at, where)
        )
    lines = [
        HelperLine(user, names.get(user, user), tuple(sorted(helps, key=lambda h: h.at)))
        for user, helps in by_helper.items()
    ]
    lines.sort(key=lambda line: (-len(line.helps), line.name.lower(), line.helper_id))
    return tuple(lines)


def _top_thanked(kudos: Sequence[_KudosRow], people: Mapping[str, _Person]) -> tuple[Thanked, ...]:
    """Rank the thanked by distinct givers, then kudos, as `/kudos top` does (names, no pings)."""
    givers: defaultdict[str, set[str]] = defaultdict(set)
    count: Counter[str] = Counter()
    for k in kudos:
        givers[k.recipient_id].add(k.giver_id)
        count[k.recipient_id] += 1
    ranked = [
        Thanked(user, people[user].name, len(givers[user]), count[user])
        for user in givers
        if user in people and people[user].ranked
    ]
    ranked.sort(key=lambda t: (-t.givers, -t.kudos, t.name.lower(), t.user_id))
    return tuple(ranked[:TOP_THANKED])


def _new_connections(
    session: Session,
    window: _Window,
    kudos: Sequence[_KudosRow],
    helped: Sequence[_HelpRow],
    names: Mapping[str, str],
) -> tuple[Connection, ...]:
    """Pairs who thanked or helped each other this week and never before the week began."""
    pairs = {_pair(k.giver_id, k.recipient_id) for k in kudos}
    pairs |= {_pair(h.helper_id, h.asker_id) for h in helped}
    pairs -= _met_before(session, window, pairs)
    found = [Connection(a, names.get(a, a), b, names.get(b, b)) for a, b in pairs]
    found.sort(key=lambda c: (c.first_name.lower(), c.second_name.lower(), c.first_id, c.second_id))
    return tuple(found)


def _pair(one: str, other: str) -> tuple[str, str]:
    return (one, other) if one < other else (other, one)


def _met_before(
    session: Session, window: _Window, pairs: set[tuple[str, str]]
) -> set[tuple[str, str]]:
    """The pairs among `pairs` with any live kudos or credited help between them before the week.

    Asked only about this week's pairs, in four passes (a thanked b, b thanked a, a helped b,
    b helped a), each over the pairs not yet found: most pairs in a team met long ago, so the
    first pass settles most of them. `PAIRS_PER_QUERY` pairs go in one statement as a single
    parameter, so the statement text never changes and is compiled once.
    """
    met: set[tuple[str, str]] = set()
    for probe in (_thanked_before, _helped_before):
        for reverse in (False, True):
            left = sorted(pairs - met)
            if not left:
                return met
            directed = [(b, a) if reverse else (a, b) for a, b in left]
            for chunk in _chunks(directed, PAIRS_PER_QUERY):
                wanted = _pairs_table(session, chunk)
                found = select(wanted.c.a, wanted.c.b).where(probe(window, wanted).is_not(None))
                met.update(_pair(a, b) for a, b in session.execute(found))
    return met


def _pairs_table(session: Session, chunk: Sequence[tuple[str, str]]) -> Any:
    """A CTE of (a, b) rows from one bound parameter: arrays on PostgreSQL, JSON on SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        source = text(
            "SELECT a, b FROM unnest(CAST(:firsts AS varchar[]), CAST(:seconds AS varchar[]))"
            " AS pairs(a, b)"
        ).bindparams(firsts=[a for a, _ in chunk], seconds=[b for _, b in chunk])
    else:
        source = text(
            "SELECT json_extract(value, '$[0]') AS a, json_extract(value, '$[1]') AS b"
            " FROM json_each(:pairs)"
        ).bindparams(pairs=json.dumps(list(chunk)))
    return source.columns(column("a", USER), column("b", USER)).cte("wanted")


# Each probe is a scalar subquery with LIMIT 1, run once per wanted pair: the repeated giver on
# kudos_recipients (index team, giver, recipient) and asker on ask_helpers (index team, helper,
# asker) make it one index probe for the pair, whatever the length of either person's history.


def _thanked_before(window: _Window, wanted: Any) -> Any:
    """Whether wanted.a gave wanted.b a live kudos before the week."""
    return (
        select(literal(1))
        .select_from(KudosRecipient)
        .join(Kudos, Kudos.id == KudosRecipient.kudos_id)
        .where(
            KudosRecipient.team_id == window.team_id,
            KudosRecipient.giver_id == wanted.c.a,
            KudosRecipient.recipient_id == wanted.c.b,
            Kudos.created_at < window.start,
            Kudos.undone_at.is_(None),
        )
        .limit(1)
        .scalar_subquery()
    )


def _helped_before(window: _Window, wanted: Any) -> Any:
    """Whether wanted.a was credited on an ask by wanted.b before the week."""
    return (
        select(literal(1))
        .select_from(AskHelper)
        .where(
            AskHelper.team_id == window.team_id,
            AskHelper.helper_id == wanted.c.a,
            AskHelper.asker_id == wanted.c.b,
            AskHelper.credited_at < window.start,
        )
        .limit(1)
        .scalar_subquery()
    )


def _open_listing(
    found: tuple[list[Any], int, int], domain: str | None, names: Mapping[str, str]
) -> OpenAsks:
    listed = tuple(
        OpenAsk(
            ask_id=ask_id,
            asker_id=asker,
            asker_name=names.get(asker, asker),
            quote=excerpt(text, names),
            status=AskStatus(status),
            link=permalink(domain, channel, ts),
            created_at=created,
            channels=(origin,),
        )
        for ask_id, asker, text, status, channel, ts, created, origin in found[0]
    )
    return OpenAsks(listed, found[1], found[2])


def _new_offers(
    offers: Sequence[tuple[str, str]], people: Mapping[str, _Person]
) -> tuple[NewOffer, ...]:
    by_user: defaultdict[str, list[str]] = defaultdict(list)
    for user, topic in offers:
        by_user[user].append(topic)
    return tuple(
        NewOffer(user, people[user].name if user in people else user, tuple(topics))
        for user, topics in by_user.items()
    )


def _unmet_topics(
    session: Session, team_id: str, asks: Sequence[_AskRow]
) -> tuple[UnmetTopic, ...]:
    """Topics of this week's public asks that no active offer by a current member covers.

    A topic counts when an ask tagged it (`#topic`) or when two or more asks share it: the
    keywords drawn from an ask's words are noisy one at a time. Private asks are left out, since
    their topics come from their text.
    """
    asked: Counter[str] = Counter()
    tagged: set[str] = set()
    where: defaultdict[str, dict[str, None]] = defaultdict(dict)
    for ask in asks:
        if ask.private:
            continue
        asked.update(set(ask.topics))
        tagged.update(t for t in (normalize(v) for v in parse(ask.text).values) if t)
        for topic in ask.topics:
            where[topic][ask.origin_channel_id] = None
    candidates = {t for t, n in asked.items() if n >= 2 or t in tagged}
    offered = _offered(session, team_id, candidates)
    unmet = [UnmetTopic(t, asked[t], tuple(where[t])) for t in candidates - offered]
    unmet.sort(key=lambda u: (-u.asks, u.topic))
    return tuple(unmet[:UNMET_LISTED])


def _offered(session: Session, team_id: str, topics: set[str]) -> set[str]:
    """The topics among `topics` with an active offer by someone not deactivated."""
    offered: set[str] = set()
    member = and_(Member.team_id == Offer.team_id, Member.user_id == Offer.user_id)
    # Each stored spelling (offers saved before the normal form changed) → the topics it means.
    meaning: dict[str, set[str]] = {}
    for topic in topics:
        for spelled in spellings(normalize(topic)) | {topic}:
            meaning.setdefault(spelled, set()).add(topic)
    for chunk in _chunks(sorted(meaning)):
        query = (
            select(Offer.topic)
            .distinct()
            .join(Member, member, isouter=True)
            .where(
                Offer.team_id == team_id,
                Offer.topic.in_(chunk),
                Offer.active.is_(True),
                or_(Member.deleted.is_(False), Member.user_id.is_(None)),
            )
        )
        for found in session.scalars(query):
            offered |= meaning.get(found, set())
    return offered


def _unsung(counts: Mapping[str, int], people: Mapping[str, _Person]) -> tuple[Unsung, ...]:
    """The uncredited, most asks first; like the most-thanked list, it skips bots, the
    deactivated and people who opted out of leaderboards."""
    found = [
        Unsung(user, people[user].name if user in people else user, n)
        for user, n in counts.items()
        if user in people and people[user].ranked
    ]
    found.sort(key=lambda u: (-u.asks, u.name.lower(), u.user_id))
    return tuple(found)


# -- text ---------------------------------------------------------------------------------------


def permalink(domain: str | None, channel_id: str | None, ts: str | None) -> str | None:
    """Slack's permalink for message `ts` in `channel_id`, or None when it was never posted."""
    if not channel_id or not ts:
        return None
    host = f"{domain}.slack.com" if domain else "slack.com"
    return f"https://{host}/archives/{channel_id}/p{ts.replace('.', '')}"


def excerpt(raw: str, names: Mapping[str, str], limit: int = EXCERPT) -> str:
    """A one-line excerpt of Slack-escaped `raw`, about `limit` visible characters, ending in "…".

    The result stays Slack-escaped (render it with `render_inert`); person mentions become plain
    "@name" so that quoting someone's message never pings the people it mentions; links, channel
    mentions and broadcasts are kept whole or dropped, never cut in half.
    """
    pieces: list[str] = []
    room = limit
    for token in tokenize(" ".join(raw.split())):
        shown, piece = _visible(token, names)
        if len(shown) > room:
            if isinstance(token, ChannelMention | Hyperlink | Broadcast | UserGroup):
                pieces.append("…")
            else:
                pieces.append(escape(_cut(shown, room)) + "…")
            break
        pieces.append(piece)
        room -= len(shown)
    return "".join(pieces).strip()


def _visible(token: Any, names: Mapping[str, str]) -> tuple[str, str]:
    """What a token shows, and the Slack-escaped text that shows it."""
    if isinstance(token, UserMention):
        label = unescape(token.label) if token.label else names.get(token.user_id, "someone")
        shown = "@" + label.lstrip("@")
        return shown, escape(shown)
    if isinstance(token, ChannelMention | Hyperlink | UserGroup):
        return unescape(token.label or token.raw), token.raw
    if isinstance(token, Broadcast):
        return "@" + token.kind, token.raw
    return unescape(token.raw), token.raw


def _cut(text: str, room: int) -> str:
    cut = text[:room]
    space = cut.rfind(" ")
    # Prefer a word boundary unless that throws most of the room away.
    return (cut[:space] if space > room // 2 else cut).rstrip()


def _chunks(items: Sequence[T] | Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


__all__ = [
    "Connection",
    "Digest",
    "Help",
    "HelperLine",
    "NewOffer",
    "OpenAsk",
    "OpenAsks",
    "Thanked",
    "Totals",
    "UnmetTopic",
    "Unsung",
    "compose_digest",
    "excerpt",
    "permalink",
]
