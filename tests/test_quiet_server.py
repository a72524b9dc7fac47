"""The bot's uvicorn server ticks once a second, yet an exit requested from another thread is
noticed at once, not at the next tick."""

from __future__ import annotations

import socket
import threading

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from app.quiet_server import QuietServer
from tests.waiting import eventually


class _SleepyServer(QuietServer):
    # An hour between ticks: only the wake-up can explain a prompt exit.
    TICK_SECONDS = 3600.0


def test_an_exit_requested_from_another_thread_wakes_the_sleeping_tick() -> None:
    app = Starlette(routes=[Route("/", lambda request: PlainTextResponse("ok"))])
    listening = socket.create_server(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    server = _SleepyServer(uvicorn.Config(app, log_config=None, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    eventually(lambda: server.started, what="the server to start")
    assert httpx.get(f"http://127.0.0.1:{port}/").text == "ok"
    server.should_exit = True
    thread.join(30)  # a liveness guard: the next tick is an hour away
    assert not thread.is_alive()
