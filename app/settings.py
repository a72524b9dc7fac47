"""The process environment, read once and validated into one immutable `Settings` object.

Every variable the bot reads is declared in `VARIABLES`; the README's configuration table is checked
against that tuple by a test, so the two cannot drift apart.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite:///reciprocity.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_PORT = 3000
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LogFormat = Literal["text", "json"]


@dataclass(frozen=True)
class Variable:
    """One environment variable: its name, its default (None: unset), and what it must hold."""

    name: str
    default: str | None
    expects: str


VARIABLES: tuple[Variable, ...] = (
    Variable(
        "DATABASE_URL",
        DEFAULT_DATABASE_URL,
        "a SQLAlchemy URL: sqlite:///path.db or postgresql+psycopg://user@host/db",
    ),
    Variable("SLACK_BOT_TOKEN", None, "the bot token (xoxb-…) of a single-workspace install"),
    Variable("SLACK_SIGNING_SECRET", None, "the app's signing secret (HTTP mode)"),
    Variable("SLACK_APP_TOKEN", None, "an app-level token (xapp-…); set it to use Socket Mode"),
    Variable("SLACK_CLIENT_ID", None, "the app's client id (multi-workspace OAuth)"),
    Variable("SLACK_CLIENT_SECRET", None, "the app's client secret (multi-workspace OAuth)"),
    Variable(
        "SLACK_STATE_SECRET", None, "a random secret that signs OAuth state (multi-workspace)"
    ),
    Variable(
        "TOKEN_ENCRYPTION_KEYS",
        None,
        "Fernet keys, comma-separated, newest first (`reciprocity keygen` makes one); "
        "required with OAuth: installation tokens are encrypted with the first",
    ),
    Variable("SLACK_API_URL", DEFAULT_SLACK_API_URL, "the Web API base URL, http(s)://…/api/"),
    Variable("PORT", str(DEFAULT_PORT), "the HTTP port, a whole number from 1 to 65535"),
    Variable(
        "PUBLIC_URL",
        "http://localhost:$PORT",
        "where people reach this server, for links such as the insights sign-in: "
        "an http(s) URL without path or query, e.g. https://reciprocity.example.com",
    ),
    Variable("LOG_LEVEL", "INFO", "one of " + ", ".join(LOG_LEVELS)),
    Variable("LOG_FORMAT", "text", "text or json"),
)

_EXPECTS = {variable.name: variable.expects for variable in VARIABLES}
_OAUTH = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_STATE_SECRET")


class SettingsError(Exception):
    """A setting is missing or malformed; `str()` is the one line an operator sees."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable} {problem}")
        self.variable = variable


@dataclass(frozen=True)
class Settings:
    """The validated configuration of one process."""

    database_url: str
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_state_secret: str | None = None
    token_encryption_keys: tuple[str, ...] = ()
    slack_api_url: str = DEFAULT_SLACK_API_URL
    port: int = DEFAULT_PORT
    log_level: str = "INFO"
    log_format: LogFormat = "text"
    # Where people reach this server (no trailing slash); empty means http://localhost:{port}.
    public_url: str = ""

    def __post_init__(self) -> None:
        if not self.public_url:
            object.__setattr__(self, "public_url", default_public_url(self.port))

    @property
    def public_https(self) -> bool:
        """Whether people reach this server over HTTPS (the site's cookies are then Secure)."""
        return self.public_url.startswith("https://")

    @property
    def oauth_enabled(self) -> bool:
        """Whether multi-workspace OAuth is configured."""
        return self.slack_client_id is not None

    @property
    def socket_mode(self) -> bool:
        """Whether the bot connects over Socket Mode instead of serving Slack's HTTP requests."""
        return self.slack_app_token is not None

    def require_slack_credentials(self) -> None:
        """Raise `SettingsError` naming what to set when these settings cannot talk to Slack."""
        if self.slack_bot_token is None and not self.oauth_enabled:
            raise SettingsError(
                "SLACK_BOT_TOKEN",
                "is not set: set SLACK_BOT_TOKEN (xoxb-…) and SLACK_SIGNING_SECRET for one "
                "workspace, or SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET for "
                "OAuth installs (no Slack at hand? try `reciprocity demo`)",
            )
        if self.oauth_enabled and not self.token_encryption_keys:
            raise SettingsError(
                "TOKEN_ENCRYPTION_KEYS",
                "is not set: OAuth installs store bot tokens, encrypted at rest with this key; "
                "make one with `reciprocity keygen`",
            )
        if self.slack_signing_secret is None and not self.socket_mode:
            raise SettingsError(
                "SLACK_SIGNING_SECRET",
                "is not set: copy it from your app's Basic Information page "
                "(or set SLACK_APP_TOKEN to use Socket Mode)",
            )


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Read and validate `environ`; raise `SettingsError` on the first bad or missing variable."""

    def get(name: str) -> str | None:
        value = environ.get(name, "").strip()
        return value or None

    oauth = {name: get(name) for name in _OAUTH}
    given = [name for name, value in oauth.items() if value is not None]
    if given and len(given) < len(_OAUTH):
        missing = next(name for name in _OAUTH if oauth[name] is None)
        raise SettingsError(
            missing, f"is not set but {given[0]} is: OAuth needs all of " + ", ".join(_OAUTH)
        )
    return Settings(
        database_url=_database_url(get("DATABASE_URL") or DEFAULT_DATABASE_URL),
        slack_bot_token=_token(get("SLACK_BOT_TOKEN"), "SLACK_BOT_TOKEN", "xoxb-"),
        slack_signing_secret=_signing_secret(get("SLACK_SIGNING_SECRET")),
        slack_app_token=_token(get("SLACK_APP_TOKEN"), "SLACK_APP_TOKEN", "xapp-"),
        slack_client_id=oauth["SLACK_CLIENT_ID"],
        slack_client_secret=oauth["SLACK_CLIENT_SECRET"],
        slack_state_secret=oauth["SLACK_STATE_SECRET"],
        token_encryption_keys=_fernet_keys(get("TOKEN_ENCRYPTION_KEYS")),
        slack_api_url=_api_url(get("SLACK_API_URL") or DEFAULT_SLACK_API_URL),
        port=(port := _port(get("PORT"))),
        public_url=_public_url(get("PUBLIC_URL"), port),
        log_level=_log_level(get("LOG_LEVEL")),
        log_format=_log_format(get("LOG_FORMAT")),
    )


def _malformed(name: str) -> SettingsError:
    return SettingsError(name, f"is malformed: expected {_EXPECTS[name]}")


def _database_url(raw: str) -> str:
    # Hosting platforms hand out postgres:// URLs; psycopg 3 is the driver we ship.
    normalized = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", raw)
    try:
        url: URL = make_url(normalized)
    except ArgumentError:
        raise _malformed("DATABASE_URL") from None
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:"):
            raise SettingsError(
                "DATABASE_URL", "names an in-memory SQLite database: give a file, sqlite:///x.db"
            )
    elif url.get_backend_name() != "postgresql" or url.get_driver_name() != "psycopg":
        raise _malformed("DATABASE_URL")
    elif not url.database:
        raise SettingsError("DATABASE_URL", "has no database name: postgresql+psycopg://host/db")
    return normalized


def _token(raw: str | None, name: str, prefix: str) -> str | None:
    if raw is None:
        return None
    if not raw.startswith(prefix) or any(ch.isspace() for ch in raw):
        # Never echo the value: it may be a real secret pasted into the wrong variable.
        raise SettingsError(name, f"is malformed: expected a token starting with {prefix}")
    return raw


def _fernet_keys(raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return ()
    keys = tuple(key.strip() for key in raw.split(",") if key.strip())
    for key in keys:
        try:
            decoded = base64.urlsafe_b64decode(key.encode())
        except (ValueError, binascii.Error):
            decoded = b""
        if len(decoded) != 32:
            # Never echo the value: it is a secret.
            raise _malformed("TOKEN_ENCRYPTION_KEYS")
    return keys


def _signing_secret(raw: str | None) -> str | None:
    if raw is not None and not re.fullmatch(r"[0-9A-Za-z]+", raw):
        raise SettingsError("SLACK_SIGNING_SECRET", "is malformed: expected letters and digits")
    return raw


def _api_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _malformed("SLACK_API_URL")
    return raw if raw.endswith("/") else raw + "/"


def _port(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_PORT
    # isdigit() alone accepts digits int() refuses, such as "¹".
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 65535:
        raise _malformed("PORT")
    return int(raw)


def default_public_url(port: int) -> str:
    """Return PUBLIC_URL's default for a server on `port`: this machine's loopback name."""
    return f"http://localhost:{port}"


def _public_url(raw: str | None, port: int) -> str:
    if raw is None:
        return default_public_url(port)
    parts = urlsplit(raw)
    # The site's routes and its cookie's Path live at the root: a path prefix could not work.
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username is not None
        or any(ch.isspace() for ch in raw)
    ):
        raise _malformed("PUBLIC_URL")
    try:
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:
        raise _malformed("PUBLIC_URL") from None
    return f"{parts.scheme}://{parts.netloc}"


def _log_level(raw: str | None) -> str:
    level = (raw or "INFO").upper()
    if level not in LOG_LEVELS:
        raise _malformed("LOG_LEVEL")
    return level


def _log_format(raw: str | None) -> LogFormat:
    value = (raw or "text").lower()
    if value == "text":
        return "text"
    if value == "json":
        return "json"
    raise _malformed("LOG_FORMAT")
