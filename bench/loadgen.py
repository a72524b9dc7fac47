"""A small load generator: signed slash commands over keep-alive HTTP, closed or open loop.

It runs in its own process (`measure` spawns it) so it never shares a GIL with the server.
"""

from __future__ import annotations

import asyncio
import gc
import json
import multiprocessing
import random
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from urllib.parse import urlencode

import httpx

from app.sandbox.driver import signature
from app.sandbox.payloads import slash_command


@dataclass(frozen=True)
class Load:
    """What to send: `rate` requests/s (open loop) or as fast as `concurrency` allows (None)."""

    url: str
    secret: str
    seconds: float
    concurrency: int
    rate: float | None = None
    users: int = 50
    warmup: float = 1.0
    text: str = "thanks for the help"
    mention: bool = False


@dataclass(frozen=True)
class Result:
    """What came back."""

    sent: int
    ok: int
    errors: int
    # Answers that arrived inside the measured window: what the server actually sustained.
    ok_in_window: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        """Successful requests per second."""
        return self.ok_in_window / self.seconds if self.seconds else 0.0


def _body(load: Load, rng: random.Random) -> bytes:
    giver = rng.randrange(load.users)
    other = (giver + 1 + rng.randrange(load.users - 1)) % load.users
    text = f"<@U{other:05d}|user{other}> {load.text}" if load.mention else load.text
    fields = slash_command(
        command="/kudos",
        text=text,
        user_id=f"U{giver:05d}",
        channel_id="C0GENERAL",
        response_url="https://hooks.invalid/r",
        trigger_id="1.2.3",
    )
    return urlencode(fields).encode()


async def _run(load: Load) -> Result:
    rng = random.Random(7)
    latencies: list[float] = []
    finished: list[float] = []
    errors = 0
    sent = 0
    limits = httpx.Limits(
        max_connections=load.concurrency, max_keepalive_connections=load.concurrency
    )
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:

        async def one(record: bool) -> None:
            nonlocal errors, sent
            body = _body(load, rng)
            now = int(time.time())
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": str(now),
                "X-Slack-Signature": signature(load.secret, now, body),
            }
            started = time.perf_counter()
            try:
                response = await client.post(load.url, content=body, headers=headers)
                good = response.status_code == 200
            except httpx.HTTPError:
                good = False
            if record:
                sent += 1
                if good:
                    finished.append(time.perf_counter())
                    latencies.append(finished[-1] - started)
                else:
                    errors += 1

        async def closed_worker(until: float, record_from: float) -> None:
            while time.perf_counter() < until:
                await one(time.perf_counter() >= record_from)

        start = time.perf_counter()
        record_from = start + load.warmup
        until = record_from + load.seconds
        if load.rate is None:
            await asyncio.gather(
                *(closed_worker(until, record_from) for _ in range(load.concurrency))
            )
        else:
            gate = asyncio.Semaphore(load.concurrency * 8)
            tasks: list[asyncio.Task[None]] = []
            interval = 1.0 / load.rate
            next_at = start

            async def gated(record: bool) -> None:
                async with gate:
                    await one(record)

            while next_at < until:
                delay = next_at - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(gated(next_at >= record_from)))
                next_at += interval
            await asyncio.gather(*tasks)
    latencies.sort()
    p50 = statistics.median(latencies) * 1000 if latencies else 0.0
    p99 = (
        latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000 if latencies else 0.0
    )
    window_end = start + load.warmup + load.seconds
    in_window = sum(1 for at in finished if at <= window_end)
    return Result(sent, len(latencies), errors, in_window, load.seconds, p50, p99)


def _child(load: Load, pipe: multiprocessing.connection.Connection) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    # The generator's own collections would show up as server latency.
    gc.disable()
    pipe.send(asdict(asyncio.run(_run(load))))


def measure(load: Load) -> Result:
    """Run `load` from a separate process and return its result."""
    receive, send = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.get_context("spawn").Process(target=_child, args=(load, send))
    process.start()
    result = Result(**receive.recv())
    process.join()
    return result


def free_port() -> int:
    """Return a loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Wait until something accepts connections on `port`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def spawn(
    args: list[str], env: dict[str, str] | None = None, cwd: str | None = None
) -> subprocess.Popen[bytes]:
    """Start a server process quietly (in `cwd`, if given)."""
    return subprocess.Popen(
        [sys.executable, *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def table(rows: list[list[str]], header: list[str]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def write_section(readme: str, name: str, body: str) -> None:
    """Replace the marked section `name` of the README at `readme` with `body`."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    with open(readme) as handle:
        text = handle.read()
    if begin not in text:
        text += f"\n{begin}\n{end}\n"
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(readme, "w") as handle:
        handle.write(f"{head}{begin}\n{body.strip()}\n{end}{tail}")


def dumps(result: Result) -> str:
    """One line of JSON, for logs."""
    return json.dumps({**asdict(result), "rps": round(result.rps, 1)})
