"""Private stand-ins for insights modules that other branches of issue 20 write (overview, topics,
people, exports, the picture): installed only while a module is absent, so the site's tests run
before those land and use the real modules as soon as they do."""

from __future__ import annotations

import importlib.util
import sys
import types
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.calendar import zone
from app.insights.model import (
    OVERVIEW_WEEKS,
    HelpNetwork,
    Overview,
    People,
    Topics,
    WeekFigures,
)
from app.insights.periods import last_weeks, workspace_zone_name
from app.store.models import Ask, Kudos


def _overview(session: Session, team_id: str, now: datetime) -> Overview:
    period = last_weeks(session, team_id, OVERVIEW_WEEKS, now)
    tz = zone(workspace_zone_name(session, team_id))
    weeks = []
    start = period.start
    for _ in range(OVERVIEW_WEEKS):
        end = min(start + timedelta(days=7), now)
        kudos = session.scalar(
            select(func.count()).where(
                Kudos.team_id == team_id,
                Kudos.created_at >= start,
                Kudos.created_at < end,
                Kudos.undone_at.is_(None),
                Kudos.revoked_at.is_(None),
            )
        )
        asks = session.scalar(
            select(func.count()).where(
                Ask.team_id == team_id, Ask.created_at >= start, Ask.created_at < end
            )
        )
        weeks.append(
            WeekFigures(start.astimezone(tz).date(), kudos or 0, asks or 0, None, None, None)
        )
        start = start + timedelta(days=7)
    return Overview(tuple(weeks))


def _module(name: str, **attributes: Any) -> None:
    module = types.ModuleType(name)
    module.__dict__.update(attributes, STANDIN=True)
    sys.modules[name] = module


def in_use(name: str) -> bool:
    """Whether `name` is one of these stand-ins rather than the real module."""
    return bool(getattr(sys.modules.get(name), "STANDIN", False))


def install() -> None:
    """Put a stand-in in `sys.modules` for each of the insights modules that does not exist."""

    def missing(name: str) -> bool:
        return name not in sys.modules and importlib.util.find_spec(name) is None

    if missing("app.insights.overview"):
        _module("app.insights.overview", overview=_overview)
    if missing("app.insights.topics"):
        _module("app.insights.topics", topics=lambda s, t, period: Topics(period, ()))
    if missing("app.insights.people"):
        _module(
            "app.insights.people",
            people=lambda s, t, period, now: People(period, (), (), ()),
        )
    if missing("app.insights.exports"):
        tables = ("overview", "network", "topics", "helpers", "unsung", "waiting")
        _module(
            "app.insights.exports",
            EXPORT_TABLES=tables,
            csv_export=lambda s, t, table, p, now: f"{table}\r\n" if table in tables else None,
        )
    if missing("app.insights.layout"):
        _module("app.insights.layout", bridges=lambda network: ())
    if missing("app.insights.picture"):

        def render(network: HelpNetwork, fmt: str, *, caption: str | None = None) -> bytes:
            return b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"></svg>'

        _module("app.insights.picture", render=render)
