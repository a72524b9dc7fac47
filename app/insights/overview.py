"""The overview page: twelve local weeks of kudos, asks and how fast and well asks were answered.

"Answered within a working day" counts working time as the nudges do (`app.asks.working_hours`):
the workspace's working days and hours, in the workspace's time zone (one zone for the whole
page, where nudges use each asker's). An ask counts as answered within a working day when no more
than one working day's hours (the workspace's `work_end_hour - work_start_hour`) of working time
passed between the ask and its first answer. An ask not answered yet counts against the share only
once that much working time has passed; until then it is left out of the share, so a week in
progress is not marked down for asks that still have time.
"""

from __future__ import annotations

import statistics
from bisect import bisect_right
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import Session

from app.asks.working_hours import WorkingHours
from app.calendar import week_start, zone
from app.insights.model import OVERVIEW_WEEKS, Overview, Period, WeekFigures
from app.insights.periods import last_weeks
from app.insights.planner import index_reads
from app.insights.working_time import WorkingClock
from app.store.models import Ask, AskHelper, Kudos, Workspace
from app.store.statuses import AskStatus

# Asks answered a long while after they were made still count: the clock covers this far past now.
_CLOCK_MARGIN_DAYS = 14
# `trend` compares the mean of the last TREND_SPAN measured weeks with the TREND_SPAN before them.
TREND_SPAN = 4


def overview(session: Session, team_id: str, now: datetime) -> Overview:
    """Return the `OVERVIEW_WEEKS` local weeks ending with the current one, oldest first."""
    with index_reads(session):
        workspace = session.get(Workspace, team_id)
        tz = zone(workspace.timezone if workspace else None)
        period = last_weeks(session, team_id, OVERVIEW_WEEKS, now)
        starts = week_starts(period, tz)
        kudos = _kudos_per_week(session, team_id, starts, period.end)
        hours = WorkingHours.of(workspace, None) if workspace else WorkingHours(tz)
        clock = WorkingClock(
            hours,
            period.start.astimezone(tz).date() - timedelta(days=1),
            now.astimezone(tz).date() + timedelta(days=_CLOCK_MARGIN_DAYS),
        )
        asks: list[list[tuple[datetime, datetime | None, bool]]] = [[] for _ in starts]
        for created, answered, credited in _asks(session, team_id, period):
            asks[bisect_right(starts, created) - 1].append((created, answered, credited))
        return Overview(
            tuple(
                _week(start.astimezone(tz).date(), kudos.get(n, 0), asks[n], clock, now)
                for n, start in enumerate(starts)
            )
        )


def trend(values: Sequence[float | int | timedelta | None]) -> float | None:
    """The relative change of the mean of the last `TREND_SPAN` measured values (None skipped)
    against the mean of the `TREND_SPAN` before them (+0.25: a quarter up); None when either
    side has nothing or the earlier mean is 0.

    A week in progress has partial counts: pass complete weeks (`weeks[:-1]`) for counts.
    """
    measured = [
        v.total_seconds() if isinstance(v, timedelta) else float(v) for v in values if v is not None
    ]
    recent, earlier = measured[-TREND_SPAN:], measured[-2 * TREND_SPAN : -TREND_SPAN]
    if not recent or not earlier:
        return None
    before = statistics.fmean(earlier)
    return None if before == 0 else statistics.fmean(recent) / before - 1


def week_starts(period: Period, tz: ZoneInfo) -> list[datetime]:
    """The UTC instants at which each local week of `period` begins, oldest first."""
    first = period.start.astimezone(tz).date()
    return [
        # From local noon, so a DST change never moves the instant into the neighbouring day.
        week_start(datetime.combine(first + timedelta(weeks=n), time(12), tzinfo=tz), tz)
        for n in range(period.weeks)
    ]


def _kudos_per_week(
    session: Session, team_id: str, starts: list[datetime], end: datetime
) -> dict[int, int]:
    """Live kudos given in each week (by its index in `starts`), counted by the database."""
    week = case(
        *[(Kudos.created_at < starts[n + 1], n) for n in range(len(starts) - 1)],
        else_=len(starts) - 1,
    )
    query = (
        select(week, func.count())
        .where(
            Kudos.team_id == team_id,
            Kudos.created_at >= starts[0],
            Kudos.created_at < end,
            Kudos.undone_at.is_(None),
            Kudos.revoked_at.is_(None),
        )
        .group_by(week)
    )
    return {int(n): int(count) for n, count in session.connection().execute(query)}


def _asks(
    session: Session, team_id: str, period: Period
) -> list[tuple[datetime, datetime | None, bool]]:
    """(made, first answered, credited) of the asks made in the period (index: team_id,
    created_at); an ask is credited when someone other than its asker was credited on it."""
    credited = exists().where(AskHelper.ask_id == Ask.id, AskHelper.helper_id != Ask.asker_id)
    query = select(Ask.created_at, Ask.answered_at, credited).where(
        Ask.team_id == team_id,
        Ask.created_at >= period.start,
        Ask.created_at < period.end,
        Ask.status != AskStatus.DISCARDED,
    )
    return [(made, answered, bool(c)) for made, answered, c in session.connection().execute(query)]


def _week(
    start: date,
    kudos: int,
    asks: list[tuple[datetime, datetime | None, bool]],
    clock: WorkingClock,
    now: datetime,
) -> WeekFigures:
    """One week's figures from its kudos count and its asks."""
    waits = sorted(answered - made for made, answered, _ in asks if answered is not None)
    decided = []
    for made, answered, _ in asks:
        spent = clock.between(made, answered or now)
        if answered is not None or spent > clock.day_seconds:
            decided.append(answered is not None and spent <= clock.day_seconds)
    return WeekFigures(
        week_start=start,
        kudos_given=kudos,
        asks_posted=len(asks),
        answered_within_a_working_day=_share(decided),
        median_time_to_first_answer=_median(waits),
        resolved_with_credit=_share([credited for _, _, credited in asks]),
    )


def _median(ordered: list[timedelta]) -> timedelta | None:
    """The median of sorted durations (the mean of the middle two for an even count)."""
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _share(flags: list[bool]) -> float | None:
    """The share of true flags, or None when there are none to count."""
    return sum(flags) / len(flags) if flags else None
