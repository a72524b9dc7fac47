"""A person's data: exported whole, erased completely and only by `reciprocity forget` (Slack
deactivating someone erases nothing), and erased for good (a directory sync does not bring their
name back)."""

from __future__ import annotations

import json
import subprocess

import pytest
from sqlalchemy import func, select

from app.directory.service import save_members
from app.sandbox import payloads
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.store.db import transaction
from app.store.models import (
    Ask,
    AskReply,
    Introduction,
    IntroPerson,
    Kudos,
    KudosRecipient,
    Member,
    Offer,
)
from tests.asks.conftest import QUESTION, Send, posted, reply
from tests.cli import inherited, run_app
from tests.intros.conftest import invitation, press
from tests.kudos.conftest import reply_text

# Tens of seconds each: collected first, so parallel workers start them early (tests/conftest.py).
pytestmark = pytest.mark.slow


def _activity(bot: BotServer, slack: SlackStandIn, driver: SlackDriver, ask_cmd: Send) -> None:
    """Bob thanks Carol, Carol thanks Bob and Alice, Bob asks, Carol answers, Bob offers, Carol
    introduces Bob and Alice and Bob says "Not now"."""

    def kudos(user: str, text: str) -> None:
        answer = driver.command(command="/kudos", text=text, user_id=user, channel_id="C0GENERAL")
        assert "Kudos to" in reply_text(answer)

    kudos("U0BOB", "<@U0CAROL|carol> thanks for the deploy fix")
    kudos("U0CAROL", "<@U0BOB|bob> <@U0ALICE|alice> thanks for the review")
    driver.command(command="/offer", text="postgres", user_id="U0BOB", channel_id="C0GENERAL")
    ask, _ = posted(bot, slack, lambda text: ask_cmd(QUESTION, user="U0BOB"))
    reply(driver, ask, "U0CAROL", "9000000020.000001")
    made = driver.command(
        command="/intro",
        text="<@U0BOB|bob> <@U0ALICE|alice> you both run on-call rotations",
        user_id="U0CAROL",
        channel_id="C0GENERAL",
    )
    assert "I've asked" in reply_text(made)
    press(driver, "U0BOB", invitation(slack, "U0BOB"), "intro.decline")


def _cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_app(*args, env=inherited(DATABASE_URL=database_url, LOG_LEVEL="WARNING"))


def test_export_holds_everything_and_forget_erases_it(
    bot: BotServer,
    slack: SlackStandIn,
    driver: SlackDriver,
    ask_cmd: Send,
    database_url: str,
) -> None:
    _activity(bot, slack, driver, ask_cmd)
    bot.worker.drain(10)
    exported = _cli(database_url, "export", "--team", "T0001", "--user", "U0BOB")
    assert exported.returncode == 0, exported.stderr
    data = json.loads(exported.stdout)
    assert data["profile"]["name"] == "bob"
    assert [k["message"] for k in data["kudos_given"]] == ["thanks for the deploy fix"]
    assert [k["message"] for k in data["kudos_received"]] == ["thanks for the review"]
    assert data["asks"][0]["text"].startswith("How do I rotate")
    assert [o["topic"] for o in data["offers"]] == ["postgresql"]
    [intro] = data["introduced_to_someone"]
    assert (intro["by"], intro["to"], intro["your_answer"]) == ("U0CAROL", "U0ALICE", "declined")
    assert intro["reason"] == "you both run on-call rotations"

    forgot = _cli(database_url, "forget", "--team", "T0001", "--user", "U0BOB")
    assert forgot.returncode == 0, forgot.stderr
    assert forgot.stdout.startswith("forgot U0BOB in T0001: kudos given: 1")
    with bot.runtime.sessions() as session:
        messages = sorted(k.message for k in session.scalars(select(Kudos)))
        assert messages == ["thanks for the review"]  # Carol's kudos to Alice stays
        recipients = session.scalars(select(KudosRecipient.recipient_id)).all()
        assert recipients == ["U0ALICE"]
        assert session.scalar(select(func.count()).select_from(Ask)) == 0
        assert session.scalar(select(func.count()).select_from(AskReply)) == 0
        assert session.scalars(select(Offer)).all() == []
        # An introduction is about both people: none is kept with one of them erased.
        assert session.scalar(select(func.count()).select_from(Introduction)) == 0
        assert session.scalar(select(func.count()).select_from(IntroPerson)) == 0
        bob = session.get_one(Member, ("T0001", "U0BOB"))
        assert (bob.name, bob.real_name, bob.forgotten_at is not None) == ("", "", True)
    again = _cli(database_url, "export", "--team", "T0001", "--user", "U0BOB")
    data = json.loads(again.stdout)
    assert data["kudos_given"] == data["kudos_received"] == data["asks"] == data["offers"] == []
    assert data["introduced_to_someone"] == data["introductions_made"] == []
    # A later directory sync does not bring the name back.
    with transaction(bot.runtime.sessions) as session:
        save_members(session, "T0001", [slack.users["U0BOB"]], bot.runtime.clock.now())
    with bot.runtime.sessions() as session:
        assert session.get_one(Member, ("T0001", "U0BOB")).name == ""
    assert _cli(database_url, "forget", "--team", "TNONE", "--user", "U0BOB").returncode == 2


def test_slack_deactivating_a_person_erases_nothing(
    bot: BotServer,
    slack: SlackStandIn,
    driver: SlackDriver,
    ask_cmd: Send,
    database_url: str,
) -> None:
    _activity(bot, slack, driver, ask_cmd)
    bot.worker.drain(10)
    before = json.loads(_cli(database_url, "export", "--team", "T0001", "--user", "U0BOB").stdout)
    deactivated = {**slack.users["U0BOB"], "deleted": True}
    event = payloads.event_callback(payloads.user_change_event(deactivated))
    assert driver.event(event).status_code == 200
    after = json.loads(_cli(database_url, "export", "--team", "T0001", "--user", "U0BOB").stdout)
    assert after == before
    with bot.runtime.sessions() as session:
        bob = session.get_one(Member, ("T0001", "U0BOB"))
        assert (bob.deleted, bob.forgotten_at) == (True, None)
    # Erasing them is still there, as its own act.
    assert _cli(database_url, "forget", "--team", "T0001", "--user", "U0BOB").returncode == 0
    with bot.runtime.sessions() as session:
        assert session.scalars(select(Kudos).where(Kudos.giver_id == "U0BOB")).all() == []
        assert session.get_one(Member, ("T0001", "U0BOB")).forgotten_at is not None
