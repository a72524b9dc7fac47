"""Who helped whom in a time range, counted by the database: the figures network and people share.

A live kudos means its recipients helped its giver; a credit on an ask means the helper helped the
asker. Both are read through an indexed time range (kudos team_id, created_at; ask_helpers
team_id, credited_at) and grouped in the database, so Python sees one row per pair, or per
person, never one per act: a year of a busy workspace holds hundreds of thousands of acts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, func, literal_column, select, union_all
from sqlalchemy.sql.elements import ColumnElement

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


def _acts(team_id: str, start: datetime, end: datetime) -> Any:
    """Every act of help in the range as (helper, helped, kudos 1/0, answers 1/0)."""
    return union_all(
        select(
            KudosRecipient.recipient_id.label("helper"),
            Kudos.giver_id.label("helped"),
            literal_column("1").label("kudos"),
            literal_column("0").label("answers"),
        )
        .join(KudosRecipient, KudosRecipient.kudos_id == Kudos.id)
        .where(*_live_kudos(team_id, start, end)),
        select(
            AskHelper.helper_id, AskHelper.asker_id, literal_column("0"), literal_column("1")
        ).where(*_credit(team_id, start, end)),
    ).subquery("acts")


def pairs(team_id: str, start: datetime, end: datetime) -> Select[Any]:
    """(helper, helped, kudos, answers) for each pair with help in [start, end)."""
    acts = _acts(team_id, start, end)
    return select(
        acts.c.helper, acts.c.helped, func.sum(acts.c.kudos), func.sum(acts.c.answers)
    ).group_by(acts.c.helper, acts.c.helped)


def read_pairs(
    connection: Connection, team_id: str, start: datetime, end: datetime
) -> list[tuple[str, str, int, int]]:
    """Every (helper, helped, kudos, answers) pair of [start, end), ordered by helper, helped
    (code points on both backends)."""
    query = pairs(team_id, start, end).subquery("pairs")
    order: list[Any] = [query.c.helper, query.c.helped]
    if connection.dialect.name == "postgresql":
        order = [column.collate("C") for column in order]
    # Sums of integer literals are integers on both backends: the rows are used as they come.
    return list(connection.execute(select(query).order_by(*order)).all())


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
    connection: Connection, team_id: str, start: datetime, end: datetime
) -> dict[str, str]:
    """Each person's group in [start, end): the named public channel where most of their help
    (given or received) happened, ties by name."""
    kudos_where = (*_live_kudos(team_id, start, end), Kudos.channel_is_private.is_(False))
    credit_where = (
        *_credit(team_id, start, end),
        Ask.channel_is_private.is_(False),
        Ask.channel_id.is_not(None),
    )
    # Both ends of every public act, each with the act's channel.
    ends = union_all(
        *(
            select(person.label("person"), Kudos.channel_id.label("channel"))
            .join(KudosRecipient, KudosRecipient.kudos_id == Kudos.id)
            .where(*kudos_where)
            for person in (KudosRecipient.recipient_id, Kudos.giver_id)
        ),
        *(
            select(person.label("person"), Ask.channel_id.label("channel"))
            .select_from(AskHelper)
            .join(Ask, Ask.id == AskHelper.ask_id)
            .where(*credit_where)
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
    rows = connection.execute(select(ranked.c.person, ranked.c.name).where(ranked.c.place == 1))
    return {str(person): str(group) for person, group in rows}
