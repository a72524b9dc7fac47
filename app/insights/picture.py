"""The help-network picture, drawn once for the insights page (SVG) and the digest (PNG).

People are dots sized by how many different people they helped and coloured by their group (an
Okabe-Ito palette, safe for colour-blind readers); help is a line as thick as the kudos and answers
it carries; bridges between groups that rarely meet are dark and thick. Only named people are
labelled: a person without a name is a plain grey dot, never their user id.

Thread-safe: each call draws on its own `Figure` and canvas, never through pyplot's global state.
"""

from __future__ import annotations

import io
import math
from collections import Counter
from typing import Literal

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from app.insights.layout import Position, bridges, busiest, link_weight, positions
from app.insights.model import DRAWN_PEOPLE, HelpNetwork, NetworkLink, NetworkPerson

# The most people one picture draws (the broadest helpers); the caption counts the rest.
MAX_PEOPLE = DRAWN_PEOPLE
# The most names one picture writes: beyond it labels cover each other, so the broadest win.
MAX_LABELS = 30
# Groups that get a colour of their own; people of smaller groups share "other channels".
MAX_COLOURED_GROUPS = 7

# Set once, before any drawing, and never written again: SVG text stays text (searchable, small),
# and SVG element ids come from a fixed salt rather than a random one, so output is repeatable.
matplotlib.rcParams["svg.fonttype"] = "none"
matplotlib.rcParams["svg.hashsalt"] = "reciprocity-help-network"

# Okabe & Ito's colour-blind-safe palette, without black (labels and bridges are dark).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
UNNAMED = "#A6A6A6"
OTHER = "#FFFFFF"
EDGE = "#8C8C8C"
BRIDGE = "#1A1A1A"
INK = "#222222"
_SIZE = (10.0, 7.5)  # inches: 1200 x 900 pixels at _DPI, a 4:3 Slack preview
_DPI = 120


def render(
    network: HelpNetwork, fmt: Literal["png", "svg"], *, caption: str | None = None
) -> bytes:
    """Return the picture of `network` as PNG or SVG bytes (the same input gives the same bytes);
    an empty network gives a small picture that says there is nothing to show."""
    if not network.links:
        return _save(_nothing_to_show(caption), fmt)
    drawn = busiest(network, MAX_PEOPLE)
    # A network read with `most` knows how many people it left out; count them as not drawn.
    hidden = network.people_in_period - len(drawn.people)
    figure = Figure(figsize=_SIZE, dpi=_DPI, facecolor="white")
    _header(figure, caption, hidden, len(drawn.people))
    axes = figure.add_axes((0.01, 0.01, 0.72, 0.86))
    axes.set_axis_off()
    axes.set_aspect("equal")
    at = positions(drawn)
    colours, legend = _colours(drawn.people)
    standout = {_ends(link) for link in bridges(network)}
    _draw_links(axes, drawn.links, at, standout)
    _draw_people(axes, drawn.people, at, colours)
    _draw_legend(figure, legend, any(_ends(link) in standout for link in drawn.links))
    # A margin so the outermost dots and names stay inside the picture.
    axes.set_xlim(-1.18, 1.18)
    axes.set_ylim(-1.12, 1.18)
    return _save(figure, fmt)


def _header(figure: Figure, caption: str | None, hidden: int, drawn: int) -> None:
    """The title line, and the line saying who is left out when the network was cut."""
    title = caption or "Who helped whom"
    figure.text(0.02, 0.955, title, fontsize=17, weight="bold", color=INK, parse_math=False)
    note = "Dot size: how many different people each person helped"
    if hidden:
        note = f"The {drawn} people who helped most widely, and {hidden} more not drawn"
    figure.text(0.02, 0.91, note, fontsize=12, color="#555555", parse_math=False)


def _colours(people: tuple[NetworkPerson, ...]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Each person's fill, and the legend's (label, colour) rows: largest groups first."""
    sizes = Counter(p.group for p in people if p.group is not None)
    ranked = sorted(sizes, key=lambda g: (-sizes[g], g))
    own = {group: PALETTE[i] for i, group in enumerate(ranked[:MAX_COLOURED_GROUPS])}
    fills = {
        p.user_id: UNNAMED if p.name is None else own.get(p.group or "", OTHER) for p in people
    }
    legend = [(f"#{_short(group)}", colour) for group, colour in own.items()]
    if any(fill == OTHER for fill in fills.values()):
        legend.append(("other or no public channel", OTHER))
    if any(p.name is None for p in people):
        legend.append(("not named", UNNAMED))
    return fills, legend


def _draw_links(
    axes: Axes,
    links: tuple[NetworkLink, ...],
    at: dict[str, Position],
    standout: set[frozenset[str]],
) -> None:
    """Help as lines under the dots: both directions of a pair are one line, bridges on top."""
    weights: Counter[frozenset[str]] = Counter()
    for link in links:
        weights[_ends(link)] += link_weight(link)
    for is_bridge in (False, True):
        chosen = sorted(
            (tuple(sorted(pair)), w)
            for pair, w in weights.items()
            if (pair in standout) == is_bridge
        )
        if not chosen:
            continue
        segments = [(at[a], at[b]) for (a, b), _ in chosen]
        widths = [0.6 + 1.3 * math.log2(1 + w) + (1.2 if is_bridge else 0.0) for _, w in chosen]
        lines = LineCollection(
            segments,
            linewidths=widths,
            colors=BRIDGE if is_bridge else EDGE,
            alpha=0.9 if is_bridge else 0.45,
            zorder=2 if is_bridge else 1,
            capstyle="round",
        )
        axes.add_collection(lines)


def _draw_people(
    axes: Axes, people: tuple[NetworkPerson, ...], at: dict[str, Position], fills: dict[str, str]
) -> None:
    """Dots sized by breadth, then names for the broadest named people, above their dots."""
    order = sorted(people, key=lambda p: (p.helped, p.user_id))  # the broadest drawn last, on top
    # Dots shrink as the picture fills, so a crowd stays readable and a few people stay visible.
    scale = min(1.8, max(0.45, 40 / len(people)))
    # Few people, big names: the picture is read at Slack's preview size, often on a phone.
    text_size = 15.0 if len(people) <= 15 else 12.5 if len(people) <= 40 else 10.5
    sizes = [_area(p.helped) * scale for p in order]
    axes.scatter(
        [at[p.user_id][0] for p in order],
        [at[p.user_id][1] for p in order],
        s=sizes,
        c=[fills[p.user_id] for p in order],
        edgecolors=[INK if fills[p.user_id] == OTHER else "white" for p in order],
        linewidths=1.0,
        zorder=3,
    )
    named = sorted((p for p in people if p.name), key=lambda p: (-p.helped, p.user_id))
    for person in named[:MAX_LABELS]:
        axes.annotate(
            _short(person.name or ""),
            at[person.user_id],
            xytext=(0, math.sqrt(_area(person.helped) * scale) / 2 + 1.5),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=text_size + (1.5 if person.helped >= 3 else 0.0),
            color=INK,
            zorder=4,
            parse_math=False,
            bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.6},
        )


def _draw_legend(figure: Figure, rows: list[tuple[str, str]], with_bridges: bool) -> None:
    """The groups' colours (and the bridge line when one is drawn) in a column on the right."""
    handles = [_dot(label, colour) for label, colour in rows]
    if with_bridges:
        handles.append(
            Line2D(
                [], [], color=BRIDGE, linewidth=3, label="bridge between groups\nthat rarely meet"
            )
        )
    if not handles:
        return
    legend = figure.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.74, 0.86),
        frameon=False,
        fontsize=11,
        handlelength=1.6,
        borderaxespad=0.0,
    )
    for text in legend.get_texts():
        # Channel names are shown as written: a dollar sign is not the start of a formula.
        text.set_parse_math(False)


def _dot(label: str, colour: str) -> Line2D:
    """A legend row: a dot of `colour` (outlined when white) and its label."""
    return Line2D(
        [],
        [],
        marker="o",
        linestyle="none",
        markersize=11,
        markerfacecolor=colour,
        markeredgecolor=INK if colour == OTHER else "white",
        label=label,
    )


def _nothing_to_show(caption: str | None) -> Figure:
    """A small picture that says the period had no help to draw."""
    figure = Figure(figsize=(6.0, 2.0), dpi=_DPI, facecolor="white")
    if caption:
        figure.text(0.04, 0.72, caption, fontsize=14, weight="bold", color=INK, parse_math=False)
    figure.text(0.04, 0.35, "No help was recorded in this period.", fontsize=12, color="#555555")
    return figure


def _save(figure: Figure, fmt: Literal["png", "svg"]) -> bytes:
    """The figure's bytes, without the date or software stamps that would make them differ."""
    stamps: dict[str, str | None]
    if fmt == "png":
        FigureCanvasAgg(figure)
        stamps = {"Software": None}
    elif fmt == "svg":
        FigureCanvasSVG(figure)
        stamps = {"Date": None, "Creator": None}
    else:
        raise ValueError(f"unknown picture format {fmt!r}: expected 'png' or 'svg'")
    out = io.BytesIO()
    figure.savefig(out, format=fmt, metadata=stamps)
    return out.getvalue()


def _area(helped: int) -> float:
    """A dot's area in points² for a person who helped `helped` different people."""
    return 70.0 + 110.0 * min(helped, 12)


def _ends(link: NetworkLink) -> frozenset[str]:
    return frozenset((link.helper_id, link.helped_id))


def _short(text: str, limit: int = 24) -> str:
    """Long names and channel names cut to fit, with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
