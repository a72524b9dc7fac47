"""Where the delivery worker finds the bot token of a workspace."""

from __future__ import annotations

from typing import Protocol


class TokenSource(Protocol):
    """Gives the bot token to call Slack with for a workspace."""

    def bot_token(self, team_id: str) -> str | None:
        """Return the bot token of `team_id`, or None when the bot has none there."""
        ...


class SingleWorkspaceTokens:
    """The one bot token of a single-workspace install (`SLACK_BOT_TOKEN`)."""

    def __init__(self, team_id: str, token: str) -> None:
        self.team_id = team_id
        self.token = token

    def bot_token(self, team_id: str) -> str | None:
        """Return the token for the install's own workspace, None for any other."""
        return self.token if team_id == self.team_id else None


class NoTokens:
    """No workspace is reachable yet (before start-up has learnt the install)."""

    def bot_token(self, team_id: str) -> str | None:
        """Return None: there is no token for any workspace."""
        return None
