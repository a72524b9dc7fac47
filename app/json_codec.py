"""JSON text in and out for the hot paths, encoded and decoded in C (orjson).

Every kudos writes its outbox rows' arguments as JSON and every delivery reads them back and
parses Slack's answer: the standard library spends about four Python calls on each `dumps`
and two on each `loads` around its C scanner, and is three to six times slower on these small
documents than orjson, which is one C call each way.

The meaning is the standard library's where the bot could tell them apart: keys that are not
strings become strings (orjson refuses them unless asked), and a datetime or a dataclass is
refused with `TypeError` (orjson would write one itself; a datetime in a message's arguments
is a bug to surface, not a format to invent). Text is UTF-8 and compact (no spaces after `,`
and `:`); a malformed document raises the standard library's `json.JSONDecodeError` (a
`ValueError`), of which orjson's error is a subclass. Two differences stay, neither reachable
from what Slack or the bot writes: NaN becomes `null` (neither database takes NaN in JSON),
and an integer beyond 64 bits is refused.
"""

from __future__ import annotations

from typing import Any

import orjson

_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


def dumps(value: Any) -> str:
    """`value` as compact JSON text."""
    return orjson.dumps(value, option=_OPTIONS).decode()


def dumps_bytes(value: Any) -> bytes:
    """`value` as compact JSON, UTF-8 encoded (a request body, a driver's parameter)."""
    return orjson.dumps(value, option=_OPTIONS)


def loads(document: str | bytes | bytearray | memoryview) -> Any:
    """The value `document` holds; `json.JSONDecodeError` if it is not JSON."""
    return orjson.loads(document)
