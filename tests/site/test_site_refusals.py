"""What the site refuses, over plain HTTP: no session, a forged cookie, a member on an admin page
or export, a member who left since signing in, another workspace's data; and the security
headers every answer carries."""

from __future__ import annotations

from datetime import UTC, datetime

import anyio
import httpx
import pytest
from sqlalchemy import func, select, update
from starlette.applications import Starlette

from app.runtime import build_runtime
from app.sandbox import payloads
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.settings import Settings
from app.site.cookies import COOKIE
from app.site.routes import site_routes
from app.store.db import transaction
from app.store.models import Member, WebSession, Workspace
from app.workspaces.service import Identity, ensure_workspace
from tests.site.helpers import csrf_of, signed_in_client

PAGES = (
    "/insights",
    "/insights/network",
    "/insights/network?weeks=4",
    "/insights/network.svg?weeks=52",
    "/insights/topics?weeks=12",
    "/insights/people",
    "/insights/export/helpers.csv",
)
ADMIN_ONLY = ("/insights/people", "/insights/export/helpers.csv", "/insights/export/waiting.csv")


def _live_sessions(bot: BotServer) -> int:
    with bot.runtime.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(WebSession)) or 0)


@pytest.mark.parametrize("path", PAGES)
def test_no_session_gets_the_explanation_never_data(site_bot: BotServer, path: str) -> None:
    response = httpx.get(f"{site_bot.url}{path}")
    assert response.status_code == 401
    assert "/kudos insights" in response.text
    assert "alice" not in response.text
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("cookie", ["A" * 43, "not a secret", "../../etc/passwd", "x" * 4000, ""])
def test_a_forged_cookie_signs_nobody_in(site_bot: BotServer, cookie: str) -> None:
    response = httpx.get(f"{site_bot.url}/insights", cookies={COOKIE: cookie})
    assert response.status_code == 401
    assert "Signed in as" not in response.text


def test_a_cookie_from_another_session_row_cannot_be_made_up_from_its_hash(
    site_bot: BotServer,
) -> None:
    with signed_in_client(site_bot, "U0BOB"):
        with site_bot.runtime.sessions() as session:
            stored = session.scalar(select(WebSession.token_hash))
        assert stored is not None
        # The store keeps a hash; presenting it as the cookie opens nothing.
        response = httpx.get(f"{site_bot.url}/insights", cookies={COOKIE: stored})
    assert response.status_code == 401


@pytest.mark.parametrize("path", ADMIN_ONLY)
def test_a_member_is_refused_admin_pages_and_exports(site_bot: BotServer, path: str) -> None:
    with signed_in_client(site_bot, "U0BOB") as client:
        response = client.get(path)
        assert response.status_code == 403
        assert "admins" in response.text
        assert "text/csv" not in response.headers["content-type"]
        # The nav shows a member no admin link.
        assert 'href="/insights/people"' not in client.get("/insights").text


def test_an_admin_reads_the_people_page_and_each_export(site_bot: BotServer) -> None:
    with signed_in_client(site_bot, "U0ALICE") as client:
        page = client.get("/insights/people")
        assert page.status_code == 200
        assert 'href="/insights/people"' in client.get("/insights").text
        for table in ("overview", "network", "topics", "helpers", "unsung", "waiting"):
            csv = client.get(f"/insights/export/{table}.csv?weeks=52")
            assert csv.status_code == 200, table
            assert csv.headers["content-type"].startswith("text/csv")
            assert f'filename="reciprocity-{table}-52w.csv"' in csv.headers["content-disposition"]
            assert csv.headers["cache-control"] == "no-store"
        unknown = client.get("/insights/export/secrets.csv")
        assert unknown.status_code == 404
        assert "helpers" in unknown.text


def _deactivate(driver: SlackDriver, slack: SlackStandIn, user_id: str) -> None:
    """Slack deactivates the person and tells the bot with a user_change event."""
    slack.users[user_id]["deleted"] = True
    event = payloads.event_callback(payloads.user_change_event(dict(slack.users[user_id])))
    assert driver.event(event).status_code == 200


def test_a_member_deactivated_after_signing_in_loses_the_session(
    site_bot: BotServer, site_driver: SlackDriver, slack: SlackStandIn
) -> None:
    with signed_in_client(site_bot, "U0BOB") as client:
        assert client.get("/insights").status_code == 200
        _deactivate(site_driver, slack, "U0BOB")
        response = client.get("/insights")
        assert response.status_code == 403
        assert "deactivated" in response.text
        assert _live_sessions(site_bot) == 0
        # The session is gone for good, not only refused while deactivated.
        assert client.get("/insights/network").status_code == 401


def test_an_erased_member_loses_the_session(site_bot: BotServer) -> None:
    with signed_in_client(site_bot, "U0CAROL") as client:
        with transaction(site_bot.runtime.sessions) as session:
            session.execute(
                update(Member)
                .where(Member.user_id == "U0CAROL")
                .values(forgotten_at=datetime.now(UTC))
            )
        assert client.get("/insights/topics").status_code == 403
        assert _live_sessions(site_bot) == 0


def test_an_uninstalled_workspace_ends_its_sessions(site_bot: BotServer) -> None:
    with signed_in_client(site_bot, "U0BOB") as client:
        with transaction(site_bot.runtime.sessions) as session:
            session.execute(update(Workspace).values(active=False))
        response = client.get("/insights")
        assert response.status_code == 403
        assert "no longer installed" in response.text


def test_another_workspaces_member_sees_only_their_own_workspace(
    site_bot: BotServer, site_driver: SlackDriver, slack: SlackStandIn
) -> None:
    now = site_bot.runtime.clock.now()
    with transaction(site_bot.runtime.sessions) as session:
        ensure_workspace(session, Identity("T0002", "Beta", "UBOT2", "BBOT2"), now)
        session.add(Member(team_id="T0002", user_id="U2ANNA", name="anna", updated_at=now))
    response = site_driver.command(
        command="/kudos",
        text="<@U0BOB> thanks for the release notes",
        user_id="U0ALICE",
        channel_id="C0GENERAL",
        response_url=slack.new_response_url(),
        trigger_id=slack.issue_trigger_id(),
    )
    assert response.status_code == 200
    with signed_in_client(site_bot, "U0BOB") as acme:
        assert 'class="current"' in acme.get("/insights").text
        assert "bob" in acme.get("/insights/network").text
    with signed_in_client(site_bot, "U2ANNA", team_id="T0002") as beta:
        overview = beta.get("/insights")
        network = beta.get("/insights/network?weeks=52")
        # Query parameters name no workspace: one given is ignored.
        forced = beta.get("/insights/network?weeks=52&team_id=T0001&team=T0001")
    assert overview.status_code == 200
    assert "How help flows in Beta" in overview.text
    for page in (overview.text, network.text, forced.text):
        assert "alice" not in page
        assert "Acme" not in page
    assert "Nobody thanked or credited anyone" in network.text
    assert forced.text.count("Nobody thanked or credited anyone") == 1


@pytest.mark.parametrize("path", [*PAGES, "/insights/signin?token=x", "/insights/nowhere"])
def test_every_answer_carries_the_security_headers(site_bot: BotServer, path: str) -> None:
    with signed_in_client(site_bot, "U0ALICE") as client:
        response = client.get(path)
    headers = response.headers
    assert "default-src" in headers["content-security-policy"]
    assert "'unsafe-inline'" not in headers["content-security-policy"] or path.startswith(
        "/insights/network.svg"
    )
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"


def test_the_stylesheet_is_served_and_cached(site_bot: BotServer) -> None:
    response = httpx.get(f"{site_bot.url}/insights/static/site.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert "max-age" in response.headers["cache-control"]
    assert httpx.get(f"{site_bot.url}/insights/static/nothing.js").status_code == 404


@pytest.mark.parametrize("weeks", ["7", "-1", "abc", "52; drop table", "1" * 500, "¹", "٤"])
def test_an_unoffered_period_falls_back_to_the_default(site_bot: BotServer, weeks: str) -> None:
    with signed_in_client(site_bot, "U0BOB") as client:
        response = client.get("/insights/network", params={"weeks": weeks})
    assert response.status_code == 200
    assert 'href="/insights/network?weeks=12" aria-current="true"' in response.text


def test_sign_out_is_refused_without_a_session_and_with_a_stale_page(
    site_bot: BotServer,
) -> None:
    with signed_in_client(site_bot, "U0BOB") as client:
        csrf = csrf_of(client.get("/insights").text)
    # Another client with the right token but no session: nobody to sign out.
    response = httpx.post(f"{site_bot.url}/insights/signout", data={"csrf": csrf})
    assert response.status_code == 401


def test_a_database_that_does_not_answer_gets_a_plain_503_page() -> None:
    settings = Settings(database_url="postgresql+psycopg://postgres@127.0.0.1:1/none")
    runtime = build_runtime(settings)
    app = Starlette(routes=site_routes(runtime))

    async def fetch() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://127.0.0.1",
            cookies={COOKIE: "A" * 43},
        ) as client:
            return await client.get("/insights")

    try:
        response = anyio.run(fetch)
    finally:
        runtime.close()
    assert response.status_code == 503
    assert "cannot reach its database" in response.text
    assert "Traceback" not in response.text
    assert response.headers["cache-control"] == "no-store"
