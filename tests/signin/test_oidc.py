"""Sign in with Slack (app/signin/oidc.py) against the stand-in: the authorize URL, the exchange,
the identity, and a typed failure for every way it can go wrong."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from app.sandbox.slack_api import SlackStandIn
from app.signin.oidc import (
    SignInFailed,
    SignInProblem,
    SlackIdentity,
    authorize_url,
    identify,
    slack_site,
)
from app.slackapi.web_api import WebApi

CLIENT_ID = "111.222"
CLIENT_SECRET = "s3cr3t-client"
REDIRECT = "https://reciprocity.example/insights/login/slack/callback"
NONCE = "nonce-of-this-browser"


@pytest.fixture
def web_api(slack: SlackStandIn) -> Iterator[WebApi]:
    """The bot's Web API client, pointed at the stand-in, which knows the app's credentials."""
    slack.enable_oauth(CLIENT_ID, CLIENT_SECRET)
    slack.openid.add_redirect_url(REDIRECT)
    api = WebApi(slack.base_url)
    yield api
    api.close()


def _now() -> datetime:
    return datetime.now(UTC)


def _code(slack: SlackStandIn, *, nonce: str = NONCE, redirect: str = REDIRECT) -> str:
    """Go through the authorize page as a browser would and return the code it hands back."""
    url = authorize_url(slack.base_url, CLIENT_ID, redirect, "state-1", nonce)
    answer = httpx.get(url, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == redirect
    query = parse_qs(back.query)
    assert query["state"] == ["state-1"]
    return query["code"][0]


def _identify(web_api: WebApi, code: str, **changes: str) -> SlackIdentity:
    given = {"client_secret": CLIENT_SECRET, "redirect_uri": REDIRECT, "nonce": NONCE, **changes}
    return identify(
        web_api,
        changes.get("client_id", CLIENT_ID),
        given["client_secret"],
        code,
        given["redirect_uri"],
        nonce=given["nonce"],
        now=_now(),
    )


def _fails(problem: SignInProblem, web_api: WebApi, code: str, **changes: str) -> SignInFailed:
    with pytest.raises(SignInFailed) as failed:
        _identify(web_api, code, **changes)
    assert failed.value.problem == problem
    return failed.value


def test_authorize_url_is_slacks_for_its_api_url() -> None:
    url = authorize_url("https://slack.com/api/", "1.2", "https://x.example/cb?a=1", "st", "no")
    assert url == (
        "https://slack.com/openid/connect/authorize?response_type=code&scope=openid%20profile"
        "&client_id=1.2&state=st&nonce=no&redirect_uri=https%3A%2F%2Fx.example%2Fcb%3Fa%3D1"
    )
    assert slack_site("https://slack-gov.com/api") == "https://slack-gov.com"
    assert slack_site("http://127.0.0.1:5000/api/") == "http://127.0.0.1:5000"


def test_identify_names_the_person_who_signed_in(slack: SlackStandIn, web_api: WebApi) -> None:
    slack.sign_in_as("T0001", "U0BOB")
    assert _identify(web_api, _code(slack)) == SlackIdentity("T0001", "U0BOB")
    [exchange] = slack.calls_to("openid.connect.token")
    assert exchange.token is None  # the app's credentials, never a token
    assert exchange.args["grant_type"] == "authorization_code"
    [info] = slack.calls_to("openid.connect.userInfo")
    assert info.token == exchange.response["access_token"]


def test_a_person_of_another_workspace_is_named_as_such(
    slack: SlackStandIn, web_api: WebApi
) -> None:
    slack.sign_in_as("T0OTHER", "U0ZED")
    assert _identify(web_api, _code(slack)) == SlackIdentity("T0OTHER", "U0ZED")


def test_a_code_works_once(slack: SlackStandIn, web_api: WebApi) -> None:
    slack.sign_in_as("T0001", "U0BOB")
    code = _code(slack)
    _identify(web_api, code)
    assert _fails(SignInProblem.CODE_USED, web_api, code).detail == "code_already_used"


def test_an_unknown_code_fails(slack: SlackStandIn, web_api: WebApi) -> None:
    assert _fails(SignInProblem.BAD_CODE, web_api, "123.forged").detail == "invalid_code"


def test_wrong_credentials_fail(slack: SlackStandIn, web_api: WebApi) -> None:
    slack.sign_in_as("T0001", "U0BOB")
    code = _code(slack)
    wrong = _fails(SignInProblem.BAD_CLIENT, web_api, code, client_secret="guess")
    assert wrong.detail == "bad_client_secret"
    assert _fails(SignInProblem.BAD_CLIENT, web_api, code, client_id="999.9").detail == (
        "invalid_client_id"
    )
    # The failed attempts did not spend the code.
    assert _identify(web_api, code) == SlackIdentity("T0001", "U0BOB")


def test_a_redirect_uri_other_than_the_authorize_requests_fails(
    slack: SlackStandIn, web_api: WebApi
) -> None:
    slack.sign_in_as("T0001", "U0BOB")
    other = REDIRECT + "/elsewhere"
    failed = _fails(SignInProblem.BAD_REDIRECT, web_api, _code(slack), redirect_uri=other)
    assert failed.detail == "bad_redirect_uri"


def test_another_attempts_nonce_fails(slack: SlackStandIn, web_api: WebApi) -> None:
    slack.sign_in_as("T0001", "U0BOB")
    code = _code(slack, nonce="the-other-browsers-nonce")
    _fails(SignInProblem.BAD_ID_TOKEN, web_api, code)
    # Without the nonce, nothing is trusted: the identity is never read.
    assert slack.calls_to("openid.connect.userInfo") == []


def test_an_expired_id_token_fails(slack: SlackStandIn, web_api: WebApi) -> None:
    slack.sign_in_as("T0001", "U0BOB")
    slack.openid.wall = lambda: (_now() - timedelta(hours=1)).timestamp()
    _fails(SignInProblem.BAD_ID_TOKEN, web_api, _code(slack))


def test_an_id_token_for_another_issuer_fails(slack: SlackStandIn) -> None:
    slack.enable_oauth(CLIENT_ID, CLIENT_SECRET)
    slack.openid.add_redirect_url(REDIRECT)
    slack.sign_in_as("T0001", "U0BOB")
    # The same stand-in reached by another name: its id_tokens name their issuer by its own.
    elsewhere = WebApi(slack.base_url.replace("127.0.0.1", "localhost"))
    try:
        failed = _fails(SignInProblem.BAD_ID_TOKEN, elsewhere, _code(slack))
    finally:
        elsewhere.close()
    assert "issuer" in failed.detail


def test_an_expired_code_fails() -> None:
    ticks = [0.0]
    with SlackStandIn(clock=lambda: ticks[0]) as slack:
        slack.enable_oauth(CLIENT_ID, CLIENT_SECRET)
        slack.openid.add_redirect_url(REDIRECT)
        slack.sign_in_as("T0001", "U0BOB")
        code = _code(slack)
        ticks[0] = 600.0  # Slack's codes last 10 minutes
        api = WebApi(slack.base_url)
        try:
            assert _fails(SignInProblem.BAD_CODE, api, code).detail == "invalid_code"
        finally:
            api.close()


def test_slack_unavailable_is_a_failure_to_retry(slack: SlackStandIn, web_api: WebApi) -> None:
    slack.sign_in_as("T0001", "U0BOB")
    code = _code(slack)
    slack.fail_next("openid.connect.token", status=500)
    _fails(SignInProblem.UNAVAILABLE, web_api, code)
    slack.fail_next("openid.connect.userInfo", status=429)
    _fails(SignInProblem.UNAVAILABLE, web_api, code)
