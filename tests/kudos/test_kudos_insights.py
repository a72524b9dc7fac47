"""`/kudos insights` end to end: the ephemeral answer's link button, and the link it stores."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import func, select, update

from app.server import BotServer
from app.signin.links import LinkHolder, check
from app.store.db import transaction
from app.store.models import Member, SignInLink
from tests.kudos.conftest import Kudo, reply_text, wait_for_member


def _link_button(response: httpx.Response) -> dict[str, Any]:
    """The one link button of an ack, checked to be an ephemeral answer with blocks."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.get("response_type", "ephemeral") == "ephemeral"
    [button] = [
        b["accessory"] for b in body["blocks"] if b.get("accessory", {}).get("type") == "button"
    ]
    return dict(button)


def _secret(bot: BotServer, url: str) -> str:
    """The link's secret, after checking the URL points at the site's sign-in page."""
    parts = urlsplit(url)
    assert url.startswith(bot.runtime.settings.public_url.rstrip("/") + "/insights/signin?")
    [secret] = parse_qs(parts.query)["token"]
    return secret


def _holder(bot: BotServer, secret: str) -> object:
    with bot.runtime.sessions() as session:
        return check(session, secret, bot.runtime.clock.now())


def _links(bot: BotServer) -> int:
    with bot.runtime.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(SignInLink)) or 0)


def test_insights_answers_with_a_fresh_link_for_the_caller_only(
    bot: BotServer, kudos_cmd: Kudo
) -> None:
    answer = kudos_cmd("insights", user="U0BOB")
    first = _link_button(answer)
    assert first["text"]["text"] == "Open insights"
    assert "works once and expires in 10 minutes" in answer.json()["blocks"][0]["text"]["text"]
    secret = _secret(bot, first["url"])
    # The link is stored before the ack, for the person who typed the command.
    assert _holder(bot, secret) == LinkHolder("T0001", "U0BOB")
    # Each call hands out a new link, for whoever typed it.
    second = _secret(bot, _link_button(kudos_cmd("insights", user="U0BOB"))["url"])
    third = _secret(bot, _link_button(kudos_cmd("INSIGHTS", user="U0CAROL"))["url"])
    assert len({secret, second, third}) == 3
    assert _holder(bot, second) == LinkHolder("T0001", "U0BOB")
    assert _holder(bot, third) == LinkHolder("T0001", "U0CAROL")
    assert _links(bot) == 3


def test_insights_ignores_anyone_the_text_names(bot: BotServer, kudos_cmd: Kudo) -> None:
    secret = _secret(bot, _link_button(kudos_cmd("insights <@U0CAROL|carol>"))["url"])
    assert _holder(bot, secret) == LinkHolder("T0001", "U0ALICE")


def test_a_deactivated_or_forgotten_member_gets_no_link(bot: BotServer, kudos_cmd: Kudo) -> None:
    text = reply_text(kudos_cmd("insights", user="U0DAVE"))
    assert "deactivated" in text
    wait_for_member(bot, "U0BOB")
    with transaction(bot.runtime.sessions) as session:
        session.execute(
            update(Member)
            .where(Member.user_id == "U0BOB")
            .values(forgotten_at=bot.runtime.clock.now())
        )
    assert "erased" in reply_text(kudos_cmd("insights", user="U0BOB"))
    assert "can't sign in" in reply_text(kudos_cmd("insights", user="U0HELPER"))
    assert _links(bot) == 0


def test_help_lists_insights(bot: BotServer, kudos_cmd: Kudo) -> None:
    assert "`/kudos insights`" in reply_text(kudos_cmd("help"))
