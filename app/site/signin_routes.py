"""Signing in with a one-time link (a GET that spends nothing, then a one-click POST) and out."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qsl

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from app.signin import links
from app.signin.links import LinkHolder, LinkProblem
from app.signin.sessions import close_session
from app.site.cookies import clear_session_cookie, session_secret
from app.site.guard import HOW_TO_SIGN_IN, Site
from app.site.pages import message, page
from app.site.security import csrf_ok, same_origin, secure
from app.site.visitors import Turnaway, admit, in_good_standing, member_of
from app.store.models import Workspace

# Forms are tiny; anything larger is not ours.
MAX_FORM_BYTES = 4096

_PROBLEMS = {
    LinkProblem.EXPIRED: (410, "This sign-in link has expired", "Links work for 10 minutes."),
    LinkProblem.USED: (410, "This sign-in link was already used", "Each link works once."),
    LinkProblem.UNKNOWN: (
        404,
        "This sign-in link is not one of ours",
        "Check that it was copied whole, or ask for a new one.",
    ),
}


def signin_routes(site: Site) -> list[Route]:
    """Return the sign-in and sign-out routes of `site`."""

    async def show(request: Request) -> Response:
        token = request.query_params.get("token", "")

        def work(session: Session, now: datetime) -> Response:
            holder = links.check(session, token, now)
            if isinstance(holder, LinkProblem):
                return _problem(holder, site.slack_signin)
            member = member_of(session, holder.team_id, holder.user_id)
            if not in_good_standing(member):
                return _departed()
            assert member is not None
            workspace = session.get(Workspace, holder.team_id)
            return page(
                "signin.html",
                visitor=None,
                token=token,
                name=member.shown_name or member.user_id,
                team_name=(workspace.name if workspace else "") or holder.team_id,
            )

        return await site.in_transaction(work)

    async def redeem(request: Request) -> Response:
        if not same_origin(request, site.runtime.settings.public_url):
            return _forbidden_origin()
        form = await _form(request)
        if form is None:
            return message(400, "That form was not ours", HOW_TO_SIGN_IN)
        token = form.get("token", "")

        def work(session: Session, now: datetime) -> Response:
            holder = links.redeem(session, token, now)
            if isinstance(holder, LinkProblem):
                return _problem(holder, site.slack_signin)
            if not _may_sign_in(session, holder):
                return _departed()
            # A browser signed in as someone else before ends that session: one person a browser.
            close_session(session, session_secret(request))
            return site.session_response(session, holder.team_id, holder.user_id, "link", now)

        return await site.in_transaction(work)

    async def sign_out(request: Request) -> Response:
        if not same_origin(request, site.runtime.settings.public_url):
            return _forbidden_origin()
        form = await _form(request)
        secret = session_secret(request)

        def work(session: Session, now: datetime) -> Response:
            visitor = admit(session, secret, now)
            if isinstance(visitor, Turnaway):
                return site.turned_away(visitor)
            if form is None or not csrf_ok(visitor.csrf_token, form.get("csrf", "")):
                return message(
                    403,
                    "That request was refused",
                    "It did not carry this page's security token, so it may not have come "
                    "from you. Go back to the page and use its Sign out button.",
                    visitor=visitor,
                )
            close_session(session, secret)
            response = secure(RedirectResponse("/insights/signed-out", status_code=303))
            clear_session_cookie(response, secure=site.https)
            return response

        return await site.in_transaction(work)

    async def signed_out(_: Request) -> Response:
        return message(
            200,
            "You are signed out",
            "Come back any time: " + HOW_TO_SIGN_IN,
            slack_signin=site.slack_signin,
        )

    return [
        Route("/insights/signin", show, methods=["GET"]),
        Route("/insights/signin", redeem, methods=["POST"]),
        Route("/insights/signout", sign_out, methods=["POST"]),
        Route("/insights/signed-out", signed_out, methods=["GET"]),
    ]


async def _form(request: Request) -> dict[str, str] | None:
    """The request's small url-encoded form as plain strings, or None for anything else."""
    if request.headers.get("content-type", "").split(";")[0].strip() != (
        "application/x-www-form-urlencoded"
    ):
        return None
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        return None
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return None
    try:
        # Our forms have one or two fields; starlette's parser would need python-multipart.
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=8)
    except (UnicodeDecodeError, ValueError):
        return None
    return dict(pairs)


def _may_sign_in(session: Session, holder: LinkHolder) -> bool:
    workspace = session.get(Workspace, holder.team_id)
    member = member_of(session, holder.team_id, holder.user_id)
    return workspace is not None and workspace.active and in_good_standing(member)


def _problem(problem: LinkProblem, slack_signin: bool) -> Response:
    status, title, why = _PROBLEMS[problem]
    return message(
        status, title, why, "Ask again with /kudos insights in Slack.", slack_signin=slack_signin
    )


def _departed() -> Response:
    return message(
        403,
        "This link cannot sign you in",
        "The Slack account it was made for is deactivated in this workspace, or its data "
        "was erased.",
    )


def _forbidden_origin() -> Response:
    return message(
        403,
        "That request was refused",
        "It came from another site. Open the insights page itself and try again.",
    )
