"""Sign in with Slack's two pages: off to Slack, and back with who signed in.

`/insights/login/slack` gives the browser a short-lived state cookie (a fresh `state` and
`nonce`) and sends it to Slack's authorize page; `/insights/login/slack/callback` takes Slack's
`code` only with the `state` that cookie holds (the browser that set off is the one that came
back), learns who signed in (`app.signin.oidc.identify`, which checks the nonce), and opens a
session through the site's `start_session` for a person this bot knows, active, in a workspace
it is installed in. Everything else is a short page saying what to do; never a traceback.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from html import escape

from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from app.runtime import Runtime
from app.signin.handout import HandoutRefused, refusal
from app.signin.oidc import SignInFailed, SignInProblem, authorize_url, identify
from app.signin.tokens import new_secret
from app.store.db import transaction
from app.store.models import Workspace

log = logging.getLogger(__name__)

LOGIN_PATH = "/insights/login/slack"
CALLBACK_PATH = LOGIN_PATH + "/callback"
STATE_COOKIE = "reciprocity_oidc"
# Long enough to approve on Slack's page, short enough that a stale attempt is gone.
STATE_SECONDS = 600
StartSession = Callable[[str, str, str], Response]

_PROBLEMS = {
    SignInProblem.BAD_CODE: "That sign-in expired or was already used. Start again.",
    SignInProblem.CODE_USED: "That sign-in expired or was already used. Start again.",
    SignInProblem.BAD_ID_TOKEN: "That sign-in doesn't belong to this browser. Start again.",
    SignInProblem.REFUSED: "Slack refused the sign-in. Start again.",
}
_MISCONFIGURED = "Sign in with Slack isn't working here. In Slack, type /kudos insights instead."


def oidc_routes(runtime: Runtime, start_session: StartSession) -> list[Route]:
    """The two Sign in with Slack routes; `start_session(team_id, user_id, method)` answers a
    signed-in person (it sets the session cookie and redirects)."""
    settings = runtime.settings
    base = settings.public_url.rstrip("/")
    redirect_uri = base + CALLBACK_PATH
    secure = settings.public_https

    def login(request: Request) -> Response:
        if not (settings.slack_client_id and settings.slack_client_secret):
            return _page(404, "Sign in with Slack isn't set up here. In Slack: /kudos insights")
        state, nonce = new_secret(), new_secret()
        target = authorize_url(
            settings.slack_api_url, settings.slack_client_id, redirect_uri, state, nonce
        )
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            STATE_COOKIE,
            f"{state}.{nonce}",
            max_age=STATE_SECONDS,
            path=LOGIN_PATH,
            secure=secure,
            httponly=True,
            # Lax: the cookie must come back on Slack's top-level redirect to the callback.
            samesite="lax",
        )
        return response

    def callback(request: Request) -> Response:
        if not (settings.slack_client_id and settings.slack_client_secret):
            return _page(404, "Sign in with Slack isn't set up here. In Slack: /kudos insights")
        if request.query_params.get("error"):
            return _page(400, "Sign in with Slack was cancelled. Start again when you're ready.")
        state, _, nonce = request.cookies.get(STATE_COOKIE, "").partition(".")
        given = request.query_params.get("state", "")
        code = request.query_params.get("code", "")
        if not state or not nonce or not hmac.compare_digest(state, given) or not code:
            return _page(400, "This sign-in expired or began in another browser. Start again.")
        try:
            who = identify(
                runtime.slack,
                settings.slack_client_id,
                settings.slack_client_secret,
                code,
                redirect_uri,
                nonce=nonce,
                now=runtime.clock.now(),
            )
        except SignInFailed as failed:
            return _failed(failed)
        refusal = _refusal(runtime, who.team_id, who.user_id)
        if refusal is not None:
            return refusal
        response = start_session(who.team_id, who.user_id, "oidc")
        response.delete_cookie(STATE_COOKIE, path=LOGIN_PATH, secure=secure, httponly=True)
        return response

    return [
        Route(LOGIN_PATH, login, methods=["GET"]),
        Route(CALLBACK_PATH, callback, methods=["GET"]),
    ]


def _failed(failed: SignInFailed) -> Response:
    if failed.problem == SignInProblem.UNAVAILABLE:
        return _page(503, "Slack didn't answer in time. Try again in a minute.")
    if failed.problem in (SignInProblem.BAD_CLIENT, SignInProblem.BAD_REDIRECT):
        # Our client id, secret or redirect URL is wrong: the operator must fix it, not the person.
        log.error("Sign in with Slack is misconfigured: %s", failed.detail)
        return _page(503, _MISCONFIGURED)
    return _page(400, _PROBLEMS[failed.problem])


def _refusal(runtime: Runtime, team_id: str, user_id: str) -> Response | None:
    """Why this Slack identity may not sign in here (as a page), or None if it may."""
    try:
        with transaction(runtime.sessions) as session:
            workspace = session.get(Workspace, team_id)
            if workspace is None or not workspace.active:
                return _page(403, "Reciprocity isn't installed in that Slack workspace.")
            member = runtime.lookup.member(session, team_id, user_id, runtime.clock.now())
            refused = refusal(member)
            if refused in (HandoutRefused.UNKNOWN, HandoutRefused.BOT):
                return _page(403, "Reciprocity doesn't know you in that workspace yet.")
            if refused is not None:
                return _page(403, "This Slack account can't sign in here.")
    except SQLAlchemyError:
        log.exception("Sign in with Slack: the database did not answer")
        return _page(503, "Something went wrong on our side. Try again in a minute.")
    return None


def _page(status: int, message: str) -> HTMLResponse:
    """A short page saying what happened and what to do; nothing about anyone."""
    body = (
        '<!doctype html><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Reciprocity insights</title><p>{escape(message)}</p>"
        '<p><a href="/insights">Back to insights</a></p>'
    )
    return HTMLResponse(body, status_code=status)
