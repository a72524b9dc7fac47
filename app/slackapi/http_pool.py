"""A small keep-alive HTTP/1.1 connection pool over the standard library's `http.client`.

Why not httpx, which the rest of the stack uses: every Slack call the delivery worker made went
through `httpx.Client` (httpx, httpcore, h11), about 2,250 Python calls and 3x the CPU of the
cheapest call Python can make (one bare kept-alive `http.client` connection, about 390 calls);
this pool is about 450 calls and 1.03-1.3x that floor's CPU. httpcore's own pool, without
httpx, is about 930 calls and 1.5-2.1x the floor's CPU, and would need the same code as this
module around it (proxies from the environment, failures sorted by whether the request was
sent), since those were httpx.Client's. `bench/slack_call.py` measures all four side by side;
figures in bench/README.md, "The Slack call (issue 21)". The worker makes two or three Slack
calls a kudos in the bot's one process (one GIL), so this CPU is throughput.

What it keeps of httpx's behaviour: connections kept alive per origin and shared by threads (at
most `max_connections` in use at once), connect, read and write timeouts (a call's own timeout
also bounds its wait for a connection: the ack path's look-ups give 1 s), HTTPS with certificate
and host name verification, and proxies named by the environment (HTTPS_PROXY, HTTP_PROXY,
NO_PROXY) reached with CONNECT, with Basic credentials when the proxy's URL has them (a proxy
reached over TLS itself is not supported).

How a call can fail is sorted by whether the request may have reached the server, which the
outbox's exactly-once depends on: `NotSent` when the request provably never arrived whole (no
connection, no free connection in time, or writing it failed: a server acts on a request only
once it has read all of it), `MaybeSent` otherwise (a read timeout, a connection cut before the
answer). A kept-alive connection the server closed while it was idle is noticed before it is
used, and never written to. (Should the server close it in the instant between that check and
the write, the call fails as `NotSent` or `MaybeSent`, as the write or the read notices; the
outbox retries either correctly. The request is not written twice here.)
"""

from __future__ import annotations

import base64
import http.client
import select
import ssl
import threading
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit


class NotSent(Exception):
    """The request never reached the server whole: the server did nothing.

    `reason` is "timeout" (connecting, or waiting for a free connection) or "transport"."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class MaybeSent(Exception):
    """The request was written but no whole answer came: the server may have acted on it, or may
    still be acting. `reason` is "timeout" or "transport"."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Proxy:
    """A proxy that tunnels (CONNECT), and the credentials its URL gave, if any."""

    host: str
    port: int
    credentials: str | None = None

    def headers(self) -> dict[str, str]:
        """The CONNECT request's extra headers: Basic authorization, if there are credentials."""
        if self.credentials is None:
            return {}
        token = base64.b64encode(self.credentials.encode()).decode()
        return {"Proxy-Authorization": f"Basic {token}"}


@dataclass(frozen=True)
class Origin:
    """Where requests go: scheme, host and port, and the proxy that reaches them, if any."""

    scheme: str
    host: str
    port: int
    proxy: Proxy | None = None

    @staticmethod
    def split(url: str) -> tuple[Origin, str]:
        """Return `url`'s origin (with the environment's proxy for it) and its path and query."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        host = parts.hostname
        port = parts.port or (443 if scheme == "https" else 80)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return Origin(scheme, host, port, _proxy_for(scheme, host)), path


@dataclass(frozen=True)
class Answer:
    """An HTTP answer, read whole: status, headers (names in lower case) and body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class Transport(Protocol):
    """What sends a request and reads its answer whole: `HttpPool`, or a test's stand-in."""

    def send(
        self, origin: Origin, path: str, headers: Mapping[str, str], body: bytes, timeout: float
    ) -> Answer:
        """POST `body` to `path` at `origin`; raise `NotSent` or `MaybeSent` on failure."""
        ...

    def close(self) -> None:
        """Close every connection."""
        ...


class HttpPool:
    """Keep-alive connections per origin, shared by threads; see the module docstring."""

    def __init__(self, *, connect_timeout: float, max_connections: int = 64) -> None:
        self.connect_timeout = connect_timeout
        self._idle: dict[Origin, list[_Connection | _TLSConnection]] = {}
        self._lock = threading.Lock()
        # A slot per connection in use: beyond `max_connections`, callers wait for one.
        self._slots = threading.BoundedSemaphore(max_connections)
        self._tls: ssl.SSLContext | None = None
        self._closed = False

    def send(
        self, origin: Origin, path: str, headers: Mapping[str, str], body: bytes, timeout: float
    ) -> Answer:
        """POST `body` to `path` at `origin` with `headers`, waiting up to `timeout` seconds for
        each read or write (and no longer than that, nor the connect timeout, for a connection);
        return the answer, or raise `NotSent` or `MaybeSent`."""
        wait = min(timeout, self.connect_timeout)
        if not self._slots.acquire(timeout=wait):
            raise NotSent("PoolTimeout", "timeout")
        try:
            return self._send(origin, path, headers, body, timeout, wait)
        finally:
            self._slots.release()

    def close(self) -> None:
        """Close the idle connections (ones in use are closed by their callers' failures)."""
        with self._lock:
            self._closed = True
            idle = [conn for conns in self._idle.values() for conn in conns]
            self._idle.clear()
        for conn in idle:
            conn.close()

    def _send(
        self,
        origin: Origin,
        path: str,
        headers: Mapping[str, str],
        body: bytes,
        timeout: float,
        wait: float,
    ) -> Answer:
        conn = self._checkout(origin, wait)
        try:
            _write(conn, path, headers, body, timeout)
        except NotSent:
            conn.close()
            raise
        try:
            answer, keep = _read(conn)
        except MaybeSent:
            conn.close()
            raise
        with self._lock:
            keep = keep and not self._closed
            if keep:
                self._idle.setdefault(origin, []).append(conn)
        if not keep:
            conn.close()
        return answer

    def _checkout(self, origin: Origin, wait: float) -> _Connection | _TLSConnection:
        """An open connection to `origin`: an idle one the server has not closed, else a new one."""
        while True:
            with self._lock:
                idle = self._idle.get(origin)
                conn = idle.pop() if idle else None
            if conn is None:
                return self._connect(origin, wait)
            if _still_open(conn):
                return conn
            conn.close()

    def _connect(self, origin: Origin, wait: float) -> _Connection | _TLSConnection:
        """A new connection to `origin` (through its proxy) within `wait` seconds; raise `NotSent`
        if none can be made."""
        proxy = origin.proxy
        host, port = (proxy.host, proxy.port) if proxy else (origin.host, origin.port)
        conn: _Connection | _TLSConnection
        if origin.scheme == "https":
            conn = _TLSConnection(host, port, timeout=wait, context=self._context())
        else:
            conn = _Connection(host, port, timeout=wait)
        if proxy is not None:
            conn.set_tunnel(origin.host, origin.port, headers=proxy.headers())
        try:
            conn.connect()
        except TimeoutError:
            conn.close()
            raise NotSent("ConnectTimeout", "timeout") from None
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise NotSent(f"ConnectError ({exc})", "transport") from None
        return conn

    def _context(self) -> ssl.SSLContext:
        """The TLS settings every HTTPS connection shares: the system's CAs, names checked."""
        with self._lock:
            if self._tls is None:
                self._tls = ssl.create_default_context()
            return self._tls


class _OneWrite:
    """What `http.client` would write for a request (its head, then its body), held back while
    `held` is a list, to go to the socket in one write: one system call, and one wake-up of the
    server, where `http.client` makes two."""

    held: list[bytes] | None = None

    def send(self, data: Any) -> None:
        """Hold `data` back while holding; else send it now (CONNECT to a proxy, say)."""
        if self.held is None:
            super().send(data)  # type: ignore[misc]
        else:
            self.held.append(bytes(data))


class _Connection(_OneWrite, http.client.HTTPConnection):
    """An HTTP connection that writes each request at once."""


class _TLSConnection(_OneWrite, http.client.HTTPSConnection):
    """An HTTPS connection that writes each request at once."""


def _write(
    conn: _Connection | _TLSConnection,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    timeout: float,
) -> None:
    """Write the request; raise `NotSent` if it could not be written whole."""
    sock = conn.sock
    assert sock is not None
    sock.settimeout(timeout)
    conn.held = []
    try:
        conn.request("POST", path, body, dict(headers))
        sock.sendall(b"".join(conn.held))
    except TimeoutError:
        raise NotSent("WriteTimeout", "timeout") from None
    # ValueError: a header or path http.client will not write (a line break, say); nothing left.
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise NotSent(f"WriteError ({exc})", "transport") from None
    finally:
        conn.held = None


def _read(conn: http.client.HTTPConnection) -> tuple[Answer, bool]:
    """Read the answer whole and whether the connection may be used again; raise `MaybeSent`."""
    try:
        response = conn.getresponse()
        body = response.read()
    # Socket timeouts raise TimeoutError (socket.timeout is its alias), an OSError: first.
    except TimeoutError:
        raise MaybeSent("ReadTimeout", "timeout") from None
    except (OSError, http.client.HTTPException) as exc:
        raise MaybeSent(f"{type(exc).__name__} ({exc})", "transport") from None
    headers = {name.lower(): value for name, value in response.getheaders()}
    return Answer(response.status, headers, body), not response.will_close


def _still_open(conn: http.client.HTTPConnection) -> bool:
    """Whether an idle kept-alive connection can carry a request: the server has neither closed
    it nor sent anything unasked (either makes the socket readable)."""
    sock = conn.sock
    if sock is None:
        return False
    # poll, not select: a busy process's descriptors may be numbered past select's 1024.
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    try:
        return not poller.poll(0)
    except OSError:
        return False


def _proxy_for(scheme: str, host: str) -> Proxy | None:
    """The proxy the environment names for `scheme` requests to `host`, or None."""
    proxies = urllib.request.getproxies_environment()
    url = proxies.get(scheme)
    if not url or urllib.request.proxy_bypass(host):
        return None
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if not parts.hostname:
        return None
    credentials = None
    if parts.username is not None:
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    return Proxy(parts.hostname, parts.port or 80, credentials)
