"""All of the site's routes, for `app.web` to mount: pages, sign-in, and its two static files."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from app.runtime import Runtime
from app.site.guard import Site
from app.site.insight_routes import insight_routes
from app.site.oidc_routes import oidc_routes
from app.site.pages import STATIC, message
from app.site.security import secure
from app.site.signin_routes import signin_routes

# Static files are read once: they change only with a new release.
_STATIC_FILES = {
    "site.css": ("text/css; charset=utf-8", (STATIC / "site.css").read_bytes()),
    "icon.svg": ("image/svg+xml", (STATIC / "icon.svg").read_bytes()),
}


def site_routes(runtime: Runtime) -> list[BaseRoute]:
    """Return every route under /insights, served from `runtime`'s store and clock."""
    site = Site(runtime)
    routes: list[BaseRoute] = [*signin_routes(site), *insight_routes(site)]
    if site.slack_signin:
        # Sign in with Slack (OpenID Connect): its pages open sessions through the same door.
        routes += [
            Route(route.path, _secured(route.endpoint), methods=route.methods)
            for route in oidc_routes(runtime, site.start_session)
        ]
    routes += [
        Route("/insights/static/{name}", _static, methods=["GET"]),
        Route("/insights/{rest:path}", _not_found, methods=["GET", "POST"]),
    ]
    return routes


def _secured(endpoint: Callable[[Request], Response]) -> Callable[[Request], Response]:
    """`endpoint` with the site's security headers on its every answer."""

    def answer(request: Request) -> Response:
        return secure(endpoint(request))

    return answer


async def _static(request: Request) -> Response:
    found = _STATIC_FILES.get(str(request.path_params["name"]))
    if found is None:
        return message(404, "Not found", "There is no such file.")
    media_type, body = found
    response = secure(Response(body, media_type=media_type), private=False)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


async def _not_found(_: Request) -> Response:
    return message(404, "Not found", "There is no such page. The overview is at /insights.")
