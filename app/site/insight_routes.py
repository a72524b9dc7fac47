"""The insights pages' routes: each reads its period and hands the page to the site's door."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.insights.periods import period_weeks
from app.site import insight_pages
from app.site.guard import Site
from app.site.visitors import Visitor

PeriodPage = Callable[[Session, Visitor, datetime, int], Response]


def insight_routes(site: Site) -> list[Route]:
    """Return the routes of the insights pages of `site`."""

    def over_a_period(
        draw: PeriodPage, *, admin: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            weeks = weeks_asked(request)
            return await site.serve(request, partial(_with_weeks, draw, weeks), admin=admin)

        return endpoint

    async def overview(request: Request) -> Response:
        return await site.serve(request, insight_pages.overview_page)

    async def export(request: Request) -> Response:
        table = str(request.path_params["table"])
        weeks = weeks_asked(request)

        def draw(session: Session, visitor: Visitor, now: datetime) -> Response:
            return insight_pages.csv_download(session, visitor, now, table, weeks)

        return await site.serve(request, draw, admin=True)

    return [
        Route("/insights", overview, methods=["GET"]),
        Route("/insights/network", over_a_period(insight_pages.network_page), methods=["GET"]),
        Route(
            "/insights/network.svg", over_a_period(insight_pages.network_picture), methods=["GET"]
        ),
        Route("/insights/topics", over_a_period(insight_pages.topics_page), methods=["GET"]),
        Route(
            "/insights/people",
            over_a_period(insight_pages.people_page, admin=True),
            methods=["GET"],
        ),
        Route("/insights/export/{table}.csv", export, methods=["GET"]),
    ]


def weeks_asked(request: Request) -> int:
    """Return the period the request asks for (`?weeks=`), or the default for anything else."""
    return period_weeks(request.query_params.get("weeks"))


def _with_weeks(
    draw: PeriodPage, weeks: int, session: Session, visitor: Visitor, now: datetime
) -> Response:
    return draw(session, visitor, now, weeks)
