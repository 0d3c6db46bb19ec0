"""The gradient-descent example's figure: a contour plot of the quadratic with both runs and Newton's step.

The level sets f(x) − f(x*) = c are drawn as exact SVG ellipses from A's eigen-decomposition (semi-axes
√(2c/λ_i) along the eigenvectors), the outermost through x₀; the converging iterates solid with filled dots,
the diverging ones dashed with open circles (cut at the frame), Newton's step dotted, the minimum as a cross,
tick labels at the frame's corners and a legend below. The frame, the levels and the ellipses' axes and angle
are computed in mpmath and become floats for the drawing, whose arithmetic is + − × ÷ and sqrt only (the same
bits on every machine, see :mod:`cheatsheet.examples`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import mpmath
import numpy as np

from cheatsheet.examples.numbers import DPS, number
from cheatsheet.examples.svg import FONT, fmt, polyline, svg_label, svg_open

if TYPE_CHECKING:
    from cheatsheet.examples.descent import Run

__all__ = ["contour_svg"]

_W, _H = 260.0, 200.0  # plot area in px
_SIZE = 7.5
_LEGEND_LINE = 10.0

Point = tuple[float, float]


@dataclass(frozen=True)
class _Levels:
    """What the plot draws of the quadratic, in data units: the minimum, the frame around the outermost level
    set (``lo``, ``hi``: lower-left and upper-right corners), each level's semi-axes, the angle of the first
    eigenvector in degrees, and the numbers the legend prints."""

    xstar: list[float]
    lo: list[float]
    hi: list[float]
    axes: list[tuple[float, float]]
    theta: float
    limit_text: str
    lam_text: tuple[str, str]


def _levels(
    A: np.ndarray, b: np.ndarray, x0: np.ndarray, lams: tuple[Any, Any], vecs: tuple[tuple[Any, Any], tuple[Any, Any]]
) -> _Levels:
    """The level sets through x₀ and inside it (each 0.4 times the last), computed in mpmath."""
    with mpmath.workdps(DPS):
        Am = mpmath.matrix(A.tolist())
        xstar_m = mpmath.lu_solve(Am, mpmath.matrix(b.tolist()))
        d = mpmath.matrix(x0.tolist()) - xstar_m
        f_gap = (d.T * Am * d)[0] / 2  # f(x0) − f(x*): the outermost level passes through x0
        levels = [f_gap * mpmath.mpf("0.4") ** k for k in range(6)]
        ainv = mpmath.inverse(Am)
        # the frame: the outermost ellipse's bounding box (half-width √(2c (A⁻¹)_ii)), a margin around it
        half = [mpmath.sqrt(2 * levels[0] * ainv[i, i]) * mpmath.mpf("1.15") for i in range(2)]
        return _Levels(
            xstar=[float(xstar_m[i]) for i in range(2)],
            lo=[float(xstar_m[i] - half[i]) for i in range(2)],
            hi=[float(xstar_m[i] + half[i]) for i in range(2)],
            # semi-axes √(2c/λ_i) in data units; the angle of the first eigenvector in degrees
            axes=[(float(mpmath.sqrt(2 * c / lams[0])), float(mpmath.sqrt(2 * c / lams[1]))) for c in levels],
            theta=float(mpmath.degrees(mpmath.atan2(vecs[1][0], vecs[0][0]))),
            limit_text=number(float(2 / lams[-1]), 3),
            lam_text=(number(float(lams[0]), 3), number(float(lams[1]), 3)),
        )


@dataclass(frozen=True)
class _Frame:
    """The map from data to the screen: the data box ``lo``–``hi`` drawn at ``scale`` px per unit, its top left
    corner at (``left``, ``top``) (room for the y tick labels); screen y points down."""

    lo: list[float]
    hi: list[float]
    scale: float
    left: float = 16.0
    top: float = 6.0

    def sx(self, v: float) -> float:
        return float(self.left + (v - self.lo[0]) * self.scale)

    def sy(self, v: float) -> float:
        return float(self.top + (self.hi[1] - v) * self.scale)

    def at(self, p: Any) -> Point:
        """The screen point of the data point ``p``."""
        return self.sx(float(p[0])), self.sy(float(p[1]))

    @property
    def w(self) -> float:
        return (self.hi[0] - self.lo[0]) * self.scale

    @property
    def h(self) -> float:
        return (self.hi[1] - self.lo[1]) * self.scale

    @property
    def box(self) -> tuple[float, float, float, float]:
        """The frame on the screen: (left, top, right, bottom)."""
        return self.sx(self.lo[0]), self.sy(self.hi[1]), self.sx(self.hi[0]), self.sy(self.lo[1])


def _frame(levels: _Levels, runs: tuple[Run, Run]) -> _Frame:
    """The frame around the outermost level set, grown to hold the converging run, at the largest scale that
    fits the plot area."""
    lo, hi = levels.lo, levels.hi
    for p in runs[0].iterates:
        lo, hi = [min(lo[0], p[0]), min(lo[1], p[1])], [max(hi[0], p[0]), max(hi[1], p[1])]
    return _Frame(lo, hi, min(_W / (hi[0] - lo[0]), _H / (hi[1] - lo[1])))


def _clip(p: Point, q: Point, box: tuple[float, float, float, float]) -> tuple[Point, Point] | None:
    """The part of segment pq inside ``box`` (x0, y0, x1, y1), by Liang–Barsky; None if none."""
    x0, y0, x1, y1 = box
    dx, dy = q[0] - p[0], q[1] - p[1]
    t0, t1 = 0.0, 1.0
    for pk, qk in ((-dx, p[0] - x0), (dx, x1 - p[0]), (-dy, p[1] - y0), (dy, y1 - p[1])):
        if pk == 0:
            if qk < 0:
                return None
            continue
        t = qk / pk
        if pk < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return None
    return (p[0] + t0 * dx, p[1] + t0 * dy), (p[0] + t1 * dx, p[1] + t1 * dy)


def _ellipses(levels: _Levels, frame: _Frame, centre: Point) -> list[str]:
    """The level sets: exact ellipses, semi-axes √(2c/λ_i) along the eigenvectors (screen y points down: the
    angle is −θ)."""
    cx, cy = centre
    return [
        f'<ellipse cx="{fmt(cx)}" cy="{fmt(cy)}" rx="{fmt(a1 * frame.scale)}" ry="{fmt(a2 * frame.scale)}" transform="rotate({fmt(-levels.theta)} {fmt(cx)} {fmt(cy)})" '
        f'fill="none" stroke="#999" stroke-width="0.5"/>'
        for a1, a2 in levels.axes
    ]


def _run(run: Run, frame: _Frame) -> list[str]:
    """One run: its segments clipped to the frame, up to where it leaves the frame (a diverging run does not
    come back), and a dot at each iterate inside (filled when it converges, open when not)."""
    box = frame.box
    pts = [frame.at(p) for p in run.iterates]
    segs = []
    for p, q in pairwise(pts):
        seg = _clip(p, q, box)
        if seg is not None:
            segs.append(seg)
        if seg is None or _dist(seg[1], q) > 1e-9:
            break
    pts = pts[: len(segs) + 1]
    d = "".join(polyline([a, c]) for a, c in segs)
    dash = "" if run.converges else ' stroke-dasharray="3.5 2"'
    parts = [f'<path class="{run.style}" d="{d}" fill="none" stroke="#000" stroke-width="0.9"{dash}/>']
    for p in pts[1:]:
        if box[0] <= p[0] <= box[2] and box[1] <= p[1] <= box[3]:
            paint = 'fill="#000"' if run.converges else 'fill="#fff" stroke="#000" stroke-width="0.7"'
            parts.append(f'<circle cx="{fmt(p[0])}" cy="{fmt(p[1])}" r="{1.5 if run.converges else 1.8}" {paint}/>')
    return parts


def _newton(start: Point, end: Point, centre: Point) -> list[str]:
    """Newton's step (dotted, with an arrowhead that stops short of the cross at x*), the start as a square and
    the minimum as a cross."""
    length = _dist(start, end)
    tip = (end[0] - (end[0] - start[0]) * 5 / length, end[1] - (end[1] - start[1]) * 5 / length)
    cx, cy = centre
    return [
        f'<path class="newton" d="{polyline([start, tip])}" fill="none" stroke="#000" stroke-width="1" stroke-dasharray="0.8 1.8" stroke-linecap="round"/>',
        _head(start, tip),
        f'<rect x="{fmt(start[0] - 2.2)}" y="{fmt(start[1] - 2.2)}" width="4.4" height="4.4" fill="#000"/>',
        f'<path d="M{fmt(cx - 4)} {fmt(cy - 4)}L{fmt(cx + 4)} {fmt(cy + 4)}M{fmt(cx - 4)} {fmt(cy + 4)}L{fmt(cx + 4)} {fmt(cy - 4)}" '
        f'stroke="#000" stroke-width="1.3"/>',
    ]


def _labels(start: Point, centre: Point, frame: _Frame) -> list[str]:
    """x₀ and x*, and the tick labels at the frame's corners with the axes' names between them."""
    cx, cy = centre
    box, lo, hi = frame.box, frame.lo, frame.hi
    tick = 'font-size="6" fill="#555"'
    return [
        f'<text x="{fmt(start[0] - 4)}" y="{fmt(start[1] - 4)}" text-anchor="end">{svg_label("x_0", _SIZE)}</text>',
        f'<text x="{fmt(cx + 5)}" y="{fmt(cy + 9)}">{svg_label("x^*", _SIZE)}</text>',
        f'<text x="{fmt(box[0])}" y="{fmt(box[3] + 7.5)}" {tick}>{svg_label(number(lo[0], 2), 6)}</text>',
        f'<text x="{fmt(box[2])}" y="{fmt(box[3] + 7.5)}" {tick} text-anchor="end">{svg_label(number(hi[0], 2), 6)}</text>',
        f'<text x="{fmt((box[0] + box[2]) / 2)}" y="{fmt(box[3] + 7.5)}" {tick} text-anchor="middle">{svg_label("x_1", 6)}</text>',
        f'<text x="{fmt(box[0] - 2)}" y="{fmt(box[1] + 5)}" {tick} text-anchor="end">{svg_label(number(hi[1], 2), 6)}</text>',
        f'<text x="{fmt(box[0] - 2)}" y="{fmt(box[3])}" {tick} text-anchor="end">{svg_label(number(lo[1], 2), 6)}</text>',
        f'<text x="{fmt(box[0] - 2)}" y="{fmt((box[1] + box[3]) / 2 + 2)}" {tick} text-anchor="end">{svg_label("x_2", 6)}</text>',
    ]


def _legend(runs: tuple[Run, Run], levels: _Levels, left: float, top: float) -> list[str]:
    """A sample of each line style, then its text; the eigenvalues last."""
    parts = []
    y = top + 6
    for run in runs:
        dash = "" if run.converges else ' stroke-dasharray="3.5 2"'
        parts.append(f'<path d="M{fmt(left)} {fmt(y - 2.5)}H{fmt(left + 16)}" stroke="#000" stroke-width="0.9"{dash}/>')
        sign = "<" if run.converges else ">"
        verdict = "converges" if run.converges else "diverges"
        parts.append(
            f'<text x="{fmt(left + 20)}" y="{fmt(y)}">{svg_label(f"η = {run.eta} {sign} 2/λ_{{max}} ≈ {levels.limit_text}: {verdict}", _SIZE)}</text>'
        )
        y += _LEGEND_LINE
    parts.append(
        f'<path d="M{fmt(left)} {fmt(y - 2.5)}H{fmt(left + 16)}" stroke="#000" stroke-width="1" stroke-dasharray="0.8 1.8" stroke-linecap="round"/>'
    )
    parts.append(
        f'<text x="{fmt(left + 20)}" y="{fmt(y)}">{svg_label("Newton: x_1 = x_0 − A^{−1}(Ax_0 − b) = x^*", _SIZE)}</text>'
    )
    y += _LEGEND_LINE
    lam_text = levels.lam_text
    parts.append(
        f'<text x="{fmt(left)}" y="{fmt(y)}" fill="#555">{svg_label(f"contours of f, λ(A) = {lam_text[0]}, {lam_text[1]}", _SIZE)}</text>'
    )
    return parts


def contour_svg(
    A: np.ndarray,
    b: np.ndarray,
    x0: np.ndarray,
    runs: tuple[Run, Run],
    newton: np.ndarray,
    lams: tuple[Any, Any],
    vecs: tuple[tuple[Any, Any], tuple[Any, Any]],
) -> str:
    """The contour plot with both runs, Newton's step and the minimum (see the module docstring).

    ``A``, ``b``, ``x0``, ``newton``, ``lams`` and ``vecs`` (eigenvectors as columns) are mpmath numbers: the
    frame, the levels, the ellipses' axes and angle are computed in mpmath and become floats for the drawing,
    whose arithmetic is + − × ÷ and sqrt only (the same bits on every machine)."""
    levels = _levels(A, b, x0, lams, vecs)
    frame = _frame(levels, runs)
    box = frame.box
    legend_top = frame.top + frame.h + 10
    centre = (frame.sx(levels.xstar[0]), frame.sy(levels.xstar[1]))
    start = frame.at(x0)
    parts = [
        svg_open(
            frame.left + frame.w + 6,
            legend_top + 4 * _LEGEND_LINE + 2,
            "descent-plot",
            "gradient descent on a 2-D quadratic: contour lines, a converging "
            "run (solid), a diverging run (dashed), Newton's step (dotted) and the minimum (cross)",
        ),
        f'<rect x="{fmt(box[0])}" y="{fmt(box[1])}" width="{fmt(frame.w)}" height="{fmt(frame.h)}" fill="none" stroke="#000" stroke-width="0.6"/>',
    ]
    parts += _ellipses(levels, frame, centre)
    for run in runs:
        parts += _run(run, frame)
    parts += _newton(start, frame.at(newton), centre)
    parts.append(f'<g font-family="{FONT}" font-size="{fmt(_SIZE)}">')
    parts += _labels(start, centre, frame)
    parts += _legend(runs, levels, frame.left, legend_top)
    parts.append("</g></svg>")
    return "".join(parts)


def _dist(p: Point, q: Point) -> float:
    """|pq| with + − × and sqrt only (math.hypot and math.dist are not correctly rounded everywhere)."""
    return math.sqrt((q[0] - p[0]) ** 2 + (q[1] - p[1]) ** 2)


def _head(p: Point, q: Point) -> str:
    """A filled arrowhead at ``q``, pointing away from ``p``."""
    length = _dist(p, q)
    ux, uy = (q[0] - p[0]) / length, (q[1] - p[1]) / length
    bx, by = q[0] - ux * 4.5, q[1] - uy * 4.5
    pts = [q, (bx - uy * 2.2, by + ux * 2.2), (bx + uy * 2.2, by - ux * 2.2)]
    return f'<path d="{polyline(pts)}Z" fill="#000"/>'
