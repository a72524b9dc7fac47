"""One-time sign-in links on a real database: issued to one person, spent once, dead after."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.signin import links
from app.signin.links import LinkHolder, LinkProblem
from app.store.db import SessionFactory, transaction
from app.store.models import SignInLink
from tests.signin.conftest import NOW, TEAM


def _issue(sessions: SessionFactory, at: datetime = NOW) -> str:
    with transaction(sessions) as session:
        return links.issue(session, TEAM, "UALICE", at)


def _redeem(sessions: SessionFactory, secret: str, at: datetime) -> LinkHolder | LinkProblem:
    with transaction(sessions) as session:
        return links.redeem(session, secret, at)


def test_a_link_signs_in_its_person_once(sessions: SessionFactory) -> None:
    secret = _issue(sessions)
    assert _redeem(sessions, secret, NOW + timedelta(minutes=1)) == LinkHolder(TEAM, "UALICE")
    assert _redeem(sessions, secret, NOW + timedelta(minutes=2)) is LinkProblem.USED


def test_checking_a_link_does_not_spend_it(sessions: SessionFactory) -> None:
    secret = _issue(sessions)
    with transaction(sessions) as session:
        assert links.check(session, secret, NOW) == LinkHolder(TEAM, "UALICE")
    assert _redeem(sessions, secret, NOW) == LinkHolder(TEAM, "UALICE")


def test_a_link_expires_after_its_lifetime(sessions: SessionFactory) -> None:
    secret = _issue(sessions)
    late = NOW + links.LINK_LIFETIME
    assert _redeem(sessions, secret, late) is LinkProblem.EXPIRED
    with transaction(sessions) as session:
        assert links.check(session, secret, late) is LinkProblem.EXPIRED


@pytest.mark.parametrize("forged", ["", "x" * 43, "not a secret at all!", "é" * 40])
def test_a_made_up_link_signs_nobody_in(sessions: SessionFactory, forged: str) -> None:
    _issue(sessions)
    assert _redeem(sessions, forged, NOW) is LinkProblem.UNKNOWN


def test_only_the_hash_of_a_secret_is_stored(sessions: SessionFactory) -> None:
    secret = _issue(sessions)
    with transaction(sessions) as session:
        stored = session.scalars(select(SignInLink.token_hash)).all()
    assert len(stored) == 1
    assert secret not in stored
    assert len(stored[0]) == 64


def test_issuing_clears_links_long_dead(sessions: SessionFactory) -> None:
    _issue(sessions, NOW - timedelta(days=3))
    _issue(sessions)
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(SignInLink)) == 1
