"""Each insights page drawn whole for a visitor: its data read, its view built, its HTML rendered.

Plain functions of a `Session`, the `Visitor` and `now` (no request, no event loop), so routes,
tests and benchmarks draw a page the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from starlette.responses import Response

from app.insights.model import PERIOD_WEEKS, Period
from app.site import network_view, overview_view, readers
from app.site.pages import message, page
from app.site.security import PICTURE_POLICY, secure
from app.site.visitors import Visitor, unranked


def overview_page(session: Session, visitor: Visitor, now: datetime) -> Response:
    """Return the overview: the five figures' cards and the week-by-week table."""
    data = readers.read_overview(session, visitor.team_id, now)
    return page(
        "overview.html",
        visitor=visitor,
        nav="overview",
        cards=overview_view.cards(data),
        figures=overview_view.FIGURES,
        rows=overview_view.rows(data),
    )


def network_page(session: Session, visitor: Visitor, now: datetime, weeks: int) -> Response:
    """Return the help network page of the last `weeks` weeks: the picture (by URL), the
    strongest links, the bridges and the groups."""
    data = readers.read_network(session, visitor.team_id, weeks, now)
    hidden = unranked(session, visitor.team_id)
    return period_page(
        "network.html",
        visitor,
        weeks,
        data.period,
        people=data.people_in_period,
        links=data.links_in_period,
        strongest=network_view.strongest(data, hidden),
        bridges=network_view.strongest(data, hidden, readers.bridges_of(data)),
        groups=network_view.groups(data),
    )


def period_page(
    template: str, visitor: Visitor, weeks: int, period: Period, **context: Any
) -> Response:
    """Return a page over a chosen period (`template` is also its place in the navigation), with
    the period picker the three such pages share."""
    return page(
        template,
        visitor=visitor,
        nav=template.removesuffix(".html"),
        weeks=weeks,
        periods=PERIOD_WEEKS,
        period=period,
        **context,
    )


def network_picture(session: Session, visitor: Visitor, now: datetime, weeks: int) -> Response:
    """Return the help network of the last `weeks` weeks as an SVG picture."""
    data = readers.read_network(session, visitor.team_id, weeks, now)
    svg = readers.picture(data, "svg")
    return secure(Response(svg, media_type="image/svg+xml"), policy=PICTURE_POLICY)


def topics_page(session: Session, visitor: Visitor, now: datetime, weeks: int) -> Response:
    """Return asked versus offered per topic over the last `weeks` weeks, gaps first."""
    data = readers.read_topics(session, visitor.team_id, weeks, now)
    return period_page(
        "topics.html",
        visitor,
        weeks,
        data.period,
        rows=data.rows,
        gaps=sum(1 for row in data.rows if row.asked and not row.offered_by),
    )


def people_page(session: Session, visitor: Visitor, now: datetime, weeks: int) -> Response:
    """Return the people page (the caller checks the visitor is an admin)."""
    data = readers.read_people(session, visitor.team_id, weeks, now)
    return period_page(
        "people.html",
        visitor,
        weeks,
        data.period,
        data=data,
        tables=readers.export_tables(),
    )


def csv_download(
    session: Session, visitor: Visitor, now: datetime, table: str, weeks: int
) -> Response:
    """Return one table as a CSV download (the caller checks the visitor is an admin), or a
    404 page naming the tables there are."""
    text = readers.read_csv(session, visitor.team_id, table, weeks, now)
    if text is None:
        return message(
            404,
            "No such table",
            "The tables you can download are: " + ", ".join(readers.export_tables()) + ".",
            visitor=visitor,
        )
    response = Response(text, media_type="text/csv; charset=utf-8")
    name = f"reciprocity-{table}-{weeks}w.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return secure(response)
