"""Composing the weekly digest: one workspace's week read from the store and shaped into sections.

`compose_digest` returns the plain frozen dataclasses of `app.digest.contents`; the rows come from
`app.digest.week_rows` (every read bounded by the week), `app.digest.introductions` and
`app.digest.met_before`, and `app.digest.blocks` draws the result. Time is passed in, never read.
Content from private channels and DMs is counted and never quoted.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from operator import attrgetter
from typing import Literal

from sqlalchemy import Connection as SqlConnection
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calendar import zone
from app.digest.contents import (
    Connection,
    Digest,
    Help,
    HelperLine,
    Introduced,
    NewOffer,
    OpenAsk,
    OpenAsks,
    Thanked,
    Totals,
    UnmetTopic,
    Unsung,
)
from app.digest.introductions import IntroRow, introduced, people_in, read_introductions
from app.digest.met_before import met_before, pair
from app.digest.planner import plan_as_short_reads
from app.digest.quoting import excerpt, message_link
from app.digest.week_rows import (
    AskRow,
    Backlog,
    HelpRow,
    KudosRow,
    Person,
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
from app.slackapi.mrkdwn import ValueTag, tokenize
from app.store.models import Workspace

TOP_THANKED = 10
_AT = attrgetter("at")
UNMET_LISTED = 10
_MENTIONED = re.compile(r"<@([UW][A-Z0-9]{1,20})")


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
    names = {user: person.name for user, person in people.items()}
    intros = introduced(intro_rows, people)
    return Digest(
        team_id=team_id,
        week=week_label(week_start_utc, zone(timezone)),
        start=week_start_utc,
        end=week_end_utc,
        as_of=now,
        helpers=_helper_lines(kudos, helped, names),
        top_thanked=_top_thanked(kudos, people),
        connections=_new_connections(connection, window, kudos, helped, intros, names),
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
    )


def _people_needed(
    kudos: Sequence[KudosRow],
    helped: Sequence[HelpRow],
    unsung: Mapping[str, int],
    offers: Sequence[tuple[str, str]],
    backlog: Backlog,
    intros: Sequence[IntroRow],
) -> set[str]:
    """Everyone the digest names: the week's people, and those mentioned in what it quotes."""
    people = {k.giver_id for k in kudos} | {k.recipient_id for k in kudos} | people_in(intros)
    people |= {h.helper_id for h in helped} | {h.asker_id for h in helped}
    people |= set(unsung) | {user for user, _ in offers} | {a.asker_id for a in backlog.newest}
    quoted = [k.message for k in kudos if not k.private] + [h.text for h in helped if not h.private]
    quoted += [a.text for a in backlog.newest]
    for body in quoted:
        people.update(_MENTIONED.findall(body))
    return people


def _helper_lines(
    kudos: Sequence[KudosRow], helped: Sequence[HelpRow], names: Mapping[str, str]
) -> tuple[HelperLine, ...]:
    """Group the week's credit and thanks by the person who helped, busiest first."""
    acts = [
        _act("ask", h.helper_id, h.asker_id, h.text, h.private, h.at, h.origin_channel_id, names)
        for h in helped
    ]
    acts += [
        _act("kudos", k.recipient_id, k.giver_id, k.message, k.private, k.at, k.channel_id, names)
        for k in kudos
    ]
    by_helper: defaultdict[str, list[Help]] = defaultdict(list)
    for act in acts:
        by_helper[act.helper_id].append(act)
    lines = [
        HelperLine(user, names.get(user, user), tuple(sorted(helps, key=_AT)))
        for user, helps in by_helper.items()
    ]
    lines.sort(key=lambda line: (-len(line.helps), line.name.lower(), line.helper_id))
    return tuple(lines)


def _act(
    kind: Literal["ask", "kudos"],
    helper_id: str,
    other_id: str,
    body: str,
    private: bool,
    at: datetime,
    channel_id: str,
    names: Mapping[str, str],
) -> Help:
    """One act of help, its `body` (the ask or kudos text) quoted unless it was private."""
    quote = None if private else excerpt(body, names)
    other = names.get(other_id, other_id)
    return Help(kind, helper_id, other_id, other, quote, private, at, (channel_id,))


def _top_thanked(kudos: Sequence[KudosRow], people: Mapping[str, Person]) -> tuple[Thanked, ...]:
    """Rank the thanked by distinct givers, then kudos, as `/kudos top` does (names, no pings)."""
    count = Counter(k.recipient_id for k in kudos)
    # Counted through the distinct (recipient, giver) pairs: no set per person.
    givers = Counter(recipient for recipient, _ in {(k.recipient_id, k.giver_id) for k in kudos})
    ranked = [
        Thanked(user, person.name, givers[user], n)
        for user, n in count.items()
        if (person := people.get(user)) is not None and person.ranked
    ]
    ranked.sort(key=lambda t: (-t.givers, -t.kudos, t.name.lower(), t.user_id))
    return tuple(ranked[:TOP_THANKED])


def _new_connections(
    connection: SqlConnection,
    window: Window,
    kudos: Sequence[KudosRow],
    helped: Sequence[HelpRow],
    intros: Sequence[Introduced],
    names: Mapping[str, str],
) -> tuple[Connection, ...]:
    """Pairs who thanked or helped each other this week and never before the week began, and
    pairs introduced this week, each pair once whatever it did.

    An introduced pair counts even if the two had met before: the connection is the
    connector's work, which the digest celebrates. Its history is therefore never looked up.
    """
    introduced_pairs = {pair(i.first_id, i.second_id) for i in intros}
    pairs = {pair(k.giver_id, k.recipient_id) for k in kudos}
    pairs |= {pair(h.helper_id, h.asker_id) for h in helped}
    pairs -= introduced_pairs
    pairs -= met_before(connection, window, pairs)
    found = [Connection(a, names.get(a, a), b, names.get(b, b)) for a, b in pairs]
    found += [Connection(a, names.get(a, a), b, names.get(b, b), True) for a, b in introduced_pairs]
    # Each person's lowercase name once, not once per pair they are in.
    lower = {
        name: name.lower()
        for name in {c.first_name for c in found} | {c.second_name for c in found}
    }
    found.sort(key=lambda c: (lower[c.first_name], lower[c.second_name], c.first_id, c.second_id))
    return tuple(found)


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


def _new_offers(
    offers: Sequence[tuple[str, str]], people: Mapping[str, Person]
) -> tuple[NewOffer, ...]:
    """The week's new offers grouped by person, in the order they were first made."""
    by_user: defaultdict[str, list[str]] = defaultdict(list)
    for user, topic in offers:
        by_user[user].append(topic)
    return tuple(
        NewOffer(user, people[user].name if user in people else user, tuple(topics))
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
        tagged.update(t for t in (normalize(v) for v in _tags(ask.text)) if t)
        for topic in ask.topics:
            where[topic][ask.origin_channel_id] = None
    candidates = {t for t, n in asked.items() if n >= 2 or t in tagged}
    offered = offered_topics(connection, team_id, candidates)
    unmet = [UnmetTopic(t, asked[t], tuple(where[t])) for t in candidates - offered]
    unmet.sort(key=lambda u: (-u.asks, u.topic))
    return tuple(unmet[:UNMET_LISTED])


def _tags(text: str) -> list[str]:
    """The `#value` tags of an ask's text, as `/kudos` reads them."""
    # Every tag starts with "#": most asks have none and need no tokenizing.
    if "#" not in text:
        return []
    return [token.value for token in tokenize(text) if isinstance(token, ValueTag)]


def _unsung(counts: Mapping[str, int], people: Mapping[str, Person]) -> tuple[Unsung, ...]:
    """The uncredited, most asks first; like the most-thanked list, it skips bots, the
    deactivated and people who opted out of leaderboards."""
    found = [
        Unsung(user, people[user].name, n)
        for user, n in counts.items()
        if user in people and people[user].ranked
    ]
    found.sort(key=lambda u: (-u.asks, u.name.lower(), u.user_id))
    return tuple(found)
