"""The introductions pass over a real database (SQLite, or PostgreSQL with TEST_DATABASE_URL):
expiry and follow-ups each happen once however often, and however many passes side by side,
run; a failing step does not stop the others; the scheduler's job and `scheduler --once`."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import generate_latest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.directory.service import save_members
from app.intros import passes, thanks
from app.intros.follow_ups import FOLLOW_UP_AFTER, LATE_LIMIT
from app.kudos.results import RefusalReason
from app.runtime import build_runtime
from app.scheduler import Scheduler
from app.settings import Settings
from app.slackapi.outcomes import Done, Refusal
from app.slackapi.payloads import Click
from app.store.db import SessionFactory, make_engine, make_session_factory, transaction
from app.store.models import Introduction, IntroPerson, Kudos, Member, OutboxMessage, Workspace
from app.store.statuses import IntroAnswer, IntroStatus
from app.workspaces.service import Identity, ensure_workspace
from tests.cli import inherited, run_app

T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
EXPIRES = T0 + timedelta(days=7)
PEOPLE = ["UCON", "UANA", "UBEN", "UCAT", "UDAN"]


@pytest.fixture
def sessions(database_url: str) -> Iterator[SessionFactory]:
    engine = make_engine(database_url, pool_size=4)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        ensure_workspace(session, Identity("T1", "Acme", "UBOT", "BBOT"), T0)
        people = [{"id": u, "name": u[1:].lower()} for u in PEOPLE]
        save_members(session, "T1", people, T0)
    yield factory
    engine.dispose()


def _intro(
    session: Session,
    first: str = "UANA",
    second: str = "UBEN",
    *,
    connector: str = "UCON",
    status: IntroStatus = IntroStatus.WAITING,
    connected_at: datetime | None = None,
) -> int:
    """Store an introduction made at T0 that expires at `EXPIRES`; return its id."""
    answer = IntroAnswer.ACCEPTED if status == IntroStatus.CONNECTED else None
    intro = Introduction(
        team_id="T1",
        connector_id=connector,
        first_id=first,
        second_id=second,
        reason="you both work on search",
        channel_id="C1",
        channel_is_private=False,
        source="command",
        status=status,
        created_at=T0,
        expires_at=EXPIRES,
        connected_at=connected_at,
        people=[IntroPerson(team_id="T1", user_id=u, answer=answer) for u in (first, second)],
    )
    session.add(intro)
    session.flush()
    return intro.id


def _keys(sessions: SessionFactory, like: str) -> list[str]:
    with sessions() as session:
        query = select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.like(like))
        return sorted(session.scalars(query))


def _status(sessions: SessionFactory, intro_id: int) -> str:
    with sessions() as session:
        return session.get_one(Introduction, intro_id).status


def _member(session: Session, user_id: str) -> Member:
    return session.get_one(Member, ("T1", user_id))


def test_open_introductions_expire_once_at_their_time(sessions: SessionFactory) -> None:
    with transaction(sessions) as session:
        waiting = _intro(session)
        half = _intro(session, "UCAT", "UDAN", status=IntroStatus.ACCEPTED)
        declined = _intro(session, "UANA", "UCAT", status=IntroStatus.DECLINED)
        later = _intro(session, "UBEN", "UCAT")
        session.get_one(Introduction, later).expires_at = EXPIRES + timedelta(days=1)
        _member(session, "UCON").home_opened_at = T0
    assert passes.run_pass(sessions, EXPIRES - timedelta(seconds=1)).done["expired"] == 0
    assert _status(sessions, waiting) == "waiting"
    first = passes.run_pass(sessions, EXPIRES)
    assert (first.done["expired"], first.failed) == (2, [])
    again = passes.run_pass(sessions, EXPIRES + timedelta(minutes=5))
    assert again.done["expired"] == 0
    assert [_status(sessions, i) for i in (waiting, half, declined, later)] == [
        "expired",
        "expired",
        "declined",
        "waiting",
    ]
    with sessions() as session:
        assert session.get_one(Introduction, waiting).ended_at == EXPIRES
    assert _keys(sessions, "intro:%:connector:expired") == sorted(
        [f"intro:{waiting}:connector:expired", f"intro:{half}:connector:expired"]
    )
    assert _keys(sessions, "intro:%:invite:%:expired") == sorted(
        [
            *(f"intro:{waiting}:invite:{u}:expired" for u in ("UANA", "UBEN")),
            *(f"intro:{half}:invite:{u}:expired" for u in ("UCAT", "UDAN")),
        ]
    )
    with sessions() as session:
        edit = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.dedupe_key == f"intro:{waiting}:invite:UANA:expired"
            )
        ).one()
        assert (edit.method, edit.after_key) == ("chat.update", f"intro:{waiting}:invite:UANA")
        assert "expired on" in edit.args["text"]
        assert "actions" not in str(edit.args["blocks"])
        # The connector, who opened the Home tab, sees it there too.
        publishes = session.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.method == "views.publish", OutboxMessage.pace_key.like("%UCON%")
            )
        ).all()
        assert publishes


def test_a_connector_who_left_is_not_told_but_the_invitations_are_withdrawn(
    sessions: SessionFactory,
) -> None:
    with transaction(sessions) as session:
        intro = _intro(session)
        _member(session, "UCON").deleted = True
    assert passes.run_pass(sessions, EXPIRES).done["expired"] == 1
    assert _keys(sessions, "intro:%:connector:%") == []
    assert len(_keys(sessions, f"intro:{intro}:invite:%:expired")) == 2


def test_follow_ups_go_once_to_each_person_still_here_two_weeks_on(
    sessions: SessionFactory,
) -> None:
    connected = T0 + timedelta(days=1)
    due = connected + FOLLOW_UP_AFTER
    with transaction(sessions) as session:
        both = _intro(session, status=IntroStatus.CONNECTED, connected_at=connected)
        one_left = _intro(
            session, "UCAT", "UDAN", status=IntroStatus.CONNECTED, connected_at=connected
        )
        no_connector = _intro(
            session,
            "UANA",
            "UCAT",
            connector="UDAN",
            status=IntroStatus.CONNECTED,
            connected_at=connected,
        )
        too_late = _intro(
            session,
            "UBEN",
            "UCAT",
            status=IntroStatus.CONNECTED,
            connected_at=connected - LATE_LIMIT - timedelta(hours=1),
        )
        _member(session, "UDAN").deleted = True
    assert passes.run_pass(sessions, due - timedelta(minutes=1)).done["followed up"] == 0
    assert passes.run_pass(sessions, due).done["followed up"] == 3
    assert passes.run_pass(sessions, due + timedelta(minutes=5)).done["followed up"] == 0
    assert passes.run_pass(sessions, due + timedelta(days=1)).done["followed up"] == 0
    assert _keys(sessions, "intro:%:followup:%") == sorted(
        [
            f"intro:{both}:followup:UANA",
            f"intro:{both}:followup:UBEN",
            f"intro:{one_left}:followup:UCAT",
        ]
    )
    with sessions() as session:
        people = session.scalars(select(IntroPerson).order_by(IntroPerson.intro_id)).all()
        asked = {(p.intro_id, p.user_id) for p in people if p.followed_up_at == due}
        assert asked == {(both, "UANA"), (both, "UBEN"), (one_left, "UCAT")}
        assert not [
            p for p in people if p.intro_id in (no_connector, too_late) and p.followed_up_at
        ]
        dm = session.scalars(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == f"intro:{both}:followup:UANA")
        ).one()
    assert dm.args["user"] == "UANA"
    assert dm.args["text"] == "Two weeks ago <@UCON> introduced you to <@UBEN>. Did it help?"
    labels = [e["text"]["text"] for e in dm.args["blocks"][1]["elements"]]
    assert labels == ["Thank con", "Not really"]


def test_someone_forgotten_is_never_brought_up_in_a_follow_up(sessions: SessionFactory) -> None:
    with transaction(sessions) as session:
        _intro(session, status=IntroStatus.CONNECTED, connected_at=T0)
        _member(session, "UBEN").forgotten_at = T0
    assert passes.run_pass(sessions, T0 + FOLLOW_UP_AFTER).done["followed up"] == 0


def test_passes_side_by_side_do_each_thing_once(sessions: SessionFactory) -> None:
    pairs = [(a, b) for a in PEOPLE[1:] for b in PEOPLE[1:] if a < b]
    with transaction(sessions) as session:
        for first, second in pairs * 3:
            _intro(session, first, second)
            _intro(session, first, second, status=IntroStatus.CONNECTED, connected_at=T0)
    when = T0 + FOLLOW_UP_AFTER
    results: list[passes.IntroPassResult] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(passes.run_pass(sessions, when))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [r.failed for r in results] == [[], [], []]
    total: Counter[str] = sum((r.done for r in results), Counter())
    count = len(pairs) * 3
    assert (total["expired"], total["followed up"]) == (count, 2 * count)
    assert len(_keys(sessions, "intro:%:connector:expired")) == count
    assert len(_keys(sessions, "intro:%:followup:%")) == 2 * count


def test_a_failing_step_is_reported_and_the_others_still_run(sessions: SessionFactory) -> None:
    with transaction(sessions) as session:
        intro = _intro(session)

    def broken(session: Session, now: datetime) -> int:
        session.get_one(Workspace, "T1").intro_daily_limit = 0
        raise RuntimeError("a step with a bug")

    steps = (("broken", broken), *passes.STEPS)
    result = passes.run_pass(sessions, EXPIRES, steps)
    assert (result.failed, result.done["expired"]) == (["broken"], 1)
    assert _status(sessions, intro) == "expired"
    with sessions() as session:
        # The broken step's own work was rolled back.
        assert session.get_one(Workspace, "T1").intro_daily_limit == 5


def _click(user: str, intro_id: int, action: str = "intro.thank") -> Click:
    return Click("T1", user, action, str(intro_id), "DUSER", "1.0", None)


def test_a_thanks_the_kudos_rules_refuse_says_why_and_a_later_one_still_works(
    sessions: SessionFactory,
) -> None:
    with transaction(sessions) as session:
        intro = _intro(session, status=IntroStatus.CONNECTED, connected_at=T0)
        session.get_one(Workspace, "T1").kudos_daily_limit = 0
    now = T0 + FOLLOW_UP_AFTER
    passes.run_pass(sessions, now)
    with transaction(sessions) as session:
        refused = thanks.thank(session, _click("UANA", intro), now)
    assert isinstance(refused, Refusal)
    assert refused.reason == RefusalReason.DAILY_LIMIT
    assert "today" in refused.text
    with transaction(sessions) as session:
        session.get_one(Workspace, "T1").kudos_daily_limit = 5
        # "Not really" first, then a change of heart: the thanks still counts, once.
        assert thanks.not_really(session, _click("UANA", intro, "intro.not_really"), now) == Done()
    for _ in range(2):
        with transaction(sessions) as session:
            assert thanks.thank(session, _click("UANA", intro), now) == Done()
    with transaction(sessions) as session:
        # After the thanks, an old "Not really" changes nothing.
        assert thanks.not_really(session, _click("UBEN", intro, "intro.not_really"), now) == Done()
        assert thanks.not_really(session, _click("UANA", intro, "intro.not_really"), now) == Done()
    with sessions() as session:
        given = session.scalars(select(Kudos).where(Kudos.source == "intro")).all()
        assert [(k.giver_id, k.channel_id, k.channel_is_private) for k in given] == [
            ("UANA", "DUSER", True)
        ]
    assert _keys(sessions, f"intro:{intro}:followup:%:%") == sorted(
        [
            f"intro:{intro}:followup:UANA:not_really",
            f"intro:{intro}:followup:UANA:thanked",
            f"intro:{intro}:followup:UBEN:not_really",
        ]
    )


def test_the_scheduler_job_counts_a_broken_database_as_an_error(
    empty_database_url: str,
) -> None:
    runtime = build_runtime(Settings(database_url=empty_database_url))
    try:
        result = Scheduler(runtime).introductions()
        text = generate_latest(runtime.metrics.registry).decode()
    finally:
        runtime.close()
    assert result is not None
    assert sorted(result.failed) == ["expired", "followed up", "suggested"]
    line = 'reciprocity_scheduler_runs_total{job="introductions",outcome="error"} 1.0'
    assert line in text


def test_scheduler_once_runs_the_introductions_pass(
    sessions: SessionFactory, database_url: str
) -> None:
    with transaction(sessions) as session:
        _intro(session)
    at = EXPIRES.isoformat().replace("+00:00", "Z")
    env = inherited(DATABASE_URL=database_url, LOG_LEVEL="WARNING")
    first = run_app("scheduler", "--once", "--at", at, env=env)
    assert first.returncode == 0, first.stderr
    assert "introductions: expired: 1\n" in first.stdout
    again = run_app("scheduler", "--once", "--at", at, env=env)
    assert "introductions: nothing due\n" in again.stdout
