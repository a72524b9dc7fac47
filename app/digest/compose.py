"""Composing the weekly digest: one workspace's week read from the store and shaped into sections.

`compose_digest` returns the plain frozen dataclasses of `app.digest.contents`; the rows come from
`app.digest.week_rows` (every read bounded by the week), `app.digest.introductions` and
`app.digest.met_before`; `app.digest.helper_lines` shapes "who helped whom"; `app.digest.blocks`
draws the result. Long lists are held only as far as they are shown, the rest counted (see
`app.digest.contents`). Time is passed in, never read. Content from private channels and DMs is
counted and never quoted.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection as SqlConnection
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calendar import zone
from app.digest.contents import (
    LISTED_PAIRS,
    Connection,
    Digest,
    Introduced,
    NewOffer,
    OpenAsk,
    OpenAsks,
    Thanked,
    Totals,
    UnmetTopic,
    Unsung,
)
from app.digest.helper_lines import MENTIONED, helper_lines
from app.digest.introductions import IntroRow, introduced, people_in, read_introductions
from app.digest.met_before import new_pairs, pair
from app.digest.planner import plan_as_short_reads
from app.digest.quoting import excerpt, message_link
from app.digest.week_rows import (
    AskRow,
    Backlog,
    Directory,
    HelpRow,
    KudosRow,
    Window,
    offered_topics,
    read_answers,
    read_asks,
    read_backlog,
    read_help,
    read_kudos,
    read_members,
    read_offers,
    uncredited_counts,
)
from app.digest.weeks import week_label
from app.offers.topics import normalize
from app.slackapi.mrkdwn import value_tags
from app.store.models import Workspace

TOP_THANKED = 10
UNMET_LISTED = 10


def compose_digest(
    session: Session,
    team_id: str,
    week_start_utc: datetime,
    week_end_utc: datetime,
    *,
    now: datetime,
) -> Digest:
    """Read workspace `team_id`'s week [start, end) as it stands at `now` into a `Digest`.

    What `session` holds is flushed first; the week is then read through its connection as
    Core rows (plain tuples), since the digest only reads them and never needs ORM objects.
    """
    session.flush()
    connection = session.connection()
    plan_as_short_reads(connection)
    timezone, domain = connection.execute(
        select(Workspace.timezone, Workspace.domain).where(Workspace.team_id == team_id)
    ).one()
    window = Window(team_id, week_start_utc, min(week_end_utc, now))
    kudos = read_kudos(connection, window)
    helped = read_help(connection, window)
    asks = read_asks(connection, window)
    unsung_counts = uncredited_counts(read_answers(connection, window))
    offers = read_offers(connection, window)
    backlog = read_backlog(connection, window)
    intro_rows = read_introductions(session, window)
    needed = _people_needed(kudos, helped, unsung_counts, offers, backlog, intro_rows)
    people = read_members(connection, team_id, needed)
    names = people.names
    intros = introduced(intro_rows, people)
    helpers, unlisted_helpers = helper_lines(connection, team_id, kudos, helped, names)
    pairs = _new_connections(connection, window, intros, names)
    return Digest(
        team_id=team_id,
        week=week_label(week_start_utc, zone(timezone)),
        start=week_start_utc,
        end=week_end_utc,
        as_of=now,
        helpers=helpers,
        top_thanked=_top_thanked(kudos, people),
        connections=pairs.listed,
        open_asks=_open_asks(backlog, domain, names),
        new_offers=_new_offers(offers, people),
        unmet_topics=_unmet_topics(connection, team_id, asks),
        unsung=_unsung(unsung_counts, people),
        totals=Totals(
            kudos=len({k.kudos_id for k in kudos}),
            private_kudos=len({k.kudos_id for k in kudos if k.private}),
            asks=len(asks),
            asks_resolved=len({h.ask_id for h in helped}),
            helpers=len({k.recipient_id for k in kudos} | {h.helper_id for h in helped}),
        ),
        introductions=intros,
        unlisted_helpers=unlisted_helpers,
        unlisted_pairs=pairs.unlisted,
        unlisted_introduced=pairs.unlisted_introduced,
    )


def _people_needed(
    kudos: Sequence[KudosRow],
    helped: Sequence[HelpRow],
    unsung: Mapping[str, int],
    offers: Sequence[tuple[str, str]],
    backlog: Backlog,
    intros: Sequence[IntroRow],
) -> set[str]:
    """Everyone the digest names: the week's people, and those mentioned in the open asks it
    quotes (`app.digest.helper_lines` looks up those its quoted acts of help mention)."""
    people = {k.giver_id for k in kudos} | {k.recipient_id for k in kudos} | people_in(intros)
    people |= {h.helper_id for h in helped} | {h.asker_id for h in helped}
    people |= set(unsung) | {user for user, _ in offers} | {a.asker_id for a in backlog.newest}
    for ask in backlog.newest:
        people.update(MENTIONED.findall(ask.text))
    return people


def _top_thanked(kudos: Sequence[KudosRow], people: Directory) -> tuple[Thanked, ...]:
    """Rank the thanked by distinct givers, then kudos, as `/kudos top` does (names, no pings)."""
    count = Counter(k.recipient_id for k in kudos)
    # Counted through the distinct (recipient, giver) pairs, keyed by one string each (a string
    # is no work for the garbage collector, a tuple is): no set per person.
    givers = Counter({f"{k.recipient_id} {k.giver_id}": k.recipient_id for k in kudos}.values())
    names = people.names
    ranked = [user for user in count if people.ranked(user)]
    # Only the listed are built: the order is total (ids are unique), so these are the first.
    top = heapq.nsmallest(
        TOP_THANKED, ranked, key=lambda u: (-givers[u], -count[u], names[u].lower(), u)
    )
    return tuple(Thanked(user, names[user], givers[user], count[user]) for user in top)


class _Pairs(NamedTuple):
    """The week's new pairs: the first `LISTED_PAIRS` in the order shown, how many more, and how
    many of those were introduced."""

    listed: tuple[Connection, ...]
    unlisted: int
    unlisted_introduced: int


def _new_connections(
    connection: SqlConnection,
    window: Window,
    intros: Sequence[Introduced],
    names: Mapping[str, str],
) -> _Pairs:
    """Pairs who thanked or helped each other this week and never before the week began, and
    pairs introduced this week, each pair once whatever it did; by name, only the first listed.

    An introduced pair counts even if the two had met before: the connection is the
    connector's work, which the digest celebrates. Its history is therefore never looked up.
    """
    introduced_pairs = {pair(i.first_id, i.second_id) for i in intros}
    pairs = new_pairs(connection, window) - introduced_pairs
    # Each person's lowercase name once, not once per pair they are in.
    lower = {
        user: names.get(user, user).lower()
        for found in (pairs, introduced_pairs)
        for p in found
        for user in p
    }

    def order(p: tuple[str, str]) -> tuple[str, str, str, str]:
        return (lower[p[0]], lower[p[1]], p[0], p[1])

    # The two sets share no pair, so the order is total: the same first ones as sorting all.
    first = heapq.nsmallest(LISTED_PAIRS, [*pairs, *introduced_pairs], key=order)
    listed = tuple(
        Connection(a, names.get(a, a), b, names.get(b, b), (a, b) in introduced_pairs)
        for a, b in first
    )
    shown_introduced = sum(1 for c in listed if c.introduced)
    unlisted = len(pairs) + len(introduced_pairs) - len(listed)
    return _Pairs(listed, unlisted, len(introduced_pairs) - shown_introduced)


def _open_asks(backlog: Backlog, domain: str | None, names: Mapping[str, str]) -> OpenAsks:
    """The backlog with its newest public asks quoted and linked."""
    listed = tuple(
        OpenAsk(
            ask_id=row.ask_id,
            asker_id=row.asker_id,
            asker_name=names.get(row.asker_id, row.asker_id),
            quote=excerpt(row.text, names),
            status=row.status,
            link=message_link(domain, row.channel_id, row.message_ts),
            created_at=row.created_at,
            channels=(row.origin_channel_id,),
        )
        for row in backlog.newest
    )
    return OpenAsks(listed, backlog.public, backlog.private)


def _new_offers(offers: Sequence[tuple[str, str]], people: Directory) -> tuple[NewOffer, ...]:
    """The week's new offers grouped by person, in the order they were first made."""
    by_user: defaultdict[str, list[str]] = defaultdict(list)
    for user, topic in offers:
        by_user[user].append(topic)
    return tuple(
        NewOffer(user, people.names.get(user, user), tuple(topics))
        for user, topics in by_user.items()
    )


def _unmet_topics(
    connection: SqlConnection, team_id: str, asks: Sequence[AskRow]
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
        tagged.update(t for t in (normalize(v) for v in value_tags(ask.text)) if t)
        for topic in ask.topics:
            where[topic][ask.origin_channel_id] = None
    candidates = {t for t, n in asked.items() if n >= 2 or t in tagged}
    offered = offered_topics(connection, team_id, candidates)
    unmet = [UnmetTopic(t, asked[t], tuple(where[t])) for t in candidates - offered]
    unmet.sort(key=lambda u: (-u.asks, u.topic))
    return tuple(unmet[:UNMET_LISTED])


def _unsung(counts: Mapping[str, int], people: Directory) -> tuple[Unsung, ...]:
    """The uncredited, most asks first; like the most-thanked list, it skips bots, the
    deactivated and people who opted out of leaderboards."""
    found = [
        Unsung(user, people.names[user], n) for user, n in counts.items() if people.ranked(user)
    ]
    found.sort(key=lambda u: (-u.asks, u.name.lower(), u.user_id))
    return tuple(found)
