"""The HTTP app: Slack's one request URL, health, metrics and the insights site (Starlette,
served by uvicorn)."""

from __future__ import annotations

import logging

import anyio
import anyio.to_thread
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from slack_bolt import App, BoltRequest, BoltResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from app.runtime import Runtime
from app.site.routes import site_routes
from app.store.db import is_sqlite, ping

log = logging.getLogger(__name__)

# Slack's own payloads are a few kilobytes; anything this large is not from Slack.
MAX_BODY_BYTES = 1_000_000


def dispatch_threads(runtime: Runtime) -> int:
    """How many Slack requests this process works on at once.

    Listeners are mostly Python under one GIL, and on SQLite their writes take turns as well, so
    threads beyond a few only interleave: every switch costs, and at 200 kudos/s 40 threads (the
    default) doubled the ack's p99 against 4 (bench/README.md). The few kept cover the waits
    that do overlap: a Slack look-up on a directory miss, a modal opening, PostgreSQL's round trips.
    """
    return 4 if is_sqlite(runtime.engine) else 8


def create_web_app(
    runtime: Runtime,
    bolt_app: App | None,
    registry: CollectorRegistry | None = None,
    *,
    slack_events: bool = True,
) -> Starlette:
    """Return the ASGI app: health and metrics, Slack's request URL unless `slack_events` is
    False (Socket Mode), the install pages when `bolt_app` runs the OAuth flow, and the insights
    site under /insights."""

    dispatchers = anyio.CapacityLimiter(dispatch_threads(runtime))

    async def events(request: Request) -> Response:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return PlainTextResponse("payload too large", status_code=413)
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return PlainTextResponse("payload too large", status_code=413)
        assert bolt_app is not None
        try:
            # Bolt parses the body as it builds the request: garbage fails here, not later.
            bolt_request = BoltRequest(
                body=body.decode("utf-8", errors="replace"),
                # Straight from the scope: `request.url` builds a whole URL object on every ack.
                query=request.scope["query_string"].decode("latin-1"),
                headers={key: [value] for key, value in request.headers.items()},
            )
            # Bolt and our services are synchronous: run them off the event loop.
            bolt_response = await anyio.to_thread.run_sync(
                bolt_app.dispatch, bolt_request, limiter=dispatchers
            )
        except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
            # Listener errors are Bolt's to answer; what escapes dispatch is a body Slack would
            # never send. Say so plainly, without echoing it.
            log.warning("refused a malformed request body (%s)", type(exc).__name__)
            return PlainTextResponse("malformed request", status_code=400)
        return _response(bolt_response)

    async def install(request: Request) -> Response:
        assert bolt_app is not None
        assert bolt_app.oauth_flow is not None
        flow = bolt_app.oauth_flow
        bolt_request = BoltRequest(
            body="",
            query=request.url.query,
            headers={key: [value] for key, value in request.headers.items()},
        )
        handle = (
            flow.handle_installation
            if request.url.path == flow.install_path
            else flow.handle_callback
        )
        return _response(await anyio.to_thread.run_sync(handle, bolt_request))

    async def healthz(_: Request) -> Response:
        healthy = await anyio.to_thread.run_sync(ping, runtime.engine)
        if healthy:
            return JSONResponse({"ok": True, "database": "ok"})
        return JSONResponse({"ok": False, "database": "unreachable"}, status_code=503)

    async def metrics(_: Request) -> Response:
        payload = generate_latest(registry) if registry is not None else generate_latest()
        return Response(payload, media_type=CONTENT_TYPE_LATEST)

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    if bolt_app is not None and slack_events:
        routes.append(Route("/slack/events", events, methods=["POST"]))
    if bolt_app is not None and bolt_app.oauth_flow is not None:
        for path in (bolt_app.oauth_flow.install_path, bolt_app.oauth_flow.redirect_uri_path):
            routes.append(Route(path, install, methods=["GET"]))
    routes += site_routes(runtime)
    return Starlette(routes=routes)


def _response(bolt_response: BoltResponse) -> Response:
    """Bolt's response as Starlette's, every header value kept (an install sets cookies)."""
    response = Response(bolt_response.body, status_code=bolt_response.status)
    for key, values in bolt_response.headers.items():
        if key.lower() == "content-length":
            continue
        for value in values:
            response.headers.append(key, value)
    return response
