"""Process-wide logging: readable text for people, one JSON object a line for collectors."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

# Attributes every LogRecord has; anything else passed through `extra=` is context worth emitting.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


# Slack tokens (bot, user, app-level, refresh) and anything under a secret-sounding name.
_TOKEN = re.compile(r"xox[abpre]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+")
_SECRET_KEYS = ("token", "secret", "password", "authorization")


def _redacted(key: str, value: object) -> object:
    """`value` with secrets removed: all of it under a secret-sounding `key`, tokens anywhere."""
    if any(word in key.lower() for word in _SECRET_KEYS):
        return "[redacted]"
    if isinstance(value, str):
        return _TOKEN.sub("[redacted]", value)
    if isinstance(value, dict):
        return {str(k): _redacted(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_redacted("", item) for item in value]
    return value


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: time, level, logger, message, and any `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Return `record` as a single line of JSON."""
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(
            (key, _redacted(key, value))
            for key, value in record.__dict__.items()
            if key not in _STANDARD
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        # The last word: whatever slipped through (an object's str(), a traceback, the message)
        # is swept once more on the finished line; token characters never need JSON escaping.
        return _TOKEN.sub("[redacted]", json.dumps(entry, default=str))


class TextFormatter(logging.Formatter):
    """Formats a record as one readable line, with Slack tokens redacted like the JSON lines."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """Return `record` as text, any token in it replaced by "[redacted]"."""
        return _TOKEN.sub("[redacted]", super().format(record))


def configure_logging(level: str, fmt: str, *, migrations: bool = False) -> None:
    """Send all logs to stderr at `level`, as text or JSON (`fmt`); Alembic's account of each
    migration only at DEBUG or when `migrations` is what the command is for."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Bolt and slack-sdk log request bodies at DEBUG; keep them quiet unless asked for.
    for noisy in ("slack_bolt", "slack_sdk", "httpx", "httpcore", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(max(logging.getLevelName(level), logging.WARNING))
    # Every command brings the database up to date first; how is news only to `migrate`.
    quiet = not migrations and level != "DEBUG"
    logging.getLogger("alembic").setLevel(logging.WARNING if quiet else logging.NOTSET)
