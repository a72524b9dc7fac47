"""Suggested introductions over a real database: the new-helper rule (checked as an ask is
resolved with credit) and the shared-topic rule (the introductions pass), and each guard."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.asks import lifecycle, resolution
from app.directory.service import save_members
from app.intros import passes, shared_topics, suggestion_answers, suggestions
from app.offers import service as offers
from app.sandbox import payloads
from app.sandbox.answers import Call
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.slackapi.outcomes import Done, OpenView, Refusal, Reply
from app.slackapi.payloads import Click, Conversation
from app.store.db import SessionFactory, make_engine, make_session_factory, transaction
from app.store.models import (
    Ask,
    AskHelper,
    Introduction,
    IntroSuggestion,
    Kudos,
    KudosRecipient,
    Member,
    Offer,
    OutboxMessage,
    Workspace,
)
from app.workspaces.service import Identity, ensure_workspace
from tests.asks.conftest import QUESTION, Send, ask_cmd, click, reply
from tests.clocks import OffsetClock
from tests.conftest import BotFactory, bot_settings
from tests.intros.conftest import button, invitation, stored_intros
from tests.kudos.conftest import reply_text, wait_for_member
from tests.nudges.conftest import dm_to
from tests.waiting import eventually, jump, outbox_drained

PUBLIC = Conversation("C1", is_private=False, is_dm=False, bot_is_member=True)
PRIVATE = Conversation("G1", is_private=True, is_dm=False, bot_is_member=True)
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
PEOPLE = ["UANA", "UBEN", "UCAT", "UDAN"]
POSTGRES = "Vacuum is stuck on our biggest table #postgres"
BENS_POSTGRES = "Autovacuum tuning for a big table? #postgres"
K8S = ["Our ingress keeps timing out #kubernetes", "How should I size pods #kubernetes"]
Suggested = tuple[str, str, str, str, str]
__all__ = ["ask_cmd"]


@pytest.fixture
def sessions(database_url: str) -> Iterator[SessionFactory]:
    engine = make_engine(database_url, pool_size=4)
    factory = make_session_factory(engine)
    then = NOW - timedelta(days=200)
    with transaction(factory) as session:
        ensure_workspace(session, Identity("T1", "Acme", "UBOT", "BBOT"), then)
        people = [{"id": u, "name": u.lower()} for u in PEOPLE]
        save_members(session, "T1", [*people, {"id": "UBOT", "is_bot": True}], then)
    yield factory
    engine.dispose()


def ask(session: Session, who: str, text: str, when: datetime, where: Conversation = PUBLIC) -> Ask:
    return lifecycle.create(session, "T1", who, text, where, when)


def thank(session: Session, giver: str, recipient: str, *, undone: bool = False) -> None:
    """A kudos from `giver` to `recipient` a while ago (taken back if `undone`)."""
    when = NOW - timedelta(days=100)
    session.add(
        Kudos(
            team_id="T1",
            giver_id=giver,
            channel_id="C1",
            message="thanks",
            created_at=when,
            undone_at=when if undone else None,
            recipients=[KudosRecipient(team_id="T1", recipient_id=recipient, giver_id=giver)],
        )
    )
    session.flush()


def credited(session: Session, helper: str, asker: str, days_ago: int = 100) -> None:
    """`helper` was credited on an earlier ask of `asker`."""
    when = NOW - timedelta(days=days_ago)
    earlier = ask(session, asker, "An old question about the office printer", when)
    earlier.helpers.append(
        AskHelper(team_id="T1", helper_id=helper, asker_id=asker, credited_at=when)
    )
    session.flush()


def suggested_before(
    session: Session, to: str, pair: tuple[str, str], days_ago: int, topic: str = "x"
) -> None:
    session.add(
        IntroSuggestion(
            team_id="T1",
            suggested_to=to,
            first_id=pair[0],
            second_id=pair[1],
            kind="shared_topic",
            topic=topic,
            created_at=NOW - timedelta(days=days_ago),
            answer="dismissed",
        )
    )
    session.flush()


def introduced(session: Session, pair: tuple[str, str], days_ago: int) -> None:
    when = NOW - timedelta(days=days_ago)
    session.add(
        Introduction(
            team_id="T1",
            connector_id="UDAN",
            first_id=pair[0],
            second_id=pair[1],
            reason="you should talk",
            channel_id="D1",
            created_at=when,
            expires_at=when + timedelta(days=7),
        )
    )
    session.flush()


def member(session: Session, user_id: str) -> Member:
    return session.get_one(Member, ("T1", user_id))


def all_suggested(sessions: SessionFactory) -> list[Suggested]:
    with sessions() as session:
        rows = session.scalars(select(IntroSuggestion).order_by(IntroSuggestion.id))
        return [(s.suggested_to, s.first_id, s.second_id, s.kind, s.topic) for s in rows]


def new_ones(sessions: SessionFactory) -> list[Suggested]:
    """The suggestions made at NOW (not the ones a test stored as history)."""
    with sessions() as session:
        rows = session.scalars(
            select(IntroSuggestion)
            .where(IntroSuggestion.created_at == NOW)
            .order_by(IntroSuggestion.id)
        )
        return [(s.suggested_to, s.first_id, s.second_id, s.kind, s.topic) for s in rows]


# -- rule 1: a new helper, and someone the asker knows who asked about the same topic ---------

Setup = Callable[[Session], object]
BEN_ASKED = NOW - timedelta(days=10)
CAT_AND_BEN = ("UBEN", "UCAT", "new_helper", "postgresql")


def resolve_with_credit(
    sessions: SessionFactory,
    setup: Setup = lambda session: None,
    *,
    ben_asks: Conversation | None = PUBLIC,
    ben_asked: datetime = BEN_ASKED,
    ana_asks: Conversation = PUBLIC,
    ana_knows_ben: bool = True,
    helper: str = "UCAT",
    now: datetime = NOW,
) -> list[Suggested]:
    """Ben asked about postgres; Ana (who thanked Ben once) asks about it and credits `helper`;
    return the suggestions that resolution made."""
    with transaction(sessions) as session:
        if ben_asks is not None:
            ask(session, "UBEN", BENS_POSTGRES, ben_asked, ben_asks)
        if ana_knows_ben:
            thank(session, "UANA", "UBEN")
        setup(session)
    with transaction(sessions) as session:
        anas = ask(session, "UANA", POSTGRES, now - timedelta(hours=1), ana_asks)
        resolution.credit(session, anas, [helper], "", now)
    with sessions() as session:
        rows = session.scalars(
            select(IntroSuggestion)
            .where(IntroSuggestion.created_at == now)
            .order_by(IntroSuggestion.id)
        )
        return [(s.suggested_to, s.first_id, s.second_id, s.kind, s.topic) for s in rows]


def test_a_new_helper_is_suggested_to_the_asker_who_knows_both(sessions: SessionFactory) -> None:
    assert resolve_with_credit(sessions) == [("UANA", *CAT_AND_BEN)]
    with sessions() as session:
        suggestion = session.scalars(select(IntroSuggestion)).one()
        dm = session.scalars(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == suggestions.key(suggestion.id))
        ).one()
    assert (dm.method, dm.args["user"]) == ("dm", "UANA")
    text = dm.args["text"]
    assert "<@UCAT> just helped you with `postgresql`" in text
    assert "<@UBEN> asked about `postgresql` recently" in text
    # The topic only: neither ask's words.
    assert "Autovacuum" not in str(dm.args)
    assert "Vacuum" not in str(dm.args)
    buttons = [e["action_id"] for e in dm.args["blocks"][-1]["elements"]]
    assert buttons == ["intro.suggestion.introduce", "intro.suggestion.dismiss"]


def test_knowing_each_other_through_credit_counts_too(sessions: SessionFactory) -> None:
    made = resolve_with_credit(sessions, lambda s: credited(s, "UANA", "UBEN"), ana_knows_ben=False)
    assert made == [("UANA", *CAT_AND_BEN)]


def _off(session: Session) -> None:
    session.get_one(Workspace, "T1").intro_suggestions = False


def _deactivated(user: str) -> Setup:
    return lambda session: setattr(member(session, user), "deleted", True)


def _forgotten(user: str) -> Setup:
    return lambda session: setattr(member(session, user), "forgotten_at", NOW)


@pytest.mark.parametrize(
    ("setup", "options"),
    [
        pytest.param(_off, {}, id="setting off"),
        pytest.param(
            lambda s: suggested_before(s, "UANA", ("UDAN", "UCAT"), 3), {}, id="weekly limit"
        ),
        pytest.param(
            lambda s: suggested_before(s, "UANA", ("UCAT", "UBEN"), 60), {}, id="already suggested"
        ),
        pytest.param(lambda s: introduced(s, ("UCAT", "UBEN"), 20), {}, id="introduced recently"),
        pytest.param(
            lambda s: suggested_before(s, "UDAN", ("UBEN", "UCAT"), 20),
            {},
            id="suggested to someone else recently",
        ),
        pytest.param(lambda s: None, {"ben_asks": PRIVATE}, id="private ask not used"),
        pytest.param(lambda s: None, {"ana_asks": PRIVATE}, id="asker's own ask private"),
        pytest.param(_deactivated("UBEN"), {}, id="deactivated asker of the topic"),
        pytest.param(_deactivated("UCAT"), {}, id="deactivated helper"),
        pytest.param(_forgotten("UBEN"), {}, id="forgotten asker of the topic"),
        pytest.param(lambda s: None, {"helper": "UBOT"}, id="bot helper"),
        pytest.param(lambda s: credited(s, "UCAT", "UANA"), {}, id="helped the asker before"),
        pytest.param(lambda s: None, {"ana_knows_ben": False}, id="asker doesn't know them"),
        pytest.param(lambda s: thank(s, "UBEN", "UCAT"), {}, id="the two know each other"),
        pytest.param(lambda s: credited(s, "UCAT", "UBEN"), {}, id="helper helped them"),
        pytest.param(
            lambda s: thank(s, "UANA", "UBEN", undone=True),
            {"ana_knows_ben": False},
            id="an undone kudos is no acquaintance",
        ),
        pytest.param(
            lambda s: None, {"ben_asked": NOW - timedelta(days=31)}, id="asked too long ago"
        ),
        pytest.param(lambda s: None, {"helper": "UBEN"}, id="the helper is the other asker"),
    ],
)
def test_new_helper_guards(
    sessions: SessionFactory, setup: Setup, options: dict[str, object]
) -> None:
    assert resolve_with_credit(sessions, setup, **options) == []


@pytest.mark.parametrize(
    "setup",
    [
        pytest.param(lambda s: suggested_before(s, "UANA", ("UDAN", "UCAT"), 8), id="a week on"),
        pytest.param(lambda s: introduced(s, ("UCAT", "UBEN"), 31), id="introduced long ago"),
        pytest.param(lambda s: credited(s, "UCAT", "UDAN"), id="helped someone else"),
    ],
)
def test_what_the_guards_let_through(sessions: SessionFactory, setup: Setup) -> None:
    assert resolve_with_credit(sessions, setup) == [("UANA", *CAT_AND_BEN)]


# -- rule 2: two people keep asking about what a third offers ---------------------------------


def keep_asking(session: Session, who: str, where: Conversation = PUBLIC, days: int = 0) -> None:
    """`who` asks twice about kubernetes, the first time `days` days earlier than usual."""
    ask(session, who, K8S[0], NOW - timedelta(days=20 + days), where)
    ask(session, who, K8S[1], NOW - timedelta(days=3))


def offer(session: Session, who: str, topic: str = "kubernetes") -> None:
    offers.add(session, "T1", who, [topic], "", NOW - timedelta(days=100))


def shared_topic_pass(sessions: SessionFactory, setup: Setup = lambda session: None) -> int:
    """Ana and Ben keep asking about kubernetes, which Cat offers; run the pass at NOW."""
    with transaction(sessions) as session:
        keep_asking(session, "UANA")
        keep_asking(session, "UBEN")
        offer(session, "UCAT")
        setup(session)
    with transaction(sessions) as session:
        return shared_topics.suggest_shared_topics(session, NOW)


ANA_AND_BEN = ("UCAT", "UANA", "UBEN", "shared_topic", "kubernetes")


def test_two_people_who_keep_asking_are_suggested_to_who_offers_it(
    sessions: SessionFactory,
) -> None:
    assert shared_topic_pass(sessions) == 1
    assert new_ones(sessions) == [ANA_AND_BEN]
    with sessions() as session:
        dm = session.scalars(
            select(OutboxMessage).where(OutboxMessage.dedupe_key.like("intro-suggestion:%"))
        ).one()
    assert dm.args["user"] == "UCAT"
    assert "<@UANA> and <@UBEN> both keep asking about `kubernetes`, which you offer" in str(
        dm.args["text"]
    )
    assert "ingress" not in str(dm.args)
    # Run again (or by a second scheduler): nothing new.
    with transaction(sessions) as session:
        assert shared_topics.suggest_shared_topics(session, NOW) == 0
    assert new_ones(sessions) == [ANA_AND_BEN]


def test_only_one_offerer_is_asked_about_a_pair(sessions: SessionFactory) -> None:
    assert shared_topic_pass(sessions, lambda s: offer(s, "UDAN")) == 1
    assert len(new_ones(sessions)) == 1


def _withdrawn(session: Session) -> None:
    session.scalars(select(Offer).where(Offer.user_id == "UCAT")).one().active = False


def _ben_asks_once_in_private(session: Session) -> None:
    # Ben's second kubernetes ask is in a private channel: only one of his counts.
    for row in session.scalars(select(Ask).where(Ask.asker_id == "UBEN")).all()[:1]:
        row.channel_is_private = True


def _too_old(session: Session) -> None:
    for row in session.scalars(select(Ask).where(Ask.asker_id == "UBEN")).all()[:1]:
        row.created_at = NOW - timedelta(weeks=8, days=1)


@pytest.mark.parametrize(
    "setup",
    [
        pytest.param(_off, id="setting off"),
        pytest.param(lambda s: suggested_before(s, "UCAT", ("UDAN", "UANA"), 2), id="weekly limit"),
        pytest.param(
            lambda s: suggested_before(s, "UCAT", ("UBEN", "UANA"), 60), id="already suggested"
        ),
        pytest.param(lambda s: introduced(s, ("UBEN", "UANA"), 5), id="introduced recently"),
        pytest.param(
            lambda s: suggested_before(s, "UDAN", ("UBEN", "UANA"), 20),
            id="suggested to someone else recently",
        ),
        pytest.param(_ben_asks_once_in_private, id="private ask not used"),
        pytest.param(_deactivated("UBEN"), id="deactivated asker"),
        pytest.param(_deactivated("UCAT"), id="deactivated offerer"),
        pytest.param(_forgotten("UANA"), id="forgotten asker"),
        pytest.param(_withdrawn, id="offer withdrawn"),
        pytest.param(_too_old, id="an ask older than 8 weeks"),
    ],
)
def test_shared_topic_guards(sessions: SessionFactory, setup: Setup) -> None:
    assert shared_topic_pass(sessions, setup) == 0
    assert new_ones(sessions) == []


def test_an_offerer_is_never_asked_to_introduce_themselves(sessions: SessionFactory) -> None:
    with transaction(sessions) as session:
        keep_asking(session, "UANA")
        keep_asking(session, "UCAT")
        offer(session, "UCAT")
    with transaction(sessions) as session:
        assert shared_topics.suggest_shared_topics(session, NOW) == 0
    with transaction(sessions) as session:
        offer(session, "UDAN")
    with transaction(sessions) as session:
        assert shared_topics.suggest_shared_topics(session, NOW) == 1
    assert new_ones(sessions) == [("UDAN", "UANA", "UCAT", "shared_topic", "kubernetes")]


def test_two_people_who_share_two_topics_are_suggested_once(sessions: SessionFactory) -> None:
    def terraform_too(session: Session) -> None:
        for who in ("UANA", "UBEN"):
            for days in (15, 2):
                ask(session, who, "How do I split modules #terraform", NOW - timedelta(days=days))
        offer(session, "UDAN", "terraform")

    assert shared_topic_pass(sessions, terraform_too) == 1
    assert new_ones(sessions) == [ANA_AND_BEN]


def test_a_week_later_the_same_offerer_gets_the_next_pair(sessions: SessionFactory) -> None:
    assert shared_topic_pass(sessions, lambda s: keep_asking(s, "UDAN")) == 1
    with transaction(sessions) as session:
        assert shared_topics.suggest_shared_topics(session, NOW + timedelta(days=6)) == 0
    with transaction(sessions) as session:
        assert shared_topics.suggest_shared_topics(session, NOW + timedelta(days=7)) == 1
    pairs = [(s[1], s[2]) for s in all_suggested(sessions)]
    assert pairs == [("UANA", "UBEN"), ("UANA", "UDAN")]


def test_passes_side_by_side_offer_a_pair_to_one_person(sessions: SessionFactory) -> None:
    with transaction(sessions) as session:
        keep_asking(session, "UANA")
        keep_asking(session, "UBEN")
        offer(session, "UCAT")
        offer(session, "UDAN")
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with transaction(sessions) as session:
                shared_topics.suggest_shared_topics(session, NOW)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(new_ones(sessions)) == 1


# -- answering a suggestion --------------------------------------------------------------------


def _click(user: str, suggestion_id: int, action: str = "") -> Click:
    return Click("T1", user, action, str(suggestion_id), "D0ANA", "1.0", "trigger")


def _made(sessions: SessionFactory) -> int:
    assert resolve_with_credit(sessions) == [("UANA", *CAT_AND_BEN)]
    with sessions() as session:
        return session.scalars(select(IntroSuggestion.id)).one()


def _answer_of(sessions: SessionFactory, suggestion_id: int) -> str | None:
    with sessions() as session:
        return session.get_one(IntroSuggestion, suggestion_id).answer


def test_introduce_them_opens_the_prefilled_form_and_only_for_the_one_asked(
    sessions: SessionFactory,
) -> None:
    made = _made(sessions)
    later = NOW + timedelta(minutes=5)
    with transaction(sessions) as session:
        refused = suggestion_answers.introduce(session, _click("UBEN", made), later)
        assert isinstance(refused, Refusal)
        assert "Only the person I suggested this to" in refused.text
    assert _answer_of(sessions, made) is None
    for _ in range(2):  # a second click opens the form again; the answer stands
        with transaction(sessions) as session:
            opened = suggestion_answers.introduce(session, _click("UANA", made), later)
        assert isinstance(opened, OpenView)
        pickers = [b["element"].get("initial_user") for b in opened.view["blocks"][:2]]
        assert pickers == ["UBEN", "UCAT"]
        reason = opened.view["blocks"][2]["element"]["initial_value"]
        assert reason.startswith("ucat just helped me with postgresql, and uben")
        assert json.loads(opened.view["private_metadata"])["in_dm"] is True
    assert _answer_of(sessions, made) == "introduced"
    with transaction(sessions) as session:
        # "No thanks" after the form was opened changes nothing: the first answer stands.
        suggestion_answers.dismiss(session, _click("UANA", made), later)
        edits = session.scalars(
            select(OutboxMessage.dedupe_key).where(OutboxMessage.method == "chat.update")
        ).all()
    assert _answer_of(sessions, made) == "introduced"
    assert [k for k in edits if k.startswith("intro-suggestion:")] == [
        f"intro-suggestion:{made}:introduced"
    ]


def test_no_thanks_edits_the_dm_and_the_form_is_no_longer_offered(
    sessions: SessionFactory,
) -> None:
    made = _made(sessions)
    later = NOW + timedelta(minutes=5)
    with transaction(sessions) as session:
        assert isinstance(suggestion_answers.dismiss(session, _click("UANA", made), later), Done)
        edit = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.dedupe_key == f"intro-suggestion:{made}:dismissed"
            )
        ).one()
        assert edit.after_key == f"intro-suggestion:{made}"
        assert "intro.suggestion" not in json.dumps(edit.args["blocks"])
        assert "won't suggest these two" in edit.args["text"]
    with transaction(sessions) as session:
        again = suggestion_answers.introduce(session, _click("UANA", made), later)
    assert isinstance(again, Reply)
    assert "no thanks" in again.text
    assert _answer_of(sessions, made) == "dismissed"


# -- end to end over Slack: a resolution, the DM, and both buttons ----------------------------

MONDAY_10_NY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
NEW_HELPERS = ("U0ERIN", "U0FRANK")
_replies = itertools.count(1)


@pytest.fixture
def clock() -> OffsetClock:
    return OffsetClock(MONDAY_10_NY)


@pytest.fixture
def bot(
    database_url: str,
    slack: SlackStandIn,
    clock: OffsetClock,
    slack_mode: str,
    serve_bot: BotFactory,
) -> BotServer:
    """The bot on `clock`, with two more people who can help."""
    for user in NEW_HELPERS:
        slack.add_user(user, user[3:].lower())
    served = serve_bot(bot_settings(database_url, slack, slack_mode), clock=clock)
    for user in ("U0ALICE", "U0BOB", "U0CAROL", *NEW_HELPERS):
        wait_for_member(served, user)
    return served


def _latest_ask(bot: BotServer, asker: str) -> Ask:
    """The asker's newest ask, once its post's ts is recorded."""

    def newest() -> Ask | None:
        with bot.runtime.sessions() as session:
            row = session.scalars(
                select(Ask).where(Ask.asker_id == asker).order_by(Ask.id.desc()).limit(1)
            ).first()
            if row is not None:
                session.expunge(row)
            return row

    return eventually(newest, lambda a: a is not None and a.message_ts, what="the ask's post")


def _bob_asked_and_alice_knows_him(driver: SlackDriver, ask_cmd: Send) -> None:
    assert "is posted" in reply_text(
        ask_cmd("Any advice on tuning autovacuum for a big table? #postgres", user="U0BOB")
    )
    thanks = driver.command(
        command="/kudos",
        text="<@U0BOB|bob> thanks for reviewing my migration",
        user_id="U0ALICE",
        channel_id="C0GENERAL",
    )
    assert thanks.status_code == 200


def _alice_helped_by(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver, ask_cmd: Send, helper: str
) -> None:
    """Alice asks about postgres, `helper` answers in the thread, Alice resolves crediting them."""
    assert "is posted" in reply_text(ask_cmd(f"{QUESTION} (take {next(_replies)})"))
    ask = _latest_ask(bot, "U0ALICE")
    reply(driver, ask, helper, f"9000000001.{next(_replies):06d}")
    before = len(slack.calls_to("views.open"))
    click(driver, slack, "U0ALICE", "ask.resolve", ask)
    view = slack.wait_for("views.open", count=before + 1)[-1].args["view"]
    values = {
        "helpers": {"users": payloads.multi_users_select_value([helper])},
        "note": {"text": payloads.plain_text_value("")},
    }
    done = driver.interactive(
        payloads.view_submission(
            user_id="U0ALICE",
            callback_id=view["callback_id"],
            values=values,
            private_metadata=view["private_metadata"],
        )
    )
    assert done.status_code == 200


def _suggestion_dms(slack: SlackStandIn) -> list[Call]:
    return [
        c
        for c in slack.calls_to("chat.postMessage")
        if c.ok and c.args.get("channel") == "U0ALICE" and "just helped you" in c.args["text"]
    ]


def _click_on(driver: SlackDriver, slack: SlackStandIn, on: Call, action_id: str) -> None:
    payload = payloads.block_actions(
        user_id="U0ALICE",
        action_id=action_id,
        value=button(on, action_id)["value"],
        channel_id=on.response["channel"],
        message_ts=on.response["ts"],
        trigger_id=slack.issue_trigger_id(),
    )
    assert driver.interactive(payload).status_code == 200


def _stored_suggestions(bot: BotServer) -> list[tuple[str, str | None]]:
    with bot.runtime.sessions() as session:
        rows = session.scalars(select(IntroSuggestion).order_by(IntroSuggestion.id))
        return [(row.second_id, row.answer) for row in rows]


def test_a_resolution_suggests_an_introduction_and_introduce_them_opens_the_form(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver, ask_cmd: Send
) -> None:
    _bob_asked_and_alice_knows_him(driver, ask_cmd)
    _alice_helped_by(bot, slack, driver, ask_cmd, "U0CAROL")
    dm = dm_to(slack, "U0ALICE", "just helped you")
    assert "<@U0CAROL> just helped you with `postgresql`" in dm.args["text"]
    assert "<@U0BOB> asked about `postgresql` recently" in dm.args["text"]
    assert "autovacuum" not in json.dumps(dm.args)
    _click_on(driver, slack, dm, "intro.suggestion.introduce")
    form = slack.wait_for(
        lambda c: c.method == "views.open" and c.args["view"]["callback_id"] == "intro.make"
    )[-1].args["view"]
    assert [b["element"].get("initial_user") for b in form["blocks"][:2]] == ["U0BOB", "U0CAROL"]
    reason = form["blocks"][2]["element"]["initial_value"]
    assert "just helped me with postgresql" in reason
    eventually(lambda: _stored_suggestions(bot), lambda s: s == [("U0CAROL", "introduced")])
    # Sent as it was prefilled, it is an ordinary introduction: both are asked privately.
    values = {
        "first": {"user": payloads.users_select_value("U0BOB")},
        "second": {"user": payloads.users_select_value("U0CAROL")},
        "reason": {"text": payloads.plain_text_value(reason)},
    }
    sent = driver.interactive(
        payloads.view_submission(
            user_id="U0ALICE",
            callback_id="intro.make",
            values=values,
            private_metadata=form["private_metadata"],
        )
    )
    assert sent.status_code == 200
    assert "just helped me with postgresql" in json.dumps(invitation(slack, "U0BOB").args)
    [intro] = stored_intros(bot)
    assert (intro.connector_id, intro.first_id, intro.second_id, intro.source) == (
        "U0ALICE",
        "U0BOB",
        "U0CAROL",
        "form",
    )


def test_no_thanks_edits_the_dm_and_no_second_suggestion_comes_that_week(
    bot: BotServer,
    slack: SlackStandIn,
    driver: SlackDriver,
    ask_cmd: Send,
    clock: OffsetClock,
) -> None:
    _bob_asked_and_alice_knows_him(driver, ask_cmd)
    _alice_helped_by(bot, slack, driver, ask_cmd, "U0CAROL")
    dm = dm_to(slack, "U0ALICE", "just helped you")
    _click_on(driver, slack, dm, "intro.suggestion.dismiss")
    edit = slack.wait_for(
        lambda c: c.method == "chat.update" and c.args.get("ts") == dm.response["ts"]
    )[-1]
    assert edit.args["channel"] == dm.response["channel"]
    assert "won't suggest these two" in edit.args["text"]
    assert "intro.suggestion" not in json.dumps(edit.args["blocks"])
    eventually(lambda: _stored_suggestions(bot), lambda s: s == [("U0CAROL", "dismissed")])
    # Erin is just as new a helper, but Alice had her suggestion this week.
    _alice_helped_by(bot, slack, driver, ask_cmd, "U0ERIN")
    outbox_drained(bot)
    assert len(_suggestion_dms(slack)) == 1
    assert _stored_suggestions(bot) == [("U0CAROL", "dismissed")]
    # A week on, Frank's help brings the next one.
    jump(bot, clock, timedelta(days=8))
    _alice_helped_by(bot, slack, driver, ask_cmd, "U0FRANK")
    assert "<@U0FRANK> just helped you" in dm_to(slack, "U0ALICE", "U0FRANK").args["text"]
    assert len(_suggestion_dms(slack)) == 2


def test_the_introductions_pass_runs_the_shared_topic_step(sessions: SessionFactory) -> None:
    with transaction(sessions) as session:
        keep_asking(session, "UANA")
        keep_asking(session, "UBEN")
        offer(session, "UCAT")
    first = passes.run_pass(sessions, NOW)
    assert (first.done["suggested"], first.failed) == (1, [])
    assert passes.run_pass(sessions, NOW + timedelta(minutes=5)).done["suggested"] == 0
    assert new_ones(sessions) == [ANA_AND_BEN]


def test_a_workspace_gets_a_trickle_of_shared_topic_suggestions_not_a_flood(
    sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Three pairs could be suggested at once (Ana, Ben and Dan keep asking; Cat, Eve and Fay
    # offer); with a daily budget of two, the third waits for the next day.
    monkeypatch.setattr(shared_topics, "PER_DAY", 2)
    with transaction(sessions) as session:
        save_members(session, "T1", [{"id": "UEVE", "name": "eve"}, {"id": "UFAY"}], NOW)
        for who in ("UEVE", "UFAY"):
            offer(session, who)
    assert shared_topic_pass(sessions, lambda s: keep_asking(s, "UDAN")) == 2
    with transaction(sessions) as session:
        assert shared_topics.suggest_shared_topics(session, NOW + timedelta(hours=23)) == 0
    with transaction(sessions) as session:
        assert shared_topics.suggest_shared_topics(session, NOW + timedelta(hours=25)) == 1
    assert len(all_suggested(sessions)) == 3
