"""The overview: twelve local weeks (New York, across the end of DST), each figure by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.insights.model import OVERVIEW_WEEKS
from app.insights.overview import overview, trend
from app.store.db import SessionFactory, transaction
from tests.insights.rows import LAST_WEEK, NOW, THIS_WEEK, ask, kudos

TUESDAY_10AM = datetime(2026, 10, 27, 14, 0, tzinfo=UTC)  # 10:00 EDT


def test_weeks_are_local_weeks_oldest_first(sessions: SessionFactory) -> None:
    with sessions() as session:
        weeks = overview(session, "T1", NOW).weeks
    assert len(weeks) == OVERVIEW_WEEKS
    assert weeks[0].week_start == date(2026, 8, 17)
    assert weeks[-2].week_start == date(2026, 10, 26)
    assert weeks[-1].week_start == date(2026, 11, 2)
    assert all(w.kudos_given == 0 and w.asks_posted == 0 for w in weeks)
    assert all(w.answered_within_a_working_day is None for w in weeks)
    assert all(w.median_time_to_first_answer is None for w in weeks)
    assert all(w.resolved_with_credit is None for w in weeks)


def test_kudos_fall_in_their_local_week_and_withdrawn_ones_do_not_count(
    sessions: SessionFactory,
) -> None:
    with transaction(sessions) as session:
        # Sunday 23:30 in New York, already Monday in UTC: still the week of 26 October.
        kudos(session, "UANA", ["UBEN"], THIS_WEEK - timedelta(minutes=30))
        kudos(session, "UANA", ["UBEN", "UCAT"], THIS_WEEK)
        kudos(session, "UANA", ["UBEN"], LAST_WEEK - timedelta(seconds=1))
        kudos(session, "UANA", ["UBEN"], THIS_WEEK + timedelta(hours=1), undone=True)
        kudos(session, "UANA", ["UBEN"], THIS_WEEK + timedelta(hours=1), revoked=True)
        kudos(session, "UANA", ["UBEN"], THIS_WEEK + timedelta(hours=1), team="T2")
    with sessions() as session:
        weeks = overview(session, "T1", NOW).weeks
    assert [w.kudos_given for w in weeks[-3:]] == [1, 1, 1]
    assert sum(w.kudos_given for w in weeks) == 3


def test_answers_within_a_working_day_median_and_credit(sessions: SessionFactory) -> None:
    with transaction(sessions) as session:
        two_hours = TUESDAY_10AM + timedelta(hours=2)
        ask(session, "UANA", TUESDAY_10AM, answered=("UBEN", two_hours), credited=["UBEN"])
        # Tuesday 10:00-18:00 and Wednesday 09:00-11:00: ten working hours, past one day (nine).
        ask(session, "UANA", TUESDAY_10AM, answered=("UCAT", TUESDAY_10AM + timedelta(hours=25)))
        ask(session, "UBEN", TUESDAY_10AM)  # never answered: its working day is long over
        ask(session, "UBEN", TUESDAY_10AM, status="discarded")
        ask(session, "UBEN", TUESDAY_10AM, team="T2", answered=("UANA", two_hours))
        # Friday 16:00 EDT to Monday 11:00 EST: 68 hours, four of them working hours.
        friday = datetime(2026, 10, 30, 20, 0, tzinfo=UTC)
        ask(session, "UCAT", friday, answered=("UDAN", datetime(2026, 11, 2, 16, 0, tzinfo=UTC)))
        # This week: one ask with most of its working day still ahead, one whose day is over.
        ask(session, "UDAN", NOW - timedelta(hours=1))
        ask(session, "UDAN", datetime(2026, 11, 2, 14, 0, tzinfo=UTC))
    with sessions() as session:
        last, current = overview(session, "T1", NOW).weeks[-2:]
    assert last.asks_posted == 4
    assert last.answered_within_a_working_day == 0.5
    assert last.median_time_to_first_answer == timedelta(hours=25)
    assert last.resolved_with_credit == 0.25
    assert current.asks_posted == 2
    assert current.answered_within_a_working_day == 0.0
    assert current.median_time_to_first_answer is None
    assert current.resolved_with_credit == 0.0


def test_an_ask_still_within_its_working_day_is_not_yet_counted(sessions: SessionFactory) -> None:
    with transaction(sessions) as session:
        ask(session, "UDAN", NOW - timedelta(hours=1))
    with sessions() as session:
        current = overview(session, "T1", NOW).weeks[-1]
    assert current.asks_posted == 1
    assert current.answered_within_a_working_day is None


def test_median_of_an_even_count_is_the_middle_twos_mean(sessions: SessionFactory) -> None:
    with transaction(sessions) as session:
        for hours in (1, 3):
            ask(
                session,
                "UANA",
                TUESDAY_10AM,
                answered=("UBEN", TUESDAY_10AM + timedelta(hours=hours)),
            )
    with sessions() as session:
        last = overview(session, "T1", NOW).weeks[-2]
    assert last.median_time_to_first_answer == timedelta(hours=2)
    assert last.answered_within_a_working_day == 1.0


def test_trend_compares_the_last_four_measured_values_with_the_four_before() -> None:
    assert trend([1, 1, 1, 1, 2, 2, 2, 2]) == 1.0
    assert trend([9, 4, 4, None, 4, 4, 2, 2, None, 2, 2]) == -0.5
    assert trend([timedelta(hours=2)] * 4 + [timedelta(hours=1)] * 4) == -0.5
    assert trend([1, 2, 3, 4]) is None
    assert trend([0, 0, 0, 0, 1, 1, 1, 1]) is None
    assert trend([None] * 12) is None
