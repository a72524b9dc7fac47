"""The installation store as authorization reads it (`RememberedBots`), over a real store in a
SQLite file: a bot is remembered for the trusted minute, never past its rotation point, and
forgotten by every write made through it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store import Bot
from sqlalchemy import create_engine

from app.slack.installations import ROTATE_BEFORE_MINUTES, TRUST_SECONDS, installation_store
from app.slack.remembered_bots import RememberedBots
from app.slack.token_crypto import EncryptedInstallationStore
from tests.clocks import HandClock

WALL = 1_800_000_000.0


def bot(token: str, *, expires_in: float | None = None, team_id: str = "T1") -> Bot:
    """A bot of `team_id` with `token`, expiring `expires_in` seconds after `WALL` if given."""
    return Bot(
        app_id="A1",
        team_id=team_id,
        bot_token=token,
        bot_id="B1",
        bot_user_id="UBOT",
        bot_scopes="chat:write",
        bot_refresh_token="xoxe-1" if expires_in is not None else None,
        bot_token_expires_at=int(WALL + expires_in) if expires_in is not None else None,
        installed_at=WALL,
    )


@pytest.fixture
def store(tmp_path: Path) -> EncryptedInstallationStore:
    """A real, encrypted installation store in a fresh SQLite file."""
    engine = create_engine(f"sqlite:///{tmp_path / 'installs.db'}")
    raw = installation_store("client", engine, [Fernet.generate_key().decode()])
    raw.create_tables()
    return raw


@pytest.fixture
def clock() -> HandClock:
    return HandClock()


@pytest.fixture
def remembered(store: EncryptedInstallationStore, clock: HandClock) -> RememberedBots:
    return RememberedBots(store, monotonic=clock, wall=lambda: WALL + clock.now - 1000.0)


def token_of(store: RememberedBots, team_id: str = "T1") -> str | None:
    found = store.find_bot(enterprise_id=None, team_id=team_id)
    return None if found is None else found.bot_token


def test_a_bot_is_remembered_for_the_trusted_minute_then_read_again(
    store: EncryptedInstallationStore, remembered: RememberedBots, clock: HandClock
) -> None:
    store.save_bot(bot("xoxb-old"))
    assert token_of(remembered) == "xoxb-old"
    # Another replica saves a new token: this one goes on with the remembered bot a while.
    store.save_bot(bot("xoxb-new"))
    clock.now += TRUST_SECONDS - 1
    assert token_of(remembered) == "xoxb-old"
    clock.now += 1
    assert token_of(remembered) == "xoxb-new"


def test_a_write_through_it_is_seen_at_once(
    remembered: RememberedBots, store: EncryptedInstallationStore
) -> None:
    remembered.save_bot(bot("xoxb-old"))
    assert token_of(remembered) == "xoxb-old"
    remembered.save_bot(bot("xoxb-new"))
    assert token_of(remembered) == "xoxb-new"
    remembered.delete_bot(enterprise_id=None, team_id="T1")
    assert token_of(remembered) is None
    # Not installed is not remembered: an install made elsewhere is served at once.
    store.save_bot(bot("xoxb-again"))
    assert token_of(remembered) == "xoxb-again"


def test_a_token_due_for_rotation_is_never_remembered_past_that_point(
    store: EncryptedInstallationStore, remembered: RememberedBots, clock: HandClock
) -> None:
    rotate_at = ROTATE_BEFORE_MINUTES * 60
    # Due for rotation half a minute from now: remembered that long, not the whole minute.
    store.save_bot(bot("xoxb-1", expires_in=rotate_at + 30))
    assert token_of(remembered) == "xoxb-1"
    store.save_bot(bot("xoxb-2", expires_in=rotate_at + 30))
    clock.now += 29
    assert token_of(remembered) == "xoxb-1"
    clock.now += 1
    assert token_of(remembered) == "xoxb-2"
    # Past its rotation point, every read goes to the store, where the rotated token will be.
    store.save_bot(bot("xoxb-3", expires_in=rotate_at + 30))
    assert token_of(remembered) == "xoxb-3"


def test_a_read_that_a_write_overtook_is_not_remembered(
    store: EncryptedInstallationStore, clock: HandClock
) -> None:
    store.save_bot(bot("xoxb-old"))

    class Overtaken(EncryptedInstallationStore):
        """The real store, where a rotation is saved while the first read is on its way."""

        overtaken = False

        def find_bot(self, **kwargs: Any) -> Bot | None:
            found = super().find_bot(**kwargs)
            if not self.overtaken:
                self.overtaken = True
                remembered.save_bot(bot("xoxb-new"))
            return found

    slow = Overtaken(store.cipher, client_id="client", engine=store.engine)
    remembered = RememberedBots(slow, monotonic=clock, wall=lambda: WALL)
    assert token_of(remembered) == "xoxb-old"
    assert token_of(remembered) == "xoxb-new"


def test_workspaces_are_remembered_apart(
    store: EncryptedInstallationStore, remembered: RememberedBots
) -> None:
    store.save_bot(bot("xoxb-one", team_id="T1"))
    store.save_bot(bot("xoxb-two", team_id="T2"))
    assert (token_of(remembered, "T1"), token_of(remembered, "T2")) == ("xoxb-one", "xoxb-two")
    assert token_of(remembered, "T3") is None
