"""CSV exports: each table, read back by a CSV reader; formulas defused; privacy as on the pages."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from app.insights.exports import EXPORT_TABLES, FORMER_MEMBER, cell, csv_export
from app.insights.model import Period
from app.store.db import SessionFactory, transaction
from tests.insights.rows import NOW, THIS_WEEK, ask, kudos, offer

PERIOD = Period(1, THIS_WEEK, NOW)
HOUR = timedelta(hours=1)
HOSTILE = '=HYPERLINK("http://evil.example","click"), then\n"quotes" and @here'


def read(text: str | None) -> list[list[str]]:
    assert text is not None
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (3, "3"),
        (0.5, "0.5000"),
        (timedelta(minutes=90), "1.50"),
    ],
)
def test_cells(value: object, shown: str) -> None:
    assert cell(value) == shown


def test_unknown_table(sessions: SessionFactory) -> None:
    with sessions() as session:
        assert csv_export(session, "T1", "members", PERIOD, NOW) is None


def test_every_table_has_a_header_on_an_empty_workspace(sessions: SessionFactory) -> None:
    with sessions() as session:
        for table in EXPORT_TABLES:
            rows = read(csv_export(session, "T1", table, PERIOD, NOW))
            assert rows[0], table
            expected = 1 + (12 if table == "overview" else 0)
            assert len(rows) == expected, table


def test_hostile_text_round_trips_defused(sessions: SessionFactory) -> None:
    with transaction(sessions) as session:
        ask(session, "UANA", THIS_WEEK, text=HOSTILE, topics=["=cmd|' /C calc'!A0"])
    with sessions() as session:
        waiting = read(csv_export(session, "T1", "waiting", PERIOD, NOW))
        topics = read(csv_export(session, "T1", "topics", PERIOD, NOW))
    assert waiting[0] == [
        "ask_id",
        "asker_id",
        "asker",
        "topics",
        "text",
        "asked_at",
        "waiting_hours",
    ]
    assert waiting[1][1:5] == ["UANA", "Ana", "'=cmd|' /C calc'!A0", "'" + HOSTILE]
    assert waiting[1][5] == THIS_WEEK.isoformat()
    assert float(waiting[1][6]) == (NOW - THIS_WEEK).total_seconds() / 3600
    assert topics[1] == ["'=cmd|' /c calc'!a0", "1", "0", ""]


def test_private_text_and_former_members_never_appear(sessions: SessionFactory) -> None:
    at = THIS_WEEK + HOUR
    with transaction(sessions) as session:
        ask(session, "UBEN", THIS_WEEK, text="my private worry", private=True, topics=["python"])
        kudos(session, "UANA", ["UGONE"], at)
        kudos(session, "UERASED", ["UCAT"], at)
        kudos(session, "UANA", ["UBEN"], at)
        offer(session, "UGONE", "python")
    with sessions() as session:
        exported = {t: csv_export(session, "T1", t, PERIOD, NOW) or "" for t in EXPORT_TABLES}
    everything = "".join(exported.values())
    assert "my private worry" not in everything
    assert "Gone" not in everything
    assert "UGONE" not in everything
    assert "UERASED" not in everything
    network = read(exported["network"])
    assert network == [
        ["helper_id", "helper", "helped_id", "helped", "kudos", "answers"],
        ["UBEN", "Ben", "UANA", "Ana", "1", "0"],
        ["UCAT", "Cat", "", FORMER_MEMBER, "1", "0"],
        ["", FORMER_MEMBER, "UANA", "Ana", "1", "0"],
    ]
    waiting = read(exported["waiting"])
    assert waiting[1][2:5] == ["Ben", "python", ""]


def test_overview_and_people_tables(sessions: SessionFactory) -> None:
    with transaction(sessions) as session:
        kudos(session, "UANA", ["UBEN"], THIS_WEEK + HOUR)
        ask(session, "UANA", THIS_WEEK, answered=("UCAT", THIS_WEEK + HOUR), credited=["UCAT"])
    with sessions() as session:
        overview = read(csv_export(session, "T1", "overview", PERIOD, NOW))
        helpers = read(csv_export(session, "T1", "helpers", PERIOD, NOW))
        unsung = read(csv_export(session, "T1", "unsung", PERIOD, NOW))
    assert overview[-1] == ["2026-11-02", "1", "1", "1.0000", "1.00", "1.0000"]
    assert overview[1] == ["2026-08-17", "0", "0", "", "", ""]
    assert helpers[1:] == [["UBEN", "Ben", "1", "1"], ["UCAT", "Cat", "1", "1"]]
    assert unsung == [["user_id", "name", "answers"]]
