"""The Home tab's "Your introductions": read from a real database, and drawn as Block Kit."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from app.directory.service import save_members
from app.home.blocks import OFFERS_SHOWN, home_view
from app.home.content import (
    INTROS_SHOWN,
    INVITES_SHOWN,
    SHOWN,
    AskLine,
    HomeContent,
    IntroLine,
    InviteLine,
    KudosLine,
    OfferLine,
    load,
)
from app.store.db import SessionFactory, make_engine, make_session_factory, transaction
from app.store.models import Introduction, IntroPerson
from app.store.statuses import IntroAnswer, IntroStatus
from app.workspaces.service import Identity, ensure_workspace

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
PEOPLE = ("UANA", "UBEN", "UCAT", "UDAN", "UEVE")


@pytest.fixture
def sessions(database_url: str) -> Iterator[SessionFactory]:
    engine = make_engine(database_url, pool_size=2)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        ensure_workspace(session, Identity("T1", "Acme", "UBOT", "BBOT"), NOW - timedelta(90))
        users = [{"id": u, "name": u.lower()} for u in PEOPLE]
        save_members(session, "T1", users, NOW - timedelta(90))
    yield factory
    engine.dispose()


def _intro(
    session: Session,
    connector: str,
    first: str,
    second: str,
    made: datetime,
    status: IntroStatus = IntroStatus.WAITING,
    answers: tuple[str | None, str | None] = (None, None),
) -> Introduction:
    intro = Introduction(
        team_id="T1",
        connector_id=connector,
        first_id=first,
        second_id=second,
        reason="you both like search",
        channel_id="C1",
        status=status,
        created_at=made,
        expires_at=made + timedelta(days=7),
        connected_at=made + timedelta(days=1) if status == IntroStatus.CONNECTED else None,
        people=[
            IntroPerson(team_id="T1", user_id=person, answer=answer)
            for person, answer in zip((first, second), answers, strict=True)
        ],
    )
    session.add(intro)
    return intro


def test_a_connector_sees_the_last_thirty_days_newest_first_at_most_ten(
    sessions: SessionFactory,
) -> None:
    with transaction(sessions) as session:
        _intro(session, "UANA", "UBEN", "UCAT", NOW - timedelta(days=31))  # too old
        for hours in range(12):
            _intro(session, "UANA", "UBEN", "UDAN", NOW - timedelta(days=20, hours=hours))
        _intro(session, "UBEN", "UCAT", "UDAN", NOW - timedelta(days=1))  # someone else's
    with sessions() as session:
        home = load(session, "T1", "UANA", NOW)
    assert len(home.intros) == INTROS_SHOWN == 10
    made = [i.created_at for i in home.intros]
    assert made == sorted(made, reverse=True)
    assert made[0] == NOW - timedelta(days=20)
    assert {(i.first_id, i.second_id) for i in home.intros} == {("UBEN", "UDAN")}


def test_each_state_is_read_as_of_now(sessions: SessionFactory) -> None:
    day = timedelta(days=1)
    with transaction(sessions) as session:
        _intro(session, "UANA", "UBEN", "UCAT", NOW - 2 * day)
        _intro(
            session,
            "UANA",
            "UBEN",
            "UDAN",
            NOW - 3 * day,
            IntroStatus.ACCEPTED,
            (IntroAnswer.ACCEPTED, None),
        )
        _intro(session, "UANA", "UCAT", "UDAN", NOW - 4 * day, IntroStatus.CONNECTED)
        _intro(session, "UANA", "UBEN", "UEVE", NOW - 5 * day, IntroStatus.DECLINED)
        # Past its expiry, not yet marked by the expiry pass: expired all the same.
        _intro(session, "UANA", "UCAT", "UEVE", NOW - 8 * day)
        _intro(session, "UANA", "UDAN", "UEVE", NOW - 9 * day, IntroStatus.EXPIRED)
    with sessions() as session:
        home = load(session, "T1", "UANA", NOW)
    assert [i.state for i in home.intros] == [
        "waiting",
        "accepted",
        "connected",
        "declined",
        "expired",
        "expired",
    ]
    assert home.intros[2].connected_at == NOW - 3 * day
    assert home.invites == []


def test_an_invitation_waiting_for_your_own_answer_is_shown_until_you_answer(
    sessions: SessionFactory,
) -> None:
    with transaction(sessions) as session:
        _intro(session, "UANA", "UBEN", "UCAT", NOW - timedelta(days=1))
        _intro(
            session,
            "UDAN",
            "UEVE",
            "UBEN",
            NOW - timedelta(days=2),
            IntroStatus.ACCEPTED,
            (IntroAnswer.ACCEPTED, None),
        )
        # Answered already, closed, or past its expiry: nothing to answer.
        _intro(
            session,
            "UEVE",
            "UBEN",
            "UDAN",
            NOW - timedelta(days=1),
            IntroStatus.ACCEPTED,
            (IntroAnswer.ACCEPTED, None),
        )
        _intro(session, "UCAT", "UBEN", "UEVE", NOW - timedelta(days=1), IntroStatus.DECLINED)
        _intro(session, "UCAT", "UBEN", "UDAN", NOW - timedelta(days=8))
    with sessions() as session:
        bens = load(session, "T1", "UBEN", NOW)
        cats = load(session, "T1", "UCAT", NOW)
    # Soonest to expire first.
    assert bens.invites == [
        InviteLine("UDAN", "UEVE", NOW + timedelta(days=5)),
        InviteLine("UANA", "UCAT", NOW + timedelta(days=6)),
    ]
    assert bens.intros == []
    assert cats.invites == [InviteLine("UANA", "UBEN", NOW + timedelta(days=6))]
    assert INVITES_SHOWN == 3


def _line(state: str, connected: datetime | None = None) -> IntroLine:
    return IntroLine("UBEN", "UCAT", state, NOW, NOW + timedelta(days=7), connected)


def _text(content: HomeContent) -> str:
    return json.dumps(home_view(content), ensure_ascii=False)


def _home(
    *,
    my_asks: Sequence[AskLine] = (),
    could_help: Sequence[AskLine] = (),
    offers: Sequence[OfferLine] = (),
    kudos: Sequence[KudosLine] = (),
    intros: Sequence[IntroLine] = (),
    invites: Sequence[InviteLine] = (),
) -> HomeContent:
    return HomeContent(
        "UANA",
        "acme",
        list(my_asks),
        list(could_help),
        list(offers),
        list(kudos),
        list(intros),
        list(invites),
    )


@pytest.mark.parametrize(
    ("state", "shown"),
    [
        ("waiting", "waiting for both to answer, open until <!date^"),
        ("accepted", "one of them said yes, waiting for the other, open until"),
        ("connected", ":handshake: connected <!date^1796742000^{date_short_pretty}|2026-12-08>"),
        ("declined", "not going ahead"),
        ("expired", "expired before both said yes"),
    ],
)
def test_each_state_reads_gently(state: str, shown: str) -> None:
    connected = NOW + timedelta(days=1) if state == "connected" else None
    text = _text(_home(intros=[_line(state, connected)]))
    assert f"<@UBEN> and <@UCAT>  ·  {shown}" in text
    assert "Your introductions" in text
    # Nobody is named as the one who said yes or "not now".
    assert text.count("<@UBEN>") == text.count("<@UCAT>") == 1


def test_no_introductions_says_how_to_make_one() -> None:
    text = _text(_home())
    assert "None made in the last 30 days" in text
    assert "`/intro @first @second why`" in text


def test_an_invitation_waiting_for_you_is_above_your_own() -> None:
    invite = InviteLine("UDAN", "UEVE", NOW + timedelta(days=3))
    blocks = home_view(_home(intros=[_line("waiting")], invites=[invite]))["blocks"]
    texts = [json.dumps(b) for b in blocks]
    mine = next(i for i, t in enumerate(texts) if "Your introductions" in t)
    assert "<@UDAN> would like to introduce you to <@UEVE>: answer in your DMs" in texts[mine + 1]
    assert "<@UBEN> and <@UCAT>" in texts[mine + 2]
    assert "None made" not in "".join(texts)


def test_a_home_with_every_section_full_stays_within_slacks_100_blocks() -> None:
    ask = AskLine(1, "UBEN", "How?", "open", "C1", "1.1")
    kudos = KudosLine("UBEN", ("UANA",), "thanks", NOW)
    invite = InviteLine("UDAN", "UEVE", NOW)
    offers = [OfferLine(i, f"topic{i}", "") for i in range(200)]
    full = _home(
        my_asks=[ask] * SHOWN,
        could_help=[ask] * SHOWN,
        offers=offers,
        kudos=[kudos] * SHOWN,
        intros=[_line("waiting")] * INTROS_SHOWN,
        invites=[invite] * INVITES_SHOWN,
    )
    view = home_view(full)
    assert len(view["blocks"]) == 73
    removes = [b for b in view["blocks"] if "home.offer_remove" in json.dumps(b)]
    assert len(removes) == OFFERS_SHOWN
    assert f"and {200 - OFFERS_SHOWN} more: `/offer list` shows them all." in json.dumps(view)
    # Exactly as many offers as fit: no "more" line.
    assert "more:" not in _text(_home(offers=offers[:OFFERS_SHOWN]))
