"""What one Slack call costs the bot: `WebApi.call("chat.postMessage", …)` beside other clients.

`python -m bench.slack_call [--calls 3000] [--rounds 3] [--write]`: the Slack stand-in serves in a
process of its own; this process posts the same message (text, a Block Kit section and the
outbox's metadata, as the worker posts a kudos) over one kept-alive connection with each client:

- httpx.Client as `WebApi` used it before issue 21 (a form body, `client.post`, `response.json()`);
- httpcore's connection pool (httpx's own transport, without httpx), JSON body;
- a bare `http.client.HTTPConnection` kept alive, JSON body, no checks at all (`WebApi`'s pool
  was built on it until its answers were parsed with httptools, at 1.2x its calls);
- `WebApi` as it is now (its pool: requests written whole, answers parsed by httptools in C, with
  every failure check it makes);
- the floor: a bare socket kept alive, the request's bytes written and the answer read up to the
  length its head gives, found by hand, and nothing checked.

For each, Python calls per Slack call (cProfile over 500 calls; they do not depend on the host's
speed) and this thread's CPU time per call (`time.thread_time`, which counts the kernel's work on
the sockets too) over `--calls` calls, `--rounds` rounds interleaved, the median round shown;
ratios are against the floor of the same run.
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import json
import multiprocessing
import os
import pstats
import socket
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from app.sandbox.slack_api import SlackStandIn
from app.slackapi.web_api import USER_AGENT, WebApi
from bench.loadgen import table, write_section

README = Path(__file__).with_name("README.md")
TOKEN = "xoxb-bench-token"
CHANNEL = "C0BENCH"
PROFILED = 500
WARMUP = 200
ARGS: dict[str, Any] = {
    "channel": CHANNEL,
    "text": "Kudos to <@U0000001> from <@U0000002>: thanks for the careful review of the release!",
    "blocks": [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*Kudos* to <@U0000001> from <@U0000002>\n> thanks for the careful review",
            },
        }
    ],
    "metadata": {"event_type": "reciprocity_outbox", "event_payload": {"key": "kudos:1:post"}},
    "unfurl_links": False,
}


def _stand_in(pipe: Connection) -> None:
    """The stand-in's process: one channel the bot is in; serve until told to stop."""
    with SlackStandIn(bot_token=TOKEN) as slack:
        slack.add_channel(CHANNEL, "bench")
        slack.set_bot_member(CHANNEL, True)
        pipe.send(slack.base_url)
        pipe.recv()


def clients(base_url: str) -> list[tuple[str, Callable[[], object], Callable[[], None]]]:
    """(name, one call, close) for each client, all posting `ARGS` to the stand-in."""
    url = base_url + "chat.postMessage"
    parts = urlsplit(url)
    host, port, path = parts.hostname or "", parts.port or 80, parts.path

    before = httpx.Client(
        timeout=httpx.Timeout(10.0, connect=5.0),
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=64),
        headers={"User-Agent": USER_AGENT},
    )

    def httpx_client() -> object:
        # WebApi's call before issue 21: structured arguments as JSON text in a form body.
        form = {
            key: value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
            for key, value in ARGS.items()
        }
        response = before.post(url, data=form, headers={"Authorization": f"Bearer {TOKEN}"})
        return response.json()

    pool = httpcore.ConnectionPool(max_connections=64)
    target = httpcore.URL(scheme=b"http", host=host.encode(), port=port, target=path.encode())

    def httpcore_pool() -> object:
        body = json.dumps(ARGS, separators=(",", ":")).encode()
        headers = [
            (b"Host", f"{host}:{port}".encode()),
            (b"User-Agent", USER_AGENT.encode()),
            (b"Authorization", f"Bearer {TOKEN}".encode()),
            (b"Content-Type", b"application/json; charset=utf-8"),
            (b"Content-Length", str(len(body)).encode()),
        ]
        return json.loads(pool.request("POST", target, headers=headers, content=body).content)

    api = WebApi(base_url)

    def web_api() -> object:
        return api.call("chat.postMessage", TOKEN, ARGS)

    conn = http.client.HTTPConnection(host, port)

    def bare_http_client() -> object:
        body = json.dumps(ARGS, separators=(",", ":")).encode()
        headers = {
            "User-Agent": USER_AGENT,
            "Authorization": f"Bearer {TOKEN}",
            "Content-Type": "application/json; charset=utf-8",
        }
        conn.request("POST", path, body, headers)
        return json.loads(conn.getresponse().read())

    sock = socket.create_connection((host, port))
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: {USER_AGENT}\r\n"
        f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json; charset=utf-8\r\n"
    )

    def floor() -> object:
        body = json.dumps(ARGS, separators=(",", ":")).encode()
        sock.sendall(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        data = b""
        while (end := data.find(b"\r\n\r\n")) < 0 or len(data) < end + 4 + _length(data):
            data += sock.recv(65536)
        return json.loads(data[end + 4 :])

    return [
        ("httpx.Client, as WebApi used it before issue 21", httpx_client, before.close),
        ("httpcore.ConnectionPool (httpx's transport)", httpcore_pool, pool.close),
        ("one bare http.client connection", bare_http_client, conn.close),
        ("WebApi now (its pool, answers parsed by httptools)", web_api, api.close),
        ("floor: one bare socket", floor, sock.close),
    ]


def _length(data: bytes) -> int:
    """The Content-Length an answer's head gives (the stand-in always gives one)."""
    start = data.lower().index(b"content-length:") + len(b"content-length:")
    return int(data[start : data.index(b"\r\n", start)])


def calls_per_call(call: Callable[[], object]) -> float:
    """Python and C calls per call, as cProfile counts them over `PROFILED` calls."""
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(PROFILED):
        call()
    profile.disable()
    return float(pstats.Stats(profile).total_calls) / PROFILED  # type: ignore[attr-defined]


def cpu_per_call(call: Callable[[], object], calls: int) -> float:
    """This thread's CPU seconds per call over `calls` calls."""
    start = time.thread_time()
    for _ in range(calls):
        call()
    return (time.thread_time() - start) / calls


def run(calls: int, rounds: int) -> list[tuple[str, float, float]]:
    """(client, calls per Slack call, median CPU seconds per call) for each client."""
    context = multiprocessing.get_context("spawn")
    pipe, child = context.Pipe()
    process = context.Process(target=_stand_in, args=(child,), daemon=True)
    process.start()
    child.close()
    try:
        base_url: str = pipe.recv()
        measured = clients(base_url)
        for _, call, _ in measured:
            for _ in range(WARMUP):
                call()
        cpu: dict[str, list[float]] = {name: [] for name, _, _ in measured}
        for _ in range(rounds):
            for name, call, _ in measured:
                cpu[name].append(cpu_per_call(call, calls))
        counted = [(name, calls_per_call(call)) for name, call, _ in measured]
        for _, _, close in measured:
            close()
        return [(name, count, statistics.median(cpu[name])) for name, count in counted]
    finally:
        pipe.send("stop")
        process.join(15)
        if process.is_alive():
            process.kill()


def report(results: list[tuple[str, float, float]], calls: int, rounds: int) -> str:
    """The README section: how it was measured and the table."""
    floor_calls, floor_cpu = results[-1][1], results[-1][2]
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    rows = [
        [
            name,
            f"{count:,.0f}",
            f"{count / floor_calls:.1f}x",
            f"{cpu * 1e6:,.0f}",
            f"{cpu / floor_cpu:.2f}x",
        ]
        for name, count, cpu in results
    ]
    head = (
        f"Measured {datetime.now(UTC):%Y-%m-%d} (`python -m bench.slack_call --calls {calls} "
        f"--rounds {rounds}`; load average {load}). One `chat.postMessage` (text, a Block Kit "
        "section, the outbox's metadata) to the stand-in in its own process, over one kept-alive "
        f"connection. Calls: cProfile over {PROFILED} calls. CPU: this thread's "
        f"(`time.thread_time`, user and kernel) over {calls} calls, median of {rounds} "
        "interleaved rounds; ratios against the floor of the same run."
    )
    body = table(
        rows,
        ["client", "calls per Slack call", "vs floor", "CPU µs per call", "vs floor"],
    )
    return f"{head}\n\n{body}"


def main() -> None:
    """Measure, print, and with --write put the figures in bench/README.md."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    text = report(run(args.calls, args.rounds), args.calls, args.rounds)
    print(text)
    if args.write:
        write_section(str(README), "slack-call", text)


if __name__ == "__main__":
    main()
