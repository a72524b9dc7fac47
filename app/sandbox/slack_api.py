"""A local stand-in for Slack's Web API: a real HTTP server that answers like Slack and records.

Tests, benchmarks and `reciprocity demo` point `SLACK_API_URL` at `SlackStandIn.base_url`. It is
as strict as Slack by default (STRICTNESS.md lists each rule and the Slack page it follows): it
checks tokens and arguments, answers Slack's own error codes, knows which conversations the bot is
in, pages `users.list` the way Slack does, rate-limits by tier, and can be told to answer 429, 5xx,
`ok: false` or hang for the next N calls of a method. What it holds is in `workspace` (people,
conversations, views) and `installs` (workspaces, tokens, OAuth); the methods are in
`slack_methods`, the HTTP side in `http_server`.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from app.sandbox.answers import Answer, Call, error_answer, refusal
from app.sandbox.faults import DEFAULT_TIERS, Fault, FaultQueue, Tier, TierLimiter, fault_answer
from app.sandbox.files import FileStore, Upload, complete_upload, get_upload_url, receive
from app.sandbox.http_server import serve
from app.sandbox.installs import Installs, Scopes
from app.sandbox.openid import AUTHORIZE_PATH, SignInWithSlack
from app.sandbox.scopes import check_scopes
from app.sandbox.slack_methods import METHODS, Method
from app.sandbox.workspace import RateLimited, SlackError, Team, Workspace

if TYPE_CHECKING:
    from app.sandbox.socket_mode import SocketModeServer

RESPONSE_URL_USES = 5


class SlackStandIn(Workspace, Installs):
    """Serves Slack's Web API on 127.0.0.1 and a random port; use as a context manager.

    It is the `Workspace` the methods change and the `Installs` that say who may call.
    """

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
        bot_scopes: Scopes = None,
    ) -> None:
        home = Team(team_id, team_name, bot_user_id, bot_id)
        Workspace.__init__(self, home, channel_rate_limit=channel_rate_limit, clock=clock)
        # `bot_scopes`: what `bot_token` was granted; None is every scope the app asks for.
        Installs.__init__(
            self,
            home,
            bot_token=bot_token,
            app_id=app_id,
            enterprise_id=enterprise_id,
            bot_scopes=bot_scopes,
        )
        # Slack's per-method limits (faults.py): users.list at Tier 2 unless told otherwise.
        self._tiers = TierLimiter(dict(method_tiers))
        self._faults = FaultQueue()
        self.calls: list[Call] = []
        self._response_urls: dict[str, int] = {}
        # Files uploaded (files.getUploadURLExternal, the upload URL, files.completeUploadExternal).
        self.files = FileStore()
        self._changed = threading.Condition(self.lock)
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self.socket_mode: SocketModeServer | None = None
        # Sign in with Slack, for the app whose credentials `enable_oauth` set.
        self.openid = SignInWithSlack(self.oauth_client, clock)

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> SlackStandIn:
        """Start serving in a background thread and return self."""
        self._server, _ = serve(self)
        self.files.base_url = self.root_url
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

    def enable_socket_mode(self, app_token: str) -> SocketModeServer:
        """Accept `app_token` (xapp-…) at `apps.connections.open` and serve the WebSocket."""
        from app.sandbox.socket_mode import SocketModeServer

        with self.lock:
            self.allow_app_token(app_token)
            if self.socket_mode is None:
                self.socket_mode = SocketModeServer(self.app_id).start()
            return self.socket_mode

    def sign_in_as(self, team_id: str, user_id: str, name: str = "") -> None:
        """Make Sign in with Slack's authorize page approve as this person."""
        self.openid.sign_in_as(team_id, user_id, name)

    def new_response_url(self) -> str:
        """Return a fresh `response_url`, usable 5 times like Slack's."""
        path = f"/response/T/{self.new_id()}/{secrets.token_hex(12)}"
        with self.lock:
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
        self._faults.add(method, fault)

    def hang_next(self, method: str, *, times: int = 1, seconds: float = 10.0) -> None:
        """Make the next `times` calls of `method` wait `seconds` before answering normally."""
        self._faults.add(method, Fault(times, hang=seconds))

    # -- records --------------------------------------------------------------------------

    def record(self, call: Call) -> None:
        """Add `call` to `calls` and wake whoever waits for it."""
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def calls_to(self, method: str) -> list[Call]:
        """Return every recorded call of `method`, oldest first."""
        with self.lock:
            return [call for call in self.calls if call.method == method]

    def posted_messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Return the messages `chat.postMessage` posted (with their `channel`), oldest first."""
        with self.lock:
            return [
                {**call.response["message"], "channel": call.response["channel"]}
                for call in self.calls
                if call.method == "chat.postMessage"
                and call.ok
                and (channel is None or call.response["channel"] == channel)
            ]

    def reset_calls(self) -> None:
        """Forget the recorded calls."""
        with self.lock:
            self.calls.clear()

    def wait_for(
        self,
        method: str | Callable[[Call], bool],
        *,
        count: int = 1,
        timeout: float = 15.0,
    ) -> list[Call]:
        """Block until `count` successful calls match; return them or fail with what was seen.

        It returns as soon as they are there: the timeout only bounds a failure, generous so a
        busy shared machine (tests run on six workers over two cores) is not read as a bug."""
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

    # -- answering ------------------------------------------------------------------------

    def handle_api(self, method: str, args: dict[str, Any], token: str | None) -> Answer:
        """Answer one Web API call, applying injected faults first."""
        fault = self._faults.take(method)
        if fault is not None and fault.hang:
            self._stopping.wait(fault.hang)
        elif fault is not None and fault.after_effect:
            self._answer_call(method, args, token)
            return fault_answer(fault)
        elif fault is not None:
            return fault_answer(fault)
        return self._answer_call(method, args, token)

    def _answer_call(self, method: str, args: dict[str, Any], token: str | None) -> Answer:
        """Carry out one Web API call and return Slack's answer to it."""
        if method == "apps.connections.open":
            return self._open_connection(token)
        if method == "oauth.v2.access":
            return self.oauth_access(args)
        if method == "auth.test":
            return self.auth_test(token)
        if method == "openid.connect.token":
            return self.openid.token(args, self.root_url)
        if method == "openid.connect.userInfo":
            return self.openid.user_info(token, self.is_bot_token)
        handler = self._method(method)
        if handler is None:
            return refusal("unknown_method", 404)
        try:
            # Slack counts per app per workspace: every token of one workspace shares a limit.
            team = self.authenticate(token)
            assert token is not None
            granted = self.scopes_of(token)
            with self.lock:
                retry_after = self._tiers.take(team, method, self.clock())
                if retry_after is not None:
                    raise RateLimited(retry_after)
                check_scopes(self, method, args, granted)
                return Answer(200, {"ok": True, **handler(self, args)})
        except SlackError as exc:
            return error_answer(exc)

    def handle_page(self, path: str, query: dict[str, str]) -> Answer | None:
        """Answer a browser's visit to Sign in with Slack's authorize page; None for others."""
        return self.openid.authorize(query) if path == AUTHORIZE_PATH else None

    def _method(self, method: str) -> Method | None:
        """The handler of Web API `method`; the file methods also get the files."""
        if method == "files.getUploadURLExternal":
            return lambda s, args: get_upload_url(s, self.files, args)
        if method == "files.completeUploadExternal":
            return lambda s, args: complete_upload(s, self.files, args)
        return METHODS.get(method)

    def handle_upload(self, path: str, body: bytes) -> Answer:
        """Answer the POST of a file's bytes to its upload URL (faults as method `upload_url`)."""
        fault = self._faults.take("upload_url")
        if fault is not None and fault.hang:
            self._stopping.wait(fault.hang)
        elif fault is not None and fault.after_effect:
            self._receive(path, body)
            return Answer(fault.status if fault.status >= 500 else 500, {"ok": False}, text="")
        elif fault is not None:
            return Answer(fault.status if fault.status >= 400 else 500, {"ok": False}, text="")
        return self._receive(path, body)

    def _receive(self, path: str, body: bytes) -> Answer:
        with self.lock:
            upload = self.files.by_secret(path)
            if upload is None:
                return Answer(404, {"ok": False, "error": "not_found"}, text="Not Found")
            refused = receive(upload, body)
        if refused is not None:
            return Answer(400, {"ok": False, "error": refused}, text=refused)
        return Answer(200, {"ok": True}, text=f"OK - {len(body)}")

    def shared_files(self, channel: str | None = None) -> list[Upload]:
        """Return the files completed with a share (in `channel`, if given), oldest first."""
        with self.lock:
            return [
                upload
                for upload in self.files.uploads.values()
                if upload.completed and (channel is None or channel in upload.channels)
            ]

    def handle_response_url(self, path: str, payload: dict[str, Any]) -> Answer:
        """Answer a post to a `response_url`: at most 5 uses, like Slack."""
        fault = self._faults.take("response_url")
        if fault is not None and fault.hang:
            self._stopping.wait(fault.hang)
        elif fault is not None:
            return refusal(fault.error or "internal_error", fault.status)
        with self.lock:
            uses = self._response_urls.get(path)
            if uses is None:
                return refusal("expired_url", 404)
            if uses >= RESPONSE_URL_USES:
                return refusal("used_up", 404)
            self._response_urls[path] = uses + 1
        return Answer(200, {"ok": True})

    def _open_connection(self, token: str | None) -> Answer:
        """Slack's `apps.connections.open` answer: a WebSocket URL for an app-level token."""
        error = self.connection_refusal(token)
        if error is not None or self.socket_mode is None:
            return refusal(error or "invalid_auth")
        return Answer(200, {"ok": True, "url": self.socket_mode.new_url()})
