"""A small keep-alive HTTP/1.1 connection pool: requests written whole, answers parsed by httptools.

Why not httpx, which the rest of the stack uses: every Slack call the delivery worker made went
through `httpx.Client` (httpx, httpcore, h11), about 2,250 Python calls and 5.6x the CPU of this
pool's call. Nor the standard library's `http.client`, on which this pool stood until its answers
were parsed in C: 380 calls and 1.7x the CPU, most of them `email`'s parsing of the answer's
headers. Here `http.client` only opens connections (TCP, TLS and a proxy's CONNECT, once per
connection); each request is written in one system call, and its answer is fed to httptools'
parser (llhttp, in C; uvicorn parses requests with it) as it arrives: about 110 calls a Slack
call. `bench/slack_call.py` measures these side by side with a bare socket (the floor); figures in
bench/README.md, "The Slack call (issue 21)". The worker makes two or three Slack calls a kudos in
the bot's one process (one GIL), so this CPU is throughput.

What it keeps of httpx's behaviour: connections kept alive per origin and shared by threads (at
most `max_connections` in use at once), connect, read and write timeouts (a call's own timeout
also bounds its wait for a connection: the ack path's look-ups give 1 s), HTTPS with certificate
and host name verification, and proxies named by the environment (HTTPS_PROXY, HTTP_PROXY,
NO_PROXY) reached with CONNECT, with Basic credentials when the proxy's URL has them (a proxy
reached over TLS itself is not supported).

How a call can fail is sorted by whether the request may have reached the server, which the
outbox's exactly-once depends on: `NotSent` when the request provably never arrived whole (no
connection, no free connection in time, a header HTTP cannot carry, or writing it failed: a
server acts on a request only once it has read all of it), `MaybeSent` otherwise (a read timeout,
a connection cut before the whole answer, an answer that is not HTTP). A kept-alive connection
the server closed while it was idle is noticed before it is used, and never written to. (Should
the server close it in the instant between that check and the write, the call fails as `NotSent`
or `MaybeSent`, as the write or the read notices; the outbox retries either correctly. The
request is not written twice here.)
"""

from __future__ import annotations

import base64
import http.client
import re
import select
import socket
import ssl
import threading
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import unquote, urlsplit

import httptools


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
        self._idle: dict[Origin, list[http.client.HTTPConnection]] = {}
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
        try:
            request = _request(origin, path, headers, body)
        except ValueError as exc:
            raise NotSent(f"WriteError ({exc})", "transport") from None
        wait = min(timeout, self.connect_timeout)
        if not self._slots.acquire(timeout=wait):
            raise NotSent("PoolTimeout", "timeout")
        try:
            return self._send(origin, request, timeout, wait)
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

    def _send(self, origin: Origin, request: bytes, timeout: float, wait: float) -> Answer:
        conn = self._checkout(origin, wait)
        sock = conn.sock
        assert sock is not None
        try:
            _write(sock, request, timeout)
        except NotSent:
            conn.close()
            raise
        try:
            answer, keep = _read(sock)
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

    def _checkout(self, origin: Origin, wait: float) -> http.client.HTTPConnection:
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

    def _connect(self, origin: Origin, wait: float) -> http.client.HTTPConnection:
        """A new connection to `origin` (through its proxy) within `wait` seconds; raise `NotSent`
        if none can be made."""
        proxy = origin.proxy
        host, port = (proxy.host, proxy.port) if proxy else (origin.host, origin.port)
        conn: http.client.HTTPConnection
        if origin.scheme == "https":
            conn = http.client.HTTPSConnection(host, port, timeout=wait, context=self._context())
        else:
            conn = http.client.HTTPConnection(host, port, timeout=wait)
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


# What a request line's target or a header may not hold: it would end the line or split it.
_UNSAFE_TARGET = re.compile("[\x00-\x20\x7f]")
_UNSAFE_HEADER = re.compile("[\x00\r\n]")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_READ_SIZE = 65536


def _request(origin: Origin, path: str, headers: Mapping[str, str], body: bytes) -> bytes:
    """The request's bytes, head and body, as one write; raise `ValueError` for a target or a
    header HTTP/1.1 cannot carry (a line break in a token, say)."""
    if _UNSAFE_TARGET.search(path):
        raise ValueError(f"a request target with a space or control character: {path!r}")
    host = f"[{origin.host}]" if ":" in origin.host else origin.host
    if origin.port != (443 if origin.scheme == "https" else 80):
        host = f"{host}:{origin.port}"
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}",
        "Accept-Encoding: identity",
        f"Content-Length: {len(body)}",
    ]
    for name, value in headers.items():
        if not _TOKEN.fullmatch(name) or _UNSAFE_HEADER.search(value):
            raise ValueError(f"a header HTTP cannot carry: {name!r}")
        lines.append(f"{name}: {value}")
    lines.append("\r\n")
    # latin-1, as HTTP's headers are: a value outside it raises UnicodeEncodeError, a ValueError.
    return "\r\n".join(lines).encode("latin-1") + body


def _write(sock: socket.socket, request: bytes, timeout: float) -> None:
    """Write the request whole; raise `NotSent` if it could not be."""
    try:
        sock.settimeout(timeout)
        sock.sendall(request)
    except TimeoutError:
        raise NotSent("WriteTimeout", "timeout") from None
    except OSError as exc:
        raise NotSent(f"WriteError ({exc})", "transport") from None


class _Answering:
    """httptools' callbacks while one answer is read: its headers (names in lower case, the last
    of repeated ones), its body so far, and how far it got. An interim 1xx is read past."""

    __slots__ = ("body", "done", "headed", "headers", "keep_alive", "parser")

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []
        self.headed = False
        self.keep_alive = False
        self.done = False

    def on_header(self, name: bytes, value: bytes) -> None:
        """Keep a header."""
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        """The head is read; the body, if any, follows."""
        self.headed = True
        # Asked now: once the answer is complete, the parser has made ready for the next one.
        self.keep_alive = self.parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        """Keep a piece of the body."""
        self.body.append(body)

    def on_message_complete(self) -> None:
        """The answer is whole, unless it was an interim 1xx: then the real one follows."""
        if self.parser.get_status_code() < 200:
            self.headers.clear()
            self.body.clear()
            self.headed = False
        else:
            self.done = True

    def ended_by_close(self) -> bool:
        """Whether the connection closing ends this answer whole: its head was read and gave
        neither a length nor chunks, so its body runs to the close (HTTP/1.0's way)."""
        return self.headed and not {"content-length", "transfer-encoding"} & self.headers.keys()


def _read(sock: socket.socket) -> tuple[Answer, bool]:
    """Read the answer whole (httptools parses it, in C) and whether the connection may carry
    another request; raise `MaybeSent` if no whole answer came."""
    answering = _Answering()
    parser = answering.parser
    try:
        while not answering.done:
            data = sock.recv(_READ_SIZE)
            if not data:
                if answering.ended_by_close():
                    return _answer(answering), False
                raise MaybeSent("RemoteProtocolError (closed before a whole answer)", "transport")
            parser.feed_data(data)
    # Socket timeouts raise TimeoutError (socket.timeout is its alias), an OSError: first.
    except TimeoutError:
        raise MaybeSent("ReadTimeout", "timeout") from None
    except OSError as exc:
        raise MaybeSent(f"{type(exc).__name__} ({exc})", "transport") from None
    except httptools.HttpParserError as exc:
        raise MaybeSent(f"RemoteProtocolError ({exc})", "transport") from None
    return _answer(answering), answering.keep_alive


def _answer(answering: _Answering) -> Answer:
    return Answer(answering.parser.get_status_code(), answering.headers, b"".join(answering.body))


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
