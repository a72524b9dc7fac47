"""A local stand-in for Slack's Web API: a real HTTP server that answers like Slack and records.

Tests, benchmarks and `reciprocity demo` point `SLACK_API_URL` at `SlackStandIn.base_url`. It checks
tokens and required arguments, answers Slack's own error codes, enforces the limits the bot must
respect (blocks, text length, one message a second per channel when asked to), and can be told to
answer 429, 5xx or hang for the next N calls of a method.
"""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from app.sandbox.socket_mode import SocketModeServer

# Arguments Slack takes as JSON text when a form body carries them.
_JSON_ARGS = ("blocks", "attachments", "view", "metadata")
MAX_TEXT = 40_000
MAX_BLOCKS_MESSAGE = 50
MAX_BLOCKS_VIEW = 100
MAX_SECTION_TEXT = 3_000
MAX_TITLE = 24
RESPONSE_URL_USES = 5
TRIGGER_TTL = 3.0


@dataclass(frozen=True)
class Call:
    """One request the stand-in answered."""

    method: str
    args: dict[str, Any]
    token: str | None
    at: float
    status: int
    response: dict[str, Any]

    @property
    def ok(self) -> bool:
        """Whether Slack would have reported success."""
        return self.status == 200 and bool(self.response.get("ok"))


@dataclass
class _Fault:
    times: int
    status: int = 200
    retry_after: int = 1
    error: str | None = None
    hang: float = 0.0
    # Carry the call out first, then answer the failure: Slack's "some aspect may have succeeded".
    after_effect: bool = False


@dataclass
class _Channel:
    id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    is_archived: bool = False
    bot_is_member: bool = True
    members: set[str] = field(default_factory=set)
    user: str | None = None
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)

    def info(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not self.is_im and not self.is_private,
            "is_group": self.is_private and not self.is_im,
            "is_im": self.is_im,
            "is_private": self.is_private or self.is_im,
            "is_archived": self.is_archived,
            "is_member": self.bot_is_member,
            **({"user": self.user} if self.user else {}),
        }


class SlackError(Exception):
    """Answer the current call with Slack's `error` code."""

    def __init__(self, error: str, status: int = 200) -> None:
        super().__init__(error)
        self.error = error
        self.status = status


class SlackStandIn:
    """Serves Slack's Web API on 127.0.0.1 and a random port; use as a context manager."""

    def __init__(
        self,
        *,
        team_id: str = "T0001",
        team_name: str = "Acme",
        bot_token: str = "xoxb-test-token",  # noqa: S107 - a made-up token for the stand-in
        bot_user_id: str = "UBOT",
        bot_id: str = "BBOT",
        app_id: str = "A0001",
        enterprise_id: str | None = None,
        channel_rate_limit: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.team_id = team_id
        self.team_name = team_name
        self.bot_token = bot_token
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.enterprise_id = enterprise_id
        self.channel_rate_limit = channel_rate_limit
        self.clock = clock
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, _Channel] = {}
        self._tokens: dict[str, str] = {bot_token: team_id}
        self._revoked: set[str] = set()
        self._faults: dict[str, list[_Fault]] = {}
        self._triggers: dict[str, float] = {}
        # Modals and Home tabs as last opened, updated or published, by view id / user id.
        self.views: dict[str, dict[str, Any]] = {}
        self.homes: dict[str, dict[str, Any]] = {}
        self._response_urls: dict[str, int] = {}
        self._buckets: dict[str, tuple[float, float]] = {}
        self._last_ts = 0
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # Every workspace the app is installed in: the first is the one given above.
        self.teams: dict[str, dict[str, str]] = {
            team_id: {"name": team_name, "bot_user_id": bot_user_id, "bot_id": bot_id}
        }
        # OAuth: the app's credentials, the codes Slack would hand the browser, refresh tokens.
        self._oauth_client: tuple[str, str] | None = None
        self._oauth_codes: dict[str, dict[str, Any]] = {}
        self._refresh_tokens: dict[str, str] = {}
        self.token_lifetime_seconds = 43_200
        # Socket Mode: the app-level tokens allowed to open connections, and the socket itself.
        self._app_tokens: set[str] = set()
        self.socket_mode: SocketModeServer | None = None
        self.add_user(bot_user_id, "reciprocity", is_bot=True)

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> SlackStandIn:
        """Start serving in a background thread and return self."""
        handler = type("Handler", (_Handler,), {"stand_in": self})
        self._server = _QuietServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; hanging answers are cut short."""
        self._stopping.set()
        if self.socket_mode is not None:
            self.socket_mode.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        """The server's base URL, without a path."""
        assert self._server is not None, "start() the stand-in first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        """The Web API base URL to give the bot as SLACK_API_URL."""
        return f"{self.root_url}/api/"

    # -- directory ------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        real_name: str | None = None,
        tz: str = "America/New_York",
        is_bot: bool = False,
        deleted: bool = False,
        is_admin: bool = False,
        is_owner: bool = False,
        team_id: str | None = None,
    ) -> dict[str, Any]:
        """Add a person (or bot) to the directory and return Slack's user object for them."""
        zone = ZoneInfo(tz)
        offset = datetime.now(UTC).astimezone(zone).utcoffset()
        user = {
            "id": user_id,
            "team_id": team_id or self.team_id,
            "name": name,
            "real_name": real_name or name.title(),
            "deleted": deleted,
            "is_bot": is_bot,
            "is_app_user": False,
            "is_admin": is_admin,
            "is_owner": is_owner,
            "tz": tz,
            "tz_label": tz,
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "profile": {
                "display_name": name,
                "real_name": real_name or name.title(),
                **(
                    {"bot_id": self.bot_id if user_id == self.bot_user_id else f"B{user_id}"}
                    if is_bot
                    else {}
                ),
            },
        }
        with self._lock:
            self.users[user_id] = user
        return user

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        is_private: bool = False,
        is_im: bool = False,
        is_archived: bool = False,
        bot_is_member: bool = True,
        members: tuple[str, ...] | list[str] = (),
    ) -> None:
        """Add a conversation; `members` (if given) limits who may see ephemeral messages."""
        with self._lock:
            self.channels[channel_id] = _Channel(
                channel_id, name, is_private, is_im, is_archived, bot_is_member, set(members)
            )

    def set_channel_private(self, channel_id: str, is_private: bool) -> None:
        """Turn a channel private or public, as an admin can at any time."""
        with self._lock:
            self.channels[channel_id].is_private = is_private

    def set_bot_member(self, channel_id: str, is_member: bool) -> None:
        """Invite the bot to a channel, or remove it."""
        with self._lock:
            self.channels[channel_id].bot_is_member = is_member

    def add_team(
        self, team_id: str, name: str, bot_token: str, *, bot_user_id: str = "UBOT2"
    ) -> None:
        """Install the app in another workspace, reachable with `bot_token`."""
        with self._lock:
            self.teams[team_id] = {
                "name": name,
                "bot_user_id": bot_user_id,
                "bot_id": "B" + team_id,
            }
            self._tokens[bot_token] = team_id

    def enable_oauth(self, client_id: str, client_secret: str) -> None:
        """Accept these app credentials at `oauth.v2.access`."""
        with self._lock:
            self._oauth_client = (client_id, client_secret)

    def issue_oauth_code(
        self,
        *,
        team_id: str,
        team_name: str,
        installer: str,
        rotating: bool = False,
        bot_user_id: str = "UBOT2",
    ) -> str:
        """The `code` Slack would put in the redirect after a person approves the install."""
        code = f"code-{secrets.token_hex(8)}"
        with self._lock:
            self._oauth_codes[code] = {
                "team_id": team_id,
                "team_name": team_name,
                "installer": installer,
                "rotating": rotating,
                "bot_user_id": bot_user_id,
            }
        return code

    def enable_socket_mode(self, app_token: str) -> SocketModeServer:
        """Accept `app_token` (xapp-…) at `apps.connections.open` and serve the WebSocket."""
        from app.sandbox.socket_mode import SocketModeServer

        with self._lock:
            self._app_tokens.add(app_token)
            if self.socket_mode is None:
                self.socket_mode = SocketModeServer(self.app_id).start()
            return self.socket_mode

    def add_token(self, token: str, team_id: str | None = None) -> None:
        """Accept another token (another workspace's bot, a rotated token)."""
        with self._lock:
            self._tokens[token] = team_id or self.team_id
            self._revoked.discard(token)

    def revoke_token(self, token: str) -> None:
        """Make calls with `token` answer `token_revoked`."""
        with self._lock:
            self._revoked.add(token)

    def issue_trigger_id(self) -> str:
        """Return a fresh trigger id, valid for `views.open` during 3 seconds."""
        trigger = f"{next(self._ids)}.{secrets.randbelow(10**12)}.{secrets.token_hex(8)}"
        with self._lock:
            self._triggers[trigger] = self.clock() + TRIGGER_TTL
        return trigger

    def new_response_url(self) -> str:
        """Return a fresh `response_url`, usable 5 times like Slack's."""
        path = f"/response/T/{next(self._ids)}/{secrets.token_hex(12)}"
        with self._lock:
            self._response_urls[path] = 0
        return self.root_url + path

    # -- faults ---------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        times: int = 1,
        status: int = 429,
        retry_after: int = 1,
        error: str | None = None,
        after_effect: bool = False,
    ) -> None:
        """Make the next `times` calls of `method` answer 429 (Retry-After), a 5xx, or `error`.

        With `after_effect`, each call takes effect (a post is posted) before the failure is
        answered, as Slack documents for 5xx, `fatal_error` and `internal_error`.
        """
        fault = _Fault(
            times,
            status=200 if error else status,
            retry_after=retry_after,
            error=error,
            after_effect=after_effect,
        )
        with self._lock:
            self._faults.setdefault(method, []).append(fault)

    def hang_next(self, method: str, *, times: int = 1, seconds: float = 10.0) -> None:
        """Make the next `times` calls of `method` wait `seconds` before answering normally."""
        with self._lock:
            self._faults.setdefault(method, []).append(_Fault(times, hang=seconds))

    # -- records --------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        """Return every recorded call of `method`, oldest first."""
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def posted_messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Return the messages `chat.postMessage` posted (with their `channel`), oldest first."""
        with self._lock:
            return [
                {**call.response["message"], "channel": call.response["channel"]}
                for call in self.calls
                if call.method == "chat.postMessage"
                and call.ok
                and (channel is None or call.response["channel"] == channel)
            ]

    def reset_calls(self) -> None:
        """Forget the recorded calls."""
        with self._lock:
            self.calls.clear()

    def wait_for(
        self,
        method: str | Callable[[Call], bool],
        *,
        count: int = 1,
        timeout: float = 5.0,
    ) -> list[Call]:
        """Block until `count` successful calls match; return them or fail with what was seen."""
        match: Callable[[Call], bool] = (
            (lambda call: call.method == method) if isinstance(method, str) else method
        )
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [call for call in self.calls if call.ok and match(call)]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = ", ".join(f"{c.method}:{c.status}" for c in self.calls[-10:])
                    raise AssertionError(
                        f"waited {timeout}s for {count} call(s) of {method}, saw {len(found)}; "
                        f"last calls: {seen or 'none'}"
                    )
                self._changed.wait(left)

    # -- serving --------------------------------------------------------------------------

    def _record(self, call: Call) -> None:
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            queue = self._faults.get(method)
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.pop(0)
            return fault

    def handle_api(self, method: str, args: dict[str, Any], token: str | None) -> _Answer:
        """Answer one Web API call, applying injected faults first."""
        fault = self._take_fault(method)
        if fault is not None and fault.hang:
            self._stopping.wait(fault.hang)
        elif fault is not None and fault.after_effect:
            self._answer_call(method, args, token)
            return self._fault_answer(fault)
        elif fault is not None:
            return self._fault_answer(fault)
        return self._answer_call(method, args, token)

    @staticmethod
    def _fault_answer(fault: _Fault) -> _Answer:
        """Slack's answer for an injected failure."""
        if fault.status == 429:
            return _Answer(
                429,
                {"ok": False, "error": "ratelimited"},
                {"Retry-After": str(fault.retry_after)},
            )
        if fault.status >= 500:
            return _Answer(fault.status, {"ok": False, "error": "internal_error"})
        return _Answer(200, {"ok": False, "error": fault.error or "fatal_error"})

    def _answer_call(self, method: str, args: dict[str, Any], token: str | None) -> _Answer:
        """Carry out one Web API call and return Slack's answer to it."""
        if method == "apps.connections.open":
            return self._open_connection(token)
        if method == "oauth.v2.access":
            return self._oauth_access(args)
        if method == "auth.test":
            try:
                self._authenticate(token)
            except SlackError as exc:
                return _Answer(200, {"ok": False, "error": exc.error})
            return _Answer(200, {"ok": True, **self._auth_test(str(token))})
        handler = _METHODS.get(method)
        if handler is None:
            return _Answer(404, {"ok": False, "error": "unknown_method"})
        try:
            self._authenticate(token)
            with self._lock:
                return _Answer(200, {"ok": True, **handler(self, args)})
        except SlackError as exc:
            headers = {"Retry-After": "1"} if exc.status == 429 else {}
            return _Answer(exc.status, {"ok": False, "error": exc.error}, headers)

    def handle_response_url(self, path: str, payload: dict[str, Any]) -> _Answer:
        """Answer a post to a `response_url`: at most 5 uses, like Slack."""
        fault = self._take_fault("response_url")
        if fault is not None and fault.hang:
            self._stopping.wait(fault.hang)
        elif fault is not None:
            status = fault.status if fault.status != 200 else 200
            return _Answer(status, {"ok": False, "error": fault.error or "internal_error"})
        with self._lock:
            uses = self._response_urls.get(path)
            if uses is None:
                return _Answer(404, {"ok": False, "error": "expired_url"})
            if uses >= RESPONSE_URL_USES:
                return _Answer(404, {"ok": False, "error": "used_up"})
            self._response_urls[path] = uses + 1
        return _Answer(200, {"ok": True})

    def _auth_test(self, token: str) -> dict[str, Any]:
        with self._lock:
            team_id = self._tokens[token]
            team = self.teams.get(team_id, self.teams[self.team_id])
        return {
            "url": f"https://{team['name'].lower()}.slack.com/",
            "team": team["name"],
            "user": "reciprocity",
            "team_id": team_id,
            "user_id": team["bot_user_id"],
            "bot_id": team["bot_id"],
            "is_enterprise_install": False,
            **({"enterprise_id": self.enterprise_id} if self.enterprise_id else {}),
        }

    def _oauth_access(self, args: dict[str, Any]) -> _Answer:
        with self._lock:
            if (
                self._oauth_client is None
                or (
                    args.get("client_id"),
                    args.get("client_secret"),
                )
                != self._oauth_client
            ):
                return _Answer(200, {"ok": False, "error": "invalid_client_id"})
            if args.get("grant_type") == "refresh_token":
                team_id = self._refresh_tokens.pop(str(args.get("refresh_token") or ""), None)
                if team_id is None:
                    return _Answer(200, {"ok": False, "error": "invalid_refresh_token"})
                grant: dict[str, Any] = {"team_id": team_id, "rotating": True}
            else:
                found = self._oauth_codes.pop(str(args.get("code") or ""), None)
                if found is None:
                    return _Answer(200, {"ok": False, "error": "invalid_code"})
                grant = found
            team_id = str(grant["team_id"])
            if team_id not in self.teams:
                self.teams[team_id] = {
                    "name": str(grant["team_name"]),
                    "bot_user_id": str(grant["bot_user_id"]),
                    "bot_id": "B" + team_id,
                }
            team = self.teams[team_id]
            access = f"xoxb-{team_id}-{secrets.token_hex(6)}"
            self._tokens[access] = team_id
            answer: dict[str, Any] = {
                "ok": True,
                "app_id": self.app_id,
                "scope": "commands,chat:write",
                "token_type": "bot",
                "access_token": access,
                "bot_user_id": team["bot_user_id"],
                "team": {"id": team_id, "name": team["name"]},
                "enterprise": None,
                "is_enterprise_install": False,
            }
            if grant.get("installer"):
                answer["authed_user"] = {"id": grant["installer"]}
            if grant.get("rotating"):
                refresh = f"xoxe-1-{secrets.token_hex(8)}"
                self._refresh_tokens[refresh] = team_id
                answer["refresh_token"] = refresh
                answer["expires_in"] = self.token_lifetime_seconds
        return _Answer(200, answer)

    def _open_connection(self, token: str | None) -> _Answer:
        # Only an app-level token may open a socket; a bot token is the wrong kind.
        with self._lock:
            if not token:
                return _Answer(200, {"ok": False, "error": "not_authed"})
            if token in self._tokens:
                return _Answer(200, {"ok": False, "error": "not_allowed_token_type"})
            if token not in self._app_tokens or self.socket_mode is None:
                return _Answer(200, {"ok": False, "error": "invalid_auth"})
            url = self.socket_mode.new_url()
        return _Answer(200, {"ok": True, "url": url})

    def _save_view(self, view_id: str, view: dict[str, Any]) -> dict[str, Any]:
        saved = {**view, "id": view_id, "team_id": self.team_id, "hash": f"{next(self._ids)}.h"}
        with self._lock:
            self.views[view_id] = saved
        return saved

    def _authenticate(self, token: str | None) -> None:
        if not token:
            raise SlackError("not_authed")
        with self._lock:
            if token in self._revoked:
                raise SlackError("token_revoked")
            if token not in self._tokens:
                raise SlackError("invalid_auth")

    # -- method helpers (called with the lock held) ---------------------------------------

    def _next_ts(self) -> str:
        # Like Slack's: the time of posting in microseconds, unique and increasing per workspace.
        micros = max(self._last_ts + 1, time.time_ns() // 1_000)
        self._last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _channel(self, args: dict[str, Any], key: str = "channel") -> _Channel:
        channel_id = str(args.get(key) or "")
        if not channel_id:
            raise SlackError("channel_not_found")
        if channel_id in self.users:
            return self._im(channel_id)
        channel = self.channels.get(channel_id)
        if channel is None:
            raise SlackError("channel_not_found")
        return channel

    def _im(self, user_id: str) -> _Channel:
        user = self.users.get(user_id)
        if user is None:
            raise SlackError("user_not_found")
        if user["is_bot"]:
            raise SlackError("cannot_dm_bot")
        channel_id = "D" + user_id.lstrip("UW")
        if channel_id not in self.channels:
            self.channels[channel_id] = _Channel(
                channel_id, user_id, is_im=True, user=user_id, members={user_id}
            )
        return self.channels[channel_id]

    def _readable(self, args: dict[str, Any]) -> _Channel:
        """The conversation whose messages the call reads, if the bot may read them."""
        channel = self.channels.get(str(args.get("channel") or ""))
        # Private channels the bot is not in are invisible to it, as in conversations.info.
        if channel is None or (channel.is_private and not channel.bot_is_member):
            raise SlackError("channel_not_found")
        # A bot reads a public channel's history only as a member (chat:write.public aside).
        if not channel.is_im and not channel.bot_is_member:
            raise SlackError("not_in_channel")
        return channel

    def _writable(self, channel: _Channel) -> None:
        if channel.is_archived:
            raise SlackError("is_archived")
        # Public channels accept posts from non-members (chat:write.public); private ones don't.
        if channel.is_private and not channel.bot_is_member:
            raise SlackError("not_in_channel")

    def _check_content(self, args: dict[str, Any], *, max_blocks: int = MAX_BLOCKS_MESSAGE) -> None:
        text = args.get("text")
        blocks = args.get("blocks")
        if not text and not blocks and not args.get("attachments"):
            raise SlackError("no_text")
        if isinstance(text, str) and len(text) > MAX_TEXT:
            raise SlackError("msg_too_long")
        if blocks is not None:
            _check_blocks(blocks, max_blocks)

    def _rate_limited(self, channel_id: str) -> bool:
        if not self.channel_rate_limit:
            return False
        now = self.clock()
        tokens, updated = self._buckets.get(channel_id, (3.0, now))
        tokens = min(3.0, tokens + (now - updated))
        if tokens < 1.0:
            self._buckets[channel_id] = (tokens, now)
            return True
        self._buckets[channel_id] = (tokens - 1.0, now)
        return False

    def user_name(self, user_id: str) -> str:
        """Return the display name the directory holds for `user_id` (or the id)."""
        user = self.users.get(user_id)
        return str(user["name"]) if user else user_id


@dataclass
class _Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def _check_blocks(blocks: Any, max_blocks: int) -> None:
    if not isinstance(blocks, list) or len(blocks) > max_blocks:
        raise SlackError("invalid_blocks")
    for block in blocks:
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            raise SlackError("invalid_blocks")
        for text in _section_texts(block):
            if len(text) > MAX_SECTION_TEXT:
                raise SlackError("invalid_blocks")


def _section_texts(block: dict[str, Any]) -> Iterator[str]:
    if block.get("type") != "section":
        return
    text = block.get("text")
    if isinstance(text, dict):
        yield str(text.get("text", ""))
    for item in block.get("fields") or []:
        if isinstance(item, dict):
            yield str(item.get("text", ""))


# -- Web API methods: each takes the stand-in and the call's arguments, returns Slack's fields. --


def _post_message(s: SlackStandIn, args: dict[str, Any]) -> dict[str, Any]:
    channel = s._channel(args)
    s._writable(channel)
    s._check_content(args)
    if s._rate_limited(channel.id):
        raise _RateLimited()
    ts = s._next_ts()
    message: dict[str, Any] = {
        "type": "message",
        "text": args.get("text", ""),
        "user": s.bot_user_id,
        "bot_id": s.bot_id,
        "ts": ts,
        "team": s.team_id,
    }
    for key in ("blocks", "thread_ts", "metadata"):
        if args.get(key) is not None:
            message[key] = args[key]
    channel.messages[ts] = message
    return {"channel": channel.id, "ts": ts, "message": message}


class _RateLimited(SlackError):
    def __init__(self) -> None:
        super().__init__("ratelimited", 429)


def _post_ephemeral(s: SlackStandIn, args: dict[str, Any]) -> dict[str, Any]:
    channel = s._channel(args)
    user = str(args.get("user") or "")
    if user not in s.users:
        raise SlackError("user_not_found")
    s._writable(channel)
    if channel.members and user not in channel.members:
        raise SlackError("user_not_in_channel")
    s._check_content(args)
    return {"message_ts": s._next_ts()}


def _update(s: SlackStandIn, args: dict[str, Any]) -> dict[str, Any]:
    channel = s._channel(args)
    message = channel.messages.get(str(args.get("ts") or ""))
    if message is None:
        raise SlackError("message_not_found")
    if message.get("user") != s.bot_user_id:
        raise SlackError("cant_update_message")
    s._check_content(args)
    message.update({key: args[key] for key in ("text", "blocks") if key in args})
    return {"channel": channel.id, "ts": message["ts"], "text": message.get("text", "")}


def _delete(s: SlackStandIn, args: dict[str, Any]) -> dict[str, Any]:
    channel = s._channel(args)
    ts = str(args.get("ts") or "")
    if channel.messages.pop(ts, None) is None:
        raise SlackError("message_not_found")
    return {"channel": channel.id, "ts": ts}


def _permalink(s: SlackStandIn, args: dict[str, Any]) -> dict[str, Any]:
    channel = s._channel(args)
    ts = str(args.get("message_ts") or "")
    if ts not in channel.messages:
        raise SlackError("message_not_found")
    return {
        "channel": channel.id,
        "permalink": f"https://{s.team_name.lower()}.slack.com/archives/{channel.id}/p"
        + ts.replace(".", ""),
    }


def _conversations_open(s: SlackStandIn, args: dict[str, Any]) -> dict[str, Any]:
    users = [u for u in str(args.get("users") or "").split(",") if u]
    if len(users) != 1:
        raise SlackError("users_list_not_supplied" if not users else "not_enough_users")
    return {"channel": {"id": s._im(users[0]).id}}


def _conversations_info(s: SlackStandIn, args: dict[str, Any]) -> dict[str, Any]:
    channel = s.channels.get(str(args.get("channel") or ""))
    if channel is None or (channel.is_private and not channel.bot_is_member):
        raise SlackError("channel_not_found")
    return {"channel": channel.info()}


def _conversations_history(s: SlackStandIn, args: dict[str, Any]) -> dict[str, Any]:
    channel = s._readable(args)
    # A channel's history holds its top-level messages (thread parents too), not thread replies.
    top = [m for m in channel.messages.values() if m.get("thread_ts", m["ts"]) == m["ts"]]
    return _page(top, args, newest_first=True, default_limit=100, max_limit=999)


def _conversations_replies(s: SlackStandIn, args: dict[str, Any]) -> dict[str, Any]:
    channel = s._readable(args)
    ts = str(args.get("ts") or "")
    if ts not in channel.messages:
        raise SlackError("thread_not_found")
    thread = [m for m in channel.messages.values() if m["ts"] == ts or m.get("thread_ts") == ts]
    return _page(thread, args, newest_first=False, default_limit=1000, max_limit=1000)


def _page(
    messages: list[dict[str, Any]],
    args: dict[str, Any],
    *,
    newest_first: bool,
    default_limit: int,
    max_limit: int,
) -> dict[str, Any]:
    """One page of `messages` between `oldest` and `latest`, as the history methods answer."""
    inclusive = _flag(args.get("inclusive"))
    oldest = _ts_value(args.get("oldest"), Decimal(0))
    latest = _ts_value(args.get("latest"), Decimal(time.time()) + 1)

    def within(message: dict[str, Any]) -> bool:
        ts = Decimal(message["ts"])
        if inclusive:
            return oldest <= ts <= latest
        return oldest < ts < latest

    chosen = sorted(
        (m for m in messages if within(m)), key=lambda m: Decimal(m["ts"]), reverse=newest_first
    )
    try:
        limit = min(max(int(args.get("limit") or default_limit), 1), max_limit)
    except ValueError:
        raise SlackError("invalid_limit") from None
    if args.get("cursor"):
        # The cursor names the last message handed out: the next page starts past it, so
        # messages posted meanwhile neither shift nor repeat the pages.
        after = _cursor_ts(str(args["cursor"]))
        chosen = [
            m
            for m in chosen
            if (Decimal(m["ts"]) < after if newest_first else Decimal(m["ts"]) > after)
        ]
    page, more = chosen[:limit], len(chosen) > limit
    metadata = _flag(args.get("include_all_metadata"))
    cursor = base64.b64encode(f"next_ts:{page[-1]['ts']}".encode()).decode() if more else ""
    return {
        # Slack returns message metadata only to callers who ask for it.
        "messages": [{k: v for k, v in m.items() if metadata or k != "metadata"} for m in page],
        "has_more": more,
        "response_metadata": {"next_cursor": cursor},
    }


def _cursor_ts(cursor: str) -> Decimal:
    try:
        return Decimal(base64.b64decode(cursor).decode().removeprefix("next_ts:"))
    except (ValueError, UnicodeDecodeError, InvalidOperation):
        raise SlackError("invalid_cursor") from None


def _flag(value: Any) -> bool:
    """A boolean argument as Slack reads it from a form or JSON body."""
    return value is True or str(value).lower() in ("true", "1")


def _ts_value(value: Any, default: Decimal) -> Decimal:
    if value in (None, ""):
        return default
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise SlackError("invalid_ts_oldest") from None


def _users_info(s: SlackStandIn, args: dict[str, Any]) -> dict[str, Any]:
    user = s.users.get(str(args.get("user") or ""))
    if user is None:
        raise SlackError("user_not_found")
    return {"user": user}


def _users_list(s: SlackStandIn, args: dict[str, Any]) -> dict[str, Any]:
    limit = int(args.get("limit") or 200)
    start = int(args.get("cursor") or 0)
    members = list(s.users.values())
    page = members[start : start + limit]
    following = start + limit
    cursor = str(following) if following < len(members) else ""
    return {"members": page, "response_metadata": {"next_cursor": cursor}}


def _check_view(view: Any, kind: str) -> dict[str, Any]:
    if not isinstance(view, dict) or view.get("type") != kind:
        raise SlackError("invalid_arguments")
    blocks = view.get("blocks", [])
    if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS_VIEW:
        raise SlackError("invalid_arguments")
    title = view.get("title", {})
    if kind == "modal" and len(str(title.get("text", "") if isinstance(title, dict) else "")) > 24:
        raise SlackError("invalid_arguments")
    ids = [b["block_id"] for b in blocks if isinstance(b, dict) and "block_id" in b]
    if len(ids) != len(set(ids)):
        raise SlackError("invalid_arguments")
    for block in blocks:
        if not isinstance(block, dict):
            raise SlackError("invalid_arguments")
        if block.get("type") == "input" and not (block.get("label") and block.get("element")):
            raise SlackError("invalid_arguments")
        for element in _block_elements(block):
            if not _element_ok(element):
                raise SlackError("invalid_arguments")
    return view


_CONVERSATION_KINDS = {"im", "mpim", "private", "public"}


def _block_elements(block: dict[str, Any]) -> list[Any]:
    if block.get("type") == "input":
        return [block.get("element")]
    if block.get("type") == "section" and "accessory" in block:
        return [block["accessory"]]
    if block.get("type") == "actions":
        return list(block.get("elements") or [])
    return []


def _element_ok(element: Any) -> bool:
    """Whether Slack's schema accepts the element's options, initial values and bounds."""
    if not isinstance(element, dict):
        return False
    kind = element.get("type")
    options = element.get("options")
    if kind == "static_select" and "option_groups" not in element:
        chosen = element.get("initial_option")
        # The reference: initial options must exactly match options in `options`.
        return (
            isinstance(options, list)
            and 0 < len(options) <= 100
            and (chosen is None or chosen in options)
        )
    if kind == "checkboxes":
        initial = element.get("initial_options")
        return (
            isinstance(options, list)
            and 0 < len(options) <= 10
            and (initial is None or (bool(initial) and all(o in options for o in initial)))
        )
    if kind == "number_input":
        return _number_input_ok(element)
    if kind == "conversations_select" and "filter" in element:
        include = element["filter"].get("include") if isinstance(element["filter"], dict) else []
        # The reference: an array of im, mpim, private, public that cannot be empty.
        return include is None or (
            isinstance(include, list) and bool(include) and set(include) <= _CONVERSATION_KINDS
        )
    return True


def _number_input_ok(element: dict[str, Any]) -> bool:
    if not isinstance(element.get("is_decimal_allowed"), bool):
        return False
    values = [element.get(key) for key in ("min_value", "initial_value", "max_value")]
    # The reference types these as strings: JSON numbers fail Slack's schema.
    if any(value is not None and not isinstance(value, str) for value in values):
        return False
    low, high = element.get("min_value"), element.get("max_value")
    try:
        return low is None or high is None or float(low) <= float(high)
    except ValueError:
        return False


def _views_open(s: SlackStandIn, args: dict[str, Any]) -> dict[str, Any]:
    trigger = str(args.get("trigger_id") or "")
    if not trigger:
        raise SlackError("invalid_arguments")
    expires = s._triggers.pop(trigger, None)
    if expires is None or s.clock() > expires:
        raise SlackError("expired_trigger_id")
    view = _check_view(args.get("view"), "modal")
    return {"view": s._save_view(f"V{next(s._ids):08d}", view)}


def _views_update(s: SlackStandIn, args: dict[str, Any]) -> dict[str, Any]:
    view_id = str(args.get("view_id") or "")
    if not view_id:
        raise SlackError("invalid_arguments")
    view = _check_view(args.get("view"), "modal")
    with s._lock:
        current = s.views.get(view_id)
    if current is None:
        raise SlackError("not_found")
    # Slack refuses an update made from an older copy of the view.
    if args.get("hash") and args["hash"] != current["hash"]:
        raise SlackError("hash_conflict")
    return {"view": s._save_view(view_id, view)}


def _views_publish(s: SlackStandIn, args: dict[str, Any]) -> dict[str, Any]:
    user = str(args.get("user_id") or "")
    if user not in s.users:
        raise SlackError("user_not_found")
    view = _check_view(args.get("view"), "home")
    published = s._save_view(f"V{next(s._ids):08d}", view)
    with s._lock:
        s.homes[user] = published
    return {"view": published}


def _reactions_add(s: SlackStandIn, args: dict[str, Any]) -> dict[str, Any]:
    channel = s._channel(args)
    message = channel.messages.get(str(args.get("timestamp") or ""))
    if message is None:
        raise SlackError("message_not_found")
    name = str(args.get("name") or "")
    if not name:
        raise SlackError("invalid_name")
    reactions: set[str] = message.setdefault("_reactions", set())
    if name in reactions:
        raise SlackError("already_reacted")
    reactions.add(name)
    return {}


_METHODS: dict[str, Callable[[SlackStandIn, dict[str, Any]], dict[str, Any]]] = {
    "chat.postMessage": _post_message,
    "chat.postEphemeral": _post_ephemeral,
    "chat.update": _update,
    "chat.delete": _delete,
    "chat.getPermalink": _permalink,
    "conversations.open": _conversations_open,
    "conversations.info": _conversations_info,
    "conversations.history": _conversations_history,
    "conversations.replies": _conversations_replies,
    "users.info": _users_info,
    "users.list": _users_list,
    "views.open": _views_open,
    "views.update": _views_update,
    "views.publish": _views_publish,
    "reactions.add": _reactions_add,
}


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that vanish mid-request (killed workers, timeouts); Slack does too."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    stand_in: SlackStandIn
    protocol_version = "HTTP/1.1"
    # Without this, keep-alive clients stall ~40 ms a call on delayed ACKs of split writes.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the stand-in's record is `calls`, not stderr."""

    def do_GET(self) -> None:
        self._dispatch(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._dispatch(self.rfile.read(length))

    def _dispatch(self, body: bytes) -> None:
        parts = urlsplit(self.path)
        if parts.path.startswith("/api/"):
            method = parts.path[len("/api/") :]
            args = _parse_args(self.headers.get("Content-Type", ""), body, parts.query)
            args.update(_basic(self.headers.get("Authorization")))
            token = _bearer(self.headers.get("Authorization")) or args.pop("token", None)
            answer = self.stand_in.handle_api(method, args, token)
            self.stand_in._record(
                Call(method, args, token, time.monotonic(), answer.status, answer.body)
            )
        elif parts.path.startswith("/response/"):
            try:
                payload = json.loads(body or b"{}")
            except ValueError:
                payload = {"_invalid": body.decode("utf-8", "replace")}
            answer = self.stand_in.handle_response_url(parts.path, payload)
            self.stand_in._record(
                Call(
                    "response_url",
                    {**payload, "_url": parts.path},
                    None,
                    time.monotonic(),
                    answer.status,
                    answer.body,
                )
            )
        else:
            answer = _Answer(404, {"ok": False, "error": "not_found"})
        self._answer(answer)

    def _answer(self, answer: _Answer) -> None:
        payload = json.dumps(answer.body, default=_jsonable).encode()
        try:
            self.send_response(answer.status, HTTPStatus(answer.status).phrase)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in answer.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (its timeout); Slack would have done the work all the same.
            self.close_connection = True


def _jsonable(value: Any) -> Any:
    if isinstance(value, set):
        return sorted(value)
    raise TypeError(type(value).__name__)


def _basic(header: str | None) -> dict[str, str]:
    """The app credentials of an HTTP Basic header, as `oauth.v2.access` accepts them."""
    if not header or not header.lower().startswith("basic "):
        return {}
    try:
        client_id, _, secret = base64.b64decode(header[6:].strip()).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return {}
    return {"client_id": client_id, "client_secret": secret}


def _bearer(header: str | None) -> str | None:
    if header and header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def _parse_args(content_type: str, body: bytes, query: str) -> dict[str, Any]:
    args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    if body:
        if content_type.startswith("application/json"):
            try:
                decoded = json.loads(body)
            except ValueError:
                decoded = {}
            if isinstance(decoded, dict):
                args.update(decoded)
        else:
            args.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    for key in _JSON_ARGS:
        if isinstance(args.get(key), str):
            try:
                args[key] = json.loads(args[key])
            except ValueError:
                args[key] = {"_invalid": args[key]}
    return args
