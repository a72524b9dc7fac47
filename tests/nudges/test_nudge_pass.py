"""The nudge pass over a real database: rounds in working hours, follow-ups, stale closing,
keeping an ask open, the offer check, and running twice or side by side changing nothing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select

from app.asks import lifecycle, matching, threads
from app.directory.service import save_members
from app.nudges import choices, offer_checks, service
from app.offers import service as offers
from app.slackapi.payloads import Click, Conversation
from app.store.db import SessionFactory, make_engine, make_session_factory, transaction
from app.store.models import Ask, AskMatch, AskNudge, Offer, OutboxMessage, Workspace
from app.workspaces.service import Identity, ensure_workspace

NY = ZoneInfo("America/New_York")
PUBLIC = Conversation("C1", is_private=False, is_dm=False, bot_is_member=True)
EXPERTS = ["UANA", "UBEN", "UCAT", "UDAN", "UEVE", "UFAY", "UGUS"]


def click(user: str, value: object) -> Click:
    return Click("T1", user, "", str(value), None, "1.0", None)


def ny(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=NY).astimezone(UTC)


MONDAY_10 = ny(2026, 11, 23, 10, 0)


@pytest.fixture
def sessions(database_url: str) -> Iterator[SessionFactory]:
    engine = make_engine(database_url, pool_size=4)
    factory = make_session_factory(engine)
    then = MONDAY_10 - timedelta(days=1)
    with transaction(factory) as session:
        ensure_workspace(session, Identity("T1", "Acme", "UBOT", "BBOT"), then)
        workspace = session.get_one(Workspace, "T1")
        workspace.matches_per_ask = 1
        people = [{"id": u, "name": u.lower(), "tz": "America/New_York"} for u in EXPERTS]
        save_members(session, "T1", [*people, {"id": "UASK", "tz": "America/New_York"}], then)
        for user in EXPERTS:
            offers.add(session, "T1", user, ["postgres"], "", then)
    yield factory
    engine.dispose()


def _ask(sessions: SessionFactory, now: datetime = MONDAY_10) -> int:
    with transaction(sessions) as session:
        return lifecycle.create(
            session, "T1", "UASK", "Postgres vacuum is stuck #postgres", PUBLIC, now
        ).id


def _sent(sessions: SessionFactory, like: str) -> list[str]:
    with sessions() as session:
        return list(
            session.scalars(
                select(OutboxMessage.dedupe_key)
                .where(OutboxMessage.dedupe_key.like(like))
                .order_by(OutboxMessage.id)
            )
        )


def _matched(sessions: SessionFactory, ask_id: int) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).where(AskMatch.ask_id == ask_id)) or 0)


def _ask_row(sessions: SessionFactory, ask_id: int) -> Ask:
    with sessions() as session:
        ask = session.get_one(Ask, ask_id)
        session.expunge(ask)
        return ask


def test_rounds_follow_working_hours_then_the_ask_is_closed_as_stale(
    sessions: SessionFactory,
) -> None:
    ask_id = _ask(sessions)
    assert _matched(sessions, ask_id) == 1
    assert service.run_pass(sessions, ny(2026, 11, 23, 13, 0)).done == {"offer checks": 0}
    # Four working hours after 10:00 is 14:00: round one tells one more expert.
    first = service.run_pass(sessions, ny(2026, 11, 23, 14, 5))
    assert first.done["first"] == 1
    assert _matched(sessions, ask_id) == 2
    # Running the same pass again sends nothing more.
    assert service.run_pass(sessions, ny(2026, 11, 23, 14, 6)).done["first"] == 0
    assert _matched(sessions, ask_id) == 2
    # 24 working hours: Monday 8 + Tuesday 9 + Wednesday 7 → Wednesday 16:00.
    assert service.run_pass(sessions, ny(2026, 11, 25, 15, 55)).examined == 0
    second = service.run_pass(sessions, ny(2026, 11, 25, 16, 1))
    assert second.done["second"] == 1
    assert _matched(sessions, ask_id) == 4  # a wider circle: two more
    assert _sent(sessions, f"ask:{ask_id}:reply:nudge:second") == [
        f"ask:{ask_id}:reply:nudge:second"
    ]
    # 40 working hours: Friday 14:00, when the asker is asked what to do.
    service.run_pass(sessions, ny(2026, 11, 27, 14, 1))
    assert _sent(sessions, f"ask:{ask_id}:nudge:%") == [f"ask:{ask_id}:nudge:last"]
    # Three days later, unanswered: closed as stale and the asker told, once.
    service.run_pass(sessions, ny(2026, 11, 30, 14, 2))
    service.run_pass(sessions, ny(2026, 11, 30, 14, 3))
    assert _sent(sessions, f"ask:{ask_id}:nudge:%") == [
        f"ask:{ask_id}:nudge:last",
        f"ask:{ask_id}:nudge:stale",
    ]
    closed = _ask_row(sessions, ask_id)
    assert (closed.status, closed.next_nudge_at) == ("closed", None)


def test_nothing_is_sent_outside_working_hours(sessions: SessionFactory) -> None:
    friday_5pm = ny(2026, 11, 27, 17, 0)
    ask_id = _ask(sessions, friday_5pm)
    # Due Monday 12:00 (one hour on Friday, three on Monday); a Saturday pass waits for Monday.
    ask = _ask_row(sessions, ask_id)
    assert ask.next_nudge_at == ny(2026, 11, 30, 12, 0)
    with transaction(sessions) as session:
        session.get_one(Ask, ask_id).next_nudge_at = ny(2026, 11, 28, 11, 0)
    saturday = service.run_pass(sessions, ny(2026, 11, 28, 12, 0))
    assert saturday.done["waiting"] == 1
    assert _ask_row(sessions, ask_id).next_nudge_at == ny(2026, 11, 30, 9, 0)
    assert _matched(sessions, ask_id) == 1


def test_claimed_asks_get_no_nudges_and_answered_ones_get_one_follow_up(
    sessions: SessionFactory,
) -> None:
    claimed = _ask(sessions)
    answered = _ask(sessions)
    with transaction(sessions) as session:
        lifecycle.claim(session, click("UBEN", claimed), MONDAY_10)
        threads.on_reply(
            session,
            "T1",
            "C1",
            "0",
            threads.ThreadReply("1.1", "UCAT", "try VACUUM FULL"),
            MONDAY_10,
        )
        ask = session.get_one(Ask, answered)
        ask.channel_id, ask.message_ts = "C1", "1.0"
        threads.on_reply(
            session,
            "T1",
            "C1",
            "1.0",
            threads.ThreadReply("1.1", "UCAT", "try VACUUM FULL"),
            MONDAY_10,
        )
    assert _ask_row(sessions, claimed).next_nudge_at is None
    assert _ask_row(sessions, answered).status == "answered"
    # A day after the answer, in working hours: one follow-up naming who answered.
    service.run_pass(sessions, ny(2026, 11, 24, 10, 30))
    service.run_pass(sessions, ny(2026, 11, 24, 11, 30))
    assert _sent(sessions, "ask:%:followup") == [f"ask:{answered}:followup"]
    with sessions() as session:
        dm = session.scalars(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == f"ask:{answered}:followup")
        ).one()
        assert "<@UCAT> answered your ask" in dm.args["text"]
        assert [e["action_id"] for e in dm.args["blocks"][1]["elements"]] == [
            "nudge.thank",
            "ask.reopen",
        ]
    assert _sent(sessions, f"ask:{claimed}:nudge:%") == []
    # "Resolved, thank them": the answerer is credited and thanked.
    with transaction(sessions) as session:
        answer = choices.thank_answerers(session, click("UASK", answered), ny(2026, 11, 24, 12))
    assert answer.text.startswith("Resolved")
    resolved = _ask_row(sessions, answered)
    assert resolved.status == "resolved"


def test_keeping_an_ask_open_brings_the_last_round_back_later(sessions: SessionFactory) -> None:
    ask_id = _ask(sessions)
    for when in (ny(2026, 11, 23, 14, 5), ny(2026, 11, 25, 16, 5), ny(2026, 11, 27, 14, 5)):
        service.run_pass(sessions, when)
    assert _sent(sessions, f"ask:{ask_id}:nudge:%") == [f"ask:{ask_id}:nudge:last"]
    with transaction(sessions) as session:
        assert "Only the person" in (
            choices.keep_open(session, click("UBEN", ask_id), ny(2026, 11, 27, 15)).text
        )
        assert choices.keep_open(
            session, click("UASK", ask_id), ny(2026, 11, 27, 15)
        ).text.startswith("Kept open")
    kept = _ask_row(sessions, ask_id)
    # Another 16 working hours: Friday 15:00 → Monday 3 + Tuesday 9 + … → Tuesday 13:00.
    assert kept.next_nudge_at == ny(2026, 12, 1, 13, 0)
    service.run_pass(sessions, ny(2026, 11, 30, 14, 5))  # the stale check would have been now
    assert _ask_row(sessions, ask_id).status == "open"
    service.run_pass(sessions, ny(2026, 12, 1, 13, 5))
    with sessions() as session:
        sent = session.scalar(
            select(AskNudge.sent_at).where(AskNudge.ask_id == ask_id, AskNudge.kind == "last")
        )
        assert sent == ny(2026, 12, 1, 13, 5)


def test_passes_side_by_side_send_each_round_once(sessions: SessionFactory) -> None:
    ids = [_ask(sessions) for _ in range(30)]
    when = ny(2026, 11, 23, 14, 5)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            service.run_pass(sessions, when, batch=7)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with sessions() as session:
        rounds = session.scalars(select(AskNudge.ask_id).where(AskNudge.kind == "first")).all()
    assert sorted(rounds) == sorted(ids)


def test_asks_due_together_each_go_through_every_round_once(sessions: SessionFactory) -> None:
    ids = [_ask(sessions) for _ in range(3)]
    for when in (
        ny(2026, 11, 23, 14, 5),  # first
        ny(2026, 11, 23, 14, 6),  # nothing more
        ny(2026, 11, 25, 16, 5),  # second
        ny(2026, 11, 27, 14, 5),  # last
        ny(2026, 11, 30, 14, 5),  # stale
        ny(2026, 11, 30, 14, 6),  # nothing more
    ):
        service.run_pass(sessions, when, batch=2)
    for ask_id in ids:
        assert _matched(sessions, ask_id) == 4  # one at creation, one, then two more
        assert _sent(sessions, f"ask:{ask_id}:reply:nudge:%") == [
            f"ask:{ask_id}:reply:nudge:second"
        ]
        assert _sent(sessions, f"ask:{ask_id}:nudge:%") == [
            f"ask:{ask_id}:nudge:last",
            f"ask:{ask_id}:nudge:stale",
        ]
        assert _ask_row(sessions, ask_id).status == "closed"
    # Rotation spread the batch's DMs: the seven experts were told four or five times in all.
    with sessions() as session:
        per_expert = session.execute(
            select(AskMatch.user_id, func.count()).group_by(AskMatch.user_id)
        ).all()
    assert sorted(n for _, n in per_expert) == [1, 1, 2, 2, 2, 2, 2]


def _statements(sessions: SessionFactory, when: datetime) -> tuple[int, service.PassResult]:
    """The statements a pass at `when` issues, and what it did."""
    engine = sessions.kw["bind"]
    count = 0

    def counted(*_: object) -> None:
        nonlocal count
        count += 1

    event.listen(engine, "before_cursor_execute", counted)
    try:
        result = service.run_pass(sessions, when)
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    return count, result


def test_a_pass_issues_as_many_statements_for_many_due_asks_as_for_few(
    sessions: SessionFactory,
) -> None:
    """The pass works due asks as a set: its statements do not grow with how many are due."""
    for _ in range(2):
        _ask(sessions)
    few, did = _statements(sessions, ny(2026, 11, 23, 14, 5))
    assert did.done["first"] == 2
    for _ in range(12):
        _ask(sessions, ny(2026, 11, 24, 10, 0))
    many, did = _statements(sessions, ny(2026, 11, 24, 14, 5))
    assert did.done["first"] == 12
    assert many == few


def test_offers_are_checked_once_and_stop_matching_after_the_grace(
    sessions: SessionFactory,
) -> None:
    later = MONDAY_10 + timedelta(days=91)
    with transaction(sessions) as session:
        assert offer_checks.check_offers(session, later) == len(EXPERTS)
        assert offer_checks.check_offers(session, later + timedelta(hours=1)) == 0
        dm = session.scalars(
            select(OutboxMessage).where(OutboxMessage.dedupe_key.like("offers:check:UANA:%"))
        ).one()
        assert "`postgresql`" in dm.args["text"]
        assert offer_checks.keep_offers(
            session, click("UANA", "postgresql"), later
        ).text.startswith("Thanks")
        offer_checks.drop_offers(session, click("UBEN", "postgresql"), later)
    past_grace = MONDAY_10 + timedelta(days=90 + 14 + 1)
    with transaction(sessions) as session:
        ask = lifecycle.create(
            session, "T1", "UASK", "Postgres replication lag #postgres", PUBLIC, past_grace
        )
        # Only the offer confirmed again still matches; the rest went quiet after the grace.
        told = session.scalars(select(AskMatch.user_id).where(AskMatch.ask_id == ask.id)).all()
        assert told == ["UANA"]
        assert matching.rank(session, ask, past_grace) == []
        assert session.get_one(Offer, _offer_id(session, "UBEN")).active is False


def test_an_offer_saved_in_an_older_spelling_is_kept_from_its_check(
    sessions: SessionFactory,
) -> None:
    later = MONDAY_10 + timedelta(days=91)
    with transaction(sessions) as session:
        old = session.get_one(Offer, _offer_id(session, "UANA"))
        old.topic = "machine-learning"  # how offers were saved before the normal form
        offer_checks.keep_offers(session, click("UANA", "machine-learning"), later)
        assert session.get_one(Offer, old.id).confirmed_at == later


def _offer_id(session: object, user: str) -> int:
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    return int(session.scalar(select(Offer.id).where(Offer.user_id == user)) or 0)
