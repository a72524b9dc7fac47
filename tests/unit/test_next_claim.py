"""When the delivery worker's round claims (`NextClaim`), and what its doorbell says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.delivery.next_claim import Doorbell, NextClaim

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
POLL = 30.0


def _after_a_claim(*, full: bool = False, due: datetime | None = None) -> NextClaim:
    """A `NextClaim` whose last claim ran at monotonic 100, at NOW."""
    next_claim = NextClaim(POLL)
    assert next_claim.wanted(False, NOW, 100.0)  # the first round claims
    next_claim.claimed(full, due, 100.0)
    return next_claim


def test_after_a_claim_that_saw_everything_only_news_brings_the_next() -> None:
    next_claim = _after_a_claim(due=NOW + timedelta(seconds=10))
    assert not next_claim.wanted(False, NOW + timedelta(seconds=9), 109.0)
    # Rows queued, the due time it knew, or the poll interval since the claim.
    assert next_claim.wanted(True, NOW, 100.5)
    assert next_claim.wanted(False, NOW + timedelta(seconds=10), 110.0)
    assert next_claim.wanted(False, NOW, 100.0 + POLL)


def test_a_claim_that_read_all_it_could_is_followed_by_another_at_once() -> None:
    next_claim = _after_a_claim(full=True, due=NOW + timedelta(hours=1))
    assert next_claim.wanted(False, NOW, 100.0)
    # What it read all of says nothing of when the rest come due.
    assert next_claim.due is None


def test_with_no_room_to_claim_into_the_claim_is_owed_but_nothing_is_due_meanwhile() -> None:
    next_claim = _after_a_claim(full=True, due=NOW)
    next_claim.no_room()
    # Owed for when a slot frees, but the idle worker has no due time to wake for (no spin).
    assert (next_claim.owed, next_claim.full, next_claim.due) == (True, False, None)
    assert next_claim.wanted(False, NOW, 100.0)
    next_claim.claimed(False, None, 101.0)
    assert not next_claim.wanted(False, NOW, 101.0)


def test_rows_queued_right_after_a_claim_wait_for_the_rest_of_its_moment() -> None:
    next_claim = _after_a_claim()
    # Queued 4 ms after the claim: the round waits 6 ms more for what else commits.
    assert next_claim.gathering(True, 100.004, 0.01) == pytest.approx(0.006)
    # After a quiet spell, or woken for anything but rows queued: at once.
    assert next_claim.gathering(True, 100.5, 0.01) == 0.0
    assert next_claim.gathering(False, 100.004, 0.01) == 0.0


def test_a_claim_owed_or_a_full_one_does_not_wait_to_gather() -> None:
    assert _after_a_claim(full=True).gathering(True, 100.001, 0.01) == 0.0
    owed = _after_a_claim()
    owed.no_room()
    assert owed.gathering(True, 100.001, 0.01) == 0.0


def test_the_doorbell_says_whether_rows_were_queued_once_per_ring() -> None:
    bell = Doorbell()
    bell.wake()
    assert bell.is_set()
    assert not bell.take_queued()
    bell.clear()
    bell.set()
    assert bell.is_set()
    assert bell.take_queued()
    assert not bell.take_queued()
