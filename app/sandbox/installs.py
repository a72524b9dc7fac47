"""Where the app is installed and who may call: workspaces, bot and app-level tokens, OAuth.

The stand-in answers `auth.test` and `oauth.v2.access` from here, checks every other call's token
here, and asks here whether a token may open a Socket Mode connection. Each bot token carries the
scopes its install granted (`scopes.py` says which call needs which).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from typing import Any

from app.sandbox.answers import Answer, refusal
from app.sandbox.scopes import DEFAULT_SCOPES, parse_scopes
from app.sandbox.workspace import SlackError, Team

# Scopes as a test may give them: a comma list or a sequence; None is every scope the app asks for.
Scopes = str | tuple[str, ...] | list[str] | None


class Installs:
    """The workspaces the app is installed in and the tokens that reach each of them."""

    # The stand-in's clock (monotonic seconds), set by `Workspace`.
    clock: Callable[[], float]

    def __init__(
        self,
        home: Team,
        *,
        bot_token: str,
        app_id: str,
        enterprise_id: str | None,
        bot_scopes: Scopes = None,
    ) -> None:
        self.app_id = app_id
        self.enterprise_id = enterprise_id
        # Every workspace the app is installed in: the first is the stand-in's own.
        self.teams: dict[str, Team] = {home.id: home}
        self._home_team = home.id
        self._tokens: dict[str, str] = {bot_token: home.id}
        # The scopes each bot token was granted.
        self._scopes: dict[str, tuple[str, ...]] = {bot_token: parse_scopes(bot_scopes)}
        self._revoked: set[str] = set()
        # When each rotating token stops working (`token_expired`), on `clock`.
        self._expires: dict[str, float] = {}
        # OAuth: the app's credentials, the codes Slack would hand the browser, refresh tokens.
        self._oauth_client: tuple[str, str] | None = None
        self._oauth_codes: dict[str, dict[str, Any]] = {}
        self._refresh_tokens: dict[str, tuple[str, tuple[str, ...]]] = {}
        self.token_lifetime_seconds = 43_200
        # Socket Mode: the app-level tokens allowed to open connections.
        self._app_tokens: set[str] = set()
        self._installs_lock = threading.RLock()

    # -- setting up -----------------------------------------------------------------------

    def add_team(
        self,
        team_id: str,
        name: str,
        bot_token: str,
        *,
        bot_user_id: str = "UBOT2",
        scopes: Scopes = None,
    ) -> None:
        """Install the app in another workspace, reachable with `bot_token` granted `scopes`."""
        with self._installs_lock:
            self.teams[team_id] = Team(team_id, name, bot_user_id, "B" + team_id)
            self._tokens[bot_token] = team_id
            self._scopes[bot_token] = parse_scopes(scopes)

    def add_token(self, token: str, team_id: str | None = None, *, scopes: Scopes = None) -> None:
        """Accept another token (another workspace's bot, a rotated token), granted `scopes`."""
        with self._installs_lock:
            self._tokens[token] = team_id or self._home_team
            self._scopes[token] = parse_scopes(scopes)
            self._revoked.discard(token)

    def set_scopes(self, token: str, scopes: Scopes) -> None:
        """Change what `token` was granted: an install made before the app asked for a scope."""
        with self._installs_lock:
            self._scopes[token] = parse_scopes(scopes)

    def scopes_of(self, token: str) -> tuple[str, ...]:
        """The scopes bot token `token` was granted, in the order granted."""
        with self._installs_lock:
            return self._scopes.get(token, DEFAULT_SCOPES)

    def revoke_token(self, token: str) -> None:
        """Make calls with `token` answer `token_revoked`."""
        with self._installs_lock:
            self._revoked.add(token)

    def allow_app_token(self, app_token: str) -> None:
        """Accept `app_token` (xapp-…) for opening Socket Mode connections."""
        with self._installs_lock:
            self._app_tokens.add(app_token)

    def enable_oauth(self, client_id: str, client_secret: str) -> None:
        """Accept these app credentials at `oauth.v2.access`."""
        with self._installs_lock:
            self._oauth_client = (client_id, client_secret)

    def oauth_client(self) -> tuple[str, str] | None:
        """The app's client id and secret, once `enable_oauth` has set them."""
        with self._installs_lock:
            return self._oauth_client

    def is_bot_token(self, token: str) -> bool:
        """Whether `token` is one of the bot tokens the app was granted (revoked ones included)."""
        with self._installs_lock:
            return token in self._tokens

    def issue_oauth_code(
        self,
        *,
        team_id: str,
        team_name: str,
        installer: str,
        rotating: bool = False,
        bot_user_id: str = "UBOT2",
        scopes: Scopes = None,
    ) -> str:
        """The `code` Slack would put in the redirect after a person approves the install.

        `scopes` is what the authorize URL asked for (its `scope`, a comma list): the token is
        granted those, and `oauth.v2.access` says so; None grants every scope the app asks for.
        """
        code = f"code-{secrets.token_hex(8)}"
        with self._installs_lock:
            self._oauth_codes[code] = {
                "team_id": team_id,
                "team_name": team_name,
                "installer": installer,
                "rotating": rotating,
                "bot_user_id": bot_user_id,
                "scopes": parse_scopes(scopes),
            }
        return code

    # -- checking and answering -----------------------------------------------------------

    def authenticate(self, token: str | None) -> str:
        """The workspace `token` reaches; raises `SlackError` with Slack's code if none."""
        if not token:
            raise SlackError("not_authed")
        with self._installs_lock:
            if token in self._revoked:
                raise SlackError("token_revoked")
            if token not in self._tokens:
                raise SlackError("invalid_auth")
            # A rotating token works until it expires, rotated or not; then it never does.
            if token in self._expires and self.clock() >= self._expires[token]:
                raise SlackError("token_expired")
            return self._tokens[token]

    def connection_refusal(self, token: str | None) -> str | None:
        """Why `token` may not open a Socket Mode connection (Slack's code), or None if it may."""
        with self._installs_lock:
            if not token:
                return "not_authed"
            # Only an app-level token may open a socket; a bot token is the wrong kind.
            if token in self._tokens:
                return "not_allowed_token_type"
            return None if token in self._app_tokens else "invalid_auth"

    def auth_test(self, token: str | None) -> Answer:
        """Slack's `auth.test` answer for `token`: who the bot is, in which workspace."""
        try:
            team_id = self.authenticate(token)
        except SlackError as exc:
            return refusal(exc.error)
        with self._installs_lock:
            team = self.teams.get(team_id, self.teams[self._home_team])
        identity = {
            "url": f"https://{team.name.lower()}.slack.com/",
            "team": team.name,
            "user": "reciprocity",
            "team_id": team_id,
            "user_id": team.bot_user_id,
            "bot_id": team.bot_id,
            "is_enterprise_install": False,
            **({"enterprise_id": self.enterprise_id} if self.enterprise_id else {}),
        }
        return Answer(200, {"ok": True, **identity})

    def oauth_access(self, args: dict[str, Any]) -> Answer:
        """Slack's `oauth.v2.access` answer: a code or refresh token exchanged for a bot token."""
        with self._installs_lock:
            if (args.get("client_id"), args.get("client_secret")) != self._oauth_client:
                return refusal("invalid_client_id")
            if args.get("grant_type") == "refresh_token":
                refreshed = self._refresh_tokens.pop(str(args.get("refresh_token") or ""), None)
                if refreshed is None:
                    return refusal("invalid_refresh_token")
                # A refreshed token keeps what the install granted.
                team_id, scopes = refreshed
                grant: dict[str, Any] = {"team_id": team_id, "rotating": True, "scopes": scopes}
            else:
                found = self._oauth_codes.pop(str(args.get("code") or ""), None)
                if found is None:
                    return refusal("invalid_code")
                grant = found
            return Answer(200, self._grant(grant))

    def _grant(self, grant: dict[str, Any]) -> dict[str, Any]:
        """Install the app as `grant` says and return the token answer (lock held)."""
        team_id = str(grant["team_id"])
        if team_id not in self.teams:
            self.teams[team_id] = Team(
                team_id, str(grant["team_name"]), str(grant["bot_user_id"]), "B" + team_id
            )
        team = self.teams[team_id]
        access = f"xoxb-{team_id}-{secrets.token_hex(6)}"
        scopes: tuple[str, ...] = grant["scopes"]
        self._tokens[access] = team_id
        self._scopes[access] = scopes
        answer: dict[str, Any] = {
            "ok": True,
            "app_id": self.app_id,
            "scope": ",".join(scopes),
            "token_type": "bot",
            "access_token": access,
            "bot_user_id": team.bot_user_id,
            "team": {"id": team_id, "name": team.name},
            "enterprise": None,
            "is_enterprise_install": False,
        }
        if grant.get("installer"):
            answer["authed_user"] = {"id": grant["installer"]}
        if grant.get("rotating"):
            refresh = f"xoxe-1-{secrets.token_hex(8)}"
            self._refresh_tokens[refresh] = (team_id, scopes)
            answer["refresh_token"] = refresh
            answer["expires_in"] = self.token_lifetime_seconds
            self._expires[access] = self.clock() + self.token_lifetime_seconds
        return answer
