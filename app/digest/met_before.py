"""Whether the people who thanked or helped each other this week had ever done so before it: the
digest's one look into history, asked only about this week's pairs, one index probe per pair."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, column, literal, select, text
from sqlalchemy.orm import Session

from app.digest.week_rows import Window, chunks
from app.store.models import AskHelper, Kudos, KudosRecipient

# Directed pairs per history query (they travel as one parameter).
PAIRS_PER_QUERY = 5_000
USER = String(32)


def pair(one: str, other: str) -> tuple[str, str]:
    """The two people in a fixed order, so that (a, b) and (b, a) are one pair."""
    return (one, other) if one < other else (other, one)


def met_before(
    session: Session, window: Window, pairs: set[tuple[str, str]]
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
            for chunk in chunks(directed, PAIRS_PER_QUERY):
                wanted = _pairs_table(session, chunk)
                found = select(wanted.c.a, wanted.c.b).where(probe(window, wanted).is_not(None))
                met.update(pair(a, b) for a, b in session.execute(found))
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


def _thanked_before(window: Window, wanted: Any) -> Any:
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


def _helped_before(window: Window, wanted: Any) -> Any:
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
