"""A local stand-in for Slack's Web API: a real HTTP server that answers like Slack and records.

Tests, benchmarks and `reciprocity demo` point `SLACK_API_URL` at `SlackStandIn.base_url`. It is
as strict as Slack by default (STRICTNESS.md lists each rule and the Slack page it follows): it
checks tokens and arguments, answers Slack's own error codes, knows which conversations the bot is
in, pages `users.list` the way Slack does, rate-limits by tier, and can be told to answer 429, 5xx,
`ok: false` or hang for the next N calls of a method. The methods live in `slack_methods`.
"""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from app.sandbox import payloads
from app.sandbox.faults import DEFAULT_TIERS, Fault, Tier, TierLimiter
from app.sandbox.slack_methods import METHODS, dm_id
from app.sandbox.workspace import Channel, RateLimited, SlackError

if TYPE_CHECKING:
    from app.sandbox.socket_mode import SocketModeServer

__all__ = ["Call", "SlackError", "SlackStandIn"]

# Arguments Slack takes as JSON text when a form body carries them.
_JSON_ARGS = ("blocks", "attachments", "view", "metadata")
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
    # The answer was an error a test injected knowing no Slack page documents it for the method.
    undocumented: bool = False

    @property
    def ok(self) -> bool:
        """Whether Slack would have reported success."""
        return self.status == 200 and bool(self.response.get("ok"))


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
        method_tiers: Mapping[str, Tier] = DEFAULT_TIERS,
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
        # Slack's per-method limits (faults.py): users.list at Tier 2 unless told otherwise.
        self._tiers = TierLimiter(dict(method_tiers))
        self.clock = clock
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, Channel] = {}
        self._tokens: dict[str, str] = {bot_token: team_id}
        self._revoked: set[str] = set()
        self._faults: dict[str, list[Fault]] = {}
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
        bot_is_member: bool = False,
        members: tuple[str, ...] | list[str] = (),
    ) -> None:
        """Add a conversation; `members` (if given) limits who may see ephemeral messages.

        The bot is a member only when `bot_is_member` says so (it was invited, or it joined), as
        for a freshly installed app; a DM (`is_im`) always has the bot in it.
        """
        with self._lock:
            self.channels[channel_id] = Channel(
                channel_id, name, is_private, is_im, is_archived, bot_is_member, set(members)
            )

    def set_channel_private(self, channel_id: str, is_private: bool) -> None:
        """Turn a channel private or public, as an admin can at any time."""
        with self._lock:
            self.channels[channel_id].is_private = is_private

    def set_bot_member(self, channel_id: str, is_member: bool) -> None:
        """Invite the bot to a channel (someone typed /invite), or remove it."""
        with self._lock:
            self.channels[channel_id].bot_is_member = is_member

    def set_user_deleted(self, user_id: str, deleted: bool = True) -> None:
        """Deactivate a person (or reactivate them), as a workspace admin can."""
        with self._lock:
            self.users[user_id]["deleted"] = deleted

    def hears(self, channel_id: str) -> bool:
        """Whether Slack would send the bot message and reaction events from `channel_id`.

        Only from conversations the bot is in, and from DMs with it; a conversation the stand-in
        does not know is one the bot is not in, unless its id is a DM's (D…).
        """
        with self._lock:
            channel = self.channels.get(channel_id)
            return channel.hears() if channel is not None else channel_id.startswith("D")

    def user_posts(
        self, channel_id: str, user_id: str, text: str, *, thread_ts: str | None = None
    ) -> dict[str, Any]:
        """A person posts `text` in a conversation (in a thread with `thread_ts`).

        The message joins the conversation's history, so `conversations.history` / `replies` see
        it; the `message` event Slack would send is returned, for `SlackDriver.event`.
        """
        with self._lock:
            assert user_id in self.users, f"add_user({user_id!r}, ...) first"
            if channel_id == dm_id(user_id) and channel_id not in self.channels:
                # A person writing to the bot opens their DM with it.
                self.channels[channel_id] = Channel(
                    channel_id, user_id, is_im=True, user=user_id, members={user_id}
                )
            channel = self.channels[channel_id]
            if thread_ts is not None:
                assert thread_ts in channel.messages, f"no message {thread_ts} in {channel_id}"
            ts = self._next_ts()
            message: dict[str, Any] = {
                "type": "message",
                "user": user_id,
                "text": text,
                "ts": ts,
                "team": self.team_id,
            }
            if thread_ts is not None:
                message["thread_ts"] = thread_ts
            channel.messages[ts] = message
            kind = channel.kind
        return payloads.message_event(
            user=user_id,
            channel=channel_id,
            text=text,
            ts=ts,
            thread_ts=thread_ts,
            channel_type=kind,
            team=self.team_id,
        )

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
        undocumented: bool = False,
    ) -> None:
        """Make the next `times` calls of `method` answer 429 (Retry-After), a 5xx, or `error`.

        An `error` is answered with HTTP 200 and `ok: false`, as Slack does (`ratelimited`
        included: some of Slack's limits answer so instead of 429). With `after_effect`, each call
        takes effect (a post is posted) before the failure is answered, as Slack documents for
        5xx, `fatal_error` and `internal_error`. `undocumented` marks an `error` the test knows
        no Slack page lists for `method` (the spec check in tests/conftest.py lets it pass).
        """
        fault = Fault(
            times,
            status=200 if error else status,
            retry_after=retry_after,
            error=error,
            after_effect=after_effect,
            undocumented=undocumented,
        )
        with self._lock:
            self._faults.setdefault(method, []).append(fault)

    def hang_next(self, method: str, *, times: int = 1, seconds: float = 10.0) -> None:
        """Make the next `times` calls of `method` wait `seconds` before answering normally."""
        with self._lock:
            self._faults.setdefault(method, []).append(Fault(times, hang=seconds))

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

    def _take_fault(self, method: str) -> Fault | None:
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
    def _fault_answer(fault: Fault) -> _Answer:
        """Slack's answer for an injected failure."""
        if fault.status == 429:
            return _Answer(
                429,
                {"ok": False, "error": "ratelimited"},
                {"Retry-After": str(fault.retry_after)},
            )
        if fault.status >= 500:
            return _Answer(fault.status, {"ok": False, "error": "internal_error"})
        return _Answer(
            200,
            {"ok": False, "error": fault.error or "fatal_error"},
            undocumented=fault.undocumented,
        )

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
        handler = METHODS.get(method)
        if handler is None:
            return _Answer(404, {"ok": False, "error": "unknown_method"})
        try:
            self._authenticate(token)
            with self._lock:
                # Slack counts per app per workspace: every token of one workspace shares a limit.
                team = self._tokens[str(token)]
                retry_after = self._tiers.take(team, method, self.clock())
                if retry_after is not None:
                    raise RateLimited(retry_after)
                return _Answer(200, {"ok": True, **handler(self, args)})
        except SlackError as exc:
            return _error_answer(exc)

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
    undocumented: bool = False


def _error_answer(exc: SlackError) -> _Answer:
    """Slack's answer for a failed call: `ok: false`, the code, and any messages or Retry-After."""
    body: dict[str, Any] = {"ok": False, "error": exc.error}
    if exc.messages:
        body["response_metadata"] = {"messages": list(exc.messages)}
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else {}
    return _Answer(exc.status, body, headers)


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
                Call(
                    method,
                    args,
                    token,
                    time.monotonic(),
                    answer.status,
                    answer.body,
                    answer.undocumented,
                )
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
