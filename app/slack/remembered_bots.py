"""The installation store with each workspace's bot remembered for a while, so that authorizing
a request (Bolt reads the bot for every one) costs no statement, no connection and no decryption.

A bot read from the store is reused for `TRUST_SECONDS`, as the delivery worker reuses a token
(`app.slack.installations.InstallationTokens`), and never past the point where its token is due
to be rotated: after that, every request reads the store again, and so sees the rotated token
once it is saved. Every write through this store (an install, a rotated token, an uninstall)
forgets everything remembered at once; a write by another replica is seen within the minute.
Until then a request is authorized with a token that still works: a rotated token's
predecessor lives until its own expiry, two hours after rotation at the least, and a workspace
that removed the app sends no more requests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore

from app.slack.installations import ROTATE_BEFORE_MINUTES, TRUST_SECONDS, ForwardingStore

_Key = tuple[str | None, str | None, bool | None]


@dataclass(frozen=True)
class _Remembered:
    bot: Bot
    until: float


class RememberedBots(ForwardingStore):
    """`store`, its `find_bot` answers remembered per workspace (see the module's docstring)."""

    def __init__(
        self,
        store: InstallationStore,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(store)
        self._monotonic = monotonic
        self._wall = wall
        self._bots: dict[_Key, _Remembered] = {}
        # Counts the writes: a read that a write overtook is not remembered (it may be older).
        self._writes = 0
        self._lock = threading.Lock()

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """The workspace's newest bot: remembered, or read from the store and remembered."""
        key = (enterprise_id, team_id, is_enterprise_install)
        now = self._monotonic()
        with self._lock:
            known = self._bots.get(key)
            if known is not None and now < known.until:
                return known.bot
            writes = self._writes
        bot = super().find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        # Not installed is not remembered: an install is then served at once.
        if bot is None:
            return None
        until = now + TRUST_SECONDS
        if bot.bot_token_expires_at is not None:
            left = bot.bot_token_expires_at - self._wall() - ROTATE_BEFORE_MINUTES * 60
            until = min(until, now + left)
        with self._lock:
            if until > now and writes == self._writes:
                self._bots[key] = _Remembered(bot, until)
        return bot

    def save(self, installation: Installation) -> None:
        """Store `installation`, and forget what is remembered."""
        with self._forgetting():
            super().save(installation)

    def save_bot(self, bot: Bot) -> None:
        """Store `bot`, and forget what is remembered."""
        with self._forgetting():
            super().save_bot(bot)

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Delete the workspace's bots, and forget what is remembered."""
        with self._forgetting():
            super().delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        """Delete the workspace's installations, and forget what is remembered."""
        with self._forgetting():
            super().delete_installation(
                enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
            )

    def delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Delete everything of the workspace, and forget what is remembered."""
        with self._forgetting():
            super().delete_all(enterprise_id=enterprise_id, team_id=team_id)

    @contextmanager
    def _forgetting(self) -> Iterator[None]:
        # After the write, done or not: a read from before it is then never kept.
        try:
            yield
        finally:
            self.forget()

    def forget(self) -> None:
        """Forget every remembered bot (writes are rare: installs, rotations, uninstalls)."""
        with self._lock:
            self._bots.clear()
            self._writes += 1
