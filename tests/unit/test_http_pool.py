"""`HttpPool` and `WebApi` against real servers on loopback: a scripted one for the failures Slack's
stand-in cannot stage (a kept-alive connection closed while idle, an answer cut off, a
chunked answer, a refused certificate, a proxy), and the stand-in for the rest.

What matters to the outbox is whether a failure may have reached the server: `NotSent` only when
it cannot have, and never a request written twice."""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.sandbox.slack_api import SlackStandIn
from app.slackapi.http_pool import HttpPool, MaybeSent, NotSent, Origin
from app.slackapi.web_api import TransientError, WebApi
from tests.conftest import BOT_TOKEN

OK = json.dumps({"ok": True}).encode()
# How a scripted connection answers one request: bytes to write back (or pieces of them, written
# a moment apart), or None to hang up unanswered.
Reply = Callable[[bytes], bytes | list[bytes] | None]


def answer(body: bytes = OK, *, close: bool = False) -> bytes:
    """An HTTP/1.1 200 with a JSON `body`; `close` says the connection ends after it."""
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return (head + ("Connection: close\r\n" if close else "") + "\r\n").encode() + body


class Scripted:
    """A loopback HTTP server whose every connection follows `script`: one `Reply` per request,
    in order, and the connection is closed after the last. Records each request it read whole."""

    def __init__(self, script: list[Reply], wrap: ssl.SSLContext | None = None) -> None:
        self.script = script
        self.wrap = wrap
        self.requests: list[bytes] = []
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, path: str = "/api/", scheme: str = "http") -> str:
        """This server's URL for `path`."""
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        """Stop listening."""
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        if self.wrap is not None:
            try:
                sock = self.wrap.wrap_socket(sock, server_side=True)
            except (OSError, ssl.SSLError):
                sock.close()
                return
        reader = sock.makefile("rb")
        try:
            for reply in self.script:
                request = _read_request(reader)
                if request is None:
                    return
                self.requests.append(request)
                written = reply(request)
                if written is None:
                    return
                for i, piece in enumerate([written] if isinstance(written, bytes) else written):
                    if i:
                        threading.Event().wait(0.05)
                    sock.sendall(piece)
        except OSError:
            return
        finally:
            reader.close()
            sock.close()


def _read_request(reader: BinaryIO) -> bytes | None:
    """One whole request (head and body) from `reader`, or None at the end of the stream."""
    head = b""
    while True:
        line = reader.readline()
        if not line:
            return None
        head += line
        if line in (b"\r\n", b"\n"):
            break
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return head + reader.read(length)


@pytest.fixture
def pool() -> Iterator[HttpPool]:
    pool = HttpPool(connect_timeout=2.0)
    yield pool
    pool.close()


def post(pool: HttpPool, url: str, timeout: float = 5.0) -> bytes:
    """POST a small JSON body to `url`; return the answer's body."""
    origin, path = Origin.split(url)
    headers = {"Content-Type": "application/json"}
    return pool.send(origin, path, headers, b'{"text":"hi"}', timeout).body


def test_a_kept_alive_connection_is_used_again(pool: HttpPool) -> None:
    server = Scripted([lambda _: answer(), lambda _: answer()])
    assert post(pool, server.url()) == OK
    assert post(pool, server.url()) == OK
    assert (server.connections, len(server.requests)) == (1, 2)


def test_a_connection_the_server_closed_while_idle_is_not_written_to(pool: HttpPool) -> None:
    # Each connection answers one request and then closes, without saying so in its answer:
    # the client finds out only when it comes back to the idle connection.
    server = Scripted([lambda _: answer()])
    assert post(pool, server.url()) == OK
    assert _wait_for(lambda: _closed_by_server(pool))
    assert post(pool, server.url()) == OK
    # Two calls, two requests: the second went on a new connection, once.
    assert (server.connections, len(server.requests)) == (2, 2)


def test_an_answer_asking_to_close_closes_the_connection(pool: HttpPool) -> None:
    server = Scripted([lambda _: answer(close=True), lambda _: answer()])
    assert post(pool, server.url()) == OK
    assert post(pool, server.url()) == OK
    assert (server.connections, len(server.requests)) == (2, 2)


def test_a_chunked_answer_is_read_whole(pool: HttpPool) -> None:
    body = json.dumps({"ok": True, "text": "x" * 5000}).encode()
    chunked = b"".join(
        b"%x\r\n%s\r\n" % (len(body[i : i + 1000]), body[i : i + 1000])
        for i in range(0, len(body), 1000)
    )
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    server = Scripted([lambda _: head + chunked + b"0\r\n\r\n", lambda _: answer()])
    assert post(pool, server.url()) == body
    assert post(pool, server.url()) == OK
    assert server.connections == 1


def test_an_answer_without_a_length_runs_to_the_close_and_ends_the_connection(
    pool: HttpPool,
) -> None:
    # HTTP/1.0's framing: no length, no chunks; the server's closing the connection ends the body.
    server = Scripted([lambda _: b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + OK])
    assert post(pool, server.url()) == OK
    assert post(pool, server.url()) == OK
    assert (server.connections, len(server.requests)) == (2, 2)


def test_an_interim_answer_is_read_past_to_the_real_one(pool: HttpPool) -> None:
    # The interim answer arrives on its own, before the real one is written.
    server = Scripted([lambda _: [b"HTTP/1.1 100 Continue\r\n\r\n", answer(b'{"ok":false}')]])
    assert post(pool, server.url()) == b'{"ok":false}'


def test_an_answer_cut_short_or_garbled_may_have_been_acted_on(pool: HttpPool) -> None:
    short = answer(b'{"ok":true,"ts":"1.2"}')[:-5]
    server = Scripted([lambda _: short])
    with pytest.raises(MaybeSent) as cut:
        post(pool, server.url())
    assert str(cut.value).startswith("RemoteProtocolError")
    garbled = Scripted([lambda _: b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n{}"])
    with pytest.raises(MaybeSent) as bad:
        post(pool, garbled.url())
    assert (str(bad.value).startswith("RemoteProtocolError"), bad.value.reason) == (
        True,
        "transport",
    )
    # Each read whole by its server, once.
    assert (len(server.requests), len(garbled.requests)) == (1, 1)


def test_the_request_is_written_as_http_11_with_its_length_and_host(pool: HttpPool) -> None:
    server = Scripted([lambda _: answer()])
    origin, path = Origin.split(server.url("/api/chat.postMessage?x=1"))
    pool.send(origin, path, {"Authorization": "Bearer xoxb-1"}, b'{"text":"hi"}', 5.0)
    (request,) = server.requests
    head, _, body = request.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /api/chat.postMessage?x=1 HTTP/1.1"
    assert {
        "Host": f"127.0.0.1:{server.port}",
        "Content-Length": "13",
        "Authorization": "Bearer xoxb-1",
    }.items() <= dict(line.split(": ", 1) for line in lines[1:]).items()
    assert body == b'{"text":"hi"}'


def test_a_connection_cut_before_the_answer_may_have_been_acted_on(pool: HttpPool) -> None:
    server = Scripted([lambda _: None])
    with pytest.raises(MaybeSent) as cut:
        post(pool, server.url())
    assert cut.value.reason == "transport"
    # Read whole by the server, and not written again.
    assert (server.connections, len(server.requests)) == (1, 1)


def test_a_refused_connection_was_not_sent(pool: HttpPool) -> None:
    with pytest.raises(NotSent) as refused:
        post(pool, f"http://127.0.0.1:{_unused_port()}/api/")
    assert refused.value.reason == "transport"
    assert str(refused.value).startswith("ConnectError")


def test_calls_beyond_the_pool_wait_and_then_were_not_sent() -> None:
    hung = threading.Event()
    server = Scripted([lambda _: None if hung.wait(30) else b""])
    pool = HttpPool(connect_timeout=0.2, max_connections=1)
    ended: list[BaseException] = []

    def hangs() -> None:
        try:
            post(pool, server.url())
        except (NotSent, MaybeSent) as exc:
            ended.append(exc)

    first = threading.Thread(target=hangs)
    first.start()
    try:
        assert _wait_for(lambda: len(server.requests) == 1)
        with pytest.raises(NotSent) as waited:
            post(pool, server.url())
        assert (str(waited.value), waited.value.reason) == ("PoolTimeout", "timeout")
    finally:
        hung.set()
        first.join()
        pool.close()
    # The call holding the one connection was read and then cut off: it may have been acted on.
    assert [type(exc) for exc in ended] == [MaybeSent]
    assert len(server.requests) == 1


def test_https_refuses_a_certificate_it_cannot_verify(pool: HttpPool, tmp_path: Path) -> None:
    server = Scripted([lambda _: answer()], wrap=_self_signed(tmp_path))
    with pytest.raises(NotSent) as refused:
        post(pool, server.url(scheme="https"))
    assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value)
    assert server.requests == []


def test_https_to_a_certificate_it_trusts_is_read_and_kept_alive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = Scripted([lambda _: answer(), lambda _: answer()], wrap=_self_signed(tmp_path))
    # The system's trust store, as OpenSSL reads it, is this one certificate.
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "cert.pem"))
    pool = HttpPool(connect_timeout=2.0)
    try:
        assert post(pool, server.url(scheme="https")) == OK
        assert post(pool, server.url(scheme="https")) == OK
    finally:
        pool.close()
    assert (server.connections, len(server.requests)) == (1, 2)


def test_a_proxy_in_the_environment_is_tunnelled_through(
    pool: HttpPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = Scripted([lambda _: answer(), lambda _: answer()])
    proxy = Tunnel()
    monkeypatch.setenv("HTTP_PROXY", f"http://bot:s%40cret@127.0.0.1:{proxy.port}")
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.delenv("no_proxy", raising=False)
    assert post(pool, server.url()) == OK
    assert post(pool, server.url()) == OK
    assert proxy.tunnels == [f"127.0.0.1:{server.port}"]
    assert proxy.authorizations == ["Basic " + base64.b64encode(b"bot:s@cret").decode()]
    assert len(server.requests) == 2


# -- through WebApi, against the stand-in ---------------------------------------------------------


def test_a_post_that_timed_out_is_reported_as_maybe_sent(slack: SlackStandIn) -> None:
    api = WebApi(slack.base_url, timeout=0.3)
    slack.hang_next("chat.postMessage", seconds=1.0)
    try:
        with pytest.raises(TransientError) as timed_out:
            api.call("chat.postMessage", BOT_TOKEN, {"channel": "C0GENERAL", "text": "slow"})
    finally:
        api.close()
    assert (timed_out.value.reason, timed_out.value.answered) == ("timeout", False)
    assert isinstance(timed_out.value.__cause__, MaybeSent)
    assert _wait_for(lambda: len(slack.posted_messages()) == 1)


def test_web_api_sends_json_to_write_methods_and_forms_to_the_rest(slack: SlackStandIn) -> None:
    statuses: list[tuple[str, str]] = []
    api = WebApi(slack.base_url, on_call=lambda method, status: statuses.append((method, status)))
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    try:
        posted = api.call(
            "chat.postMessage",
            BOT_TOKEN,
            {"channel": "C0GENERAL", "text": "hi", "blocks": blocks, "thread_ts": None},
        )
        api.call("conversations.info", BOT_TOKEN, {"channel": "C0GENERAL"})
    finally:
        api.close()
    assert posted["ok"] is True
    (call,) = slack.calls_to("chat.postMessage")
    assert (call.args["blocks"], "thread_ts" in call.args) == (blocks, False)
    assert statuses == [("chat.postMessage", "ok"), ("conversations.info", "ok")]


def test_an_unreachable_slack_is_a_transient_failure_that_sent_nothing() -> None:
    api = WebApi(f"http://127.0.0.1:{_unused_port()}/api/")
    try:
        with pytest.raises(TransientError) as failed:
            api.call("auth.test", BOT_TOKEN)
    finally:
        api.close()
    assert str(failed.value) == "auth.test: ConnectError"
    assert (failed.value.reason, failed.value.answered) == ("transport", False)
    assert isinstance(failed.value.__cause__, NotSent)


def test_a_request_http_cannot_carry_is_refused_before_anything_is_sent() -> None:
    server = Scripted([lambda _: answer()])
    api = WebApi(server.url())
    try:
        with pytest.raises(TransientError) as refused:
            api.call("auth.test", "xoxb-1\r\nX-Injected: 1")
    finally:
        api.close()
    assert isinstance(refused.value.__cause__, NotSent)
    assert server.requests == []


# -- helpers --------------------------------------------------------------------------------------


class Tunnel:
    """A loopback proxy that answers CONNECT and relays bytes; records each tunnel's target."""

    def __init__(self) -> None:
        self.tunnels: list[str] = []
        self.authorizations: list[str] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            client, _ = self._listener.accept()
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        reader = client.makefile("rb")
        request = _read_request(reader)
        assert request is not None
        target = request.split()[1].decode()
        self.tunnels.append(target)
        for line in request.decode().split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "proxy-authorization":
                self.authorizations.append(value.strip())
        host, _, port = target.rpartition(":")
        upstream = socket.create_connection((host, int(port)))
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        threading.Thread(target=_relay, args=(upstream, client), daemon=True).start()
        _relay(client, upstream)


def _relay(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        sink.close()


def _unused_port() -> int:
    """A loopback port nothing listens on (bound for a moment, never listened on)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _closed_by_server(pool: HttpPool) -> bool:
    """Whether the pool's one idle connection has been closed by its server (it reads as EOF)."""
    (conn,) = [conn for conns in pool._idle.values() for conn in conns]
    assert conn.sock is not None
    try:
        return conn.sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False


def _wait_for(condition: Callable[[], bool]) -> bool:
    """Whether `condition` came true within 10 seconds (a bound, not a measurement)."""
    done = threading.Event()
    for _ in range(1000):
        if condition():
            return True
        done.wait(0.01)
    return False


def _self_signed(tmp_path: Path) -> ssl.SSLContext:
    """A server TLS context for 127.0.0.1 with a certificate no authority signed (its PEM in
    `tmp_path / "cert.pem"`, for a test that trusts it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context
