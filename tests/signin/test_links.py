"""One-time sign-in links on a real database: issued to one person, spent once, dead after."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.signin import links
from app.signin.links import LinkHolder, LinkProblem
from app.store.db import SessionFactory, make_engine, make_session_factory, transaction
from app.store.models import SignInLink
from app.workspaces.service import Identity, ensure_workspace

TEAM = "T0001"
NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@pytest.fixture
def sessions(database_url: str) -> Iterator[SessionFactory]:
    """Sessions on a fresh database that knows workspace T0001."""
    engine = make_engine(database_url, pool_size=2)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        ensure_workspace(session, Identity(TEAM, "Acme", "UBOT", "BBOT"), NOW)
    yield factory
    engine.dispose()


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
