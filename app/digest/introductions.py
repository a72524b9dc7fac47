"""The week's introductions for the digest: who put whom in touch, read in one indexed range.

An introduction belongs to the week in which both people accepted it (`connected_at`, read
through the index on introductions(team_id, connected_at)); one still waiting, declined or
expired is nobody's news. The digest names the connector and the two people (both accepted, and
the connector's work is what the line celebrates) and never quotes the reason, which was written
for the two of them, wherever the `/intro` was typed.

Forgotten people (`reciprocity forget`) are never named. An introduction of someone forgotten is
left out altogether, listed nowhere and counted nowhere, as forgetting erases a person's place in
other people's records; one made by someone forgotten still belongs to the two it connected, and
names no connector. Deactivated people keep their history and their names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.digest.contents import Introduced
from app.digest.week_rows import Directory, Window
from app.store.models import Introduction
from app.store.statuses import IntroStatus


@dataclass(frozen=True)
class IntroRow:
    """An introduction connected in the window: who made it, the two people, and when."""

    intro_id: int
    connector_id: str
    first_id: str
    second_id: str
    at: datetime


def read_introductions(session: Session, window: Window) -> list[IntroRow]:
    """Introductions connected in the window, oldest first (index: team_id, connected_at)."""
    query = (
        select(
            Introduction.id,
            Introduction.connector_id,
            Introduction.first_id,
            Introduction.second_id,
            Introduction.connected_at,
        )
        .where(
            Introduction.team_id == window.team_id,
            Introduction.connected_at >= window.start,
            Introduction.connected_at < window.until,
            Introduction.status == IntroStatus.CONNECTED,
        )
        .order_by(Introduction.connected_at, Introduction.id)
    )
    return [
        IntroRow(intro_id, connector, first, second, at)
        for intro_id, connector, first, second, at in session.execute(query)
        if at is not None  # always so: the range bounds it; this tells the type checker
    ]


def people_in(rows: Sequence[IntroRow]) -> set[str]:
    """Everyone the week's introductions involve: connectors and the people they introduced."""
    return {person for row in rows for person in (row.connector_id, row.first_id, row.second_id)}


def introduced(rows: Sequence[IntroRow], people: Directory) -> tuple[Introduced, ...]:
    """The introductions the digest may show, oldest first, with names and no reason; those of
    a forgotten person are left out, and a forgotten connector is not named."""
    found = []
    for row in rows:
        if row.first_id in people.forgotten or row.second_id in people.forgotten:
            continue
        connector = None if row.connector_id in people.forgotten else row.connector_id
        found.append(
            Introduced(
                connector_id=connector,
                connector_name=_name(people, connector) if connector else "",
                first_id=row.first_id,
                first_name=_name(people, row.first_id),
                second_id=row.second_id,
                second_name=_name(people, row.second_id),
                at=row.at,
            )
        )
    return tuple(found)


def _name(people: Directory, user: str) -> str:
    """`user`'s name; as elsewhere in the digest, their id if the directory lacks them."""
    return people.names.get(user, user)
