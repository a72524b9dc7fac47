"""Multi-workspace installs: slack-sdk's installation and OAuth-state tables in our database
(under Alembic, not `create_all`), and bot tokens for the delivery worker, rotated before they
expire when the app uses token rotation."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from logging import Logger

from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation, InstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy import Engine

from app.slack.token_crypto import EncryptedInstallationStore, TokenCipher
from app.store.models import BOTS_TABLE, INSTALLATIONS_TABLE, STATES_TABLE

log = logging.getLogger(__name__)

# Rotate this long before a token expires, so no call is made with a token about to lapse.
ROTATE_BEFORE_MINUTES = 120
# A token found in the store is reused this long before the store is read again.
TRUST_SECONDS = 60.0


def installation_store(
    client_id: str, engine: Engine, keys: Sequence[str]
) -> EncryptedInstallationStore:
    """slack-sdk's installation store over our tables, tokens encrypted with `keys`."""
    return EncryptedInstallationStore(
        TokenCipher(keys),
        client_id=client_id,
        engine=engine,
        bots_table_name=BOTS_TABLE,
        installations_table_name=INSTALLATIONS_TABLE,
        logger=logging.getLogger("slack_sdk.oauth"),
    )


def state_store(engine: Engine, expiration_seconds: int = 600) -> SQLAlchemyOAuthStateStore:
    """slack-sdk's OAuth state store over our table (a state lives 10 minutes)."""
    return SQLAlchemyOAuthStateStore(
        expiration_seconds=expiration_seconds,
        engine=engine,
        table_name=STATES_TABLE,
        logger=logging.getLogger("slack_sdk.oauth"),
    )


class ForwardingStore(InstallationStore):
    """An installation store that hands every call to `store`: the base of the wrappers that
    change one thing about it (what authorization remembers, what it notes of a failure)."""

    def __init__(self, store: InstallationStore) -> None:
        self._store = store

    @property
    def logger(self) -> Logger:
        return self._store.logger

    def save(self, installation: Installation) -> None:
        """Store `installation`."""
        self._store.save(installation)

    def save_bot(self, bot: Bot) -> None:
        """Store `bot`."""
        self._store.save_bot(bot)

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """The workspace's newest bot, if any."""
        return self._store.find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """The workspace's (or user's) newest installation, if any."""
        return self._store.find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Delete the workspace's bots."""
        self._store.delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        """Delete the workspace's (or user's) installations."""
        self._store.delete_installation(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
        )

    def delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Delete everything of the workspace."""
        self._store.delete_all(enterprise_id=enterprise_id, team_id=team_id)


@dataclass
class _Known:
    token: str
    until: float


class InstallationTokens:
    """Bot tokens of every installed workspace, from the installation store (a `TokenSource`).

    A rotating token is refreshed with `oauth.v2.access` two hours before it expires and the
    new one saved; answers are remembered for a minute so a busy worker does not read the
    store for every message.
    """

    def __init__(
        self,
        store: InstallationStore,
        *,
        client_id: str,
        client_secret: str,
        client: WebClient,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.rotator = TokenRotator(client_id=client_id, client_secret=client_secret, client=client)
        self._monotonic = monotonic
        self._known: dict[str, _Known] = {}
        self._guards: dict[str, threading.Lock] = {}
        self._fresh: dict[str, Bot] = {}
        self._saver = ThreadPoolExecutor(max_workers=1, thread_name_prefix="token-save")
        self._lock = threading.Lock()

    def bot_token(self, team_id: str) -> str | None:
        """Return `team_id`'s bot token, rotated first if it is about to expire; None if none."""
        remembered = self._remembered(team_id)
        if remembered is not None:
            return remembered
        # One look-up (and rotation) per workspace at a time: a refresh token works only once.
        with self._lock:
            guard = self._guards.setdefault(team_id, threading.Lock())
        with guard:
            remembered = self._remembered(team_id)
            if remembered is not None:
                return remembered
            bot = self._newest(self.store.find_bot(enterprise_id=None, team_id=team_id), team_id)
            if bot is None or not bot.bot_token:
                return None
            bot = self._rotated(bot)
            if bot.bot_refresh_token is not None:
                with self._lock:
                    self._fresh[team_id] = bot
            now = self._monotonic()
            until = now + TRUST_SECONDS
            if bot.bot_token_expires_at is not None:
                # Never trust a token past the point where it should be rotated.
                left = bot.bot_token_expires_at - time.time() - ROTATE_BEFORE_MINUTES * 60
                until = min(until, now + max(left, 0.0))
            with self._lock:
                self._known[team_id] = _Known(str(bot.bot_token), until)
            return str(bot.bot_token)

    def _newest(self, stored: Bot | None, team_id: str) -> Bot | None:
        # A token rotated here may not be saved yet, and the one in the store is then spent.
        with self._lock:
            mine = self._fresh.get(team_id)
        if stored is None or mine is None:
            return stored
        # Expiry times are whole seconds: on a tie ours is the later one (we rotated it).
        newer = (mine.bot_token_expires_at or 0) >= (stored.bot_token_expires_at or 0)
        return mine if newer else stored

    def _remembered(self, team_id: str) -> str | None:
        with self._lock:
            known = self._known.get(team_id)
        return known.token if known is not None and self._monotonic() < known.until else None

    def forget(self, team_id: str) -> None:
        """Drop what is remembered about `team_id` (uninstalled, or its token revoked)."""
        with self._lock:
            self._known.pop(team_id, None)
            self._fresh.pop(team_id, None)

    def _rotated(self, bot: Bot) -> Bot:
        if bot.bot_refresh_token is None:
            return bot
        try:
            fresh = self.rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=ROTATE_BEFORE_MINUTES
            )
        except Exception:
            # Slack unreachable: the current token is still valid for up to two hours.
            log.warning("token rotation for %s failed; using the current token", bot.team_id)
            return bot
        if fresh is None:
            return bot
        # Saved from another thread: the caller may be inside a transaction, and on SQLite a
        # second writer in the same thread would wait for itself. One saver keeps the order:
        # an older token must never overwrite a newer one (its refresh token is spent).
        self._saver.submit(self._save, fresh)
        return fresh

    def _save(self, bot: Bot) -> None:
        try:
            self.store.save_bot(bot)
        except Exception:
            log.exception("saving the rotated token of %s failed", bot.team_id)
