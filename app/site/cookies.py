"""The session cookie: what it holds (the session's secret) and the attributes it is set with."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "reciprocity_session"
# Only the site's own pages ever see it.
COOKIE_PATH = "/insights"


def session_secret(request: Request) -> str:
    """Return the session secret the browser sent, or "" when it sent none."""
    return request.cookies.get(COOKIE, "")


def set_session_cookie(response: Response, secret: str, max_age: int, *, secure: bool) -> None:
    """Give the browser the session: HttpOnly, SameSite=Lax, expiring with the session, and
    Secure when the site is served over HTTPS."""
    response.set_cookie(
        COOKIE,
        secret,
        max_age=max_age,
        path=COOKIE_PATH,
        secure=secure,
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response, *, secure: bool) -> None:
    """Tell the browser to forget the session cookie."""
    response.delete_cookie(COOKIE, path=COOKIE_PATH, secure=secure, httponly=True, samesite="lax")
