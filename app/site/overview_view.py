"""The overview page's figures: each one's series, its recent value and its trend (pure)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from markupsafe import Markup

from app.insights.model import Overview, WeekFigures
from app.site import formats
from app.site.sparkline import sparkline

# A trend compares the last complete weeks with as many weeks before them; the current week is
# not over, so it is drawn but never compared.
TREND_WEEKS = 4
# Changes smaller than this (a share of the earlier value, or of a percentage point for shares)
# read as "steady": a week's noise is not a trend.
STEADY = 0.05

Kind = Literal["count", "share", "duration"]


@dataclass(frozen=True)
class Figure:
    """One of the five overview figures: how to read it from a week and how to show it."""

    key: str
    label: str
    kind: Kind
    higher_is_better: bool
    read: Callable[[WeekFigures], float | None]


FIGURES: tuple[Figure, ...] = (
    Figure("kudos", "Kudos given", "count", True, lambda w: float(w.kudos_given)),
    Figure("asks", "Asks posted", "count", True, lambda w: float(w.asks_posted)),
    Figure(
        "answered",
        "Answered within a working day",
        "share",
        True,
        lambda w: w.answered_within_a_working_day,
    ),
    Figure(
        "median",
        "Median time to first answer",
        "duration",
        False,
        lambda w: (
            None
            if w.median_time_to_first_answer is None
            else w.median_time_to_first_answer.total_seconds()
        ),
    ),
    Figure("resolved", "Resolved with credit", "share", True, lambda w: w.resolved_with_credit),
)


@dataclass(frozen=True)
class Trend:
    """How a figure moved: `direction` up, down or steady, and whether that is good news."""

    direction: Literal["up", "down", "steady"]
    text: str
    good: bool | None


@dataclass(frozen=True)
class FigureCard:
    """What the page shows for one figure."""

    label: str
    value: str
    window: str
    trend: Trend | None
    spark: Markup
    # The current week, not over yet: shown beside the figure, never compared.
    so_far: str


def window_value(figure: Figure, weeks: Sequence[WeekFigures]) -> float | None:
    """Return the figure over several weeks: counts add up, shares are weighted by the asks
    they are shares of, and a median time is the mean of the weekly medians."""
    values = [(figure.read(w), w.asks_posted) for w in weeks]
    present = [(v, n) for v, n in values if v is not None]
    if figure.kind == "count":
        return sum(v for v, _ in present)
    if not present:
        return None
    if figure.kind == "share":
        asks = sum(n for _, n in present)
        return sum(v * n for v, n in present) / asks if asks else None
    return sum(v for v, _ in present) / len(present)


def shown(figure: Figure, value: float | None) -> str:
    """Return `value` of `figure` as the page prints it."""
    if figure.kind == "count":
        return formats.count(value or 0)
    if figure.kind == "share":
        return formats.share(value)
    if value is None:
        return "—"
    return formats.duration(timedelta(seconds=value))


def trend(figure: Figure, recent: float | None, before: float | None) -> Trend | None:
    """Return how `figure` moved from `before` to `recent`, or None when either is missing."""
    if recent is None or before is None:
        return None
    if figure.kind == "share":
        change = recent - before
        steady = abs(change) < STEADY
        text = f"{abs(round(change * 100))} points"
    elif before == 0:
        if recent == 0:
            return Trend("steady", "steady", None)
        change, steady, text = recent, False, "from none"
    else:
        change = (recent - before) / before
        steady = abs(change) < STEADY
        text = f"{abs(round(change * 100))}%"
    if steady:
        return Trend("steady", "steady", None)
    up = change > 0
    return Trend("up" if up else "down", text, up == figure.higher_is_better)


def cards(overview: Overview) -> tuple[FigureCard, ...]:
    """Return the five figure cards: the last `TREND_WEEKS` complete weeks, their trend against
    the weeks before, and a sparkline of every week."""
    complete = overview.weeks[:-1]
    recent = complete[-TREND_WEEKS:]
    before = complete[-2 * TREND_WEEKS : -TREND_WEEKS]
    result = []
    for figure in FIGURES:
        now_value = window_value(figure, recent) if recent else None
        then_value = window_value(figure, before) if len(before) == TREND_WEEKS else None
        series = [figure.read(w) for w in overview.weeks]
        result.append(
            FigureCard(
                label=figure.label,
                value=shown(figure, now_value),
                window=f"last {len(recent)} complete weeks",
                trend=trend(figure, now_value, then_value),
                spark=sparkline(series, f"{figure.label}, week by week"),
                so_far=shown(figure, series[-1]) if series else "—",
            )
        )
    return tuple(result)


@dataclass(frozen=True)
class WeekRow:
    """One row of the overview's table, newest week first."""

    week: str
    current: bool
    cells: tuple[str, ...]


def rows(overview: Overview) -> tuple[WeekRow, ...]:
    """Return the table's rows, newest week first; the current week is marked as so far."""
    last = len(overview.weeks) - 1
    return tuple(
        WeekRow(
            week=formats.day(w.week_start),
            current=index == last,
            cells=tuple(shown(f, f.read(w)) for f in FIGURES),
        )
        for index, w in reversed(list(enumerate(overview.weeks)))
    )
