"""The MLP example's figure: its computation graph as SVG, forward values above each node, gradients below.

Nodes x, W₁, b₁, z₁, h, W₂, b₂, z₂, ℓ and the target y sit in columns in the order the forward pass computes
them, parameters and inputs on rows above and below the main line; edges point forward (the activation's rule
id on its edge). Each node's value is printed above its box and its gradient ∂ℓ/∂node below it, in grey, as a
small matrix. Black and white, deterministic, labels in Heros, no ids; the geometry uses + − × ÷ and sqrt
only (the same bits on every machine, see :mod:`cheatsheet.examples`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cheatsheet.examples.numbers import Value
from cheatsheet.examples.svg import FONT, fmt, svg_label, svg_open, text_width

if TYPE_CHECKING:
    from cheatsheet.examples.mlp import MLPExample

__all__ = ["graph_svg"]

_SIZE = 7.5  # numbers
_LABEL = 9.5  # node names
_LINE = 8.6  # line height of numbers
_BOX_H = 15.0
_PAD = 3.0  # between a box and its numbers
_COL_GAP = 5.0  # between the columns of a matrix
_GAP = 30.0  # between columns of nodes
_VGAP = 8.0  # between blocks of one column
_MARGIN = 4.0
_GREY = "#555"

#: The forward edges (from, to); the activation's, z₁ → h, is labelled with its rule id.
_EDGES = (
    ("x", "z1"),
    ("W1", "z1"),
    ("b1", "z1"),
    ("z1", "h"),
    ("h", "z2"),
    ("W2", "z2"),
    ("b2", "z2"),
    ("z2", "loss"),
    ("y", "loss"),
)


def _column_widths(v: Value) -> list[float]:
    """The width of each column of ``v``'s numbers."""
    cols = len(v.entries[0])
    return [max(text_width(r[c], _SIZE) for r in v.entries) for c in range(cols)]


def _block_width(v: Value | None) -> float:
    """The width of ``v`` printed as a matrix (with its brackets); 0 for none."""
    if v is None:
        return 0.0
    widths = _column_widths(v)
    brackets = 0.0 if v.kind == "scalar" else 6.0
    return sum(widths) + _COL_GAP * (len(widths) - 1) + brackets


def _block(v: Value, cx: float, top: float, fill: str) -> list[str]:
    """The numbers of ``v`` as a matrix (columns centred, thin brackets for vectors and matrices) whose first
    line's top is at ``top``."""
    out = []
    widths = _column_widths(v)
    inner = sum(widths) + _COL_GAP * (len(widths) - 1)
    left = cx - inner / 2
    rights = []  # numbers are right-aligned in their column, as in a printed matrix
    x = left
    for w in widths:
        x += w
        rights.append(x)
        x += _COL_GAP
    paint = f' fill="{fill}"' if fill != "#000" else ""
    anchor = "" if v.kind == "scalar" else ' text-anchor="end"'
    for k, row in enumerate(v.entries):
        base = top + (k + 1) * _LINE - 2
        for c, entry in enumerate(row):
            xx = cx if v.kind == "scalar" else rights[c]
            out.append(f'<text x="{fmt(xx)}" y="{fmt(base)}"{anchor}{paint}>{svg_label(entry, _SIZE)}</text>')
    if v.kind != "scalar":
        y0, y1 = top + 0.5, top + len(v.entries) * _LINE + 0.5
        lx, rx = left - 3, left + inner + 3
        out.append(
            f'<path d="M{fmt(lx + 1.6)} {fmt(y0)}H{fmt(lx)}V{fmt(y1)}H{fmt(lx + 1.6)}'
            f'M{fmt(rx - 1.6)} {fmt(y0)}H{fmt(rx)}V{fmt(y1)}H{fmt(rx - 1.6)}" fill="none" stroke="{fill}" stroke-width="0.5"/>'
        )
    return out


@dataclass
class _Node:
    """A node of the graph: its label, the values printed above and below it, its place, and where it is drawn."""

    key: str
    label: str
    above: Value
    below: Value | None
    col: int
    row: str  # 'top', 'mid', 'bottom'
    computed: bool
    constant: bool = False
    cx: float = 0.0
    cy: float = 0.0
    w: float = 0.0

    def half_above(self) -> float:
        return _BOX_H / 2 + _PAD + len(self.above.entries) * _LINE

    def half_below(self) -> float:
        return _BOX_H / 2 + (_PAD + len(self.below.entries) * _LINE if self.below is not None else 0.0)


def _nodes(ex: MLPExample) -> list[_Node]:
    """The graph's nodes with their values (forward above, gradient below) and widths, not yet placed."""
    rows = {r.node: r for r in ex.rows}

    def node(key: str, label: str, col: int, row: str, computed: bool) -> _Node:
        r = rows[key]
        return _Node(key, label, r.forward, r.gradient_value, col, row, computed)

    nodes = [
        node("x", "x", 0, "top", False),
        node("W1", "W_1", 0, "mid", False),
        node("b1", "b_1", 0, "bottom", False),
        node("z1", "z_1", 1, "mid", True),
        node("h", "h", 2, "mid", True),
        node("W2", "W_2", 3, "top", False),
        node("b2", "b_2", 3, "bottom", False),
        node("z2", "z_2", 4, "mid", True),
        node("loss", "\u2113", 5, "mid", True),
        _Node("y", "y", Value.of(ex.network.y), None, 6, "mid", False, constant=True),
    ]
    for n in nodes:
        n.w = max(text_width(n.label, _LABEL) + 12, _block_width(n.above) + 6, _block_width(n.below) + 6, 22.0)
    return nodes


def _place(nodes: list[_Node]) -> tuple[float, float, float]:
    """Set each node's centre: columns side by side, the three rows far enough apart for the numbers between
    them. Returns the figure's width, its height and the baseline of the legend."""
    cols = sorted({n.col for n in nodes})
    col_w = {c: max(n.w for n in nodes if n.col == c) for c in cols}
    centre = {}
    x = _MARGIN
    for c in cols:
        gap = _GAP if c < 6 else _GAP * 0.6
        centre[c] = x + col_w[c] / 2
        x += col_w[c] + gap
    width = x - _GAP * 0.6 + _MARGIN
    by = {(n.col, n.row): n for n in nodes}
    # a column without a mid node (W₂, b₂) still keeps its blocks clear of the edge h → z₂ on the mid row
    up = max(
        by[(c, "top")].half_below() + (by[(c, "mid")].half_above() if (c, "mid") in by else 4.0)
        for c in cols
        if (c, "top") in by
    )
    down = max(
        by[(c, "bottom")].half_above() + (by[(c, "mid")].half_below() if (c, "mid") in by else 4.0)
        for c in cols
        if (c, "bottom") in by
    )
    y_top = _MARGIN + max(n.half_above() for n in nodes if n.row == "top")
    y_mid = y_top + up + _VGAP
    y_bottom = y_mid + down + _VGAP
    legend_y = y_bottom + max(n.half_below() for n in nodes if n.row == "bottom") + 12
    for n in nodes:
        n.cx = centre[n.col]
        n.cy = {"top": y_top, "mid": y_mid, "bottom": y_bottom}[n.row]
    return width, legend_y + 4, legend_y


def _edges(at: dict[str, _Node], act_id: str) -> list[str]:
    """The forward edges as arrows (drawn first, under the boxes), the activation's labelled with ``act_id``."""
    parts = []
    for a, b in _EDGES:
        label = act_id if (a, b) == ("z1", "h") else ""
        na, nb = at[a], at[b]
        if na.col > nb.col:  # the target y enters the loss from the right
            x0, y0, x1, y1 = na.cx - na.w / 2, na.cy, nb.cx + nb.w / 2, nb.cy
        else:
            offset = {"top": -4.0, "bottom": 4.0}.get(na.row, 0.0) if na.row != nb.row else 0.0
            x0, y0, x1, y1 = na.cx + na.w / 2, na.cy, nb.cx - nb.w / 2, nb.cy + offset
        parts.append(_arrow(x0, y0, x1, y1))
        if label:
            parts.append(f'<text x="{fmt((x0 + x1) / 2)}" y="{fmt(y0 - 3)}">{svg_label(label, _SIZE)}</text>')
    return parts


def _box(n: _Node) -> list[str]:
    """A node's box (rounded when computed, dashed when constant), its label and its numbers."""
    rx = 5 if n.computed else 0
    dash = ' stroke-dasharray="2 1.5"' if n.constant else ""
    parts = [
        f'<rect x="{fmt(n.cx - n.w / 2)}" y="{fmt(n.cy - _BOX_H / 2)}" width="{fmt(n.w)}" height="{fmt(_BOX_H)}" '
        f'rx="{rx}" fill="#fff" stroke="#000" stroke-width="0.8"{dash}/>',
        f'<text x="{fmt(n.cx)}" y="{fmt(n.cy + _LABEL * 0.35)}" font-size="{fmt(_LABEL)}">{svg_label(n.label, _LABEL)}</text>',
    ]
    parts += _block(n.above, n.cx, n.cy - n.half_above(), "#000")
    if n.below is not None:
        parts += _block(n.below, n.cx, n.cy + _BOX_H / 2 + _PAD, _GREY)
    return parts


def graph_svg(ex: MLPExample, act_id: str = "tanh") -> str:
    """The computation graph: nodes x, W₁, b₁, z₁, h, W₂, b₂, z₂, ℓ and the target y, forward edges (the
    activation's rule id on its edge), each node's forward value above it and its gradient ∂ℓ/∂node below
    it (grey; none for the constant y, drawn dashed). Parameters and inputs are square boxes, computed nodes
    rounded. Black and white; deterministic; labels in Heros; no ids."""
    nodes = _nodes(ex)
    width, height, legend_y = _place(nodes)
    parts = [
        svg_open(
            width,
            height,
            "mlp-graph",
            "computation graph of a 2-layer MLP: forward values above each node, gradients below",
        ),
        f'<g font-family="{FONT}" font-size="{fmt(_SIZE)}" text-anchor="middle">',
    ]
    # edges first (under the boxes); arrowheads are small triangles (no markers, so no ids)
    parts += _edges({n.key: n for n in nodes}, act_id)
    for n in nodes:
        parts += _box(n)
    parts.append(
        f'<text x="{fmt(width / 2)}" y="{fmt(legend_y)}">above each node its value, below it (grey) the gradient \u2202\u2113/\u2202node</text>'
    )
    parts.append("</g></svg>")
    return "".join(parts)


def _arrow(x0: float, y0: float, x1: float, y1: float) -> str:
    """A straight arrow from (x0, y0) to (x1, y1): a line and a filled triangle (no marker, so no id)."""
    length = math.sqrt((x1 - x0) ** 2 + (y1 - y0) ** 2)  # + − × ÷ and sqrt only: correctly rounded everywhere
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    head, half = 5.0, 2.2
    bx, by = x1 - ux * head, y1 - uy * head
    left = (bx - uy * half, by + ux * half)
    right = (bx + uy * half, by - ux * half)
    return (
        f'<path d="M{fmt(x0)} {fmt(y0)}L{fmt(bx)} {fmt(by)}" stroke="#000" stroke-width="0.7" fill="none"/>'
        f'<path d="M{fmt(x1)} {fmt(y1)}L{fmt(left[0])} {fmt(left[1])}L{fmt(right[0])} {fmt(right[1])}Z" fill="#000"/>'
    )
