"""The week's introductions in the digest: listed oldest first, counted among new connections once
per pair, never quoting their reason, never naming the forgotten; on a real database, in the dry
run's terminal text, and end to end in the posted digest."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.calendar import zone
from app.console import blocks_text
from app.digest import runs
from app.digest.blocks import digest_blocks
from app.digest.compose import compose_digest
from app.digest.contents import Digest, Help, HelperLine, Introduced, OpenAsks, Totals
from app.digest.weeks import week_of
from app.directory.service import save_members
from app.intros import answers, making
from app.intros.rules import IntroRequest
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.slackapi.outcomes import Done
from app.slackapi.payloads import Click, Conversation
from app.store.db import SessionFactory, make_engine, make_session_factory, transaction
from app.store.models import Introduction, Member, Workspace
from app.workspaces.service import Identity, ensure_workspace
from tests.cli import inherited, run_app
from tests.digest.test_compose import AFTER, BEFORE, END, MID, START, kudos
from tests.intros.conftest import invitation, press, stored_intros
from tests.kudos.conftest import configure, reply_text
from tests.waiting import eventually

REASON = "SECRET you both fight the flaky search tests"
PEOPLE = {
    "UANA": "Ana",
    "UBEN": "Ben",
    "UCAT": "Cat",
    "UDAN": "Dan",
    "UEVE": "Eve",
    "UFAY": "Fay",
    "UGIL": "Gil",
    "UHAL": "Hal",
    "UZOE": "Zoe",
}


@pytest.fixture
def sessions(database_url: str) -> Iterator[SessionFactory]:
    engine = make_engine(database_url, pool_size=2)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        ensure_workspace(
            session, Identity("T1", "Acme", "UBOT", "BBOT", domain="acme"), BEFORE - timedelta(1)
        )
        workspace = session.get_one(Workspace, "T1")
        workspace.timezone = "America/New_York"
        workspace.intro_daily_limit = 50
        users = [{"id": u, "name": n.lower(), "real_name": n} for u, n in PEOPLE.items()]
        save_members(session, "T1", users, BEFORE)
    yield factory
    engine.dispose()


def introduce(
    sessions: SessionFactory,
    connector: str,
    first: str,
    second: str,
    made: datetime,
    *,
    yes: tuple[str, ...] = (),
    at: datetime | None = None,
) -> int:
    """`connector` introduces the two at `made` (through the real guards); each of `yes` says
    "Happy to connect" at `at` (both: connected then)."""
    request = IntroRequest(
        team_id="T1",
        connector_id=connector,
        people=(first, second),
        reason=REASON,
        # Typed in a DM: the names still show (both accepted); the reason never does.
        where=Conversation("D" + connector, is_private=False, is_dm=True),
    )
    with transaction(sessions) as session:
        intro = making.make(session, request, made)
        assert isinstance(intro, Introduction), intro
        intro_id = intro.id
    for user in yes:
        click = Click("T1", user, "intro.accept", str(intro_id), "D" + user, "1.1", None)
        with transaction(sessions) as session:
            assert isinstance(answers.accept(session, click, at or made), Done)
    return intro_id


def connect(sessions: SessionFactory, connector: str, first: str, second: str, at: datetime) -> int:
    """An introduction made an hour before `at` and accepted by both at `at`."""
    return introduce(
        sessions, connector, first, second, at - timedelta(hours=1), yes=(first, second), at=at
    )


def compose(session: Session, now: datetime = AFTER) -> Digest:
    return compose_digest(session, "T1", START, END, now=now)


def raw_texts(blocks: list[dict[str, Any]]) -> str:
    """The mrkdwn of every section and context, as Slack receives it."""
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    texts += [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    return "\n".join(texts)


def shown(digest: Digest, **options: int) -> str:
    """The notification text, the dry run's terminal text, then the blocks' raw mrkdwn."""
    text, blocks = digest_blocks(digest, **options)
    names = {u: n.lower() for u, n in PEOPLE.items()}
    return "\n".join([text, blocks_text(blocks, names), raw_texts(blocks)])


def test_the_weeks_connected_introductions_are_listed_oldest_first_without_their_reason(
    sessions: SessionFactory,
) -> None:
    # Made last week, connected on the week's first minute (Monday 00:00 in New York).
    introduce(
        sessions, "UCAT", "UBEN", "UHAL", START - timedelta(days=2), yes=("UBEN", "UHAL"), at=START
    )
    connect(sessions, "UANA", "UDAN", "UEVE", MID)
    connect(sessions, "UCAT", "UFAY", "UGIL", START - timedelta(seconds=1))  # Sunday: last week
    connect(sessions, "UANA", "UBEN", "UZOE", END)  # next week
    introduce(sessions, "UANA", "UCAT", "UDAN", MID, yes=("UCAT",))  # one yes: still waiting
    declined = introduce(sessions, "UBEN", "UFAY", "UZOE", MID)
    with transaction(sessions) as session:
        click = Click("T1", "UZOE", "intro.decline", str(declined), "DUZOE", "1.1", None)
        assert isinstance(answers.decline(session, click, MID), Done)
        digest = compose(session)
    assert [(i.connector_name, i.first_name, i.second_name) for i in digest.introductions] == [
        ("Cat", "Ben", "Hal"),
        ("Ana", "Dan", "Eve"),
    ]
    assert digest.introductions[0].at == START
    assert "SECRET" not in repr(digest)
    text = shown(digest)
    assert "SECRET" not in text
    assert "fight the flaky" not in text
    assert "*:wave: Introductions* (2 pairs put in touch)" in text
    assert "• <@UCAT> connected Ben and Hal\n• <@UANA> connected Dan and Eve" in text
    # The dry run's terminal text: the connector by name, as Slack shows a mention.
    assert ":wave: Introductions (2 pairs put in touch)\n• @cat connected Ben and Hal" in text
    assert "2 introductions" in text
    assert text.startswith("Week 2026-W44: 0 kudos, 0 asks resolved, 0 people helped, 2 intro")


def test_an_introduced_pair_counts_once_among_new_connections_even_if_they_had_met(
    sessions: SessionFactory,
) -> None:
    connect(sessions, "UCAT", "UANA", "UBEN", MID)
    with transaction(sessions) as session:
        kudos(session, "UANA", ["UBEN"], MID + timedelta(hours=1))  # and they thanked each other
        kudos(session, "UEVE", ["UDAN"], BEFORE)  # Dan and Eve met long ago...
        kudos(session, "UFAY", ["UEVE"], MID)  # Eve and Fay: first thanks, no introduction
        kudos(session, "UGIL", ["UHAL"], BEFORE)
        kudos(session, "UGIL", ["UHAL"], MID)  # met before, not introduced: not new
    connect(sessions, "UCAT", "UEVE", "UDAN", MID)  # ...and are introduced all the same
    with sessions() as session:
        digest = compose(session)
    assert [(c.first_name, c.second_name, c.introduced) for c in digest.connections] == [
        ("Ana", "Ben", True),
        ("Dan", "Eve", True),
        ("Eve", "Fay", False),
    ]
    text = shown(digest)
    assert "(1 pair connected for the first time, 2 introduced)" in text
    assert "• Ana and Ben (introduced)\n• Dan and Eve (introduced)\n• Eve and Fay" in text


def test_a_week_with_only_introductions_is_not_quiet_and_is_posted(
    sessions: SessionFactory,
) -> None:
    connect(sessions, "UCAT", "UANA", "UBEN", MID)
    with transaction(sessions) as session:
        digest = compose(session)
        assert not digest.is_quiet
        assert [(c.first_id, c.second_id) for c in digest.connections] == [("UANA", "UBEN")]
        text = shown(digest)
        assert "quiet week" not in text
        assert "(1 pair introduced)" in text
        workspace = session.get_one(Workspace, "T1")
        workspace.digest_channel_id = "CDIGEST"
        workspace.digest_when_quiet = False
        week = week_of(MID, zone(workspace.timezone))
        outcome = runs.post(session, workspace, week, AFTER, trigger="manual")
    assert outcome.status == "queued"


def test_the_forgotten_are_never_named_and_the_deactivated_keep_their_history(
    sessions: SessionFactory,
) -> None:
    connect(sessions, "UZOE", "UANA", "UBEN", MID)  # made by someone later forgotten
    connect(sessions, "UDAN", "UEVE", "UZOE", MID)  # of someone later forgotten
    connect(sessions, "UCAT", "UFAY", "UGIL", MID + timedelta(hours=1))
    with transaction(sessions) as session:
        # What `reciprocity forget` leaves of Zoe in the directory; Gil leaves the company.
        zoe = session.get_one(Member, ("T1", "UZOE"))
        zoe.name = zoe.real_name = zoe.display_name = ""
        zoe.forgotten_at = MID + timedelta(days=1)
        session.get_one(Member, ("T1", "UGIL")).deleted = True
    with sessions() as session:
        digest = compose(session)
    assert [(i.connector_id, i.first_name, i.second_name) for i in digest.introductions] == [
        (None, "Ana", "Ben"),
        ("UCAT", "Fay", "Gil"),
    ]
    assert [(c.first_name, c.second_name) for c in digest.connections] == [
        ("Ana", "Ben"),
        ("Fay", "Gil"),
    ]
    text = shown(digest)
    assert "• Someone connected Ana and Ben\n• <@UCAT> connected Fay and Gil" in text
    assert "UZOE" not in text
    assert "Zoe" not in text
    assert "Eve" not in text  # her introduction was to Zoe: not shown, not counted


def test_a_long_list_is_capped_with_how_many_more(sessions: SessionFactory) -> None:
    extra = [{"id": f"UX{n:02d}", "name": f"x{n:02d}"} for n in range(26)]
    with transaction(sessions) as session:
        save_members(session, "T1", extra, BEFORE)
    for n in range(13):
        connect(
            sessions, "UANA", f"UX{2 * n:02d}", f"UX{2 * n + 1:02d}", MID + timedelta(minutes=n)
        )
    with sessions() as session:
        digest = compose(session)
    assert len(digest.introductions) == 13
    assert digest.connection_count == 13
    text = shown(digest)
    assert "(13 pairs put in touch)" in text
    assert "• <@UANA> connected x18 and x19\n…and 3 more introductions." in text
    assert "x20" not in text.split("New connections")[0]


def test_connectors_share_the_ping_budget_with_the_helpers() -> None:
    def helper(user: str) -> HelperLine:
        return HelperLine(user, user, (Help("kudos", user, "UANA", "Ana", "thanks", False, MID),))

    def intro(connector: str) -> Introduced:
        return Introduced(connector, connector.title(), "UBEN", "Ben", "UCAT", "Cat", MID)

    digest = Digest(
        team_id="T1",
        week="2026-W44",
        start=START,
        end=END,
        as_of=AFTER,
        helpers=(helper("UH1"), helper("UH2")),
        top_thanked=(),
        connections=(),
        open_asks=OpenAsks((), 0, 0),
        new_offers=(),
        unmet_topics=(),
        unsung=(),
        totals=Totals(kudos=2, private_kudos=0, asks=0, asks_resolved=0, helpers=2),
        introductions=(intro("UH2"), intro("UCON1"), intro("UCON2")),
    )
    text = shown(digest, max_people=3)
    # Two helpers, then one new connector; the helper who also connected is already mentioned.
    assert "• <@UH2> connected Ben and Cat\n• <@UCON1> connected Ben and Cat\n" in text
    assert "• Ucon2 connected Ben and Cat" in text
    assert "<@UCON2>" not in text


# -- the dry run and the posted digest ------------------------------------------------------------

# The CLI reads the real clock: week 2026-W48's Monday is never in its future.
MONDAY = datetime(2026, 11, 23, 15, tzinfo=UTC)


def test_the_dry_run_shows_the_introductions_by_name(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=1)
    sessions = make_session_factory(engine)
    with transaction(sessions) as session:
        ensure_workspace(session, Identity("T1", "Acme", "UBOT", "BBOT"), MONDAY)
        people = [{"id": u, "name": u[1:].lower()} for u in ("UANA", "UBEN", "UCY")]
        save_members(session, "T1", people, MONDAY)
    introduce(sessions, "UANA", "UBEN", "UCY", MONDAY, yes=("UBEN", "UCY"))
    engine.dispose()
    env = inherited(DATABASE_URL=database_url, LOG_LEVEL="WARNING")
    result = run_app("digest", "--team", "T1", "--week", "2026-W48", "--dry-run", env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    at = lines.index(":wave: Introductions (1 pair put in touch)")
    assert lines[at + 1] == "• @ana connected ben and cy"
    assert ":link: New connections (1 pair introduced)" in lines
    assert "• ben and cy (introduced)" in lines
    assert "1 introduction" in lines[1]
    assert "quiet week" not in result.stdout
    assert "flaky" not in result.stdout
    assert "UANA" not in result.stdout


def test_the_posted_digest_lists_the_introduction_and_counts_the_pair_once(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver
) -> None:
    def kudos_cmd(user: str, text: str) -> None:
        answer = driver.command(command="/kudos", text=text, user_id=user, channel_id="C0GENERAL")
        assert "on their way" in reply_text(answer)

    slack.add_channel("C0DIGEST", "digest")
    configure(bot, digest_channel_id="C0DIGEST")
    kudos_cmd("U0ALICE", "<@U0BOB> thanks for the review")  # Alice and Bob: a first thanks
    kudos_cmd("U0BOB", "<@U0CAROL> thanks for the index fix")  # Bob and Carol: introduced too
    reply = driver.command(
        command="/intro",
        text=f"<@U0BOB> <@U0CAROL> {REASON}",
        user_id="U0ALICE",
        channel_id="C0GENERAL",
        response_url=slack.new_response_url(),
        trigger_id=slack.issue_trigger_id(),
    )
    assert "I've asked" in reply_text(reply)
    press(driver, "U0BOB", invitation(slack, "U0BOB"), "intro.accept")
    eventually(lambda: stored_intros(bot)[0].status == "accepted", what="Bob's yes")
    press(driver, "U0CAROL", invitation(slack, "U0CAROL"), "intro.accept")
    eventually(lambda: stored_intros(bot)[0].group_ts is not None, what="the group DM posted")
    with transaction(bot.runtime.sessions) as session:
        workspace = session.get_one(Workspace, "T0001")
        now = bot.runtime.clock.now()
        week = week_of(now, zone(workspace.timezone))
        assert runs.post(session, workspace, week, now, trigger="manual").status == "so-far"
    [digest] = slack.wait_for(
        lambda c: c.method == "chat.postMessage" and c.args["channel"] == "C0DIGEST"
    )
    blocks = raw_texts(digest.args["blocks"])
    assert "• <@U0ALICE> connected Bob and Carol" in blocks
    assert "(1 pair connected for the first time, 1 introduced)" in blocks
    assert "• Alice and Bob\n• Bob and Carol (introduced)" in blocks
    assert "1 introduction" in digest.args["text"]
    assert "fight the flaky" not in json.dumps(digest.args)
