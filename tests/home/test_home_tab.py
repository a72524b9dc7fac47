"""The Home tab end to end: published when opened, refreshed when its content changes, and its
buttons (offer help, remove an offer, ask, I can help) as Slack sends them."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from app.sandbox import payloads
from app.sandbox.answers import Call
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.store.models import Offer
from tests.asks.conftest import QUESTION, Send, posted
from tests.intros.conftest import Intro, invitation, press
from tests.kudos.conftest import Kudo


def _open_home(driver: SlackDriver, user: str, **extra: Any) -> None:
    event = payloads.event_callback(payloads.app_home_opened_event(user=user))
    assert driver.event(event, **extra).status_code == 200


def _home(slack: SlackStandIn, user: str, containing: str) -> Call:
    """The newest Home tab published for `user` that shows `containing`."""
    return slack.wait_for(
        lambda c: (
            c.method == "views.publish"
            and c.args["user_id"] == user
            and containing in json.dumps(c.args["view"])
        )
    )[-1]


def _click(driver: SlackDriver, user: str, action_id: str, value: str = "") -> None:
    home = {"id": "VHOME", "type": "home", "hash": "1.h", "blocks": []}
    payload = payloads.block_actions(
        user_id=user, action_id=action_id, value=value or None, view=home
    )
    assert driver.interactive(payload).status_code == 200


def test_opening_home_publishes_it_and_a_retry_adds_nothing(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver
) -> None:
    _open_home(driver, "U0ALICE")
    view = _home(slack, "U0ALICE", "Your open asks").args["view"]
    assert view["type"] == "home"
    headers = [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]
    assert headers == [
        "Reciprocity",
        "Your open asks",
        "Asks you could help with",
        "Your introductions",
        "What you offer",
        "Recent kudos",
    ]
    # The Messages tab is not ours to draw.
    event = payloads.event_callback(payloads.app_home_opened_event(user="U0BOB", tab="messages"))
    assert driver.event(event).status_code == 200
    bot.worker.drain(5)
    assert [c.args["user_id"] for c in slack.calls_to("views.publish")] == ["U0ALICE"]


def test_home_is_refreshed_for_people_who_opened_it_when_kudos_arrive(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver, kudos_cmd: Kudo
) -> None:
    _open_home(driver, "U0ALICE")
    _home(slack, "U0ALICE", "No kudos yet")
    kudos_cmd("<@U0ALICE|alice> <@U0CAROL|carol> thanks for the on-call swap", user="U0BOB")
    refreshed = _home(slack, "U0ALICE", "on-call swap")
    assert "<@U0BOB> → <@U0ALICE>, <@U0CAROL>" in json.dumps(
        refreshed.args["view"], ensure_ascii=False
    )
    bot.worker.drain(5)
    # Carol never opened her Home tab: nothing is published for her.
    assert {c.args["user_id"] for c in slack.calls_to("views.publish")} == {"U0ALICE"}


def test_a_connector_follows_an_introduction_on_home_and_the_invited_see_it_waiting(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver, intro_cmd: Intro
) -> None:
    _open_home(driver, "U0ALICE")
    _home(slack, "U0ALICE", "None made in the last 30 days")
    intro_cmd("<@U0BOB|bob> <@U0CAROL|carol> you both work on search ranking")
    waiting = _home(slack, "U0ALICE", "waiting for both to answer").args["view"]
    assert "<@U0BOB> and <@U0CAROL>  ·  waiting" in json.dumps(waiting, ensure_ascii=False)
    assert "search ranking" not in json.dumps(waiting)  # the reason stays in the invitations
    to_bob, to_carol = invitation(slack, "U0BOB"), invitation(slack, "U0CAROL")
    _open_home(driver, "U0CAROL")
    carols = json.dumps(_home(slack, "U0CAROL", "answer in your DMs").args["view"])
    assert "<@U0ALICE> would like to introduce you to <@U0BOB>: answer in your DMs" in carols
    press(driver, "U0BOB", to_bob, "intro.accept")
    accepted = json.dumps(_home(slack, "U0ALICE", "one of them said yes").args["view"])
    # Who said yes is not named: if the other said "not now", it would name them too.
    assert accepted.count("U0BOB") == 1
    press(driver, "U0CAROL", to_carol, "intro.decline")
    declined = json.dumps(_home(slack, "U0ALICE", "not going ahead").args["view"])
    assert "said yes" not in declined
    bot.worker.drain(5)
    # Bob never opened his Home tab: nothing is published for him.
    assert "U0BOB" not in {c.args["user_id"] for c in slack.calls_to("views.publish")}


def test_offers_are_added_and_removed_from_home_by_their_owner_only(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver
) -> None:
    _open_home(driver, "U0ALICE")
    _home(slack, "U0ALICE", "Offer a topic")
    _click(driver, "U0ALICE", "home.offer_add")
    modal = slack.calls_to("views.open")[-1].args["view"]
    assert modal["callback_id"] == "home.offer_added"

    def submit(topics: str, note: str = "") -> dict:
        values = {
            "topics": {"text": payloads.plain_text_value(topics)},
            "note": {"text": payloads.plain_text_value(note)},
        }
        answer = driver.interactive(
            payloads.view_submission(
                user_id="U0ALICE", callback_id=modal["callback_id"], values=values
            )
        )
        assert answer.status_code == 200
        return answer.json() if answer.content else {}

    refused = submit("x" * 90)
    assert refused["response_action"] == "errors"
    assert "short names" in refused["errors"]["topics"]
    assert submit("postgres, k8s", "ten years of DBA") == {}
    home = _home(slack, "U0ALICE", "kubernetes").args["view"]
    removes = [
        b["accessory"]["value"]
        for b in home["blocks"]
        if b.get("accessory", {}).get("action_id") == "home.offer_remove"
    ]
    assert len(removes) == 2
    with bot.runtime.sessions() as session:
        offers = {o.id: o.topic for o in session.scalars(select(Offer))}
    target = next(i for i in removes if offers[int(i)] == "postgresql")
    _click(driver, "U0BOB", "home.offer_remove", target)  # not Bob's offer
    _click(driver, "U0ALICE", "home.offer_remove", "not-a-number")
    with bot.runtime.sessions() as session:
        assert session.get_one(Offer, int(target)).active is True
    _click(driver, "U0ALICE", "home.offer_remove", target)
    with bot.runtime.sessions() as session:
        assert session.get_one(Offer, int(target)).active is False
    slack.wait_for(
        lambda c: (
            c.method == "views.publish"
            and "kubernetes" in json.dumps(c.args["view"])
            and "postgresql" not in json.dumps(c.args["view"])
        )
    )


def test_home_lists_asks_matching_your_offers_and_your_own_open_asks(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver, ask_cmd: Send
) -> None:
    driver.command(command="/offer", text="postgres", user_id="U0BOB", channel_id="C0GENERAL")
    for user in ("U0ALICE", "U0BOB"):
        _open_home(driver, user)
    ask, _ = posted(bot, slack, ask_cmd)
    bobs = _home(slack, "U0BOB", "staging database").args["view"]
    claim = next(
        b["accessory"]
        for b in bobs["blocks"]
        if b.get("accessory", {}).get("action_id") == "ask.claim"
    )
    assert claim["value"] == str(ask.id)
    alices = _home(slack, "U0ALICE", "staging database").args["view"]
    assert "Your open asks" in json.dumps(alices)
    assert "ask.claim" not in json.dumps(alices)  # not asked to help with her own ask
    # "I can help" from the Home tab: there is no channel, so the answer comes by DM.
    _click(driver, "U0BOB", "ask.claim", str(ask.id))
    slack.wait_for(
        lambda c: (
            c.method == "chat.postMessage"
            and c.args["channel"] == "U0BOB"
            and "told the asker" in c.args.get("text", "")
        )
    )


def test_ask_button_on_home_opens_the_ask_form(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver
) -> None:
    _click(driver, "U0ALICE", "home.ask")
    view = slack.calls_to("views.open")[-1].args["view"]
    assert view["callback_id"] == "ask.compose"
    assert json.loads(view["private_metadata"])["in_dm"] is True


def test_the_ask_form_shows_similar_resolved_asks_while_typing(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver, ask_cmd: Send
) -> None:
    from datetime import UTC, datetime

    from app.store.db import transaction
    from app.store.models import Ask

    now = datetime.now(UTC)
    with transaction(bot.runtime.sessions) as session:
        session.add(
            Ask(
                team_id="T0001",
                asker_id="U0CAROL",
                text="Rotating the staging database password fails at step 3",
                topics=[],
                origin_channel_id="C0GENERAL",
                channel_id="C0GENERAL",
                message_ts="1700000000.000001",
                status="resolved",
                created_at=now,
                updated_at=now,
                resolved_at=now,
            )
        )
    assert ask_cmd("").status_code == 200
    opened = slack.calls_to("views.open")[-1].response["view"]

    def typed(text: str, view: dict) -> None:
        payload = payloads.block_actions(
            user_id="U0ALICE",
            action_id="text",
            block_id="need",
            value=text,
            view=view,
            action_type="plain_text_input",
        )
        assert driver.interactive(payload).status_code == 200

    typed(QUESTION, opened)
    update = slack.calls_to("views.update")[-1]
    assert update.response["ok"] is True
    blocks = update.args["view"]["blocks"]
    assert blocks[0]["block_id"] == "need"
    assert "archives/C0GENERAL/p1700000000000001" in json.dumps(blocks[1])
    # Typing on from the old copy of the form: Slack says hash_conflict; the bot shrugs.
    typed(QUESTION + " again", opened)
    stale = slack.calls_to("views.update")[-1]
    assert stale.response["error"] == "hash_conflict"
    # Nothing similar: the form carries no suggestions.
    typed("Where do we order team lunch", update.response["view"])
    assert "archives" not in json.dumps(slack.calls_to("views.update")[-1].args["view"])


def test_an_ask_whose_asker_left_leaves_the_could_help_list_until_they_return(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver, ask_cmd: Send
) -> None:
    driver.command(command="/offer", text="postgres", user_id="U0BOB", channel_id="C0GENERAL")
    posted(bot, slack, ask_cmd)
    _open_home(driver, "U0BOB")
    _home(slack, "U0BOB", "staging database")

    def alice(deleted: bool) -> None:
        user = {**slack.users["U0ALICE"], "deleted": deleted}
        assert driver.event(payloads.event_callback(payloads.user_change_event(user))).is_success

    alice(deleted=True)
    slack.reset_calls()
    _open_home(driver, "U0BOB")
    away = slack.wait_for(lambda c: c.method == "views.publish" and c.args["user_id"] == "U0BOB")
    assert "staging database" not in json.dumps(away[-1].args["view"])
    alice(deleted=False)
    _open_home(driver, "U0BOB")
    _home(slack, "U0BOB", "staging database")
