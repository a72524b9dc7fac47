"""The stand-in's HTTP server takes connections as Slack's edge does: many at once."""

from __future__ import annotations

import socket
from http.server import BaseHTTPRequestHandler

from app.sandbox.http_server import QuietServer

# More than the delivery worker's senders and its pool open together (16 and 64).
BURST = 64


def test_a_burst_of_connections_is_accepted_while_the_server_is_busy() -> None:
    # Nothing accepts here, as when the server's accept loop has not come round yet: the kernel
    # completes each handshake into the listening socket's queue. Beyond that queue it drops
    # the SYN, and the client's connect waits for a retransmission (a second at first) instead.
    server = QuietServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    opened: list[socket.socket] = []
    try:
        for _ in range(BURST):
            # The timeout only bounds a failure: a handshake on loopback that is not dropped
            # completes without the server's process running at all.
            opened.append(socket.create_connection(server.server_address[:2], timeout=5))
        assert len(opened) == BURST
    finally:
        for each in opened:
            each.close()
        server.server_close()
