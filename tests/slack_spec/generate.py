"""Regenerate methods.json from Slack's OpenAPI spec (slackapi/slack-api-specs).

    git clone https://github.com/slackapi/slack-api-specs /tmp/slack-api-specs
    python -m tests.slack_spec.generate /tmp/slack-api-specs/web-api/slack_web_openapi_v2.json \
        --commit "$(git -C /tmp/slack-api-specs rev-parse HEAD)"

Only the methods the bot calls or the stand-in serves are kept: each one's argument names and
the error codes its `default` (error) response enumerates, exactly as the spec has them.
Everything the spec lacks goes in supplement.py, each entry with the Slack page it comes from.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

METHODS = (
    "chat.postMessage",
    "chat.postEphemeral",
    "chat.update",
    "chat.delete",
    "chat.getPermalink",
    "conversations.open",
    "conversations.info",
    "conversations.history",
    "conversations.replies",
    "conversations.join",
    "users.info",
    "users.list",
    "views.open",
    "views.update",
    "views.publish",
    "reactions.add",
    "auth.test",
    "oauth.v2.access",
    "apps.connections.open",
    # Newer than the spec (like apps.connections.open): all they take is in supplement.py.
    "openid.connect.token",
    "openid.connect.userInfo",
)
OUTPUT = Path(__file__).with_name("methods.json")


def extract(spec: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    """Each of METHODS the spec describes -> its sorted argument names and error codes."""
    table: dict[str, dict[str, list[str]]] = {}
    for method in METHODS:
        operations = spec["paths"].get("/" + method)
        if operations is None:
            continue  # e.g. apps.connections.open, newer than the spec: see supplement.py
        for operation in operations.values():
            errors = (
                operation["responses"]
                .get("default", {})
                .get("schema", {})
                .get("properties", {})
                .get("error", {})
                .get("enum", [])
            )
            table[method] = {
                "args": sorted({p["name"] for p in operation.get("parameters", [])}),
                "errors": sorted(set(errors)),
            }
    return table


def main() -> None:
    """Read the spec file named on the command line and write methods.json beside this file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", type=Path, help="web-api/slack_web_openapi_v2.json")
    parser.add_argument("--commit", default="", help="the slack-api-specs commit it came from")
    options = parser.parse_args()
    spec = json.loads(options.spec.read_text())
    document = {
        "_source": {
            "repository": "https://github.com/slackapi/slack-api-specs",
            "path": "web-api/slack_web_openapi_v2.json",
            "commit": options.commit,
            "spec_version": spec.get("info", {}).get("version", ""),
            "generator": "python -m tests.slack_spec.generate",
        },
        "methods": extract(spec),
    }
    OUTPUT.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
