"""Whether the people who thanked or helped each other this week had ever done so before it: the
digest's one look into history, asked only about this week's pairs, in one statement."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, String, column, literal, or_, select, text

from app.digest.week_rows import Window
from app.store.models import AskHelper, Kudos, KudosRecipient

USER = String(32)


def pair(one: str, other: str) -> tuple[str, str]:
    """The two people in a fixed order, so that (a, b) and (b, a) are one pair."""
    return (one, other) if one < other else (other, one)


def met_before(
    connection: Connection, window: Window, pairs: set[tuple[str, str]]
) -> set[tuple[str, str]]:
    """The pairs among `pairs` with any live kudos or credited help between them before the week.

    One statement for all the pairs, sent as one parameter: for each pair, up to four index
    probes (a thanked b, b thanked a, a helped b, b helped a), the database stopping at the first
    that finds something, so a pair that met long ago (most of a team's) costs one probe.
    """
    if not pairs:
        return set()
    wanted = _pairs_table(connection, sorted(pairs))
    a, b = wanted.c.a, wanted.c.b
    probes = [
        _thanked_before(window, a, b),
        _thanked_before(window, b, a),
        _helped_before(window, a, b),
        _helped_before(window, b, a),
    ]
    found = select(a, b).where(or_(*(probe.is_not(None) for probe in probes)))
    return {(first, second) for first, second in connection.execute(found).all()}


def _pairs_table(connection: Connection, pairs: Sequence[tuple[str, str]]) -> Any:
    """A CTE of (a, b) rows from one bound parameter however many pairs: arrays through
    `unnest` on PostgreSQL, a JSON array through `json_each` on SQLite (`app.store.among` does
    the same for one column)."""
    if connection.dialect.name == "postgresql":
        source = text(
            "SELECT a, b FROM unnest(CAST(:firsts AS varchar[]), CAST(:seconds AS varchar[]))"
            " AS pairs(a, b)"
        ).bindparams(firsts=[a for a, _ in pairs], seconds=[b for _, b in pairs])
    else:
        source = text(
            "SELECT json_extract(value, '$[0]') AS a, json_extract(value, '$[1]') AS b"
            " FROM json_each(:pairs)"
        ).bindparams(pairs=json.dumps(list(pairs)))
    return source.columns(column("a", USER), column("b", USER)).cte("wanted")


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
