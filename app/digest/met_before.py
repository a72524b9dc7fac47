"""The week's new pairs: people who thanked or helped each other this week and had never done so
before it. The digest's one look into history, asked only about this week's pairs, in one
statement that also finds the pairs, so they never travel to Python and back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, case, func, literal, select, union
from sqlalchemy.sql.elements import ColumnElement

from app.digest.week_rows import Window, credit_in, kudos_in
from app.store.models import Ask, AskHelper, Kudos, KudosRecipient


def pair(one: str, other: str) -> tuple[str, str]:
    """The two people in a fixed order, so that (a, b) and (b, a) are one pair."""
    return (one, other) if one < other else (other, one)


def new_pairs(connection: Connection, window: Window) -> set[tuple[str, str]]:
    """The pairs (in `pair` order) who thanked or helped each other in the window, as
    `read_kudos` and `read_help` read it, with no live kudos or credited help between them
    before the window began.

    One statement: the week's distinct pairs, then for each up to four index probes (a thanked
    b, b thanked a, a helped b, b helped a), the database stopping at the first that finds
    something, so a pair that met long ago (most of a team's) costs one probe. Only the new
    pairs come back: few over a long history.
    """
    query = new_pairs_query(window, connection.dialect.name)
    return {(first, second) for first, second in connection.execute(query).all()}


def new_pairs_query(window: Window, dialect: str) -> Select[str, str]:
    """`new_pairs`'s statement on `dialect` ("sqlite" or "postgresql")."""
    postgresql = dialect == "postgresql"
    thanked = _ordered(Kudos.giver_id, KudosRecipient.recipient_id, postgresql)
    helped = _ordered(AskHelper.helper_id, Ask.asker_id, postgresql)
    week = union(
        select(*thanked)
        .select_from(KudosRecipient)
        .join(Kudos, Kudos.id == KudosRecipient.kudos_id)
        .where(*kudos_in(window)),
        select(*helped)
        .select_from(AskHelper)
        .join(Ask, Ask.id == AskHelper.ask_id)
        .where(*credit_in(window)),
    ).cte("week_pairs")
    a, b = week.c.a, week.c.b
    probes = [
        _thanked_before(window, a, b),
        _thanked_before(window, b, a),
        _helped_before(window, a, b),
        _helped_before(window, b, a),
    ]
    # One expression, not four conditions: PostgreSQL orders a WHERE's conditions by their cost
    # (the credit probes first), where COALESCE asks in this order and stops at the first found.
    return select(a, b).where(func.coalesce(*probes).is_(None))


def _ordered(one: Any, other: Any, postgresql: bool) -> tuple[ColumnElement[Any], ...]:
    """`one` and `other` as a pair's (a, b), ordered as `pair` orders them in Python: by code
    point, which is byte order in UTF-8 (SQLite's default; PostgreSQL's "C" collation, whatever
    the database's own)."""
    first, second = (one.collate("C"), other.collate("C")) if postgresql else (one, other)
    before = first < second
    return (
        case((before, one), else_=other).label("a"),
        case((before, other), else_=one).label("b"),
    )


# Each probe is a scalar subquery with LIMIT 1, run for a wanted pair only if the probes before
# it found nothing: the repeated giver on kudos_recipients (index team, giver, recipient) and
# asker on ask_helpers (index team, helper, asker) make it one index probe, whatever the length
# of either person's history. A scalar subquery, unlike EXISTS, cannot be turned into a hash of
# the whole history, which would cost the history's size.


def _thanked_before(window: Window, giver: Any, recipient: Any) -> Any:
    """Whether `giver` gave `recipient` a live kudos before the week."""
    return (
        select(literal(1))
        .select_from(KudosRecipient)
        .join(Kudos, Kudos.id == KudosRecipient.kudos_id)
        .where(
            KudosRecipient.team_id == window.team_id,
            KudosRecipient.giver_id == giver,
            KudosRecipient.recipient_id == recipient,
            Kudos.created_at < window.start,
            Kudos.undone_at.is_(None),
        )
        .limit(1)
        .scalar_subquery()
    )


def _helped_before(window: Window, helper: Any, asker: Any) -> Any:
    """Whether `helper` was credited on an ask by `asker` before the week."""
    return (
        select(literal(1))
        .select_from(AskHelper)
        .where(
            AskHelper.team_id == window.team_id,
            AskHelper.helper_id == helper,
            AskHelper.asker_id == asker,
            AskHelper.credited_at < window.start,
        )
        .limit(1)
        .scalar_subquery()
    )
