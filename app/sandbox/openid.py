"""Sign in with Slack on the stand-in: the authorize page, `openid.connect.token` and
`openid.connect.userInfo`, as strict as Slack's (STRICTNESS.md, "Sign in with Slack").

A test chooses who is signed in to "Slack" in the browser (`sign_in_as`); the authorize page then
sends that person back to the app's redirect URI with a code, which the app exchanges once, within
10 minutes, with its client id and secret, for a user token and an id_token carrying the nonce.
"""

from __future__ import annotations

import base64
import html
import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlencode

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from app.sandbox.answers import Answer, refusal

AUTHORIZE_PATH = "/openid/connect/authorize"
# "Authorization codes may only be exchanged once and expire 10 minutes after issuance"
# (https://api.slack.com/authentication/oauth-v2, "Exchanging a temporary authorization code").
CODE_SECONDS = 600.0
ID_TOKEN_SECONDS = 300
TEAM_CLAIM = "https://slack.com/team_id"
USER_CLAIM = "https://slack.com/user_id"


@dataclass(frozen=True)
class _Code:
    client_id: str
    # As the authorize request gave it (None: it gave none); the exchange must repeat it.
    redirect_uri: str | None
    nonce: str | None
    team_id: str
    user_id: str
    name: str
    issued_at: float


class SignInWithSlack:
    """Slack's OpenID Connect provider for one stand-in; `client` reads the app's credentials."""

    def __init__(
        self, client: Callable[[], tuple[str, str] | None], clock: Callable[[], float]
    ) -> None:
        self._client = client
        self._clock = clock
        # The wall clock of the id_token's `iat` and `exp` (epoch seconds): a test whose bot runs
        # on a fake clock sets this to match.
        self.wall: Callable[[], float] = time.time
        self._lock = threading.Lock()
        self._redirect_urls: list[str] = []
        self._person: tuple[str, str, str] | None = None
        self._codes: dict[str, _Code] = {}
        self._spent: set[str] = set()
        self._user_tokens: dict[str, _Code] = {}

    def add_redirect_url(self, url: str) -> None:
        """Add `url` to the app's configured Redirect URLs (OAuth & Permissions)."""
        with self._lock:
            self._redirect_urls.append(url)

    def sign_in_as(self, team_id: str, user_id: str, name: str = "") -> None:
        """Make the authorize page approve as this person (the browser's Slack session)."""
        with self._lock:
            self._person = (team_id, user_id, name or user_id.lower())

    def authorize(self, query: Mapping[str, str]) -> Answer:
        """Slack's authorize page: a 302 to the redirect URI with `code` and `state`, or an error
        page (HTTP 400) for a bad client id, redirect URI, response type or scope, or nobody."""
        credentials = self._client()
        with self._lock:
            if credentials is None or query.get("client_id") != credentials[0]:
                return _page(400, "Invalid client_id parameter")
            redirect = query.get("redirect_uri")
            target = redirect if redirect is not None else next(iter(self._redirect_urls), None)
            if target is None or target not in self._redirect_urls:
                return _page(400, "redirect_uri did not match any configured URIs")
            if query.get("response_type") != "code":
                return _page(400, "Invalid response_type: only code is supported")
            if "openid" not in (query.get("scope") or "").split():
                return _page(400, "Invalid scope: Sign in with Slack needs openid")
            if self._person is None:
                return _page(400, "Nobody is signed in to Slack in this browser")
            code = f"{secrets.randbelow(10**10)}.{secrets.token_hex(24)}"
            team_id, user_id, name = self._person
            self._codes[code] = _Code(
                credentials[0], redirect, query.get("nonce"), team_id, user_id, name, self._clock()
            )
        back = {"code": code, **({"state": query["state"]} if "state" in query else {})}
        separator = "&" if "?" in target else "?"
        return Answer(302, {}, {"Location": f"{target}{separator}{urlencode(back)}"})

    def token(self, args: Mapping[str, Any], issuer: str) -> Answer:
        """Slack's `openid.connect.token`: a code exchanged once, within its 10 minutes, by the
        client it was issued to, with the redirect URI of its authorize request."""
        grant = args.get("grant_type")
        if grant not in (None, "authorization_code", "refresh_token"):
            return refusal("invalid_grant_type")
        credentials = self._client()
        if credentials is None or args.get("client_id") != credentials[0]:
            return refusal("invalid_client_id")
        if args.get("client_secret") != credentials[1]:
            return refusal("bad_client_secret")
        if grant == "refresh_token":
            # Sign in with Slack issues no refresh tokens unless token rotation is on (it is not).
            return refusal("invalid_refresh_token")
        key = str(args.get("code") or "")
        with self._lock:
            if key in self._spent:
                # Not on the method page; Slack answers it all the same (tests/slack_spec).
                return refusal("code_already_used")
            code = self._codes.get(key)
            if code is None or self._clock() - code.issued_at >= CODE_SECONDS:
                return refusal("invalid_code")
            if code.redirect_uri is not None and args.get("redirect_uri") != code.redirect_uri:
                return refusal("bad_redirect_uri")
            del self._codes[key]
            self._spent.add(key)
            access = f"xoxp-{code.team_id}-{secrets.token_hex(12)}"
            self._user_tokens[access] = code
        body = {
            "ok": True,
            "access_token": access,
            "token_type": "Bearer",
            "id_token": _jwt(self._claims(code, issuer)),
        }
        return Answer(200, body)

    def user_info(self, token: str | None, bot_token: Callable[[str], bool]) -> Answer:
        """Slack's `openid.connect.userInfo` for a user token from the exchange."""
        if not token:
            return refusal("not_authed")
        if bot_token(token):
            return refusal("not_allowed_token_type")
        with self._lock:
            code = self._user_tokens.get(token)
        if code is None:
            return refusal("invalid_auth")
        return Answer(200, {"ok": True, **_identity(code)})

    def _claims(self, code: _Code, issuer: str) -> dict[str, Any]:
        issued = int(self.wall())
        claims: dict[str, Any] = {
            "iss": issuer,
            "sub": code.user_id,
            "aud": code.client_id,
            "exp": issued + ID_TOKEN_SECONDS,
            "iat": issued,
            "auth_time": issued,
            **_identity(code),
        }
        if code.nonce is not None:
            claims["nonce"] = code.nonce
        return claims


def _identity(code: _Code) -> dict[str, Any]:
    """The person's claims, as userInfo and the id_token both carry them (scope openid profile)."""
    return {
        "sub": code.user_id,
        USER_CLAIM: code.user_id,
        TEAM_CLAIM: code.team_id,
        "name": code.name,
        "locale": "en-US",
    }


def _page(status: int, message: str) -> Answer:
    """An HTML page as Slack's authorize page shows an error: no redirect, nothing issued."""
    return Answer(status, {}, page=f"<!doctype html><title>Slack</title><p>{html.escape(message)}")


@cache
def _signing_key() -> rsa.RSAPrivateKey:
    """The stand-in's id_token key (Slack signs RS256): made once per process, when first needed."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(claims: Mapping[str, Any]) -> str:
    """`claims` as a JWT signed RS256, as Slack's id_tokens are."""
    header = {"alg": "RS256", "typ": "JWT", "kid": "stand-in"}
    signing_input = (
        _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(dict(claims)).encode())
    )
    signature = _signing_key().sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"
