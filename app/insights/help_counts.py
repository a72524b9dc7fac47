"""Who helped whom in a time range, counted by the database: the figures network and people share.

A live kudos means its recipients helped its giver; a credit on an ask means the helper helped the
asker. Both are read through an indexed time range (kudos team_id, created_at; ask_helpers
team_id, credited_at) and grouped in the database, so Python sees one row per pair, or per
person, never one per act: a year of a busy workspace holds hundreds of thousands of acts.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    and_,
    except_,
    func,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement

from app.store.among import among
from app.store.models import Ask, AskHelper, Channel, Kudos, KudosRecipient


def _live_kudos(team_id: str, start: datetime, end: datetime) -> tuple[ColumnElement[bool], ...]:
    """Kudos joined with their recipients: live ones to others given in [start, end)."""
    return (
        Kudos.team_id == team_id,
        Kudos.created_at >= start,
        Kudos.created_at < end,
        Kudos.undone_at.is_(None),
        Kudos.revoked_at.is_(None),
        KudosRecipient.recipient_id != Kudos.giver_id,
    )


def _credit(team_id: str, start: datetime, end: datetime) -> tuple[ColumnElement[bool], ...]:
    """Credit to others given in [start, end)."""
    return (
        AskHelper.team_id == team_id,
        AskHelper.credited_at >= start,
        AskHelper.credited_at < end,
        AskHelper.helper_id != AskHelper.asker_id,
    )


def _among_people(dialect: str | None, *ends: Any) -> tuple[ColumnElement[bool], ...]:
    """Every one of `ends` among the people bound to parameter "people" (none without a dialect).

    Each end is tested on its own column, so the planner may seek that person's index."""
    return () if dialect is None else tuple(among(dialect, end, "people") for end in ends)


def _recipients_of(team_id: str, among_people: str | None) -> tuple[ColumnElement[bool], ...]:
    """The workspace on kudos_recipients too when acts are kept by person: without it the only way
    to a recipient is the whole table (PostgreSQL chose that scan for the groups' recipients)."""
    return () if among_people is None else (KudosRecipient.team_id == team_id,)


def _acts(team_id: str, start: datetime, end: datetime, among_people: str | None = None) -> Any:
    """Every act of help in the range as (helper, helped, kudos 1/0, answers 1/0); with a
    dialect name in `among_people`, only acts between the people bound to "people"."""
    return union_all(
        select(
            KudosRecipient.recipient_id.label("helper"),
            Kudos.giver_id.label("helped"),
            literal_column("1").label("kudos"),
            literal_column("0").label("answers"),
        )
        .join(KudosRecipient, KudosRecipient.kudos_id == Kudos.id)
        .where(
            *_live_kudos(team_id, start, end),
            *_among_people(among_people, Kudos.giver_id, KudosRecipient.recipient_id),
            *_recipients_of(team_id, among_people),
        ),
        select(
            AskHelper.helper_id, AskHelper.asker_id, literal_column("0"), literal_column("1")
        ).where(
            *_credit(team_id, start, end),
            *_among_people(among_people, AskHelper.helper_id, AskHelper.asker_id),
        ),
    ).subquery("acts")


def pairs(
    team_id: str, start: datetime, end: datetime, among_people: str | None = None
) -> Select[Any]:
    """(helper, helped, kudos, answers) for each pair with help in [start, end); with a dialect
    name in `among_people`, only pairs whose ends are both among the people bound to "people"."""
    acts = _acts(team_id, start, end, among_people)
    return select(
        acts.c.helper, acts.c.helped, func.sum(acts.c.kudos), func.sum(acts.c.answers)
    ).group_by(acts.c.helper, acts.c.helped)


def read_pairs(
    connection: Connection,
    team_id: str,
    start: datetime,
    end: datetime,
    people: Collection[str] | None = None,
) -> list[tuple[str, str, int, int]]:
    """Every (helper, helped, kudos, answers) pair of [start, end) (only those between `people`
    when given), ordered by helper, helped (code points on both backends)."""
    dialect = None if people is None else connection.dialect.name
    query = pairs(team_id, start, end, dialect).subquery("pairs")
    order: list[Any] = [query.c.helper, query.c.helped]
    if connection.dialect.name == "postgresql":
        order = [column.collate("C") for column in order]
    # Sums of integer literals are integers on both backends: the rows are used as they come.
    statement = select(query).order_by(*order)
    return list(connection.execute(statement, {} if people is None else {"people": people}).all())


@dataclass(frozen=True)
class Broadest:
    """The `most` broadest people of a period, best first, and the period's full counts."""

    # (person, different people helped, acts of help).
    people: list[tuple[str, int, int]]
    people_total: int
    links_total: int


def read_broadest(
    connection: Connection, team_id: str, start: datetime, end: datetime, most: int
) -> Broadest:
    """The `most` people of [start, end) who helped the most different people, then gave the
    most acts of help, then have the smallest user id (code points), with the period's counts
    of people and pairs: the period's acts are grouped once, ranked and cut in the database."""
    postgres = connection.dialect.name == "postgresql"
    ranked = (_ranked_by_pairs if postgres else _ranked_by_acts)(team_id, start, end)
    person: Any = ranked.c.person.collate("C") if postgres else ranked.c.person
    # The totals ride on every row (one is read even for `most` 0); no row comes back when the
    # period has no pairs at all. A helper's breadth is their number of pairs: the sum counts
    # every pair once.
    rows = connection.execute(
        select(
            ranked.c.person,
            ranked.c.breadth,
            ranked.c.acts,
            select(func.count()).select_from(ranked).scalar_subquery(),
            select(func.sum(ranked.c.breadth)).scalar_subquery(),
        )
        .order_by(ranked.c.breadth.desc(), ranked.c.acts.desc(), person)
        .limit(max(most, 1))
    ).all()
    people = [(str(user), int(breadth), int(acts)) for user, breadth, acts, _, _ in rows[:most]]
    if not rows:
        return Broadest(people, 0, 0)
    return Broadest(people, int(rows[0][3]), int(rows[0][4]))


# Everyone in a pair is in the network: those who only received help rank with breadth 0. The two
# rankings below give the same rows; each is the faster on its backend over the bench's year
# (250,000 pairs, 377,000 acts). PostgreSQL hashes the pairs, then the people; a distinct count per
# helper sorts each helper's acts (800 against 630 ms). SQLite sorts for every grouping: counting
# distinct people per helper straight from the acts, materialized once for the receivers too,
# saves sorting the pairs again (470 against 670 ms).


def _ranked_by_pairs(team_id: str, start: datetime, end: datetime) -> Any:
    """(person, breadth, acts) of everyone in [start, end), from the pairs grouped once."""
    # Read twice below (helpers, receivers): a CTE, grouped once.
    found = pairs(team_id, start, end).cte("found")
    helper, helped, kudos, answers = list(found.c)
    ends = union_all(
        select(helper.label("person"), literal(1).label("one"), (kudos + answers).label("acts")),
        select(helped, literal(0), literal(0)),
    ).subquery("ends")
    return (
        select(
            ends.c.person,
            func.sum(ends.c.one).label("breadth"),
            func.sum(ends.c.acts).label("acts"),
        )
        .group_by(ends.c.person)
        .cte("ranked")
    )


def _ranked_by_acts(team_id: str, start: datetime, end: datetime) -> Any:
    """(person, breadth, acts) of everyone in [start, end), from the acts counted per helper."""
    acts = _acts(team_id, start, end)
    # Read twice below (helpers, receivers): materialized once.
    found = select(acts.c.helper, acts.c.helped).cte("found")
    helpers = (
        select(
            found.c.helper.label("person"),
            func.count(found.c.helped.distinct()).label("breadth"),
            func.count().label("acts"),
        )
        .group_by(found.c.helper)
        .cte("helpers")
    )
    receivers = except_(select(found.c.helped), select(helpers.c.person)).subquery("receivers")
    return union_all(
        select(helpers.c.person, helpers.c.breadth, helpers.c.acts),
        select(receivers.c.helped, literal(0), literal(0)),
    ).cte("ranked")


def read_breadth(
    connection: Connection, team_id: str, start: datetime, end: datetime
) -> list[tuple[str, int, int]]:
    """(helper, different people helped, acts of help) for each helper in [start, end)."""
    query = pairs(team_id, start, end).subquery("pairs")
    cols = list(query.c)
    helper, kudos, answers = cols[0], cols[2], cols[3]
    rows = connection.execute(
        select(helper, func.count(), func.sum(kudos + answers)).group_by(helper)
    )
    return [(user, int(people), int(acts)) for user, people, acts in rows]


def read_groups(
    connection: Connection,
    team_id: str,
    start: datetime,
    end: datetime,
    people: Collection[str] | None = None,
) -> dict[str, str]:
    """Each person's group in [start, end) (only of `people` when given): the named public
    channel where most of their help (given or received) happened, ties by name."""
    kudos_where = (*_live_kudos(team_id, start, end), Kudos.channel_is_private.is_(False))
    credit_where = (
        *_credit(team_id, start, end),
        Ask.channel_is_private.is_(False),
        Ask.channel_id.is_not(None),
    )
    dialect = None if people is None else connection.dialect.name

    def only(person: Any) -> tuple[ColumnElement[bool], ...]:
        # A recipient is tested on each of the period's kudos (`|| ''` hides the index):
        # kudos_recipients has no time, so seeking a recipient's kudos reads their whole
        # history, 35,000 rows for the bench's 120 broadest people (2x slower at 4 weeks).
        if person is KudosRecipient.recipient_id:
            person = person.concat("")
        return _among_people(dialect, person)

    # Both ends of every public act, each with the act's channel.
    ends = union_all(
        *(
            select(person.label("person"), Kudos.channel_id.label("channel"))
            .join(KudosRecipient, KudosRecipient.kudos_id == Kudos.id)
            .where(*kudos_where, *only(person))
            for person in (KudosRecipient.recipient_id, Kudos.giver_id)
        ),
        *(
            select(person.label("person"), Ask.channel_id.label("channel"))
            .select_from(AskHelper)
            .join(Ask, Ask.id == AskHelper.ask_id)
            .where(*credit_where, *only(person))
            for person in (AskHelper.helper_id, AskHelper.asker_id)
        ),
    ).subquery("ends")
    named = (
        select(ends.c.person, Channel.name.label("name"), func.count().label("acts"))
        .join(
            Channel,
            and_(
                Channel.team_id == team_id,
                Channel.channel_id == ends.c.channel,
                Channel.is_private.is_(False),
                Channel.is_im.is_(False),
                Channel.name != "",
            ),
        )
        .group_by(ends.c.person, Channel.name)
        .subquery("named")
    )
    name: Any = named.c.name
    if connection.dialect.name == "postgresql":
        name = name.collate("C")
    ranked = select(
        named.c.person,
        named.c.name,
        func.row_number()
        .over(partition_by=named.c.person, order_by=(named.c.acts.desc(), name))
        .label("place"),
    ).subquery("ranked")
    rows = connection.execute(
        select(ranked.c.person, ranked.c.name).where(ranked.c.place == 1),
        {} if people is None else {"people": people},
    )
    return {str(person): str(group) for person, group in rows}
