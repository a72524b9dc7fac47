"""The insights site in a real headless Chromium: sign in through a link, open every page, check
the numbers against the store, no console errors, a screenshot of each page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from playwright.sync_api import Browser
from sqlalchemy import func, select

from app.calendar import week_start, zone
from app.insights.periods import workspace_zone_name
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.store.models import Kudos
from tests.site.browser import DESKTOP, PHONE, WatchedPage, chromium, watched_page
from tests.site.helpers import TEAM, sign_in_link

THANKS = [("U0ALICE", "U0BOB"), ("U0CAROL", "U0BOB"), ("U0BOB", "U0CAROL"), ("U0ALICE", "U0BOB")]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the module's tests."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def seeded(site_bot: BotServer, site_driver: SlackDriver, slack: SlackStandIn) -> BotServer:
    """The bot after a few kudos given over Slack's signed HTTP, as people would."""
    for giver, recipient in THANKS:
        response = site_driver.command(
            command="/kudos",
            text=f"<@{recipient}> thanks for the help with the release",
            user_id=giver,
            channel_id="C0GENERAL",
            response_url=slack.new_response_url(),
            trigger_id=slack.issue_trigger_id(),
        )
        assert response.status_code == 200, response.text
    return site_bot


def _kudos_this_week(bot: BotServer) -> int:
    now = bot.runtime.clock.now()
    with bot.runtime.sessions() as session:
        start = week_start(now, zone(workspace_zone_name(session, TEAM)))
        return int(
            session.scalar(
                select(func.count()).where(
                    Kudos.team_id == TEAM,
                    Kudos.created_at >= start,
                    Kudos.created_at < now + timedelta(seconds=1),
                    Kudos.undone_at.is_(None),
                    Kudos.revoked_at.is_(None),
                )
            )
            or 0
        )


def _sign_in(tab: WatchedPage, bot: BotServer, user: str) -> None:
    tab.page.goto(sign_in_link(bot, user))
    assert tab.page.get_by_role("button", name="Continue").is_visible()
    tab.page.get_by_role("button", name="Continue").click()
    tab.page.wait_for_url(f"{bot.url}/insights")


def test_a_member_signs_in_and_reads_every_page(seeded: BotServer, browser: Browser) -> None:
    with watched_page(browser) as tab:
        tab.page.goto(sign_in_link(seeded, "U0BOB"))
        tab.screenshot("signin")
        _sign_in(tab, seeded, "U0BOB")
        page = tab.page
        assert page.get_by_role("heading", level=1).inner_text().startswith("How help flows")
        # The current week's row counts the kudos the store holds for it.
        current = page.locator("#weeks tbody tr.current")
        assert current.locator("td").first.inner_text() == str(_kudos_this_week(seeded))
        assert _kudos_this_week(seeded) == len(THANKS)
        assert page.locator(".card").count() == 5
        assert page.locator(".card svg.spark").count() == 5
        # Members see no admin link.
        assert page.get_by_role("link", name="People").count() == 0
        tab.screenshot("overview")

        page.get_by_role("link", name="Help network").click()
        page.wait_for_url("**/insights/network")
        rows = page.locator("#strongest tbody tr")
        assert rows.count() == 3
        first = rows.first.locator("td")
        assert first.nth(0).inner_text().startswith("bob")
        assert first.nth(1).inner_text().startswith("alice")
        assert first.nth(2).inner_text() == "2"
        assert page.locator("figure.picture img").evaluate("img => img.naturalWidth") > 0
        page.get_by_role("link", name="52 weeks").click()
        page.wait_for_url("**/insights/network?weeks=52")
        tab.screenshot("network")

        page.get_by_role("link", name="Topics").click()
        page.wait_for_url("**/insights/topics")
        assert page.get_by_role("heading", level=1).inner_text() == "Asked and offered, by topic"
        tab.screenshot("topics-no-asks")

        # An admin page answers a member with a 403 page, not data.
        tab.goto_refused(f"{seeded.url}/insights/people", 403)
        tab.screenshot("people-refused")

        page.goto(f"{seeded.url}/insights")
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url("**/insights/signed-out")
        tab.goto_refused(f"{seeded.url}/insights", 401)
        tab.screenshot("signed-out")
        assert tab.unexpected == []


def test_an_admin_reads_the_people_page_and_downloads_a_table(
    seeded: BotServer, browser: Browser
) -> None:
    with watched_page(browser) as tab:
        _sign_in(tab, seeded, "U0ALICE")
        page = tab.page
        page.get_by_role("link", name="People").click()
        page.wait_for_url("**/insights/people")
        assert page.get_by_role("heading", level=1).inner_text() == "People"
        links = page.locator(".downloads a")
        assert links.count() == 6
        tab.screenshot("people-no-asks")
        with page.expect_download() as download:
            links.first.click()
        assert download.value.suggested_filename.endswith(".csv")
        assert tab.unexpected == []


def test_the_overview_reads_on_a_phone(seeded: BotServer, browser: Browser) -> None:
    with watched_page(browser, PHONE) as tab:
        _sign_in(tab, seeded, "U0BOB")
        page = tab.page
        # Nothing wider than the screen but the tables, which scroll inside their own box.
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        tab.screenshot("overview-phone")
        assert tab.unexpected == []
    assert DESKTOP["width"] > PHONE["width"]


def test_without_a_session_every_page_explains_how_to_sign_in(
    site_bot: BotServer, browser: Browser
) -> None:
    with watched_page(browser) as tab:
        tab.goto_refused(f"{site_bot.url}/insights", 401)
        assert "/kudos insights" in tab.page.inner_text("main")
        tab.screenshot("signin-needed")
        assert tab.unexpected == []
    assert httpx.get(f"{site_bot.url}/insights/network").status_code == 401
