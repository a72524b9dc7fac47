"""Handing out a link on a real database: only to an active person the directory knows, as a URL
on the site's sign-in page that redeems to that person."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from app.directory.service import get_member, save_members
from app.signin import links
from app.signin.handout import HandoutRefused, hand_out, signin_url
from app.signin.links import LinkHolder
from app.store.db import SessionFactory, transaction
from tests.signin.conftest import NOW, TEAM


def _user(user_id: str, **flags: bool) -> dict[str, object]:
    return {"id": user_id, "name": user_id.lower(), "deleted": False, "is_bot": False, **flags}


@pytest.fixture
def sessions(sessions: SessionFactory) -> SessionFactory:
    """The shared database, with a few people in T0001's directory."""
    with transaction(sessions) as session:
        people = [_user("UANA"), _user("UGONE", deleted=True), _user("UBOT1", is_bot=True)]
        save_members(session, TEAM, [*people, _user("UERASED")], NOW)
    return sessions


def _hand_out(sessions: SessionFactory, user_id: str, forget: bool = False) -> str | HandoutRefused:
    with transaction(sessions) as session:
        member = get_member(session, TEAM, user_id)
        if member is not None and forget:
            member.forgotten_at = NOW
        return hand_out(session, member, "https://insights.example/", NOW)


def test_an_active_person_gets_a_url_that_signs_them_in(sessions: SessionFactory) -> None:
    url = _hand_out(sessions, "UANA")
    assert isinstance(url, str)
    assert url.startswith("https://insights.example/insights/signin?token=")
    [secret] = parse_qs(urlsplit(url).query)["token"]
    with transaction(sessions) as session:
        assert links.redeem(session, secret, NOW) == LinkHolder(TEAM, "UANA")


@pytest.mark.parametrize(
    ("user_id", "forget", "refused"),
    [
        ("UNOBODY", False, HandoutRefused.UNKNOWN),
        ("UGONE", False, HandoutRefused.DEACTIVATED),
        ("UBOT1", False, HandoutRefused.BOT),
        ("UERASED", True, HandoutRefused.FORGOTTEN),
    ],
)
def test_nobody_else_gets_one(
    sessions: SessionFactory, user_id: str, forget: bool, refused: HandoutRefused
) -> None:
    assert _hand_out(sessions, user_id, forget) == refused


def test_the_url_quotes_the_secret_and_keeps_the_base_path() -> None:
    assert signin_url("http://h:8/base/", "a-b_c") == "http://h:8/base/insights/signin?token=a-b_c"
