"""The insights data the pages read, in one place: each a call into `app.insights`.

Every reader takes the workspace from the caller's signed-in session, never from the request.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from app.insights.exports import EXPORT_TABLES, csv_export
from app.insights.model import DRAWN_PEOPLE, HelpNetwork, NetworkLink, Overview, People, Topics
from app.insights.network import help_network
from app.insights.overview import overview
from app.insights.people import people
from app.insights.periods import last_weeks
from app.insights.topics import topics


def read_overview(session: Session, team_id: str, now: datetime) -> Overview:
    """Return the overview's weeks for the workspace."""
    return overview(session, team_id, now)


def read_network(session: Session, team_id: str, weeks: int, now: datetime) -> HelpNetwork:
    """Return who helped whom in the `weeks` local weeks up to `now`."""
    period = last_weeks(session, team_id, weeks, now)
    network = help_network(session, team_id, period.start, period.end, most=DRAWN_PEOPLE)
    # help_network knows only the instants; the page names the period by its weeks.
    return replace(network, period=period)


def read_topics(session: Session, team_id: str, weeks: int, now: datetime) -> Topics:
    """Return asked versus offered per topic over the `weeks` local weeks up to `now`."""
    return topics(session, team_id, last_weeks(session, team_id, weeks, now))


def read_people(session: Session, team_id: str, weeks: int, now: datetime) -> People:
    """Return the people page's three lists over the `weeks` local weeks up to `now`."""
    return people(session, team_id, last_weeks(session, team_id, weeks, now), now)


def read_csv(session: Session, team_id: str, table: str, weeks: int, now: datetime) -> str | None:
    """Return one table as CSV text, or None when no table has that name."""
    if table not in EXPORT_TABLES:
        return None
    return csv_export(session, team_id, table, last_weeks(session, team_id, weeks, now), now)


def export_tables() -> tuple[str, ...]:
    """Return the names of the tables an admin may download."""
    return EXPORT_TABLES


def bridges_of(network: HelpNetwork) -> tuple[NetworkLink, ...]:
    """Return the links of `network` between groups that rarely meet."""
    # Imported here, as the digest does: networkx and matplotlib cost a good part of a second to
    # load, which every command that imports the web app (and never draws) would pay.
    from app.insights.layout import bridges

    return bridges(network)


def picture(network: HelpNetwork, fmt: Literal["svg", "png"]) -> bytes:
    """Return the help-network picture of `network` in `fmt`."""
    from app.insights.picture import render

    return render(network, fmt)
