"""Sign in with Slack's two routes (app/site/oidc_routes.py) in a tiny Starlette app, served by
uvicorn on a loopback port, whose `start_session` only says whom it would sign in; a browser's
round trip (an httpx client with its cookie jar) through the stand-in's authorize page."""

from __future__ import annotations

import html
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from sqlalchemy import update
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, Response

from app.directory.service import save_members
from app.quiet_server import QuietServer
from app.runtime import Runtime, build_runtime
from app.sandbox.slack_api import SlackStandIn
from app.settings import Settings
from app.site.oidc_routes import CALLBACK_PATH, LOGIN_PATH, STATE_COOKIE, oidc_routes
from app.store.db import transaction
from app.store.models import Member
from app.workspaces.service import Identity, ensure_workspace
from tests.waiting import eventually

CLIENT_ID = "111.222"
CLIENT_SECRET = "client-secret"
SiteFactory = Callable[[Runtime], httpx.Client]


def _settings(database_url: str, slack: SlackStandIn, **changes: object) -> Settings:
    options: dict[str, object] = {
        "database_url": database_url,
        "slack_client_id": CLIENT_ID,
        "slack_client_secret": CLIENT_SECRET,
        "slack_api_url": slack.base_url,
        "port": 8123,
        **changes,
    }
    return Settings(**options)  # type: ignore[arg-type]


@pytest.fixture
def runtime(database_url: str, slack: SlackStandIn) -> Iterator[Runtime]:
    """A runtime whose store knows workspace T0001 and its people, and a stand-in that knows
    the app's credentials and its redirect URL."""
    settings = _settings(database_url, slack)
    slack.enable_oauth(CLIENT_ID, CLIENT_SECRET)
    slack.openid.add_redirect_url(settings.public_url + CALLBACK_PATH)
    built = build_runtime(settings)
    now = datetime.now(UTC)
    with transaction(built.sessions) as session:
        ensure_workspace(session, Identity("T0001", "Acme", "UBOT", "BBOT"), now)
        people = [slack.users[u] for u in ("U0ALICE", "U0BOB", "U0DAVE", "U0HELPER")]
        save_members(session, "T0001", people, now)
    yield built
    built.close()


@pytest.fixture
def site() -> Iterator[SiteFactory]:
    """Serves a runtime's routes over real HTTP (once per runtime); each call returns a new
    browser (a client with its own cookie jar) on it."""
    servers: dict[int, tuple[QuietServer, threading.Thread, str]] = {}
    browsers: list[httpx.Client] = []

    def browser(runtime: Runtime) -> httpx.Client:
        if id(runtime) not in servers:
            servers[id(runtime)] = _serve(runtime)
        client = httpx.Client(base_url=servers[id(runtime)][2])
        browsers.append(client)
        return client

    yield browser
    for client in browsers:
        client.close()
    for server, thread, _ in servers.values():
        server.should_exit = True
        thread.join(timeout=15)


def _serve(runtime: Runtime) -> tuple[QuietServer, threading.Thread, str]:
    def start_session(team_id: str, user_id: str, method: str) -> Response:
        response = PlainTextResponse(f"signed in {team_id} {user_id} by {method}")
        response.set_cookie("reciprocity_session", "s", httponly=True)
        return response

    app = Starlette(routes=oidc_routes(runtime, start_session))
    listening = socket.create_server(("127.0.0.1", 0))
    server = QuietServer(uvicorn.Config(app, log_config=None, access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    eventually(lambda: server.started, what="the site to listen")
    return server, thread, f"http://127.0.0.1:{listening.getsockname()[1]}"


def _to_slack(client: httpx.Client) -> str:
    """Start signing in; return the authorize URL the browser is sent to."""
    started = client.get(LOGIN_PATH, follow_redirects=False)
    assert started.status_code == 303
    return started.headers["location"]


def _back_from_slack(authorize: str) -> str:
    """Slack's page approves as the chosen person; return the callback's path and query."""
    approved = httpx.get(authorize)
    assert approved.status_code == 302, approved.text
    back = urlsplit(approved.headers["location"])
    return f"{back.path}?{back.query}"


def _sign_in(client: httpx.Client) -> httpx.Response:
    return client.get(_back_from_slack(_to_slack(client)), follow_redirects=False)


def test_a_known_member_is_signed_in(
    runtime: Runtime, slack: SlackStandIn, site: SiteFactory
) -> None:
    slack.sign_in_as("T0001", "U0BOB")
    client = site(runtime)
    authorize = _to_slack(client)
    assert authorize.startswith(slack.root_url + "/openid/connect/authorize?")
    cookie = client.cookies.get(STATE_COOKIE)
    assert cookie is not None
    done = client.get(_back_from_slack(authorize), follow_redirects=False)
    assert done.status_code == 200
    assert done.text == "signed in T0001 U0BOB by oidc"
    # The state cookie is spent with the attempt.
    assert STATE_COOKIE in done.headers["set-cookie"]
    assert client.cookies.get(STATE_COOKIE) is None


def test_the_state_cookie_is_short_lived_and_http_only(
    runtime: Runtime, slack: SlackStandIn, site: SiteFactory
) -> None:
    started = site(runtime).get(LOGIN_PATH, follow_redirects=False)
    cookie = started.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "max-age=600" in cookie
    assert f"path={LOGIN_PATH}" in cookie


def test_a_callback_in_another_browser_is_refused(
    runtime: Runtime, slack: SlackStandIn, site: SiteFactory
) -> None:
    slack.sign_in_as("T0001", "U0BOB")
    callback = _back_from_slack(_to_slack(site(runtime)))
    # The attacker's browser has no state cookie, or the state of its own attempt.
    assert site(runtime).get(callback).status_code == 400
    other = site(runtime)
    _to_slack(other)
    refused = other.get(callback)
    assert refused.status_code == 400
    assert "another browser" in refused.text
    assert slack.calls_to("openid.connect.token") == []


def test_a_replayed_callback_signs_nobody_in(
    runtime: Runtime, slack: SlackStandIn, site: SiteFactory
) -> None:
    slack.sign_in_as("T0001", "U0BOB")
    client = site(runtime)
    callback = _back_from_slack(_to_slack(client))
    assert client.get(callback).status_code == 200
    assert client.get(callback).status_code == 400


@pytest.mark.parametrize(
    ("team_id", "user_id", "expected"),
    [
        ("T0OTHER", "U0ZED", "isn't installed in that Slack workspace"),
        ("T0001", "U0DAVE", "can't sign in here"),
        ("T0001", "U0NOBODY", "doesn't know you"),
        ("T0001", "U0HELPER", "doesn't know you"),
    ],
)
def test_people_this_bot_must_not_sign_in_are_refused(
    runtime: Runtime,
    slack: SlackStandIn,
    team_id: str,
    user_id: str,
    expected: str,
    site: SiteFactory,
) -> None:
    slack.sign_in_as(team_id, user_id)
    refused = _sign_in(site(runtime))
    assert refused.status_code == 403
    assert expected in html.unescape(refused.text)
    assert "signed in" not in refused.text


def test_a_forgotten_member_is_refused(
    runtime: Runtime, slack: SlackStandIn, site: SiteFactory
) -> None:
    with transaction(runtime.sessions) as session:
        session.execute(
            update(Member).where(Member.user_id == "U0BOB").values(forgotten_at=datetime.now(UTC))
        )
    slack.sign_in_as("T0001", "U0BOB")
    assert _sign_in(site(runtime)).status_code == 403


def test_a_cancelled_sign_in_says_so(runtime: Runtime, site: SiteFactory) -> None:
    client = site(runtime)
    _to_slack(client)
    answer = client.get(CALLBACK_PATH + "?error=access_denied&state=x")
    assert answer.status_code == 400
    assert "cancelled" in answer.text


def test_slack_unavailable_asks_to_try_again(
    runtime: Runtime, slack: SlackStandIn, site: SiteFactory
) -> None:
    slack.sign_in_as("T0001", "U0BOB")
    slack.fail_next("openid.connect.token", status=500)
    assert _sign_in(site(runtime)).status_code == 503


def test_wrong_app_credentials_are_an_operators_problem(
    database_url: str, slack: SlackStandIn, runtime: Runtime, site: SiteFactory
) -> None:
    slack.sign_in_as("T0001", "U0BOB")
    wrong = build_runtime(_settings(database_url, slack, slack_client_secret="stale"))
    try:
        answer = _sign_in(site(wrong))
    finally:
        wrong.close()
    assert answer.status_code == 503
    assert "/kudos insights" in answer.text


def test_without_client_credentials_there_is_no_sign_in_with_slack(
    database_url: str, slack: SlackStandIn, site: SiteFactory
) -> None:
    plain = build_runtime(_settings(database_url, slack, slack_client_id=None))
    try:
        client = site(plain)
        assert client.get(LOGIN_PATH, follow_redirects=False).status_code == 404
        assert client.get(CALLBACK_PATH + "?code=x&state=y").status_code == 404
    finally:
        plain.close()
