"""`/offer` end to end over signed HTTP: add, list, remove, who, and clear answers to mistakes."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.store.db import transaction
from app.store.models import Member
from tests.kudos.conftest import reply_text
from tests.waiting import eventually, outbox_drained

Offer = Callable[..., httpx.Response]


@pytest.fixture
def offer(driver: SlackDriver, slack: SlackStandIn) -> Offer:
    """Sends `/offer <text>` as a person, the way Slack does."""

    def send(text: str, user: str = "U0ALICE") -> httpx.Response:
        return driver.command(
            command="/offer",
            text=text,
            user_id=user,
            channel_id="C0GENERAL",
            response_url=slack.new_response_url(),
        )

    return send


def test_offer_list_remove_and_who(bot: BotServer, offer: Offer, slack: SlackStandIn) -> None:
    added = reply_text(offer("K8s, Postgres databases — happy to pair on upgrades"))
    assert "`kubernetes`" in added
    assert "`postgresql database`" in added
    assert "`kubernetes`" in reply_text(offer("kubernetes", user="U0BOB"))
    listed = reply_text(offer("list"))
    assert "`kubernetes`: happy to pair on upgrades" in listed
    who = reply_text(offer("who Kubernetes", user="U0CAROL"))
    assert "<@U0ALICE>" in who
    assert "<@U0BOB>" in who
    assert "Withdrawn: `kubernetes`" in reply_text(offer("remove k8s"))
    assert "<@U0ALICE>" not in reply_text(offer("who kubernetes"))
    assert "haven't offered `rust`" in reply_text(offer("remove rust"))
    assert "Nobody offers `rust` yet" in reply_text(offer("who rust"))
    # An ephemeral directory: nothing is posted anywhere.
    outbox_drained(bot)
    assert slack.calls_to("chat.postMessage") == []


def test_offer_mistakes_get_help(bot: BotServer, offer: Offer) -> None:
    assert "/offer kubernetes" in reply_text(offer(""))
    assert "Name a topic" in reply_text(offer("— just a note"))
    assert "at most 10" in reply_text(offer(", ".join(f"t{n}" for n in range(11))))
    assert "Say which topic" in reply_text(offer("who"))
    assert "haven't offered help on anything" in reply_text(offer("list"))


def test_re_offering_refreshes_the_note(bot: BotServer, offer: Offer) -> None:
    reply_text(offer("python — old note"))
    reply_text(offer("Python — new note"))
    listed = reply_text(offer("list"))
    assert listed.count("`python`") == 1
    assert "new note" in listed


def _opted_out(bot: BotServer, user: str) -> bool | None:
    """Whether `user` said "Stop these" (None while the directory does not hold them yet)."""
    with bot.runtime.sessions() as session:
        member = session.get(Member, ("T0001", user))
        return None if member is None else member.nudges_opt_out


def test_offering_again_lifts_an_earlier_stop_these(bot: BotServer, offer: Offer) -> None:
    eventually(lambda: _opted_out(bot, "U0BOB"), lambda out: out is not None, what="Bob synced")
    # As "Stop these" on an ask DM leaves it (tests/nudges covers the button itself).
    with transaction(bot.runtime.sessions) as session:
        session.get_one(Member, ("T0001", "U0BOB")).nudges_opt_out = True
    assert "`kubernetes`" in reply_text(offer("kubernetes", user="U0BOB"))
    assert _opted_out(bot, "U0BOB") is False
    # Offering once more changes nothing, and still answers.
    assert "`postgresql`" in reply_text(offer("postgres", user="U0BOB"))
    assert _opted_out(bot, "U0BOB") is False
