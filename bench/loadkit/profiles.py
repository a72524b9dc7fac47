"""Reading the profiles `bench.loadkit.profiled` dumps: where a replica's CPU went, by thread and
by layer, between the start mark and the exit.

Figures are profiled CPU (each thread's own clock, inflated by the profiler's own cost, about
alike for every layer): use them as shares and call counts, and take milliseconds per request
from the process's CPU (/proc) measured without the profiler.
"""

from __future__ import annotations

import marshal
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# A pstats key: (file, line, function); a value: (primitive calls, calls, own time, cumulative
# time, callers).
Key = tuple[str, int, str]
Stats = dict[Key, tuple[int, int, float, float, dict[Key, Any]]]

# Thread kinds by name (first match wins).
THREAD_KINDS = (
    ("HTTP server (asyncio loop)", re.compile(r"^MainThread$")),
    ("HTTP dispatch (Bolt, our listeners)", re.compile(r"AnyIO|worker_thread|WorkerThread")),
    ("delivery worker loop", re.compile(r"^delivery-worker$")),
    ("delivery senders", re.compile(r"^delivery_")),
    ("directory sync", re.compile(r"^directory-sync")),
    ("scheduler", re.compile(r"APScheduler|ThreadPoolExecutor|scheduler", re.IGNORECASE)),
)

# Layers by file (first match wins); built-ins (`~`) by the method's name.
LAYERS = (
    ("our code", re.compile(r"/app/")),
    ("SQLAlchemy", re.compile(r"/sqlalchemy/")),
    ("database driver", re.compile(r"/psycopg|sqlite3|psycopg")),
    ("Bolt and slack_sdk", re.compile(r"/slack_bolt/|/slack_sdk/")),
    ("httpx/httpcore", re.compile(r"/httpx/|/httpcore/|/h11/")),
    ("uvicorn/starlette/anyio", re.compile(r"/uvicorn/|/starlette/|/anyio/|/uvloop|/httptools")),
    ("logging", re.compile(r"/logging/")),
)

# The use cases of each kind of request, and the worker's round, by (file ending, function).
ENTRY_POINTS = (
    ("/kudos (use case)", "app/kudos/command.py", "handle"),
    ("/ask (use case)", "app/asks/command.py", "handle"),
    ("/offer (use case)", "app/offers/command.py", "handle"),
    ("reply in an ask thread (use case)", "app/asks/threads.py", "on_message"),
    ("kudos by reaction (use case)", "app/kudos/reactions.py", "on_reaction_added"),
    ("Bolt dispatch, all requests", "slack_bolt/app/app.py", "dispatch"),
)


def _load(path: Path) -> Stats:
    with open(path, "rb") as handle:
        stats: Stats = marshal.load(handle)  # noqa: S302 - files our own profiler wrote
    return stats


def _subtract(end: Stats, start: Stats) -> Stats:
    """`end` less `start`, per function (callers are dropped: nothing here reads them)."""
    out: Stats = {}
    for key, (cc, nc, tt, ct, _callers) in end.items():
        before = start.get(key)
        if before is not None:
            cc, nc, tt, ct = cc - before[0], nc - before[1], tt - before[2], ct - before[3]
        if nc > 0 or tt > 0:
            out[key] = (cc, nc, tt, ct, {})
    return out


def thread_kind(name: str) -> str:
    """Which part of the bot a thread named `name` is."""
    for kind, pattern in THREAD_KINDS:
        if pattern.search(name):
            return kind
    base = re.sub(r"[-_]?\d+$", "", name)
    return f"other ({base})"


def layer(key: Key) -> str:
    """Which layer function `key` belongs to."""
    file, _, function = key
    subject = function if file == "~" else file
    for name, pattern in LAYERS:
        if pattern.search(subject):
            return name
    return "Python and the rest"


@dataclass
class Breakdown:
    """One replica's profiled CPU between its marks: by thread kind, by layer within each kind,
    the busiest functions, and the entry points' cumulative time and calls."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    # Function calls, which unlike times do not depend on the host's speed or load.
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    layers: dict[str, dict[str, float]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(float))
    )
    functions: dict[tuple[str, Key], tuple[int, float]] = field(default_factory=dict)
    entries: dict[str, tuple[int, float]] = field(default_factory=dict)

    @property
    def total(self) -> float:
        """Profiled CPU seconds of every thread."""
        return sum(self.seconds.values())


def read(folder: Path) -> Breakdown:
    """The breakdown of the replica that dumped into `folder` (`start/` and `end/`)."""
    starts = {p.name: p for p in (folder / "start").glob("*.prof")}
    out = Breakdown()
    entries: dict[str, list[float]] = {label: [0, 0.0] for label, _, _ in ENTRY_POINTS}
    for path in sorted((folder / "end").glob("*.prof")):
        end = _load(path)
        start = _load(starts[path.name]) if path.name in starts else {}
        stats = _subtract(end, start)
        kind = thread_kind(path.stem.split("-", 1)[1])
        for key, (_cc, nc, tt, ct, _) in stats.items():
            if key[0].endswith(("cProfile.py", "profiled.py", "marshal")):
                continue  # the profiler's own dump at the start mark
            out.seconds[kind] += tt
            out.calls[kind] += nc
            out.layers[kind][layer(key)] += tt
            calls, own = out.functions.get((kind, key), (0, 0.0))
            out.functions[(kind, key)] = (calls + nc, own + tt)
            for label, file, function in ENTRY_POINTS:
                if key[2] == function and key[0].endswith(file):
                    entries[label][0] += nc
                    entries[label][1] += ct
    out.entries = {label: (int(calls), seconds) for label, (calls, seconds) in entries.items()}
    return out


def report(breakdowns: Iterable[Breakdown], requests: int, top: int = 12) -> str:
    """Markdown tables: CPU shares by thread kind and layer, the entry points, the top functions."""
    merged = Breakdown()
    for one in breakdowns:
        for kind, seconds in one.seconds.items():
            merged.seconds[kind] += seconds
            merged.calls[kind] += one.calls[kind]
            for name, value in one.layers[kind].items():
                merged.layers[kind][name] += value
        for key, (calls, own) in one.functions.items():
            before = merged.functions.get(key, (0, 0.0))
            merged.functions[key] = (before[0] + calls, before[1] + own)
        for label, (calls, seconds) in one.entries.items():
            before = merged.entries.get(label, (0, 0.0))
            merged.entries[label] = (before[0] + calls, before[1] + seconds)
    total = merged.total or 1.0
    layer_names = [name for name, _ in LAYERS] + ["Python and the rest"]
    lines = [
        f"Profiled CPU {merged.total:.1f} s over {requests} requests; shares of it:",
        "",
        "| thread | function calls a request | share | " + " | ".join(layer_names) + " |",
        "|---|---|---|" + "---|" * len(layer_names),
    ]
    for kind, seconds in sorted(merged.seconds.items(), key=lambda kv: -kv[1]):
        cells = [f"{merged.layers[kind].get(name, 0.0) / total:.1%}" for name in layer_names]
        calls = f"{merged.calls[kind] / max(requests, 1):,.0f}"
        lines.append(f"| {kind} | {calls} | {seconds / total:.1%} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "| entry point | calls | cumulative share | profiled ms a call |",
        "|---|---|---|---|",
    ]
    for label, (calls, seconds) in merged.entries.items():
        each = f"{seconds / calls * 1000:.2f}" if calls else "–"
        lines.append(f"| {label} | {calls} | {seconds / total:.1%} | {each} |")
    lines += [
        "",
        "| thread | function | calls a request | own share |",
        "|---|---|---|---|",
    ]
    busiest = sorted(merged.functions.items(), key=lambda kv: -kv[1][1])[:top]
    for (kind, (file, line, function)), (calls, own) in busiest:
        where = function if file == "~" else f"{_short(file)}:{line} {function}"
        lines.append(f"| {kind} | `{where}` | {calls / max(requests, 1):.1f} | {own / total:.1%} |")
    return "\n".join(lines)


def _short(file: str) -> str:
    """A file's path from its package on (`app/…`, `sqlalchemy/…`)."""
    found = re.search(r"(?:site-packages|/work/[^/]+(?:/[^/]+)?)/(.+)$", file)
    return found.group(1) if found else file
