"""Installation tokens encrypted at rest (Fernet), with key rotation.

`TOKEN_ENCRYPTION_KEYS` lists keys newest first: new values are encrypted with the first, and any
listed key decrypts. To rotate, put a new key first, restart (stored tokens are re-encrypted with
it at start-up), then drop the old key. A stored value without our prefix is a plaintext token
from before encryption and is read as it is, then re-encrypted at the next start-up.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any, TypeVar

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import Table, select, update

T = TypeVar("T")
PREFIX = "enc:v1:"
BOT_FIELDS = ("bot_token", "bot_refresh_token")
USER_FIELDS = ("user_token", "user_refresh_token")


class TokenCipher:
    """Encrypts and decrypts token strings with the configured keys."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    def encrypt(self, value: str | None) -> str | None:
        """`value` encrypted with the newest key (None stays None)."""
        if value is None or value.startswith(PREFIX):
            return value
        return PREFIX + self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, value: str | None) -> str | None:
        """The token `value` holds; a value without the prefix is returned as it is."""
        if value is None or not value.startswith(PREFIX):
            return value
        return self._fernet.decrypt(value[len(PREFIX) :].encode()).decode()

    def rotate(self, value: str | None) -> str | None:
        """`value` re-encrypted with the newest key (plaintext gets encrypted)."""
        if value is None:
            return None
        if not value.startswith(PREFIX):
            return self.encrypt(value)
        return PREFIX + self._fernet.rotate(value[len(PREFIX) :].encode()).decode()


class EncryptedInstallationStore(SQLAlchemyInstallationStore):
    """slack-sdk's SQLAlchemy installation store, storing every token encrypted."""

    def __init__(self, cipher: TokenCipher, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cipher = cipher

    def save(self, installation: Installation) -> None:
        """Store the installation (and its bot) with tokens encrypted."""
        super().save(self._sealed(installation, BOT_FIELDS + USER_FIELDS))

    def save_bot(self, bot: Bot) -> None:
        """Store the bot with its tokens encrypted."""
        super().save_bot(self._sealed(bot, BOT_FIELDS))

    def find_bot(self, **kwargs: Any) -> Bot | None:
        """The newest bot of a workspace, tokens decrypted."""
        bot = super().find_bot(**kwargs)
        if bot is not None:
            self._open(bot, BOT_FIELDS)
        return bot

    def find_installation(self, **kwargs: Any) -> Installation | None:
        """The newest installation of a workspace (or user), tokens decrypted."""
        installation = super().find_installation(**kwargs)
        if installation is not None:
            self._open(installation, BOT_FIELDS + USER_FIELDS)
        return installation

    def reencrypt_all(self) -> int:
        """Re-encrypt every stored token with the newest key; return how many rows changed."""
        changed = 0
        with self.engine.begin() as connection:
            for table, fields in (
                (self.bots, BOT_FIELDS),
                (self.installations, BOT_FIELDS + USER_FIELDS),
            ):
                changed += _rotate_table(connection, table, fields, self.cipher)
        return changed

    def _sealed(self, record: T, fields: Sequence[str]) -> T:
        # A copy: the caller's object keeps its plaintext tokens for its own use.
        sealed = copy.copy(record)
        for field in fields:
            setattr(sealed, field, self.cipher.encrypt(getattr(record, field, None)))
        return sealed

    def _open(self, record: Any, fields: Sequence[str]) -> None:
        for field in fields:
            try:
                setattr(record, field, self.cipher.decrypt(getattr(record, field, None)))
            except InvalidToken:
                # No configured key opens it: the workspace must reinstall (or the key return).
                setattr(record, field, None)


def _rotate_table(connection: Any, table: Table, fields: Sequence[str], cipher: TokenCipher) -> int:
    changed = 0
    columns = [table.c[field] for field in fields]
    for row in connection.execute(select(table.c.id, *columns)).mappings():
        values = {}
        for field in fields:
            try:
                rotated = cipher.rotate(row[field])
            except InvalidToken:
                continue
            if rotated != row[field]:
                values[field] = rotated
        if values:
            connection.execute(update(table).where(table.c.id == row["id"]).values(**values))
            changed += 1
    return changed
