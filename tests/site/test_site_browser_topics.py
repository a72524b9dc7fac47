"""The topics and people pages in a real headless Chromium, their numbers checked against the
store after asks and offers made over Slack's signed HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser
from sqlalchemy import select

from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.store.models import Ask
from tests.site.browser import WatchedPage, chromium, watched_page
from tests.site.helpers import sign_in_link

ASK = "How do I plan the terraform state move for staging? Tried the docs #terraform #kubernetes"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the module's tests."""
    with chromium() as launched:
        yield launched


def _command(driver: SlackDriver, slack: SlackStandIn, command: str, text: str, user: str) -> None:
    response = driver.command(
        command=command,
        text=text,
        user_id=user,
        channel_id="C0GENERAL",
        response_url=slack.new_response_url(),
        trigger_id=slack.issue_trigger_id(),
    )
    assert response.status_code == 200, response.text


@pytest.fixture
def asked(site_bot: BotServer, site_driver: SlackDriver, slack: SlackStandIn) -> BotServer:
    """Bob offers kubernetes; Carol asks about terraform and kubernetes in #general."""
    _command(site_driver, slack, "/offer", "kubernetes — happy to pair", "U0BOB")
    _command(site_driver, slack, "/ask", ASK, "U0CAROL")
    return site_bot


def _asks_naming(bot: BotServer, topic: str) -> int:
    with bot.runtime.sessions() as session:
        return sum(1 for topics in session.scalars(select(Ask.topics)) if topic in topics)


def _sign_in(tab: WatchedPage, bot: BotServer, user: str) -> None:
    tab.page.goto(sign_in_link(bot, user))
    tab.page.get_by_role("button", name="Continue").click()
    tab.page.wait_for_url(f"{bot.url}/insights")


def test_topics_show_the_gaps_first_with_their_counts(asked: BotServer, browser: Browser) -> None:
    with watched_page(browser) as tab:
        _sign_in(tab, asked, "U0BOB")
        tab.page.get_by_role("link", name="Topics").click()
        tab.page.wait_for_url("**/insights/topics")
        rows = tab.page.locator("#topics tbody tr")
        first = rows.first
        # Terraform is asked and offered by nobody: a gap, listed first.
        assert first.locator("th").inner_text() == "terraform"
        assert first.locator("td").nth(0).inner_text() == str(_asks_naming(asked, "terraform"))
        assert "nobody" in first.locator("td").nth(2).inner_text()
        kubernetes = rows.filter(has_text="kubernetes")
        assert kubernetes.locator("td").nth(0).inner_text() == "1"
        assert kubernetes.locator("td").nth(2).inner_text() == "bob"
        tab.screenshot("topics")
        assert tab.unexpected == []


def test_the_people_page_lists_the_ask_waiting(asked: BotServer, browser: Browser) -> None:
    with watched_page(browser) as tab:
        _sign_in(tab, asked, "U0ALICE")
        tab.page.get_by_role("link", name="People").click()
        tab.page.wait_for_url("**/insights/people")
        waiting = tab.page.locator("#waiting tbody tr")
        assert waiting.count() == 1
        assert waiting.first.locator("th").inner_text() == "carol"
        assert "terraform state move" in waiting.first.inner_text()
        tab.screenshot("people")
        assert tab.unexpected == []
