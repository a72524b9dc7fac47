"""The whole-week periods the insights pages cover, in the workspace's time zone."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calendar import week_start, zone
from app.insights.model import DEFAULT_PERIOD_WEEKS, PERIOD_WEEKS, Period
from app.store.models import Workspace


def period_weeks(raw: str | None) -> int:
    """Return the period a reader asked for (`?weeks=`), or the default when it is not offered."""
    # str.isdigit() accepts digits int() refuses (superscripts such as "¹"): ASCII only.
    if raw is not None and raw.isascii() and raw.isdigit() and int(raw) in PERIOD_WEEKS:
        return int(raw)
    return DEFAULT_PERIOD_WEEKS


def workspace_zone_name(session: Session, team_id: str) -> str:
    """Return the workspace's IANA time zone name (UTC when it has none)."""
    name = session.scalar(select(Workspace.timezone).where(Workspace.team_id == team_id))
    return name or "UTC"


def last_weeks(session: Session, team_id: str, weeks: int, now: datetime) -> Period:
    """Return the `weeks` local weeks that end with the current one, up to `now`."""
    tz = zone(workspace_zone_name(session, team_id))
    current = week_start(now, tz)
    # Step back from local noon so a DST change inside the span does not shift a Monday.
    noon = (current + timedelta(hours=12)).astimezone(tz)
    start = week_start(noon - timedelta(weeks=weeks - 1), tz)
    return Period(weeks=weeks, start=start, end=now)
