"""Sending the mix open-loop from its own process, and the figures a run makes."""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import statistics
import time
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from typing import Any

import httpx

from bench.loadgen import Result
from bench.loadkit.cluster import Cluster
from bench.loadkit.mix import MIX, Sent, Spec, payload_of, request_of, signed_headers


async def _drive(spec: Spec) -> tuple[float, list[Sent]]:
    """Send `spec`'s requests open-loop; return when the first was due and how each went."""
    rng = random.Random(spec.seed + spec.first_seq)
    taken = set(spec.offers_taken)
    total = int(spec.rate * (spec.warmup + spec.seconds))
    requests = [request_of(spec, spec.first_seq + n, rng, taken) for n in range(total)]
    limits = httpx.Limits(
        max_connections=spec.concurrency, max_keepalive_connections=spec.concurrency
    )
    clients = [
        httpx.AsyncClient(base_url=url, limits=limits, timeout=spec.timeout) for url in spec.urls
    ]
    done: list[Sent] = []
    # Due times on the monotonic clock; `at` is reported as wall time for the outage tests.
    began = time.monotonic() + 0.2
    wall = time.time() - time.monotonic()

    async def one(n: int, sent: Sent) -> None:
        due = began + n / spec.rate
        body, content_type = payload_of(spec, sent, spec.response_urls[n % len(spec.response_urls)])
        headers = signed_headers(body, content_type, spec.secret)
        status, answer, error = 0, "", ""
        try:
            response = await clients[sent.replica].post(
                "/slack/events", content=body, headers=headers
            )
            status, answer = response.status_code, _answer_text(response)
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        latency = time.monotonic() - due
        done.append(
            replace(
                sent,
                at=due + wall,
                status=status,
                latency=latency if status else None,
                answer=answer,
                error=error,
            )
        )

    tasks: list[asyncio.Task[None]] = []
    try:
        for n, sent in enumerate(requests):
            delay = began + n / spec.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n, sent)))
        await asyncio.gather(*tasks)
    finally:
        for client in clients:
            await client.aclose()
    done.sort(key=lambda s: s.seq)
    return began + wall, done


def _answer_text(response: httpx.Response) -> str:
    """The text of a command's ephemeral answer (empty for events), at most 500 characters."""
    if not response.content:
        return ""
    try:
        decoded = response.json()
    except ValueError:
        return response.text[:500]
    return str(decoded.get("text", "") if isinstance(decoded, dict) else decoded)[:500]


def _child(spec: Spec, pipe: Connection) -> None:
    """The driver process: run the load and send its outcome back through `pipe`."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    pipe.send(asyncio.run(_drive(spec)))
    pipe.close()


@dataclass
class Drive:
    """The outcome of a load run: every request sent, and the figures they make."""

    spec: Spec
    start: float
    sent: list[Sent]
    finished: float
    result: Result = field(init=False)

    def __post_init__(self) -> None:
        self.result = summarize(self)

    @property
    def acked(self) -> list[Sent]:
        """The requests the bot answered with HTTP 200."""
        return [s for s in self.sent if s.acked]

    @property
    def failed(self) -> list[Sent]:
        """The requests that got no HTTP 200 (refused or dropped connections, timeouts, 5xx)."""
        return [s for s in self.sent if not s.acked]


class DriveHandle:
    """A load run going on in its own process; `result()` waits for it."""

    def __init__(self, cluster: Cluster, spec: Spec) -> None:
        self.cluster = cluster
        self.spec = spec
        receive, send = multiprocessing.Pipe(duplex=False)
        self._receive = receive
        self._process = multiprocessing.get_context("spawn").Process(
            target=_child, args=(spec, send), daemon=True
        )
        self._process.start()
        send.close()

    def result(self) -> Drive:
        """Wait for the run to end; return what it sent and how it was answered."""
        try:
            start, sent = self._receive.recv()
        except EOFError:
            self._process.join()
            raise RuntimeError(f"the load driver died (exit {self._process.exitcode})") from None
        self._process.join()
        drive = Drive(self.spec, start, sent, time.time())
        self.cluster.offers_taken.update(
            (s.team, s.user, s.topic) for s in drive.sent if s.kind == "offer"
        )
        return drive


def start_drive(
    cluster: Cluster,
    rate: float,
    seconds: float,
    *,
    warmup: float = 1.0,
    concurrency: int = 64,
    timeout: float = 10.0,
    seed: int = 7,
    mix: tuple[float, float, float, float] = MIX,
) -> DriveHandle:
    """Start sending the mix at `rate` per second for `warmup + seconds` from a new process."""
    total = int(rate * (warmup + seconds)) + 1
    spec = Spec(
        urls=tuple(cluster.urls),
        rate=rate,
        seconds=seconds,
        warmup=warmup,
        concurrency=concurrency,
        timeout=timeout,
        teams=tuple(cluster.teams),
        threads=tuple(cluster.threads),
        first_seq=cluster.take_sequence(total),
        epoch=cluster.epoch,
        # One fresh response_url per request, each good for five posts as on Slack.
        response_urls=tuple(cluster.slack.new_response_url() for _ in range(total)),
        offers_taken=frozenset(cluster.offers_taken),
        seed=seed,
        mix=mix,
    )
    return DriveHandle(cluster, spec)


def drive(cluster: Cluster, rate: float, seconds: float, **options: Any) -> Drive:
    """Send the mix at `rate` per second for `seconds` (after a warm-up) and return the run."""
    return start_drive(cluster, rate, seconds, **options).result()


def summarize(run: Drive) -> Result:
    """The run's figures over its measured window (after the warm-up).

    An error is any request without HTTP 200, with an answer other than success, or answered
    after the client's timeout; latencies are those of the successes.
    """
    spec = run.spec
    begin = run.start + spec.warmup
    end = begin + spec.seconds
    measured = [s for s in run.sent if s.at >= begin]
    good = [
        s
        for s in measured
        if s.outcome == "ok" and s.latency is not None and s.latency <= spec.timeout
    ]
    latencies = sorted(s.latency for s in good if s.latency is not None)
    p50 = statistics.median(latencies) * 1000 if latencies else 0.0
    p99 = (
        latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000 if latencies else 0.0
    )
    in_window = sum(1 for s in good if s.latency is not None and s.at + s.latency <= end)
    return Result(
        len(measured), len(good), len(measured) - len(good), in_window, spec.seconds, p50, p99
    )
