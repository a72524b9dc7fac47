"""CSV exports of the insights tables (admins only), one table per file.

Same privacy as the pages: no text from a private place, and no name of a deactivated or erased
person. Where a person without a name would appear (a network link), the row says "former member"
and leaves their user id out too: in a spreadsheet an id is one Slack search from a name.
Every text cell that a spreadsheet would read as a formula (starting with = + - @, a tab or a
carriage return) gets a leading apostrophe, which spreadsheets show as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.insights.model import Period
from app.insights.network import help_network
from app.insights.overview import overview
from app.insights.people import helpers, unsung, waiting
from app.insights.topics import topics

EXPORT_TABLES: tuple[str, ...] = ("overview", "network", "topics", "helpers", "unsung", "waiting")
FORMER_MEMBER = "former member"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Table = tuple[Sequence[str], Iterable[Sequence[Any]]]


def csv_export(
    session: Session, team_id: str, table: str, period: Period, now: datetime
) -> str | None:
    """Return the CSV text of `table` (one of `EXPORT_TABLES`; the overview covers its own
    twelve weeks up to `now`, the others `period`), or None for an unknown table name."""
    build = _TABLES.get(table)
    if build is None:
        return None
    header, rows = build(session, team_id, period, now)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([cell(value) for value in row] for row in rows)
    return out.getvalue()


def cell(value: Any) -> str:
    """One value as CSV cell text: numbers plainly, durations in hours, instants in ISO 8601
    UTC, text defused against formula injection, None as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, timedelta):
        return f"{value.total_seconds() / 3600:.2f}"
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _overview(session: Session, team_id: str, _period: Period, now: datetime) -> Table:
    header = (
        "week_start",
        "kudos_given",
        "asks_posted",
        "answered_within_a_working_day",
        "median_hours_to_first_answer",
        "resolved_with_credit",
    )
    rows = [
        (
            w.week_start.isoformat(),
            w.kudos_given,
            w.asks_posted,
            w.answered_within_a_working_day,
            w.median_time_to_first_answer,
            w.resolved_with_credit,
        )
        for w in overview(session, team_id, now).weeks
    ]
    return header, rows


def _network(session: Session, team_id: str, period: Period, _now: datetime) -> Table:
    network = help_network(session, team_id, period.start, period.end)
    names = {person.user_id: person.name for person in network.people}

    def who(user: str) -> tuple[str, str]:
        name = names.get(user)
        return (user, name) if name else ("", FORMER_MEMBER)

    header = ("helper_id", "helper", "helped_id", "helped", "kudos", "answers")
    rows = [
        (*who(link.helper_id), *who(link.helped_id), link.kudos, link.answers)
        for link in network.links
    ]
    return header, rows


def _topics(session: Session, team_id: str, period: Period, _now: datetime) -> Table:
    header = ("topic", "asked", "answered", "offered_by")
    rows = [
        (row.topic, row.asked, row.answered, "; ".join(row.offered_by))
        for row in topics(session, team_id, period).rows
    ]
    return header, rows


def _helpers(session: Session, team_id: str, period: Period, _now: datetime) -> Table:
    header = ("user_id", "name", "people_helped", "acts")
    rows = [(h.user_id, h.name, h.people_helped, h.acts) for h in helpers(session, team_id, period)]
    return header, rows


def _unsung(session: Session, team_id: str, period: Period, _now: datetime) -> Table:
    header = ("user_id", "name", "answers")
    return header, [(h.user_id, h.name, h.answers) for h in unsung(session, team_id, period)]


def _waiting(session: Session, team_id: str, _period: Period, now: datetime) -> Table:
    header = ("ask_id", "asker_id", "asker", "topics", "text", "asked_at", "waiting_hours")
    rows = [
        (a.ask_id, a.asker_id, a.asker_name, "; ".join(a.topics), a.text, a.asked_at, a.waiting)
        for a in waiting(session, team_id, now)
    ]
    return header, rows


_TABLES: dict[str, Callable[[Session, str, Period, datetime], Table]] = {
    "overview": _overview,
    "network": _network,
    "topics": _topics,
    "helpers": _helpers,
    "unsung": _unsung,
    "waiting": _waiting,
}
