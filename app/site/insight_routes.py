"""The insights pages: overview, network (and its picture), topics, people, CSV exports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.insights.model import PERIOD_WEEKS
from app.insights.periods import period_weeks
from app.site import network_view, overview_view, readers
from app.site.guard import Site
from app.site.pages import message, page
from app.site.security import PICTURE_POLICY, secure
from app.site.visitors import Visitor, unranked


def insight_routes(site: Site) -> list[Route]:
    """Return the routes of the insights pages of `site`."""

    async def overview(request: Request) -> Response:
        def draw(session: Session, visitor: Visitor, now: datetime) -> Response:
            data = readers.read_overview(session, visitor.team_id, now)
            return page(
                "overview.html",
                visitor=visitor,
                nav="overview",
                cards=overview_view.cards(data),
                figures=overview_view.FIGURES,
                rows=overview_view.rows(data),
            )

        return await site.serve(request, draw)

    async def network(request: Request) -> Response:
        weeks = period_weeks(request.query_params.get("weeks"))

        def draw(session: Session, visitor: Visitor, now: datetime) -> Response:
            data = readers.read_network(session, visitor.team_id, weeks, now)
            hidden = unranked(session, visitor.team_id)
            return page(
                "network.html",
                visitor=visitor,
                nav="network",
                weeks=weeks,
                periods=PERIOD_WEEKS,
                period=data.period,
                people=len(data.people),
                links=len(data.links),
                strongest=network_view.strongest(data, hidden),
                bridges=network_view.link_rows(data, readers.bridges_of(data), hidden),
                groups=network_view.groups(data),
            )

        return await site.serve(request, draw)

    async def picture(request: Request) -> Response:
        weeks = period_weeks(request.query_params.get("weeks"))

        def draw(session: Session, visitor: Visitor, now: datetime) -> Response:
            data = readers.read_network(session, visitor.team_id, weeks, now)
            svg = readers.picture(data, "svg")
            return secure(Response(svg, media_type="image/svg+xml"), policy=PICTURE_POLICY)

        return await site.serve(request, draw)

    async def topics(request: Request) -> Response:
        weeks = period_weeks(request.query_params.get("weeks"))

        def draw(session: Session, visitor: Visitor, now: datetime) -> Response:
            data = readers.read_topics(session, visitor.team_id, weeks, now)
            return page(
                "topics.html",
                visitor=visitor,
                nav="topics",
                weeks=weeks,
                periods=PERIOD_WEEKS,
                period=data.period,
                rows=data.rows,
                gaps=sum(1 for row in data.rows if row.asked and not row.offered_by),
            )

        return await site.serve(request, draw)

    async def people(request: Request) -> Response:
        weeks = period_weeks(request.query_params.get("weeks"))

        def draw(session: Session, visitor: Visitor, now: datetime) -> Response:
            data = readers.read_people(session, visitor.team_id, weeks, now)
            return page(
                "people.html",
                visitor=visitor,
                nav="people",
                weeks=weeks,
                periods=PERIOD_WEEKS,
                period=data.period,
                data=data,
                tables=readers.export_tables(),
            )

        return await site.serve(request, draw, admin=True)

    async def export(request: Request) -> Response:
        table = str(request.path_params["table"])
        weeks = period_weeks(request.query_params.get("weeks"))

        def draw(session: Session, visitor: Visitor, now: datetime) -> Response:
            text = readers.read_csv(session, visitor.team_id, table, weeks, now)
            if text is None:
                return message(
                    404,
                    "No such table",
                    "The tables you can download are: " + ", ".join(readers.export_tables()) + ".",
                    visitor=visitor,
                )
            name = f"reciprocity-{table}-{weeks}w.csv"
            response = Response(text, media_type="text/csv; charset=utf-8")
            response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
            return secure(response)

        return await site.serve(request, draw, admin=True)

    return [
        Route("/insights", overview, methods=["GET"]),
        Route("/insights/network", network, methods=["GET"]),
        Route("/insights/network.svg", picture, methods=["GET"]),
        Route("/insights/topics", topics, methods=["GET"]),
        Route("/insights/people", people, methods=["GET"]),
        Route("/insights/export/{table}.csv", export, methods=["GET"]),
    ]
