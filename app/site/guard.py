"""The door every site request passes: the session's visitor re-checked, then the page drawn,
both off the event loop in one transaction; and `start_session`, the one way a session begins."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import anyio.to_thread
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app.runtime import Runtime
from app.signin.sessions import SESSION_LIFETIME, open_session
from app.site.cookies import clear_session_cookie, session_secret, set_session_cookie
from app.site.pages import message
from app.site.security import secure
from app.site.visitors import Turnaway, Visitor, admit
from app.store.db import transaction

log = logging.getLogger(__name__)
Draw = Callable[[Session, Visitor, datetime], Response]

HOW_TO_SIGN_IN = (
    "In Slack, type /kudos insights (or use the Open insights button on the app's Home tab): "
    "the bot answers with a sign-in link that is yours alone, works once and expires in 10 "
    "minutes."
)


class Site:
    """The site's shared pieces: the runtime (store, clock, settings) and how requests use them."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.https = runtime.settings.public_https
        # Sign in with Slack (OpenID Connect) is offered when the app has a client id and secret.
        self.slack_signin = bool(
            runtime.settings.slack_client_id and runtime.settings.slack_client_secret
        )

    async def in_transaction(self, work: Callable[[Session, datetime], Response]) -> Response:
        """Return `work(session, now)`'s response, run in one transaction on a worker thread; a
        database that does not answer gets a page saying so (503), never a traceback."""

        def run() -> Response:
            try:
                with transaction(self.runtime.sessions) as session:
                    return work(session, self.runtime.clock.now())
            except OperationalError:
                log.warning("the insights page could not reach the database")
                return message(
                    503,
                    "The insights page is resting",
                    "It cannot reach its database just now. Nothing was changed; try again in "
                    "a minute.",
                )

        return await anyio.to_thread.run_sync(run)

    async def serve(self, request: Request, draw: Draw, *, admin: bool = False) -> Response:
        """Return `draw`'s page for the request's visitor, or the page saying why there is none:
        401 without a live session, 403 for a member who left and, when `admin`, for members."""
        secret = session_secret(request)

        def work(session: Session, now: datetime) -> Response:
            visitor = admit(session, secret, now)
            if isinstance(visitor, Turnaway):
                return self.turned_away(visitor)
            if admin and not visitor.is_admin:
                return message(
                    403,
                    "For workspace admins",
                    "This page ranks people and lists whose asks wait longest, so only the "
                    "workspace's admins may open it.",
                    visitor=visitor,
                )
            return draw(session, visitor, now)

        return await self.in_transaction(work)

    def turned_away(self, why: Turnaway) -> Response:
        """Return the page for a request that signs in nobody (forgetting its cookie)."""
        if why is Turnaway.NO_SESSION:
            response = message(
                401,
                "Please sign in",
                "Insights are shown to signed-in members of the workspace only.",
                HOW_TO_SIGN_IN,
                slack_signin=self.slack_signin,
            )
        elif why is Turnaway.DEPARTED:
            response = message(
                403,
                "Your session has ended",
                "Your Slack account in this workspace is deactivated, or its data was erased, "
                "so it can no longer open the workspace's insights.",
            )
        else:
            response = message(
                403,
                "Your session has ended",
                "Reciprocity is no longer installed in this workspace.",
            )
        clear_session_cookie(response, secure=self.https)
        return response

    def start_session(self, team_id: str, user_id: str, method: str) -> Response:
        """Open a session for the person (signed in by `method`: "link" or "oidc"), set its
        cookie and redirect (303) to the overview. Does database work: call it off the loop."""
        with transaction(self.runtime.sessions) as session:
            return self.session_response(
                session, team_id, user_id, method, self.runtime.clock.now()
            )

    def session_response(
        self, session: Session, team_id: str, user_id: str, method: str, now: datetime
    ) -> Response:
        """Open a session in the caller's transaction and return the redirect that sets its
        cookie (what `start_session` does, for a caller already in a transaction)."""
        opened = open_session(session, team_id, user_id, method, now)
        response = secure(RedirectResponse("/insights", status_code=303))
        set_session_cookie(
            response, opened.secret, int(SESSION_LIFETIME.total_seconds()), secure=self.https
        )
        return response
