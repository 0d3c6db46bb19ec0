"""Small vector plots of scalar rules: f solid, f′ dashed (reads in black and white), kinks as dots.

:func:`plot_svg` draws a rule of one scalar input at its default parameters, its printed formulas evaluated
in mpmath at :data:`PLOT_DPS` digits on a grid (the same numbers on every machine; see :data:`PLOT_DPS`):

- the x-range comes from the input's domain ([−4, 4] for the reals, (0, 4] for the positives,
  (−1, 1) for asin), widened to show every kink within ±10 (relu6's kink at 6); a kink farther out
  (softplus's switch to the identity at x = 20) is not drawn;
- the y-range is robust: a curve that shoots off (tan near ±π/2, 1/x near 0) is clipped where its
  tail is an outlier; curves are cut at the frame, at non-finite values, at poles (consecutive points
  beyond opposite edges) and at every kink of f′ (and at jumps of f), never joined across them;
- at each kink, f′ gets open circles at its one-sided limits and a filled dot at PyTorch's value
  (the convention); where f itself jumps, f gets open circles at its one-sided limits and a filled
  dot at its value.

The SVG is deterministic (fixed number formatting, no ids, no clock) and compact (a few KB); markers
carry classes (``open``/``filled`` with ``f``/``df``) so that tests and stylesheets can find them. Tick
labels are ``<text class="tick">`` in the bundled Heros (a ``font-family`` attribute: WeasyPrint ignores the
page's CSS inside inline SVG; a browser's CSS overrides it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from cheatsheet.rule import Rule

__all__ = ["Marker", "PlotSpec", "plot_spec", "plot_svg"]

#: Default x-range half-width (and the positive half-line's right end).
SPAN = 4.0
#: Kinks farther than this from 0 do not widen the x-range and are not drawn.
KINK_REACH = 10.0
GRID = 160
_NEG = "\u2212"


@dataclass(frozen=True)
class Marker:
    """A dot at a kink: on ``curve`` ('f' or 'df'), ``filled`` (the convention's value) or open (a limit)."""

    curve: str
    x: float
    y: float
    filled: bool


@dataclass(frozen=True)
class PlotSpec:
    """What a plot shows, in data coordinates (before drawing): the ranges, the curve pieces, the markers."""

    x_range: tuple[float, float]
    y_range: tuple[float, float]
    f: tuple[tuple[tuple[float, float], ...], ...]
    df: tuple[tuple[tuple[float, float], ...], ...]
    markers: tuple[Marker, ...]


# ----------------------------------------------------------------------------------------- data
def _plottable(rule: Rule) -> bool:
    return rule.shape == "scalar" and len(rule.inputs) == 1 and not rule.is_general and not rule.inputs[0].class_index


def _intervals(domain: sp.Set) -> list[tuple[float, float, bool, bool]]:
    """The domain as (lo, hi, lo_open, hi_open) pieces, infinite ends as ±inf; [] if not intervals."""
    parts = domain.args if isinstance(domain, sp.Union) else (domain,)
    out = []
    for part in parts:
        if part == sp.S.Reals:
            out.append((-math.inf, math.inf, True, True))
        elif isinstance(part, sp.Interval):
            out.append((float(part.start), float(part.end), bool(part.left_open), bool(part.right_open)))
        else:
            return []
    return sorted(out)


def _defaults(rule: Rule) -> dict[sp.Basic, sp.Expr]:
    from cheatsheet.evaluate.expand import param_values

    return param_values(rule, {})


def _number(rule: Rule, expr: Any) -> float:
    """A kink's expression (parameters, definitions, notation) as a float at the default parameters."""
    from cheatsheet.evaluate.expand import concrete

    e = concrete(sp.sympify(expr), rule).xreplace(_defaults(rule))
    return float(sp.N(e, 30))


def _kinks(rule: Rule) -> list[tuple[float, Any]]:
    """(x, kink) for the kinks of the first input's derivative within reach, sorted by x."""
    first = rule.inputs[0].name
    out = []
    for kk in rule.kinks_for(first):
        try:
            x0 = _number(rule, kk.at)
        except (TypeError, ValueError):
            continue
        if math.isfinite(x0) and abs(x0) <= KINK_REACH:
            out.append((x0, kk))
    return sorted(out, key=lambda t: t[0])


def _x_range(pieces: list[tuple[float, float, bool, bool]], kinks: list[float]) -> tuple[float, float]:
    lo_dom, hi_dom = pieces[0][0], pieces[-1][1]
    if math.isinf(lo_dom) and math.isinf(hi_dom):
        lo, hi = -SPAN, SPAN
    elif math.isinf(hi_dom):
        lo, hi = lo_dom, max(lo_dom + SPAN, SPAN)
    elif math.isinf(lo_dom):
        lo, hi = min(hi_dom - SPAN, -SPAN), hi_dom
    else:
        lo, hi = lo_dom, hi_dom
    if kinks:
        pad = 2.0
        lo = min(lo, max(min(kinks) - pad, lo_dom))
        hi = max(hi, min(max(kinks) + pad, hi_dom))
    return lo, hi


#: Working precision (decimal digits) of the plotted values.
#:
#: Decision (measured): the curves are sampled in mpmath, not in float64. numpy's float64 exp, log, tanh, ...
#: run SIMD loops chosen per CPU (AVX-512 and AVX2 give different last bits, arm64 others again), and a
#: coordinate printed with one decimal flips where a value sits on a rounding boundary, or where a curve that
#: touches the frame's edge crosses it by an ulp (the path is then cut there). Per-point Python ``math`` would
#: only move the problem to the platform's libm. mpmath at 30 digits is the same on every machine; a float is
#: made of each value (correctly rounded) and everything after that is + − × ÷ and comparisons, which IEEE 754
#: makes identical everywhere. Cost, measured on the 63 plotted rules: 0.34 s in float64, about 2 s in mpmath,
#: once per rule (plots are cached by the rule's hash).
PLOT_DPS = 30


def _exact(rule: Rule, which: str) -> Any:
    """The rule's function (``which='f'``) or derivative w.r.t. ``which`` at its default parameters, as a
    callable on float arrays that evaluates the printed formula in mpmath at :data:`PLOT_DPS` digits (the floats
    are exact binary inputs) and returns float64 (NaN where the value is not real)."""
    from cheatsheet.evaluate import numeric

    def fn(xs: Any) -> np.ndarray:
        arr = np.asarray(xs, dtype=float)
        with mpmath.workdps(PLOT_DPS):
            out = numeric.fixed_precision(rule, which, (arr,))  # at PLOT_DPS, not adaptively
            ys = np.array([_real(v) for v in np.asarray(out, dtype=object).ravel()], dtype=float)
        return ys.reshape(arr.shape) if ys.size == arr.size else np.broadcast_to(ys, arr.shape).copy()  # a constant

    return fn


def _real(v: Any) -> float:
    """A float of an mpmath value: NaN where it is complex (log of a negative) or not a number."""
    if isinstance(v, mpmath.mpc):
        return float(v.real) if v.imag == 0 else math.nan
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _eval(fn: Any, xs: np.ndarray) -> np.ndarray:
    """``fn`` on the grid as float64, NaN where it fails (vectorized, point by point as a fallback)."""
    with np.errstate(all="ignore"):
        try:
            ys = np.asarray(fn(xs), dtype=float)
            if ys.shape == xs.shape:
                return ys
        except Exception:  # any failure: retried point by point below, where a failing point is a gap
            pass
        out = np.empty_like(xs)
        for n, x in enumerate(xs):
            try:
                out[n] = float(np.asarray(fn(np.array([float(x)])), dtype=float).reshape(-1)[0])
            except Exception:  # any failure of the function at this point: a gap in the plot
                out[n] = math.nan
        return out


def _robust(values: np.ndarray) -> tuple[float, float] | None:
    """The range of ``values`` without outlying tails.

    The grid is uniform in x, so the 10–90% quantiles are where the curve spends 80% of the x-range;
    a tail reaching more than twice that spread beyond it (tan near ±π/2, 1/x near 0) is cut to half
    the spread, a shorter one (exp) is kept whole.
    """
    v = np.sort(values[np.isfinite(values)])
    if v.size == 0:
        return None
    q10, q90 = float(np.quantile(v, 0.10)), float(np.quantile(v, 0.90))
    spread = max(q90 - q10, 1e-12)
    lo, hi = float(v[0]), float(v[-1])
    if q10 - lo > 2 * spread:
        lo = q10 - 0.5 * spread
    if hi - q90 > 2 * spread:
        hi = q90 + 0.5 * spread
    return lo, hi


def _nice_step(span: float) -> float:
    raw = span / 4
    with mpmath.workdps(PLOT_DPS):  # libm's log10 is not the same in the last bit everywhere; mpmath's is
        mag = float(mpmath.mpf(10) ** int(mpmath.floor(mpmath.log10(mpmath.mpf(raw)))))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if m * mag >= raw:
            return float(m * mag)
    return float(10 * mag)


def _y_range(ranges: list[tuple[float, float]], points: list[float]) -> tuple[float, float]:
    lo = min([r[0] for r in ranges] + points)
    hi = max([r[1] for r in ranges] + points)
    span = hi - lo
    if span < 1e-9:
        lo, hi = lo - 1, hi + 1
        span = 2.0
    if 0 < lo < 0.35 * span:
        lo = 0.0  # show the axis y = 0 when it is close
    if -0.35 * span < hi < 0:
        hi = 0.0
    step = _nice_step(hi - lo)
    lo = math.floor(lo / step + 1e-9) * step
    hi = math.ceil(hi / step - 1e-9) * step
    return lo, hi


def plot_spec(rule: Rule) -> PlotSpec | None:
    """The data of the plot of ``rule`` (None for a rule that gets no plot); :func:`plot_svg` draws it."""
    if not _plottable(rule):
        return None
    pieces = _intervals(rule.inputs[0].domain)
    if not pieces:
        return None
    kinks = _kinks(rule)
    x_lo, x_hi = _x_range(pieces, [x for x, _ in kinks])
    curves = _Curves(rule, _exact(rule, "f"), _exact(rule, rule.inputs[0].name), dict(kinks))
    for dom_a, dom_b, a_open, b_open in pieces:
        a, b = max(dom_a, x_lo), min(dom_b, x_hi)
        if not a < b:
            continue
        count = max(8, round(GRID * (b - a) / (x_hi - x_lo)))
        inset = (b - a) / (4 * count)  # an open end of the domain (log at 0, asin at ±1) is approached, not hit
        start = a + inset if a_open and a == dom_a else a
        stop = b - inset if b_open and b == dom_b else b
        curves.sample(start, stop, count, [x for x, _ in kinks if start < x < stop])
    markers = _kink_markers(rule, curves.f, [(x0, kk) for x0, kk in kinks if x_lo <= x0 <= x_hi])
    y_lo, y_hi = _y_range(curves.ranges() or [(0.0, 1.0)], [m.y for m in markers if math.isfinite(m.y)])
    return PlotSpec(
        x_range=(x_lo, x_hi),
        y_range=(y_lo, y_hi),
        f=tuple(tuple(p) for p in curves.f_pieces if p),
        df=tuple(tuple(p) for p in curves.df_pieces if p),
        markers=tuple(markers),
    )


@dataclass
class _Curves:
    """The sampled pieces of f and f' of one rule (``f``, ``df``: exact evaluators), and all values sampled."""

    rule: Rule
    f: Any
    df: Any
    by_x: dict[float, Any]  # kink position -> Kink
    f_pieces: list[list[tuple[float, float]]] = field(default_factory=list)
    df_pieces: list[list[tuple[float, float]]] = field(default_factory=list)
    f_values: list[np.ndarray] = field(default_factory=list)
    df_values: list[np.ndarray] = field(default_factory=list)

    def sample(self, start: float, stop: float, count: int, inner: list[float]) -> None:
        """f and f' on [start, stop] (``count`` points and the kinks ``inner``): f cut at its jumps only, f' cut
        at every kink, ending in the one-sided limits."""
        by_x = self.by_x
        xs = np.unique(np.concatenate([np.linspace(start, stop, count), np.array(inner, dtype=float)]))
        ys = _eval(self.f, xs)
        dxs = xs[~np.isin(xs, inner)]  # f' is never evaluated at a kink: its value there is a dot
        dys = _eval(self.df, dxs)
        self.f_values.append(ys)
        self.df_values.append(dys)
        for lo, hi in pairwise([start, *(x for x in inner if by_x[x].jump), stop]):
            sel = (xs >= lo) & (xs <= hi)
            piece = list(zip(xs[sel].tolist(), ys[sel].tolist(), strict=True))
            if lo in by_x:
                piece[0] = (lo, _side(self.f, lo, +1))
            if hi in by_x:
                piece[-1] = (hi, _side(self.f, hi, -1))
            self.f_pieces.append(piece)
        for lo, hi in pairwise([start, *inner, stop]):
            sel = (dxs >= lo) & (dxs <= hi)
            piece = list(zip(dxs[sel].tolist(), dys[sel].tolist(), strict=True))
            if lo in by_x:
                piece.insert(0, (lo, _number(self.rule, by_x[lo].right)))
            if hi in by_x:
                piece.append((hi, _number(self.rule, by_x[hi].left)))
            self.df_pieces.append(piece)

    def ranges(self) -> list[tuple[float, float]]:
        """The y ranges the frame must show: f (without outlying tails) and f' as far as it stays within one
        span of f's range (tan's f' = 1 + tan² would flatten tan itself)."""
        ranges: list[tuple[float, float]] = []
        rf = _robust(np.concatenate(self.f_values)) if self.f_values else None
        rd = _robust(np.concatenate(self.df_values)) if self.df_values else None
        if rf is not None:
            ranges.append(rf)
        if rd is not None:
            if rf is not None:
                reach = max(rf[1] - rf[0], 1.0)
                rd = (max(rd[0], rf[0] - reach), min(rd[1], rf[1] + reach))
            if rd[0] <= rd[1]:
                ranges.append(rd)
        return ranges


def _kink_markers(rule: Rule, f: Any, kinks: list[tuple[float, Any]]) -> list[Marker]:
    """At each kink: f' 's one-sided limits (open dots) and PyTorch's value (a filled one); at a jump of f, its
    one-sided values and its value, when they differ."""
    markers = []
    for x0, kk in kinks:
        lims = sorted({_number(rule, kk.left), _number(rule, kk.right)})
        for y in lims:
            markers.append(Marker("df", x0, y, False))
        markers.append(Marker("df", x0, _number(rule, kk.torch), True))
        if kk.jump:
            value = float(_eval(f, np.array([x0]))[0])
            sides = sorted({_round(_side(f, x0, -1)), _round(_side(f, x0, +1))})
            if len(sides) > 1 or abs(sides[0] - value) > 1e-9:
                for y in sides:
                    markers.append(Marker("f", x0, y, False))
                markers.append(Marker("f", x0, value, True))
    return markers


def _side(f: Any, x0: float, direction: int) -> float:
    """The one-sided limit of f at x0 (from the right for +1), as f just beside x0."""
    h = 1e-9 * max(1.0, abs(x0))
    return float(_eval(f, np.array([x0 + direction * h]))[0])


def _round(v: float) -> float:
    return round(v, 6)


# ----------------------------------------------------------------------------------------- drawing
def _fmt(v: float) -> str:
    text = f"{v:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _label(v: float) -> str:
    """A tick label: up to 4 significant digits, no exponent below 10^5, a real minus sign."""
    text = f"{v:.4g}" if abs(v) < 1e5 else f"{v:.0e}".replace("e+0", "e").replace("e+", "e")
    return text.replace("-", _NEG)


def _polylines(points: tuple[tuple[float, float], ...], sx: Any, sy: Any, y_lo: float, y_hi: float) -> list[str]:
    """The piece as SVG path data, clipped to [y_lo, y_hi] and cut at non-finite values and poles."""
    out: list[str] = []
    current: list[tuple[float, float]] = []

    def flush() -> None:
        if len(current) >= 2:
            pts = _simplify([(sx(x), sy(y)) for x, y in current], 0.05)
            out.append("M" + "L".join(f"{_fmt(x)} {_fmt(y)}" for x, y in pts))
        current.clear()

    def add(p: tuple[float, float]) -> None:
        if not current or current[-1] != p:
            current.append(p)

    prev: tuple[float, float] | None = None
    for x, y in points:
        if not (math.isfinite(x) and math.isfinite(y)):
            flush()
            prev = None
            continue
        if prev is None:
            if y_lo <= y <= y_hi:
                add((x, y))
            prev = (x, y)
            continue
        x0, y0 = prev
        in0, in1 = y_lo <= y0 <= y_hi, y_lo <= y <= y_hi
        if in0 and in1:
            add((x, y))
        elif in0 and not in1:
            edge = y_hi if y > y_hi else y_lo
            add((x0 + (x - x0) * (edge - y0) / (y - y0), edge))
            flush()
        elif not in0 and in1:
            edge = y_hi if y0 > y_hi else y_lo
            add((x0 + (x - x0) * (edge - y0) / (y - y0), edge))
            add((x, y))
        # both outside: nothing (same side: off the frame; opposite sides: a pole)
        prev = (x, y)
    flush()
    return out


def _simplify(pts: list[tuple[float, float]], tol: float) -> list[tuple[float, float]]:
    """Ramer–Douglas–Peucker in screen px: drop points within ``tol`` of the line through their neighbours."""
    if len(pts) < 3:
        return pts
    keep = [False] * len(pts)
    keep[0] = keep[-1] = True
    stack = [(0, len(pts) - 1)]
    while stack:
        a, b = stack.pop()
        (x0, y0), (x1, y1) = pts[a], pts[b]
        dx, dy = x1 - x0, y1 - y0
        norm = math.sqrt(dx * dx + dy * dy) or 1.0  # not math.hypot: + − × and sqrt are correctly rounded everywhere
        far, index = -1.0, -1
        for k in range(a + 1, b):
            d = abs(dy * (pts[k][0] - x0) - dx * (pts[k][1] - y0)) / norm
            if d > far:
                far, index = d, k
        if far > tol:
            keep[index] = True
            stack.append((a, index))
            stack.append((index, b))
    return [p for p, kept in zip(pts, keep, strict=True) if kept]


def plot_svg(rule: Rule, *, width_px: float = 180, height_px: float = 100, labels: bool = True) -> str | None:
    """A small SVG plot of a scalar rule of one input (None for other rules and for general rules).

    f is a solid line, f′ a dashed one; at each kink f′ has open circles at its one-sided limits and a
    filled dot at PyTorch's value, and a jump of f gets open/filled dots on f. Parameters are at their
    defaults. ``labels`` adds tick labels at the ends of both axes (class ``tick``).
    """
    spec = plot_spec(rule)
    if spec is None:
        return None
    w, h = float(width_px), float(height_px)
    (x_lo, x_hi), (y_lo, y_hi) = spec.x_range, spec.y_range
    size = 7.0
    y_labels = (_label(y_hi), _label(y_lo))
    # room for the y labels (about 0.56 em per character), the x labels, and 3 px inside the frame so that
    # a curve at the edge of the y-range (a constant, a step) is not drawn on the frame itself
    left = (max(len(t) for t in y_labels) * 0.56 * size + 3.0) if labels else 3.0
    right, top, bottom = 3.0, 4.0, (10.0 if labels else 3.0)
    inner = 3.0

    def sx(x: float) -> float:
        return left + (x - x_lo) / (x_hi - x_lo) * (w - left - right)

    def sy(y: float) -> float:
        return top + inner + (y_hi - y) / (y_hi - y_lo) * (h - top - bottom - 2 * inner)

    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" width="{_fmt(w)}" height="{_fmt(h)}" '
            f'viewBox="0 0 {_fmt(w)} {_fmt(h)}" role="img" aria-label="plot of {rule.id}: f solid, derivative dashed">'
        )
    ]
    # axes: y = 0 and x = 0 where inside the frame, else the frame's bottom / left edge
    ax_y = sy(0.0) if y_lo <= 0 <= y_hi else sy(y_lo)
    ax_x = sx(0.0) if x_lo <= 0 <= x_hi else sx(x_lo)
    parts.append(
        f'<path class="axes" d="M{_fmt(sx(x_lo))} {_fmt(ax_y)}H{_fmt(sx(x_hi))}M{_fmt(ax_x)} {_fmt(sy(y_lo))}'
        f'V{_fmt(sy(y_hi))}" fill="none" stroke="#888" stroke-width="0.5"/>'
    )
    if labels:
        # the family as an attribute: WeasyPrint does not apply the page's CSS to inline SVG text (a system
        # font would be embedded instead); in a browser the page's CSS still wins over the attribute
        parts.append(f'<g class="ticks" font-family="Heros" font-size="{_fmt(size)}" fill="#555">')
        parts.append(
            f'<text class="tick" x="{_fmt(sx(x_lo))}" y="{_fmt(h - 1.5)}" text-anchor="start">{_label(x_lo)}</text>'
        )
        parts.append(
            f'<text class="tick" x="{_fmt(sx(x_hi))}" y="{_fmt(h - 1.5)}" text-anchor="end">{_label(x_hi)}</text>'
        )
        parts.append(
            f'<text class="tick" x="{_fmt(left - 2)}" y="{_fmt(sy(y_hi) + size * 0.35)}" text-anchor="end">{y_labels[0]}</text>'
        )
        parts.append(
            f'<text class="tick" x="{_fmt(left - 2)}" y="{_fmt(sy(y_lo) + size * 0.35)}" text-anchor="end">{y_labels[1]}</text>'
        )
        parts.append("</g>")
    f_paths = [d for piece in spec.f for d in _polylines(piece, sx, sy, y_lo, y_hi)]
    df_paths = [d for piece in spec.df for d in _polylines(piece, sx, sy, y_lo, y_hi)]
    if df_paths:
        parts.append(
            f'<path class="df" d="{"".join(df_paths)}" fill="none" stroke="#000" stroke-width="0.9" '
            f'stroke-dasharray="3 2" stroke-linejoin="round"/>'
        )
    if f_paths:
        parts.append(
            f'<path class="f" d="{"".join(f_paths)}" fill="none" stroke="#000" stroke-width="1.2" stroke-linejoin="round"/>'
        )
    # f' markers first, then f's (a jump of f stays readable where f' has its dot); open before filled
    for m in sorted(spec.markers, key=lambda m: (m.curve == "f", m.filled, m.x, m.y)):
        if not (y_lo <= m.y <= y_hi and x_lo <= m.x <= x_hi):
            continue
        cls = f"{'filled' if m.filled else 'open'} {m.curve}"
        paint = 'fill="#000"' if m.filled else 'fill="#fff" stroke="#000" stroke-width="0.8"'
        parts.append(f'<circle class="{cls}" cx="{_fmt(sx(m.x))}" cy="{_fmt(sy(m.y))}" r="2" {paint}/>')
    parts.append("</svg>")
    return "".join(parts)
