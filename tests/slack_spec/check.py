"""Checks recorded stand-in calls against Slack's published method table.

The table is methods.json (generated from Slack's OpenAPI spec, see generate.py) plus
supplement.py (what the method pages document beyond it). tests/conftest.py runs `violations`
over every call a test's `slack` stand-in answered.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from app.sandbox.answers import Call
from tests.slack_spec.supplement import (
    ADDED_ARGS,
    ADDED_ERRORS,
    EVERY_METHOD_ARGS,
    EVERY_METHOD_ERRORS,
)

TABLE = Path(__file__).with_name("methods.json")
# Requests to a `response_url` and file bytes POSTed to an upload URL are not Web API methods.
NOT_METHODS = frozenset({"response_url", "upload_url"})


@dataclass(frozen=True)
class MethodSpec:
    """One method's documented argument names and error codes."""

    args: frozenset[str]
    errors: frozenset[str]


@cache
def table() -> dict[str, MethodSpec]:
    """Every method in the table: the spec's arguments and errors with the supplement's added."""
    spec = json.loads(TABLE.read_text())["methods"]
    methods = set(spec) | set(ADDED_ARGS) | set(ADDED_ERRORS)
    return {
        method: MethodSpec(
            args=frozenset(spec.get(method, {}).get("args", ()))
            | set(ADDED_ARGS.get(method, {}))
            | set(EVERY_METHOD_ARGS),
            errors=frozenset(spec.get(method, {}).get("errors", ()))
            | set(ADDED_ERRORS.get(method, {}))
            | set(EVERY_METHOD_ERRORS),
        )
        for method in methods
    }


def violations(calls: Iterable[Call]) -> list[str]:
    """One line per call that sent an undocumented argument or got an undocumented error."""
    found: list[str] = []
    methods = table()
    for call in calls:
        if call.method in NOT_METHODS:
            continue
        spec = methods.get(call.method)
        if spec is None:
            found.append(f"{call.method}: not a method in the Slack spec table (tests/slack_spec)")
            continue
        found.extend(
            f"{call.method}: argument {name!r} is not one of its documented arguments"
            for name in call.args
            if name != "token" and name not in spec.args
        )
        # A 5xx body is not a method's error code; an `undocumented` fault is a test's choice.
        if call.ok or call.status >= 500 or call.undocumented:
            continue
        error = str(call.response.get("error"))
        if error not in spec.errors:
            found.append(f"{call.method}: answered error {error!r}, not one Slack documents for it")
    return found
