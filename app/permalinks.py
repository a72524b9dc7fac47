"""Links to Slack messages, built the way Slack builds them, without a `chat.getPermalink` call."""

from __future__ import annotations


def permalink(domain: str | None, channel_id: str, ts: str) -> str:
    """Return the web link to message `ts` in `channel_id` of the workspace at `domain`."""
    host = f"{domain}.slack.com" if domain else "slack.com"
    return f"https://{host}/archives/{channel_id}/p{ts.replace('.', '')}"
