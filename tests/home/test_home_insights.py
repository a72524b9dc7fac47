"""The Home tab's "Open insights" button end to end: an action (no link in the published tab)
whose click opens a modal holding a fresh sign-in link for whoever clicked."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select

from app.home.blocks import INSIGHTS
from app.kudos.insights import LINK_ACTION
from app.sandbox import payloads
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.signin.links import LinkHolder, check
from app.store.models import OutboxMessage, SignInLink
from tests.waiting import eventually, outbox_drained

HOME = {"id": "VHOME", "type": "home", "hash": "1.h", "blocks": []}


def _click(driver: SlackDriver, slack: SlackStandIn, user: str, action_id: str = INSIGHTS) -> str:
    """Click a Home tab button as `user`; return the click's trigger id."""
    trigger = slack.issue_trigger_id()
    payload = payloads.block_actions(
        user_id=user, action_id=action_id, view=HOME, trigger_id=trigger
    )
    assert driver.interactive(payload).status_code == 200
    return trigger


def _link_button(view: dict[str, Any]) -> dict[str, Any]:
    [button] = [b["accessory"] for b in view["blocks"] if "url" in b.get("accessory", {})]
    return dict(button)


def _notes(bot: BotServer, user: str) -> list[str]:
    with bot.runtime.sessions() as session:
        keys = session.scalars(select(OutboxMessage.dedupe_key))
        return [key for key in keys if key.startswith(f"click-answer:{user}:")]


def _links(bot: BotServer) -> int:
    with bot.runtime.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(SignInLink)) or 0)


def test_home_tab_has_an_insights_action_without_a_link(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver
) -> None:
    opened = driver.event(payloads.event_callback(payloads.app_home_opened_event(user="U0BOB")))
    assert opened.status_code == 200
    [publish] = slack.wait_for("views.publish")
    buttons = [
        b["accessory"] for b in publish.args["view"]["blocks"] if b.get("accessory", {}).get("type")
    ]
    [insights] = [b for b in buttons if b["action_id"] == INSIGHTS]
    assert "url" not in insights
    assert "/insights/signin" not in json.dumps(publish.args["view"])


def test_clicking_insights_opens_a_modal_with_a_fresh_link_for_the_clicker(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver
) -> None:
    trigger = _click(driver, slack, "U0CAROL")
    [opened] = slack.wait_for("views.open")
    assert opened.args["trigger_id"] == trigger
    view = opened.args["view"]
    assert view["type"] == "modal"
    assert "submit" not in view
    button = _link_button(view)
    assert button["action_id"] == LINK_ACTION
    [secret] = parse_qs(urlsplit(button["url"]).query)["token"]
    with bot.runtime.sessions() as session:
        assert check(session, secret, bot.runtime.clock.now()) == LinkHolder("T0001", "U0CAROL")
    # A second click is a second link; the first stays valid until spent or expired.
    _click(driver, slack, "U0CAROL")
    second = slack.wait_for("views.open", count=2)[1]
    assert _link_button(second.args["view"])["url"] != button["url"]
    assert _links(bot) == 2
    # Clicking the link button itself (Slack tells the app) is acknowledged and changes nothing.
    link_click = payloads.block_actions(user_id="U0CAROL", action_id=LINK_ACTION, view=view)
    assert driver.interactive(link_click).status_code == 200
    assert _links(bot) == 2


def test_a_deactivated_clicker_gets_no_link_and_no_modal(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver
) -> None:
    _click(driver, slack, "U0DAVE")
    # The refusal is a note queued in the click's transaction: once it exists, the click is done.
    eventually(lambda: _notes(bot, "U0DAVE"), what="the refusal note to U0DAVE")
    outbox_drained(bot)
    assert _links(bot) == 0
    assert slack.calls_to("views.open") == []
