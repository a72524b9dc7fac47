"""Ack throughput of a trivial command: our serving stack against a bare Bolt app, one run.

`python -m bench.server_stack [--seconds 5] [--write]`
"""

from __future__ import annotations

import argparse
import platform
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from bench.apps import SIGNING_SECRET
from bench.loadgen import Load, Result, free_port, measure, spawn, table, wait_port, write_section

VARIANTS = {
    "bolt-dev": "bare Bolt, defaults, Bolt's dev server (baseline)",
    "bolt-default-uvicorn": "Bolt defaults on uvicorn + Starlette",
    "ack-only": "ours: process_before_response on uvicorn + Starlette",
}
README = Path(__file__).with_name("README.md")


def run_variant(kind: str, concurrency: int, seconds: float) -> Result:
    """Serve `kind` in its own process and measure it at `concurrency` connections."""
    port = free_port()
    server = spawn(["-m", "bench.apps", kind, "--port", str(port)])
    try:
        wait_port(port, server)
        return measure(
            Load(
                url=f"http://127.0.0.1:{port}/slack/events",
                secret=SIGNING_SECRET,
                seconds=seconds,
                concurrency=concurrency,
            )
        )
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    """Measure every variant at 1 and 8 connections and print (or write) the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    rows = []
    for concurrency in (1, 8):
        baseline: Result | None = None
        for kind, label in VARIANTS.items():
            result = run_variant(kind, concurrency, args.seconds)
            baseline = baseline or result
            rows.append(
                [
                    label,
                    str(concurrency),
                    f"{result.rps:,.0f}",
                    f"{result.rps / baseline.rps:.1f}x",
                    f"{result.p50_ms:.1f}",
                    f"{result.p99_ms:.1f}",
                    str(result.errors),
                ]
            )
            print(rows[-1], flush=True)
    body = "\n".join(
        [
            f"Measured {datetime.now(UTC):%Y-%m-%d} on {platform.node() and 'this machine'}: "
            f"{__import__('os').cpu_count()} cores shared by server and load generator, "
            f"Python {platform.python_version()}, slack-bolt {version('slack-bolt')}, "
            f"uvicorn {version('uvicorn')}, starlette {version('starlette')}; "
            f"{args.seconds:g} s per cell after a 1 s warm-up, closed loop.",
            "",
            table(
                rows,
                ["server", "connections", "acks/s", "vs baseline", "p50 ms", "p99 ms", "errors"],
            ),
        ]
    )
    print(body)
    if args.write:
        write_section(str(README), "server-stack", body)


if __name__ == "__main__":
    main()
