"""How long the help-network picture takes to draw: a small week and a big one, PNG and SVG.

`python -m bench.picture [--runs 7] [--write]`. The question: is drawing the picture cheap beside
the digest it rides with, and does the cap on people drawn bound it? Each figure is the median of
`--runs` renders in this process, as a ratio to the baseline of its format measured in the same
run: an empty figure of the picture's size saved in that format (the cost of the canvas and the
file alone). Networks are generated: people in channel groups who mostly help their own group,
some help across groups, a tenth unnamed; "layout" is networkx's positions alone.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Literal

import matplotlib
import networkx
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from app.insights.layout import busiest, positions
from app.insights.model import HelpNetwork, NetworkLink, NetworkPerson, Period
from app.insights.picture import MAX_PEOPLE, render
from bench.loadgen import table, write_section

README = Path(__file__).with_name("README.md")
GROUPS = ("platform", "frontend", "data", "support", "design", "sales", "ops", "mobile", "infra")


def generated(size: int, seed: int = 7) -> HelpNetwork:
    """`size` people in about size/12 channel groups; each helps 1-4 others, 80% in their group."""
    rng = random.Random(seed)
    ids = [f"U{i:05d}" for i in range(size)]
    groups = GROUPS[: max(2, min(len(GROUPS), size // 12))]
    group = {u: rng.choice(groups) if rng.random() > 0.1 else None for u in ids}
    pairs: set[tuple[str, str]] = set()
    for user in ids:
        mates = [v for v in ids if group[v] == group[user] and v != user] or ids
        for _ in range(rng.randint(1, 4)):
            other = rng.choice(mates if rng.random() < 0.8 else ids)
            if other != user:
                pairs.add((user, other))
    links = tuple(NetworkLink(a, b, rng.randint(0, 3), rng.randint(1, 2)) for a, b in sorted(pairs))
    breadth = {u: sum(1 for a, _ in pairs if a == u) for u in ids}
    people = tuple(
        NetworkPerson(u, None if rng.random() < 0.1 else f"Person {u[1:]}", group[u], breadth[u])
        for u in ids
    )
    start = datetime(2026, 11, 23, tzinfo=UTC)
    return HelpNetwork(Period(1, start, start + timedelta(days=7)), people, links)


def empty_figure(fmt: str) -> bytes:
    """The baseline: a blank figure of the picture's size, saved in `fmt`."""
    figure = Figure(figsize=(10.0, 7.5), dpi=120, facecolor="white")
    (FigureCanvasAgg if fmt == "png" else FigureCanvasSVG)(figure)
    out = io.BytesIO()
    figure.savefig(out, format=fmt)
    return out.getvalue()


def timed(work: Callable[[], object], runs: int) -> list[float]:
    """Milliseconds of each of `runs` calls, after one untimed warm-up."""
    work()
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        times.append((time.perf_counter() - began) * 1000)
    return times


def main() -> None:
    """Measure, print the table, and with --write replace this bench's section of the README."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    cases = [("small: 30 people", generated(30)), ("cap: 120 people", generated(MAX_PEOPLE))]
    cases.append(("big: 600 people, 120 drawn", generated(600)))
    rows: list[list[str]] = []
    formats: tuple[Literal["png", "svg"], ...] = ("png", "svg")
    for fmt in formats:
        base = timed(partial(empty_figure, fmt), args.runs)
        base_ms = statistics.median(base)
        rows.append(_row(f"empty figure (baseline, {fmt})", fmt, base, base_ms, empty_figure(fmt)))
        for label, network in cases:
            draw = partial(render, network, fmt)
            rows.append(_row(label, fmt, timed(draw, args.runs), base_ms, draw()))
    for label, network in cases:
        drawn = busiest(network, MAX_PEOPLE)
        times = timed(partial(positions, drawn), args.runs)
        rows.append(_row(f"{label}: layout alone", "-", times, None, b""))
    body = "\n".join(
        [
            f"Measured {date.today().isoformat()} on this machine ({_machine()}): "
            f"`python -m bench.picture --runs {args.runs}`. Median of {args.runs} renders after "
            "one warm-up, in one process; ratio to the empty figure of the same format.",
            "",
            table(rows, ["network", "format", "median ms", "range ms", "ratio", "bytes"]),
        ]
    )
    print(body)
    if args.write:
        write_section(str(README), "picture", body)


def _row(label: str, fmt: str, times: list[float], base: float | None, out: bytes) -> list[str]:
    median = statistics.median(times)
    ratio = f"{median / base:.1f}x" if base else "-"
    spread = f"{min(times):.1f}–{max(times):.1f}"
    return [label, fmt, f"{median:.1f}", spread, ratio, f"{len(out):,}" if out else "-"]


def _machine() -> str:
    cores = len(os.sched_getaffinity(0))
    return (
        f"{cores} cores, Python {platform.python_version()}, matplotlib {matplotlib.__version__}, "
        f"networkx {networkx.__version__}"
    )


if __name__ == "__main__":
    main()
