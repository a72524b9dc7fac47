"""The week's new pairs in one statement: found from the week's own rows, in the order Python
pairs them, and probed into history in the order written (PostgreSQL keeps that order)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection

from app.digest.met_before import new_pairs, new_pairs_query, pair
from app.digest.week_rows import Window
from app.store.db import SessionFactory, transaction
from tests.digest.test_compose import BEFORE, END, MID, START, ask, kudos
from tests.digest.test_compose import sessions as sessions  # the fixture, used by name

WEEK = Window("T1", START, END)


@pytest.fixture
def connection(sessions: SessionFactory) -> Iterator[Connection]:
    with sessions() as session:
        yield session.connection()


def test_pairs_are_ordered_as_python_orders_them_and_found_once(sessions: SessionFactory) -> None:
    with transaction(sessions) as session:
        # Byte order, not a human one: digits before capitals, "U10" before "U9".
        kudos(session, "U9", ["U10"], MID)
        kudos(session, "UZED", ["UANA", "U9"], MID)
        ask(session, "UANA", "again, by credit", MID, helpers=["UZED"], resolved=MID)
        kudos(session, "UBEN", ["UCAT"], BEFORE)
        kudos(session, "UCAT", ["UBEN"], MID)  # met before, the other way round
        found = new_pairs(session.connection(), WEEK)
    assert found == {pair("U9", "U10"), pair("UZED", "UANA"), pair("UZED", "U9")}
    assert found == {("U10", "U9"), ("UANA", "UZED"), ("U9", "UZED")}


def test_postgresql_probes_credit_only_for_pairs_no_kudos_settled(
    sessions: SessionFactory, connection: Connection
) -> None:
    if connection.dialect.name != "postgresql":
        pytest.skip("PostgreSQL reorders a WHERE's conditions by cost; SQLite keeps them")
    with transaction(sessions) as session:
        for n in range(5):  # pairs that met long ago by kudos, thanking again this week
            kudos(session, f"UA{n}", [f"UB{n}"], BEFORE)
            kudos(session, f"UA{n}", [f"UB{n}"], MID)
    query = new_pairs_query(WEEK, "postgresql").compile(dialect=connection.dialect)
    [[plan]] = connection.exec_driver_sql(
        "EXPLAIN (ANALYZE, FORMAT JSON) " + str(query), query.params
    ).one()
    loops = _probe_loops(plan["Plan"])
    # The first probe (a thanked b) settles every pair; the credit probes never run.
    assert loops["kudos_recipients"] == [5, 0]
    assert loops["ask_helpers"] == [0, 0]


def _probe_loops(node: dict[str, Any]) -> dict[str, list[int]]:
    """For each table the probes read, how often each probe reading it ran, in plan order."""
    found: dict[str, list[int]] = {}
    for child in node.get("Plans", []):
        if child.get("Parent Relationship") == "SubPlan":
            table = _first_table(child)
            found.setdefault(table, []).append(int(child["Actual Loops"]))
        else:
            for table, loops in _probe_loops(child).items():
                found.setdefault(table, []).extend(loops)
    return found


def _first_table(node: dict[str, Any]) -> str:
    """The first table a plan node reads."""
    if "Relation Name" in node:
        return str(node["Relation Name"])
    return next(_first_table(child) for child in node["Plans"])
