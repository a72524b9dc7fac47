"""The kudos domain on a real database with an injected clock: limits by local day, undo window."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import delete, event, func, select
from sqlalchemy.orm import Session

from app.clock import ManualClock
from app.delivery.sender import UNSURE
from app.directory.service import save_members
from app.kudos import blocks, giving, rules, withdrawal
from app.kudos.request import KudosRequest
from app.kudos.results import Given, RefusalReason, Refused, Withdrawn
from app.slackapi.outcomes import Refusal
from app.slackapi.payloads import Conversation
from app.store.db import SessionFactory, make_engine, make_session_factory, transaction
from app.store.models import Kudos, KudosRecipient, Member, OutboxMessage, Workspace
from app.workspaces.service import Identity, ensure_workspace

HERE = Conversation("C1", is_private=False, is_dm=False)


@pytest.fixture
def sessions(database_url: str) -> Iterator[SessionFactory]:
    engine = make_engine(database_url, pool_size=2)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        now = datetime(2026, 1, 5, tzinfo=UTC)
        ensure_workspace(session, Identity("T1", "Acme", "UBOT", "BBOT"), now)
        save_members(
            session,
            "T1",
            [
                {"id": "UTOKYO", "name": "aki", "tz": "Asia/Tokyo"},
                {"id": "UNY", "name": "ny", "tz": "America/New_York"},
                {"id": "UBOB", "name": "bob", "tz": "Europe/London"},
            ],
            now,
        )
    yield factory
    engine.dispose()


def _give(session: Session, giver: str, now: datetime, text: str = "thanks") -> object:
    request = KudosRequest(
        team_id="T1", giver_id=giver, recipients=("UBOB",), message=text, where=HERE
    )
    return giving.give(session, request, now)


def test_the_daily_limit_resets_at_the_givers_own_midnight(sessions: SessionFactory) -> None:
    clock = ManualClock(datetime(2026, 1, 6, 14, 0, tzinfo=UTC))  # 23:00 in Tokyo, 09:00 in NY
    with transaction(sessions) as session:
        for giver in ("UTOKYO", "UNY"):
            for _ in range(5):
                assert isinstance(_give(session, giver, clock.now()), Given)
            refused = _give(session, giver, clock.now())
            assert isinstance(refused, Refused)
            assert refused.reason is RefusalReason.DAILY_LIMIT
    clock.advance(timedelta(hours=1, minutes=30))  # 00:30 in Tokyo, 10:30 in NY
    with transaction(sessions) as session:
        assert isinstance(_give(session, "UTOKYO", clock.now()), Given)
        assert isinstance(_give(session, "UNY", clock.now()), Refused)


def test_thanks_on_both_sides_of_the_givers_midnight_count_only_the_new_days(
    sessions: SessionFactory,
) -> None:
    """The day's count comes from the giver's recent thanks when all of them fall on one side of
    their midnight; with some on each side, only those since midnight count."""
    clock = ManualClock(datetime(2026, 1, 6, 14, 30, tzinfo=UTC))  # 23:30 in Tokyo
    with transaction(sessions) as session:
        for _ in range(3):
            assert isinstance(_give(session, "UTOKYO", clock.now()), Given)
    clock.advance(timedelta(hours=1))  # 00:30 in Tokyo: three yesterday, none yet today
    with transaction(sessions) as session:
        for _ in range(5):
            assert isinstance(_give(session, "UTOKYO", clock.now()), Given)
        refused = _give(session, "UTOKYO", clock.now())
    assert isinstance(refused, Refused)
    assert refused.reason is RefusalReason.DAILY_LIMIT
    assert refused.remaining_today == 0


@pytest.mark.parametrize(
    ("first", "last", "used", "settled"),
    [
        (None, None, 0, 0),  # nothing recent
        (9, 11, 3, 3),  # all of it today
        (1, 7, 2, 0),  # all of it yesterday
        (7, 9, 4, None),  # some each side of midnight: counted again
    ],
)
def test_recent_thanks_settle_the_days_count_when_they_fall_on_one_side_of_midnight(
    first: int | None, last: int | None, used: int, settled: int | None
) -> None:
    midnight = datetime(2026, 1, 6, 8, 0, tzinfo=UTC)

    def hour(h: int | None) -> datetime | None:
        return None if h is None else midnight.replace(hour=h)

    row = SimpleNamespace(recent_used=used, recent_first=hour(first), recent_last=hour(last))
    assert rules._settled(row, midnight, midnight - timedelta(hours=7)) == settled
    # A day that began before the recent window is never settled from it.
    assert rules._settled(row, midnight, midnight + timedelta(minutes=1)) is None


def test_a_refused_kudos_stores_nothing(sessions: SessionFactory) -> None:
    now = datetime(2026, 1, 6, tzinfo=UTC)
    with transaction(sessions) as session:
        assert isinstance(_give(session, "UBOB", now), Refused)  # to oneself
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_undo_is_for_the_giver_within_ten_minutes(sessions: SessionFactory) -> None:
    clock = ManualClock(datetime(2026, 1, 6, 9, 0, tzinfo=UTC))
    with transaction(sessions) as session:
        first = _give(session, "UNY", clock.now())
        second = _give(session, "UNY", clock.now())
    assert isinstance(first, Given)
    assert isinstance(second, Given)
    clock.advance(timedelta(minutes=9))
    with transaction(sessions) as session:
        assert "Only the person" in str(
            withdrawal.undo(session, "T1", first.kudos_id, "UTOKYO", clock.now())
        )
        assert isinstance(
            withdrawal.undo(session, "T1", first.kudos_id, "UNY", clock.now()), Withdrawn
        )
        remaining = rules.remaining_today(
            session, rules.rules_of(session, "T1"), "UNY", None, clock.now()
        )
        assert remaining == 4
    clock.advance(timedelta(minutes=2))
    with transaction(sessions) as session:
        late = withdrawal.undo(session, "T1", second.kudos_id, "UNY", clock.now())
        assert "10 minutes" in str(late)
        statuses = dict(
            session.execute(select(OutboxMessage.dedupe_key, OutboxMessage.status)).all()
        )
    # Nothing was delivered yet: the undone kudos's post and note never go out, nothing to edit.
    assert statuses[f"kudos:{first.kudos_id}:post"] == "cancelled"
    assert statuses[f"kudos:{first.kudos_id}:note:UBOB"] == "cancelled"
    assert statuses[f"kudos:{second.kudos_id}:post"] == "pending"
    assert not any(key.endswith(":withdrawn") for key in statuses)


def _thanks_bob_and_tokyo(message: str = "ty", source: str = "command") -> KudosRequest:
    """UNY thanks UBOB and UTOKYO here with `message`, from `source`."""
    return KudosRequest(
        team_id="T1",
        giver_id="UNY",
        recipients=("UBOB", "UTOKYO"),
        message=message,
        where=HERE,
        source=source,
    )


def _mark(session: Session, key: str, status: str, last_error: str | None = None) -> None:
    row = session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == key)).one()
    row.status, row.last_error = status, last_error
    if status == "sent":
        row.result_channel, row.result_ts = "C1", "1700000000.000100"


def test_withdrawing_edits_every_copy_slack_may_have_and_cancels_the_rest(
    sessions: SessionFactory,
) -> None:
    now = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)
    with transaction(sessions) as session:
        workspace = session.get_one(Workspace, "T1")
        workspace.kudos_channel_id, workspace.kudos_reply_mode = "CKUDOS", "both"
        request = _thanks_bob_and_tokyo("thanks")
        given = giving.give(session, request, now)
        assert isinstance(given, Given)
        k = given.kudos_id
        _mark(session, f"kudos:{k}:post", "sent")
        _mark(session, f"kudos:{k}:post:CKUDOS", "sending")
        # An attempt that may have posted (a timeout): Slack may show it, so it is edited too.
        _mark(session, f"kudos:{k}:note:UBOB", "pending", last_error=f"{UNSURE}timed out")
    with transaction(sessions) as session:
        assert isinstance(withdrawal.undo(session, "T1", k, "UNY", now), Withdrawn)
        rows = {r.dedupe_key: r for r in session.scalars(select(OutboxMessage))}
    edits = {key: row for key, row in rows.items() if key.endswith(":withdrawn")}
    assert set(edits) == {
        f"kudos:{k}:post:withdrawn",
        f"kudos:{k}:post:CKUDOS:withdrawn",
        f"kudos:{k}:note:UBOB:withdrawn",
    }
    for key, edit in edits.items():
        assert (edit.method, edit.after_key) == ("chat.update", key.removesuffix(":withdrawn"))
    assert "withdrew" in edits[f"kudos:{k}:note:UBOB:withdrawn"].args["text"]
    assert "withdrawn" in edits[f"kudos:{k}:post:withdrawn"].args["text"]
    assert rows[f"kudos:{k}:note:UTOKYO"].status == "cancelled"
    # Should the copies not yet known to be on Slack post after all, they post withdrawn.
    assert "thanks" not in str(rows[f"kudos:{k}:post:CKUDOS"].args)
    assert rows[f"kudos:{k}:post:CKUDOS"].args["channel"] == "CKUDOS"
    assert "withdrew" in rows[f"kudos:{k}:note:UBOB"].args["text"]
    assert "withdrew" in rows[f"kudos:{k}:note:UBOB"].after_failed_args["text"]
    assert "thanks" in str(rows[f"kudos:{k}:post"].args)  # posted: it is edited, not rewritten
    with transaction(sessions) as session:
        admin = session.get_one(Member, ("T1", "UBOB"))
        admin.is_admin = True
        assert "already withdrawn" in str(withdrawal.revoke(session, "T1", k, admin, now))
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == len(rows)


def test_a_revoked_kudos_whose_outbox_rows_were_pruned_still_edits_its_post(
    sessions: SessionFactory,
) -> None:
    now = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)
    with transaction(sessions) as session:
        given = _give(session, "UNY", now)
        assert isinstance(given, Given)
        kudos = session.get_one(Kudos, given.kudos_id)
        kudos.post_channel_id, kudos.post_ts = "C1", "1700000000.000100"
        session.execute(delete(OutboxMessage))
    with transaction(sessions) as session:
        admin = session.get_one(Member, ("T1", "UBOB"))
        admin.is_admin = True
        later = now + timedelta(days=30)
        assert isinstance(withdrawal.revoke(session, "T1", given.kudos_id, admin, later), Withdrawn)
        [edit] = session.scalars(select(OutboxMessage))
    assert (edit.method, edit.after_key) == ("chat.update", None)
    assert (edit.args["channel"], edit.args["ts"]) == ("C1", "1700000000.000100")
    assert "removed by a workspace admin" in edit.args["text"]


def test_long_messages_fit_slacks_section_limit() -> None:
    post = blocks.recognition_post("U1", ["U2"], "x" * 5000, ["craft"], 7)
    assert all(len(b["text"]["text"]) <= 3000 for b in post["blocks"] if b["type"] == "section")
    assert len(post["blocks"]) <= 50


def test_a_giver_without_a_known_zone_counts_the_day_in_the_workspaces(
    sessions: SessionFactory,
) -> None:
    clock = ManualClock(datetime(2026, 1, 6, 14, 0, tzinfo=UTC))  # 23:00 in Tokyo, 14:00 in UTC
    with transaction(sessions) as session:
        session.get_one(Workspace, "T1").timezone = "Asia/Tokyo"
        save_members(
            session,
            "T1",
            [{"id": "UNOZONE", "name": "nz"}, {"id": "UMARS", "name": "m", "tz": "Mars/Olympus"}],
            clock.now(),
        )
    with transaction(sessions) as session:
        for giver in ("UNOZONE", "UMARS"):
            for _ in range(5):
                assert isinstance(_give(session, giver, clock.now()), Given)
            assert isinstance(_give(session, giver, clock.now()), Refused)
    clock.advance(timedelta(hours=1, minutes=30))  # a new day in Tokyo, not in UTC
    with transaction(sessions) as session:
        for giver in ("UNOZONE", "UMARS"):
            assert isinstance(_give(session, giver, clock.now()), Given)


def test_a_kudos_stores_a_row_for_each_recipient_under_its_own_id(
    sessions: SessionFactory,
) -> None:
    now = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)
    request = _thanks_bob_and_tokyo()
    with transaction(sessions) as session:
        first = giving.give(session, request, now)
        second = giving.give(session, request, now)
    assert isinstance(first, Given)
    assert isinstance(second, Given)
    # One id drawn a kudos (PostgreSQL draws it with the facts), however many it thanks.
    assert second.kudos_id == first.kudos_id + 1
    with transaction(sessions) as session:
        rows = session.execute(
            select(KudosRecipient.kudos_id, KudosRecipient.recipient_id, KudosRecipient.giver_id)
        ).all()
    assert sorted(rows) == sorted(
        (kudos_id, recipient, "UNY")
        for kudos_id in (first.kudos_id, second.kudos_id)
        for recipient in ("UBOB", "UTOKYO")
    )


def test_only_people_who_opened_their_home_tab_get_it_refreshed(
    sessions: SessionFactory,
) -> None:
    now = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)
    with transaction(sessions) as session:
        session.get_one(Member, ("T1", "UTOKYO")).home_opened_at = now
    request = _thanks_bob_and_tokyo()
    with transaction(sessions) as session:
        assert isinstance(giving.give(session, request, now), Given)
        published = session.scalars(
            select(OutboxMessage.args).where(OutboxMessage.method == "views.publish")
        ).all()
    assert [args["user_id"] for args in published] == ["UTOKYO"]


@pytest.mark.parametrize(
    ("last", "home_opened", "source", "alone"),
    [
        (True, False, "command", True),
        # Each of these writes after the kudos (or may), so the kudos waits for its commit.
        (False, False, "command", False),
        (True, True, "command", False),
        (True, False, "modal", False),
    ],
    ids=["last write", "caller writes after", "a home tab to refresh", "a form's confirmation"],
)
def test_a_kudos_that_is_its_units_only_write_is_committed_by_its_own_statement(
    sessions: SessionFactory, last: bool, home_opened: bool, source: str, alone: bool
) -> None:
    """On PostgreSQL a kudos whose one statement is all its unit writes runs it alone, committed
    as it returns (the unit sends no BEGIN or COMMIT): whole, with its recipients and messages.
    Whenever anything else may be written in the unit, the kudos is in its transaction."""
    now = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)
    if home_opened:
        with transaction(sessions) as session:
            session.get_one(Member, ("T1", "UTOKYO")).home_opened_at = now
    request = _thanks_bob_and_tokyo(source=source)
    with sessions() as session:
        answer = giving.give_kudos(session, request, now, last=last)
        session.rollback()
    assert not isinstance(answer, Refusal)
    with transaction(sessions) as session:
        kept = session.scalars(select(Kudos.id)).all()
        recipients = session.scalar(select(func.count()).select_from(KudosRecipient))
        messages = session.scalar(select(func.count()).select_from(OutboxMessage))
    if alone and sessions.kw["bind"].dialect.name == "postgresql":
        # The post and a note to each recipient, as the statement wrote them.
        assert (len(kept), recipients, messages) == (1, 2, 3)
    else:
        assert (kept, recipients, messages) == ([], 0, 0)


def test_a_kudos_is_stored_with_its_messages_in_as_few_statements_as_the_backend_allows(
    sessions: SessionFactory,
) -> None:
    """One read (the rules, the people, the channel, the giver's recent thanks and, on PostgreSQL,
    the new id), then the writes: one statement on PostgreSQL, three on SQLite (no data-modifying
    CTEs)."""
    now = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)
    request = _thanks_bob_and_tokyo()
    statements: list[str] = []
    engine = sessions.kw["bind"]

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with transaction(sessions) as session:
            given = giving.give(session, request, now)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert isinstance(given, Given)
    sqlite = engine.dialect.name == "sqlite"
    run = [s for s in statements if s.strip().upper() != "BEGIN"]
    read, *writes = run
    assert "INSERT" not in read, run
    assert "FROM workspaces" in read, run
    assert all("INSERT INTO" in write for write in writes), run
    assert len(writes) == (3 if sqlite else 1), writes
    with transaction(sessions) as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        keys = {row.dedupe_key for row in rows}
        # Queued in order (the post first, so its notes follow it), due now, as `entry` made them.
        assert rows[0].dedupe_key == f"kudos:{given.kudos_id}:post"
        assert {(row.created_at, row.next_attempt_at, row.status) for row in rows} == {
            (now, now, "pending")
        }
        assert rows[1].after_key == rows[0].dedupe_key
        recipients = set(
            session.scalars(
                select(KudosRecipient.recipient_id).where(KudosRecipient.kudos_id == given.kudos_id)
            )
        )
    assert recipients == {"UBOB", "UTOKYO"}
    assert keys == {
        f"kudos:{given.kudos_id}:post",
        f"kudos:{given.kudos_id}:note:UBOB",
        f"kudos:{given.kudos_id}:note:UTOKYO",
    }
