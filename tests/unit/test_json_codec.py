"""`json_codec`: orjson's speed with the standard library's meaning where the bot can tell."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest

from app import json_codec

MESSAGE: dict[str, Any] = {
    "channel": "C0123",
    "text": "<@U1> thanked <@U2>: merci pour l'aide ☺ — «deploy»",
    "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": '*Thanks* "quoted" \\ \n'}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "#teamwork"}]},
    ],
    "unfurl_links": False,
    "thread_ts": None,
    "metadata": {"event_type": "kudos", "event_payload": {"kudos_id": 9_007_199_254_740_993}},
    "ratio": 0.1,
}


def test_a_message_reads_back_as_the_standard_library_reads_its_own_text() -> None:
    text = json_codec.dumps(MESSAGE)
    assert json.loads(text) == MESSAGE
    assert json_codec.loads(text) == MESSAGE
    assert json_codec.loads(json.dumps(MESSAGE)) == MESSAGE
    assert json_codec.loads(json_codec.dumps_bytes(MESSAGE)) == MESSAGE


def test_text_is_compact_utf8() -> None:
    assert json_codec.dumps({"a": [1, "é"]}) == '{"a":[1,"é"]}'
    assert json_codec.dumps_bytes({"a": "é"}) == '{"a":"é"}'.encode()


def test_keys_that_are_not_strings_become_strings_as_the_standard_library_writes_them() -> None:
    value = {1: "one", 2.5: "two and a half", None: "none", False: "no"}
    assert json_codec.loads(json_codec.dumps(value)) == json.loads(json.dumps(value))


@pytest.mark.parametrize(
    "value", [datetime(2026, 12, 7, tzinfo=UTC), date(2026, 12, 7)], ids=["datetime", "date"]
)
def test_a_date_is_refused_as_the_standard_library_refuses_it(value: object) -> None:
    with pytest.raises(TypeError):
        json.dumps(value)
    with pytest.raises(TypeError):
        json_codec.dumps({"when": value})


def test_a_dataclass_is_refused_as_the_standard_library_refuses_it() -> None:
    @dataclass
    class Point:
        x: int

    with pytest.raises(TypeError):
        json_codec.dumps_bytes([Point(1)])


@pytest.mark.parametrize("document", ["", "{", "{'a': 1}", b"\xff", "[1,]"])
def test_what_is_not_json_raises_the_standard_librarys_decode_error(document: str | bytes) -> None:
    with pytest.raises(json.JSONDecodeError):
        json_codec.loads(document)
