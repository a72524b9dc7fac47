"""A trend as a tiny inline SVG line, drawn from the numbers alone (no script, no style)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 120
HEIGHT = 32
PAD = 3


def sparkline(values: Sequence[float | None], label: str) -> Markup:
    """Return an SVG element drawing `values` left to right (None leaves a gap), labelled `label`
    for screen readers; an empty or all-None series draws a flat dashed baseline."""
    present = [v for v in values if v is not None]
    title = escape(label)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="spark" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{title}"><title>{title}</title>'
    )
    if not present:
        y = HEIGHT - PAD
        line = f'<line x1="{PAD}" y1="{y}" x2="{WIDTH - PAD}" y2="{y}" class="spark-none"/>'
        # Built from numbers and the escaped label only.
        return Markup(f"{head}{line}</svg>")  # noqa: S704
    low, high = min(present), max(present)
    span = (high - low) or 1.0
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)

    def point(index: int, value: float) -> tuple[float, float]:
        x = PAD + index * step
        # A flat series sits mid-height rather than on the floor.
        y = HEIGHT / 2 if high == low else HEIGHT - PAD - (value - low) / span * (HEIGHT - 2 * PAD)
        return round(x, 1), round(y, 1)

    runs: list[list[tuple[float, float]]] = [[]]
    for index, value in enumerate(values):
        if value is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append(point(index, value))
    lines = "".join(
        f'<polyline class="spark-line" points="{" ".join(f"{x},{y}" for x, y in run)}"/>'
        for run in runs
        if len(run) > 1
    )
    last_index = max(i for i, v in enumerate(values) if v is not None)
    last_value = values[last_index]
    assert last_value is not None
    dot_x, dot_y = point(last_index, last_value)
    dot = f'<circle class="spark-dot" cx="{dot_x}" cy="{dot_y}" r="2.5"/>'
    return Markup(f"{head}{lines}{dot}</svg>")  # noqa: S704 - numbers and the escaped label
