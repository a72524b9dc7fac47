"""Web sessions on a real database: found by their secret until they expire or are closed."""

from __future__ import annotations

from datetime import timedelta

from app.signin import sessions as web_sessions
from app.store.db import SessionFactory, transaction
from tests.signin.conftest import NOW, TEAM


def test_a_session_is_found_by_its_secret_until_it_expires(sessions: SessionFactory) -> None:
    with transaction(sessions) as session:
        opened = web_sessions.open_session(session, TEAM, "UALICE", "link", NOW)
    with transaction(sessions) as session:
        found = web_sessions.find_session(session, opened.secret, NOW + timedelta(hours=1))
        assert found == opened.signed_in
        late = NOW + web_sessions.SESSION_LIFETIME
        assert web_sessions.find_session(session, opened.secret, late) is None


def test_a_closed_or_forged_session_is_not_found(sessions: SessionFactory) -> None:
    with transaction(sessions) as session:
        opened = web_sessions.open_session(session, TEAM, "UALICE", "link", NOW)
        other = web_sessions.open_session(session, TEAM, "UBOB", "oidc", NOW)
    with transaction(sessions) as session:
        web_sessions.close_session(session, opened.secret)
    with transaction(sessions) as session:
        assert web_sessions.find_session(session, opened.secret, NOW) is None
        forged = opened.secret[:-1] + ("B" if opened.secret.endswith("A") else "A")
        assert web_sessions.find_session(session, forged, NOW) is None
        assert web_sessions.find_session(session, other.secret, NOW) == other.signed_in
