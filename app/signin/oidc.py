"""Sign in with Slack (OpenID Connect): where to send the browser, and who came back.

Bolt-free and web-free; `app/site/oidc_routes.py` wires it to the web. Slack's flow
(https://api.slack.com/authentication/sign-in-with-slack): the browser goes to
`/openid/connect/authorize`, comes back to our redirect URI with `code` and `state`, and the code
is exchanged with `openid.connect.token` for an access token and an `id_token`; the access token
then reads `openid.connect.userInfo`.

The nonce. Slack returns the authorize request's `nonce` in the id_token's claims, not in
userInfo (https://api.slack.com/methods/openid.connect.token, "Response"), so the id_token is
checked: `iss` is Slack (the site of the Web API URL), `aud` is our client id, `exp` is still
ahead, `nonce` is the one this browser was given. Its signature is not checked: the id_token comes
straight from Slack's token endpoint over TLS, which OpenID Connect Core 1.0 §3.1.3.7 (6) accepts
in place of the signature. The identity is read from userInfo and must name the id_token's person.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode, urljoin

from app.slackapi.web_api import SLACK_FAILURES, WebApi, WebApiError

TEAM_CLAIM = "https://slack.com/team_id"
USER_CLAIM = "https://slack.com/user_id"
# `profile` is not needed for the identity; Slack's own example asks for it with `openid`.
SCOPE = "openid profile"


class SignInProblem(enum.StrEnum):
    """Why a Sign in with Slack attempt names nobody."""

    BAD_CODE = "bad_code"  # unknown or expired code (`invalid_code`)
    CODE_USED = "code_used"  # the code was exchanged before (`code_already_used`)
    BAD_CLIENT = "bad_client"  # our client id or secret is wrong (a configuration error)
    BAD_REDIRECT = "bad_redirect"  # the redirect URI differs from the authorize request's
    BAD_ID_TOKEN = "bad_id_token"  # noqa: S105 - a reason, not a secret: not for us, expired, …
    REFUSED = "refused"  # any other refusal from Slack
    UNAVAILABLE = "unavailable"  # rate limited, 5xx, timeout: try again later


_ERRORS = {
    "invalid_code": SignInProblem.BAD_CODE,
    "code_already_used": SignInProblem.CODE_USED,
    "invalid_client_id": SignInProblem.BAD_CLIENT,
    "bad_client_secret": SignInProblem.BAD_CLIENT,
    "bad_redirect_uri": SignInProblem.BAD_REDIRECT,
}


class SignInFailed(Exception):
    """Sign in with Slack failed for `problem`; `detail` is Slack's error code or what was wrong."""

    def __init__(self, problem: SignInProblem, detail: str) -> None:
        super().__init__(f"{problem}: {detail}")
        self.problem = problem
        self.detail = detail


@dataclass(frozen=True)
class SlackIdentity:
    """The Slack person who signed in: their workspace and their user id."""

    team_id: str
    user_id: str


def slack_site(api_url: str) -> str:
    """Slack's site for the Web API at `api_url` (`https://slack.com/api/` → `https://slack.com`):
    the issuer of its id_tokens, and the host of its authorize page."""
    base = api_url if api_url.endswith("/") else api_url + "/"
    return urljoin(base, "..").rstrip("/")


def authorize_url(api_url: str, client_id: str, redirect_uri: str, state: str, nonce: str) -> str:
    """The URL of Slack's Sign in with Slack page for this attempt (`state` and `nonce` fresh)."""
    query = urlencode(
        {
            "response_type": "code",
            "scope": SCOPE,
            "client_id": client_id,
            "state": state,
            "nonce": nonce,
            "redirect_uri": redirect_uri,
        },
        quote_via=quote,
    )
    return f"{slack_site(api_url)}/openid/connect/authorize?{query}"


def identify(
    web_api: WebApi,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    *,
    nonce: str,
    now: datetime,
) -> SlackIdentity:
    """Exchange `code` and return who signed in; raise `SignInFailed` on any failure (a bad,
    reused or expired code, wrong credentials or redirect URI, an id_token that is not for this
    client or this attempt's `nonce`, Slack unreachable)."""
    token = _call(
        web_api,
        "openid.connect.token",
        "",
        {
            "client_id": client_id,
            "client_secret": client_secret,
            "code": code,
            "redirect_uri": redirect_uri,
            "grant_type": "authorization_code",
        },
    )
    claims = _id_token_claims(token.get("id_token"))
    _check_claims(claims, slack_site(web_api.base_url), client_id, nonce, now)
    info = _call(web_api, "openid.connect.userInfo", str(token.get("access_token") or ""), {})
    identity = SlackIdentity(str(info.get(TEAM_CLAIM) or ""), str(info.get(USER_CLAIM) or ""))
    if not identity.team_id or not identity.user_id:
        raise SignInFailed(SignInProblem.REFUSED, "userInfo named no team or user")
    if (claims.get(TEAM_CLAIM), claims.get(USER_CLAIM)) != (identity.team_id, identity.user_id):
        raise SignInFailed(SignInProblem.BAD_ID_TOKEN, "userInfo names another person")
    return identity


def _call(web_api: WebApi, method: str, token: str, args: dict[str, Any]) -> dict[str, Any]:
    try:
        return web_api.call(method, token, args)
    except WebApiError as exc:
        raise SignInFailed(_ERRORS.get(exc.error, SignInProblem.REFUSED), exc.error) from exc
    except SLACK_FAILURES as exc:
        raise SignInFailed(SignInProblem.UNAVAILABLE, str(exc)) from exc


def _id_token_claims(id_token: object) -> dict[str, Any]:
    """The claims of a JWT (its middle part), unverified: see the module's docstring."""
    parts = id_token.split(".") if isinstance(id_token, str) else []
    if len(parts) != 3:
        raise SignInFailed(SignInProblem.BAD_ID_TOKEN, "no id_token, or not a JWT")
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise SignInFailed(SignInProblem.BAD_ID_TOKEN, "unreadable id_token") from exc
    if not isinstance(claims, dict):
        raise SignInFailed(SignInProblem.BAD_ID_TOKEN, "id_token claims are not an object")
    return claims


def _check_claims(
    claims: dict[str, Any], issuer: str, client_id: str, nonce: str, now: datetime
) -> None:
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    expires = claims.get("exp")
    if claims.get("iss") != issuer:
        raise SignInFailed(SignInProblem.BAD_ID_TOKEN, f"issuer {claims.get('iss')!r}")
    if client_id not in audiences:
        raise SignInFailed(SignInProblem.BAD_ID_TOKEN, "issued to another client")
    if not isinstance(expires, int | float) or expires <= now.timestamp():
        raise SignInFailed(SignInProblem.BAD_ID_TOKEN, "expired")
    if not nonce or not hmac.compare_digest(str(claims.get("nonce") or ""), nonce):
        raise SignInFailed(SignInProblem.BAD_ID_TOKEN, "another attempt's nonce")
