"""Signing in with a one-time link, sessions and their cookie, signing out: over plain HTTP."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import anyio
import httpx
from sqlalchemy import func, select
from starlette.applications import Starlette

from app.runtime import build_runtime
from app.server import BotServer
from app.settings import Settings
from app.signin.links import LINK_LIFETIME
from app.site.guard import Site
from app.site.routes import site_routes
from app.store.db import transaction
from app.store.models import SignInLink, WebSession
from app.workspaces.service import Identity, ensure_workspace
from tests.site.helpers import (
    csrf_of,
    issued_link,
    sign_in_link,
    signed_in_client,
    token_of,
)

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def _sessions(bot: BotServer) -> int:
    with bot.runtime.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(WebSession)) or 0)


def test_opening_a_link_spends_nothing_and_offers_a_continue_button(site_bot: BotServer) -> None:
    link = sign_in_link(site_bot, "U0BOB")
    # A link preview or a scanner fetches it, perhaps twice: nothing is spent.
    for _ in range(2):
        page = httpx.get(link)
        assert page.status_code == 200
        assert 'action="/insights/signin"' in page.text
        assert "bob" in page.text
        assert "Continue" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    with site_bot.runtime.sessions() as session:
        assert session.scalar(select(SignInLink.used_at)) is None
    assert _sessions(site_bot) == 0


def test_continue_signs_in_with_a_strict_cookie_and_redirects(site_bot: BotServer) -> None:
    token = token_of(sign_in_link(site_bot, "U0BOB"))
    response = httpx.post(f"{site_bot.url}/insights/signin", data={"token": token})
    assert response.status_code == 303
    assert response.headers["location"] == "/insights"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("reciprocity_session=")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "max-age", "path"} <= attributes
    assert "Path=/insights" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    assert "Max-Age=28800" in cookie
    # PUBLIC_URL is http here: a Secure cookie would never come back.
    assert "secure" not in attributes
    assert _sessions(site_bot) == 1


def test_a_signed_in_member_sees_the_overview(site_bot: BotServer) -> None:
    with signed_in_client(site_bot, "U0BOB") as client:
        page = client.get("/insights")
    assert page.status_code == 200
    assert "How help flows in" in page.text
    assert "Signed in as <strong>bob</strong>" in page.text


def test_a_reused_link_is_refused_and_says_how_to_get_another(site_bot: BotServer) -> None:
    token = token_of(sign_in_link(site_bot, "U0BOB"))
    first = httpx.post(f"{site_bot.url}/insights/signin", data={"token": token})
    assert first.status_code == 303
    again = httpx.post(f"{site_bot.url}/insights/signin", data={"token": token})
    assert again.status_code == 410
    assert "already used" in again.text
    assert "/kudos insights" in again.text
    assert "set-cookie" not in again.headers
    shown = httpx.get(f"{site_bot.url}/insights/signin", params={"token": token})
    assert shown.status_code == 410
    assert "Continue" not in shown.text


def test_an_expired_link_is_refused(site_bot: BotServer) -> None:
    link = sign_in_link(site_bot, "U0BOB")
    with transaction(site_bot.runtime.sessions) as session:
        row = session.scalar(select(SignInLink))
        assert row is not None
        row.expires_at = site_bot.runtime.clock.now() - timedelta(seconds=1)
    assert timedelta(minutes=10) >= LINK_LIFETIME
    shown = httpx.get(link)
    assert shown.status_code == 410
    assert "expired" in shown.text
    posted = httpx.post(f"{site_bot.url}/insights/signin", data={"token": token_of(link)})
    assert posted.status_code == 410
    assert _sessions(site_bot) == 0


def test_an_unknown_or_malformed_link_is_refused_plainly(site_bot: BotServer) -> None:
    for token in ("x" * 43, "<script>", "", "a" * 5000):
        shown = httpx.get(f"{site_bot.url}/insights/signin", params={"token": token})
        assert shown.status_code == 404, token
        assert "<script>" not in shown.text
    posted = httpx.post(
        f"{site_bot.url}/insights/signin",
        content=b"\xff\xfe",
        headers={"content-type": "application/octet-stream"},
    )
    assert posted.status_code == 400
    assert "Traceback" not in posted.text


def test_a_deactivated_members_link_signs_nobody_in(site_bot: BotServer) -> None:
    # /kudos insights refuses him now; this is a link handed out before Slack deactivated him.
    link = issued_link(site_bot, "U0DAVE")
    shown = httpx.get(link)
    assert shown.status_code == 403
    assert "deactivated" in shown.text
    posted = httpx.post(f"{site_bot.url}/insights/signin", data={"token": token_of(link)})
    assert posted.status_code == 403
    assert _sessions(site_bot) == 0


def test_a_sign_in_post_from_another_site_is_refused(site_bot: BotServer) -> None:
    token = token_of(sign_in_link(site_bot, "U0BOB"))
    response = httpx.post(
        f"{site_bot.url}/insights/signin",
        data={"token": token},
        headers={"origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert _sessions(site_bot) == 0


def test_sign_out_needs_the_pages_csrf_token(site_bot: BotServer) -> None:
    with signed_in_client(site_bot, "U0BOB") as client:
        page = client.get("/insights")
        missing = client.post("/insights/signout", data={})
        assert missing.status_code == 403
        assert "security token" in missing.text
        wrong = client.post("/insights/signout", data={"csrf": "x" * 43})
        assert wrong.status_code == 403
        assert _sessions(site_bot) == 1
        assert client.get("/insights").status_code == 200
        cross = client.post(
            "/insights/signout",
            data={"csrf": csrf_of(page.text)},
            headers={"origin": "https://evil.example"},
        )
        assert cross.status_code == 403
        assert _sessions(site_bot) == 1
        out = client.post("/insights/signout", data={"csrf": csrf_of(page.text)})
        assert out.status_code == 303
        assert out.headers["location"] == "/insights/signed-out"
        assert _sessions(site_bot) == 0
        after = client.get("/insights")
    assert after.status_code == 401


def test_signing_in_again_ends_the_browsers_earlier_session(site_bot: BotServer) -> None:
    with signed_in_client(site_bot, "U0BOB") as client:
        token = token_of(sign_in_link(site_bot, "U0CAROL"))
        assert client.post("/insights/signin", data={"token": token}).status_code == 303
        assert _sessions(site_bot) == 1
        assert "Signed in as <strong>carol</strong>" in client.get("/insights").text


def _unsigned_page(settings: Settings, path: str) -> httpx.Response:
    """`path` fetched without a session from the site alone, built on `settings`."""
    runtime = build_runtime(settings)
    app = Starlette(routes=site_routes(runtime))

    async def fetch() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.get(path)

    try:
        return anyio.run(fetch)
    finally:
        runtime.close()


def test_sign_in_with_slack_is_offered_when_the_app_has_a_client_id_and_secret(
    database_url: str,
) -> None:
    plain = Settings(database_url=database_url)
    oauth = replace(plain, slack_client_id="1.2", slack_client_secret="s3cr3t")
    for path in ("/insights", "/insights/signed-out", "/insights/signin?token=" + "x" * 43):
        assert 'href="/insights/login/slack"' not in _unsigned_page(plain, path).text, path
        assert 'href="/insights/login/slack"' in _unsigned_page(oauth, path).text, path


def test_the_cookie_is_secure_when_the_site_is_served_over_https(database_url: str) -> None:
    settings = Settings(database_url=database_url, public_url="https://insights.example.com")
    runtime = build_runtime(settings)
    try:
        with transaction(runtime.sessions) as session:
            ensure_workspace(session, Identity("T0001", "Acme", "UBOT", "BBOT"), NOW)
        response = Site(runtime).start_session("T0001", "U0BOB", "oidc")
        with runtime.sessions() as session:
            method = session.scalar(select(WebSession.method))
    finally:
        runtime.close()
    assert response.status_code == 303
    assert response.headers["location"] == "/insights"
    cookie = response.headers["set-cookie"]
    assert "; secure" in cookie.lower()
    assert "httponly" in cookie.lower()
    assert method == "oidc"


def test_sign_in_with_slack_is_mounted_with_the_sites_headers(database_url: str) -> None:
    plain = Settings(database_url=database_url, slack_api_url="http://127.0.0.1:9/api/")
    oauth = replace(plain, slack_client_id="1.2", slack_client_secret="s3cr3t")
    # Without a client secret the route is not there at all: the site's 404 page answers.
    assert _unsigned_page(plain, "/insights/login/slack").status_code == 404
    response = _unsigned_page(oauth, "/insights/login/slack")
    assert response.status_code == 303
    assert response.headers["location"].startswith("http://127.0.0.1:9/openid/connect/authorize")
    assert "client_id=1.2" in response.headers["location"]
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src" in response.headers["content-security-policy"]
