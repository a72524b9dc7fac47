"""The stand-in's Sign in with Slack is as strict as Slack's: the authorize page checks the client,
the redirect URI, the response type and scope; the token method checks the credentials, the code
and the redirect URI; userInfo takes only the user token the exchange issued."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from app.sandbox.openid import _signing_key
from app.sandbox.slack_api import SlackStandIn
from tests.conftest import BOT_TOKEN

CLIENT_ID = "111.222"
SECRET = "client-secret"
REDIRECT = "https://app.example/callback"


@pytest.fixture
def provider(slack: SlackStandIn) -> SlackStandIn:
    slack.enable_oauth(CLIENT_ID, SECRET)
    slack.openid.add_redirect_url(REDIRECT)
    slack.sign_in_as("T0001", "U0BOB", "bob")
    return slack


def _authorize(slack: SlackStandIn, **changes: str | None) -> httpx.Response:
    query = {
        "response_type": "code",
        "scope": "openid profile",
        "client_id": CLIENT_ID,
        "state": "st",
        "nonce": "n1",
        "redirect_uri": REDIRECT,
        **changes,
    }
    given = {key: value for key, value in query.items() if value is not None}
    return httpx.get(f"{slack.root_url}/openid/connect/authorize?{urlencode(given)}")


def _code(slack: SlackStandIn, **changes: str | None) -> str:
    answer = _authorize(slack, **changes)
    assert answer.status_code == 302, answer.text
    return parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]


def _api(slack: SlackStandIn, method: str, token: str | None = None, **args: str) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{slack.base_url}{method}", data=args, headers=headers).json()


def _exchange(slack: SlackStandIn, given_code: str, **changes: str) -> Any:
    args = {"client_id": CLIENT_ID, "client_secret": SECRET, "code": given_code, **changes}
    args.setdefault("redirect_uri", REDIRECT)
    return _api(slack, "openid.connect.token", **args)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"client_id": "999.9"}, "Invalid client_id"),
        ({"client_id": None}, "Invalid client_id"),
        ({"redirect_uri": "https://evil.example/callback"}, "did not match any configured"),
        ({"redirect_uri": REDIRECT + "/deeper"}, "did not match any configured"),
        ({"response_type": "token"}, "response_type"),
        ({"scope": "profile"}, "scope"),
    ],
)
def test_authorize_refuses_with_a_page_and_no_redirect(
    provider: SlackStandIn, changes: dict[str, str | None], message: str
) -> None:
    answer = _authorize(provider, **changes)
    assert answer.status_code == 400
    assert "location" not in answer.headers
    assert answer.headers["content-type"].startswith("text/html")
    assert message in answer.text


def test_authorize_with_nobody_signed_in_is_an_error_page(slack: SlackStandIn) -> None:
    slack.enable_oauth(CLIENT_ID, SECRET)
    slack.openid.add_redirect_url(REDIRECT)
    answer = _authorize(slack)
    assert answer.status_code == 400
    assert "Nobody is signed in" in answer.text


def test_authorize_without_a_redirect_uri_uses_the_configured_one(provider: SlackStandIn) -> None:
    answer = _authorize(provider, redirect_uri=None)
    assert answer.headers["location"].startswith(REDIRECT + "?code=")
    # No redirect_uri in the authorize request: the exchange needs none either.
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    args = {"client_id": CLIENT_ID, "client_secret": SECRET, "code": code}
    assert _api(provider, "openid.connect.token", **args)["ok"] is True


def test_the_exchange_answers_like_slack(provider: SlackStandIn) -> None:
    answer = _exchange(provider, _code(provider))
    assert answer["ok"] is True
    assert answer["token_type"] == "Bearer"
    assert answer["access_token"].startswith("xoxp-")
    header, claims, signature = answer["id_token"].split(".")
    decoded = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    assert decoded["iss"] == provider.root_url
    assert decoded["aud"] == CLIENT_ID
    assert decoded["nonce"] == "n1"
    assert decoded["sub"] == decoded["https://slack.com/user_id"] == "U0BOB"
    assert decoded["https://slack.com/team_id"] == "T0001"
    assert decoded["exp"] > decoded["iat"]
    # Signed RS256, as Slack's are: the stand-in's key verifies it.
    _signing_key().public_key().verify(
        base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)),
        f"{header}.{claims}".encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"client_id": "999.9"}, "invalid_client_id"),
        ({"client_secret": "guess"}, "bad_client_secret"),
        ({"redirect_uri": "https://app.example/other"}, "bad_redirect_uri"),
        ({"grant_type": "password"}, "invalid_grant_type"),
        ({"grant_type": "refresh_token"}, "invalid_refresh_token"),
        ({"code": "1.forged"}, "invalid_code"),
    ],
)
def test_the_exchange_refuses_as_slack_does(
    provider: SlackStandIn, changes: dict[str, str], error: str
) -> None:
    code = _code(provider)
    assert _exchange(provider, code, **changes) == {"ok": False, "error": error}
    # A refused exchange leaves the code usable.
    assert _exchange(provider, code)["ok"] is True


def test_a_code_is_spent_by_its_exchange(provider: SlackStandIn) -> None:
    code = _code(provider)
    assert _exchange(provider, code)["ok"] is True
    assert _exchange(provider, code) == {"ok": False, "error": "code_already_used"}


def test_user_info_takes_only_the_exchanged_user_token(provider: SlackStandIn) -> None:
    token = _exchange(provider, _code(provider))["access_token"]
    info = _api(provider, "openid.connect.userInfo", token)
    assert info["ok"] is True
    assert (info["https://slack.com/team_id"], info["https://slack.com/user_id"]) == (
        "T0001",
        "U0BOB",
    )
    assert _api(provider, "openid.connect.userInfo") == {"ok": False, "error": "not_authed"}
    assert _api(provider, "openid.connect.userInfo", "xoxp-made-up")["error"] == "invalid_auth"
    bot = _api(provider, "openid.connect.userInfo", BOT_TOKEN)
    assert bot["error"] == "not_allowed_token_type"
    # And the user token is no bot token: it reaches no other method.
    assert _api(provider, "auth.test", token)["error"] == "invalid_auth"
