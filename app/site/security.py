"""The headers every site response carries, and the checks a state-changing POST must pass."""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

# Pages: only the app's own CSS and images (the picture, inline data: icons); no script at all.
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# The picture: an SVG drawn by matplotlib carries its own inline styles, and nothing else.
PICTURE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


def secure(response: Response, *, policy: str = PAGE_POLICY, private: bool = True) -> Response:
    """Add the security headers to `response` and return it; `private` responses (anything
    drawn from a workspace's data or a session) are never stored by a cache."""
    headers = response.headers
    headers["Content-Security-Policy"] = policy
    headers["X-Content-Type-Options"] = "nosniff"
    # The sign-in link carries its secret in the URL: never let it leave in a Referer.
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Frame-Options"] = "DENY"
    if private:
        headers["Cache-Control"] = "no-store"
    return response


def same_origin(request: Request, public_url: str) -> bool:
    """Whether a POST may come from our own pages rather than another site.

    Browsers mark where a request comes from with `Sec-Fetch-Site` and `Origin`. Our pages send
    `Referrer-Policy: no-referrer`, under which a browser sends `Origin: null` even for our own
    forms, so a null Origin passes only when `Sec-Fetch-Site` says same-origin. A client that
    sends neither header (not a browser: no cookies of a victim to ride on) passes; the CSRF
    token still guards every POST but the sign-in, which the one-time secret guards.
    """
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    if origin == "null":
        return fetch_site == "same-origin"
    ours = {_origin(public_url), _origin(str(request.base_url))}
    return _origin(origin) in ours


def csrf_ok(expected: str, given: str) -> bool:
    """Whether the form's token is the session's, compared in constant time."""
    return bool(expected) and hmac.compare_digest(expected.encode(), given.encode())


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()
