"""Worked examples and panels of the sheet, as render-agnostic data plus SVG figures.

- :mod:`cheatsheet.examples.mlp`: backpropagation through a 2-layer MLP with concrete numbers, every local
  derivative taken from a catalog rule, checked against central finite differences and PyTorch autograd;
  a table of rows and an SVG computation graph.
- :mod:`cheatsheet.examples.descent`: gradient descent on a 2-D quadratic with a converging and a diverging
  step size, and Newton's step; the gradient and the Hessian come from verified rules; an SVG contour plot.
- :mod:`cheatsheet.examples.conventions`: the conventions panel (numerator vs denominator layout, JVP vs VJP, the
  kink conventions of the catalog) and the "Common mistakes" panel (the errata with the verifier's
  counterexamples).

Everything is computed at build time from the catalog; formulas are LaTeX printed by
:func:`cheatsheet.printing.latex.latex` from sympy expressions (as :class:`cheatsheet.sheet.Formula`, ready for
:func:`cheatsheet.render.math.svg` and :func:`~cheatsheet.render.math.mathml`), numbers are strings already
rounded for display, figures are SVG strings (deterministic, no ids, labels in the bundled "Heros").

This module holds the small helpers they share (number formatting, SVG text, exact numbers); the examples
load lazily.

**Nothing printed depends on the machine.** float64 results of numpy's matrix products (OpenBLAS picks its
kernels by CPU and thread count) and of its transcendental functions (SIMD loops chosen per CPU: AVX-512 and
AVX2 differ in the last bit; arm64 differs again) are not the same bytes on every machine, and a printed
rounding error such as a finite-difference residual is nothing but such last bits. So every number the
examples and panels print is computed with mpmath at :data:`DPS` digits from exactly defined inputs (the
decimals the examples are written with), through the rules' exact evaluation (``exact=True``); it becomes a
float only to be rounded for print. mpmath is pure Python integer arithmetic, the same on every platform. The
figures' geometry then uses Python floats with + − × ÷ and ``math.sqrt`` only, which IEEE 754 rounds
correctly (the same bits everywhere); angles and logarithms come from mpmath too. ``tests/test_reproducible.py``
perturbs numpy's float64 results by a few ulps and shows the printed bytes unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

import numpy as np

if TYPE_CHECKING:
    from cheatsheet.examples.descent import DescentExample, Run, descent
    from cheatsheet.examples.mlp import Agreement, BackpropRow, MLPExample, Network, backprop, torch_agreement
    from cheatsheet.examples.conventions import (
        ConventionsPanel,
        KinkRow,
        LayoutExample,
        LayoutRow,
        Mistake,
        MistakesPanel,
        ProductRow,
        conventions,
        kink_rows,
        mistakes,
    )

__all__ = [
    "DPS",
    "FONT",
    "Agreement",
    "BackpropRow",
    "ConventionsPanel",
    "DescentExample",
    "KinkRow",
    "LayoutExample",
    "LayoutRow",
    "MLPExample",
    "Mistake",
    "MistakesPanel",
    "Network",
    "ProductRow",
    "Run",
    "Value",
    "backprop",
    "conventions",
    "decimal",
    "descent",
    "floats",
    "kink_rows",
    "mistakes",
    "number",
    "positive_first",
    "torch_agreement",
]

#: The label font of the figures: the bundled TeX Gyre Heros, as an SVG attribute (WeasyPrint applies no page
#: CSS inside inline SVG; the HTML page's CSS may add a generic fallback).
FONT = "Heros"
MINUS = "\u2212"

_LAZY = {
    "mlp": ("Agreement", "BackpropRow", "MLPExample", "Network", "backprop", "torch_agreement"),
    "descent": ("DescentExample", "Run", "descent"),
    "conventions": ("ConventionsPanel", "KinkRow", "LayoutExample", "LayoutRow", "Mistake", "MistakesPanel", "ProductRow",
               "conventions", "kink_rows", "mistakes"),
}


def __getattr__(name: str) -> Any:
    import importlib

    for module, names in _LAZY.items():
        if name in names:
            return getattr(importlib.import_module(f"cheatsheet.examples.{module}"), name)
    raise AttributeError(f"module 'cheatsheet.examples' has no attribute {name!r}")


# ----------------------------------------------------------------------------------- numbers
#: Working precision (decimal digits) of everything the examples and panels compute for print.
DPS = 30


def decimal(v: float | str) -> Any:
    """The decimal a value is written as (``0.2`` is 1/5, not the float64 nearest to it) as an mpmath number at
    the current working precision: exactly defined inputs for the exact computations."""
    import mpmath

    if isinstance(v, (str, int)):
        return mpmath.mpf(v)
    return mpmath.mpf(repr(float(v)))  # the shortest decimal that reads back as v: what the source says


def floats(values: Any) -> np.ndarray:
    """An array of mpmath numbers as float64 (each correctly rounded: the same bits on every machine)."""
    return np.array([float(v) for v in np.asarray(values, dtype=object).ravel()], dtype=float).reshape(np.shape(values))


def number(v: float, digits: int = 4) -> str:
    """``v`` rounded to ``digits`` significant digits for display: a real minus sign, no exponent for
    1e-4 <= |v| < 1e6 (whole numbers keep all their digits: 123457), an exponent as ×10⁻⁶ (Unicode
    superscripts) otherwise, no negative zero, no trailing zeros."""
    v = float(v)
    if math.isnan(v):
        raise ValueError("NaN cannot be displayed")
    if math.isinf(v):
        return ("" if v > 0 else MINUS) + "\u221e"
    if v == 0 or abs(v) < 1e-300:
        return "0"
    text = f"{v:.{digits}g}"
    if "e" in text:
        if 1e-4 <= abs(v) < 1e6:
            places = max(0, digits - 1 - math.floor(math.log10(abs(v))))
            text = f"{v:.{places}f}"
        else:
            mant, exp = text.split("e")
            mant = mant.rstrip("0").rstrip(".") if "." in mant else mant
            return f"{mant}\u00d710{str(int(exp)).translate(_SUPER)}".replace("-", MINUS)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        return "0"
    return text.replace("-", MINUS)


# exponents as Unicode superscripts (10⁻⁶): the page's prose filter sets them as <sup>, figures as <tspan>
_SUPER = str.maketrans("0123456789-", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207b")
_FROM_SUPER = {v: k for k, v in zip("0123456789-", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207b")}


@dataclass(frozen=True)
class Value:
    """A number, column vector or matrix rounded for display.

    ``entries`` holds the rows of strings (a scalar is one row of one entry, a column vector of n
    entries is n rows of one); ``kind`` is 'scalar', 'vector' or 'matrix'. :attr:`text` is one line
    ("0.5", "(0.1, −0.2, 0.3)", "[[0.1, −0.2], [0.4, 0.3]]"); :attr:`tex` is LaTeX printed by
    :func:`cheatsheet.printing.latex.latex` from a sympy Matrix of the rounded decimals.
    """

    entries: tuple[tuple[str, ...], ...]
    kind: str

    @classmethod
    def of(cls, value: Any, digits: int = 4) -> Value:
        """The display form of a float, a 1-D array (a column vector) or a 2-D array."""
        arr = np.asarray(value, dtype=float)
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"cannot display a non-finite value: {arr!r}")
        if arr.ndim == 0 or arr.size == 1 and arr.ndim == 1:
            return cls(((number(float(arr.reshape(-1)[0]), digits),),), "scalar")
        if arr.ndim == 1:
            return cls(tuple((number(v, digits),) for v in arr), "vector")
        if arr.ndim == 2:
            return cls(tuple(tuple(number(v, digits) for v in row) for row in arr), "matrix")
        raise ValueError(f"cannot display an array of shape {arr.shape}")

    @property
    def text(self) -> str:
        """One line of plain text."""
        if self.kind == "scalar":
            return self.entries[0][0]
        if self.kind == "vector":
            return "(" + ", ".join(r[0] for r in self.entries) + ")"
        return "[" + ", ".join("[" + ", ".join(r) + "]" for r in self.entries) + "]"

    @property
    def tex(self) -> str:
        """LaTeX of the rounded value (a bracketed matrix for vectors and matrices)."""
        import sympy as sp

        from cheatsheet.printing.latex import latex

        def exact(s: str) -> sp.Expr:
            # a Float with as many digits as shown prints back as the same decimal
            text = s.replace(MINUS, "-")
            if "\u00d710" in text:
                mant, exp = text.split("\u00d710")
                text = mant + "e" + "".join(_FROM_SUPER.get(c, c) for c in exp).replace(MINUS, "-")
            if text.lstrip("-").isdigit():
                return sp.Integer(text)
            return sp.Float(text, max(1, sum(c.isdigit() for c in text.split("e")[0])))

        if self.kind == "scalar":
            return latex(exact(self.entries[0][0]))
        return latex(sp.Matrix([[exact(s) for s in row] for row in self.entries]))

    @property
    def lines(self) -> tuple[str, ...]:
        """One line per row (for figures): a scalar or vector entry per line, matrix rows space-separated."""
        return tuple("  ".join(r) for r in self.entries)


def positive_first(expr: Any) -> Any:
    """A sum with its negative terms last (σ(z) − y rather than −y + σ(z)), unevaluated; other
    expressions unchanged. Only the printed order changes, never the value."""
    import sympy as sp

    if not isinstance(expr, sp.Add):
        return expr
    terms = sorted(expr.args, key=lambda t: bool(t.could_extract_minus_sign()))
    return sp.Add(*terms, evaluate=False)


# ----------------------------------------------------------------------------------- SVG helpers
def fmt(v: float) -> str:
    """An SVG coordinate: at most 2 decimals, no trailing zeros, no negative zero."""
    if not math.isfinite(v):
        raise ValueError(f"non-finite SVG coordinate {v!r}")
    text = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def svg_label(text: str, size: float) -> str:
    """SVG text content for a label with TeX-like sub- and superscripts: ``W_1``, ``x^T``, ``z_{12}``.

    Scripts become ``<tspan>`` elements shifted with ``dy`` (WeasyPrint ignores ``baseline-shift``) at 70%
    of the size, the baseline restored after each; everything is XML-escaped.
    """
    text = _scripts(text)
    out: list[str] = []
    small = fmt(size * 0.7)
    k = 0
    shift = 0.0
    while k < len(text):
        ch = text[k]
        if ch in "_^" and k + 1 < len(text):
            if text[k + 1] == "{":
                end = text.index("}", k + 2)
                body, k = text[k + 2 : end], end + 1
            else:
                body, k = text[k + 1], k + 2
            dy = size * 0.28 if ch == "_" else -size * 0.38
            out.append(f'<tspan dy="{fmt(dy - shift)}" font-size="{small}">{escape(body)}</tspan>')
            shift = dy
            continue
        start = k
        while k < len(text) and not (text[k] in "_^" and k + 1 < len(text)):
            k += 1
        chunk = escape(text[start:k])
        if shift:
            out.append(f'<tspan dy="{fmt(-shift)}">{chunk}</tspan>')
            shift = 0.0
        else:
            out.append(chunk)
    return "".join(out)


def _scripts(text: str) -> str:
    """Unicode superscript runs (10⁻⁶, xᵀ) as ^{...}: the bundled Heros has no glyphs for most of them."""
    out, k = [], 0
    while k < len(text):
        if text[k] in _FROM_SUPER or text[k] == "\u1d40":
            end = k
            while end < len(text) and (text[end] in _FROM_SUPER or text[end] == "\u1d40"):
                end += 1
            body = "".join("T" if c == "\u1d40" else _FROM_SUPER[c] for c in text[k:end]).replace("-", MINUS)
            out.append("^{" + body + "}")
            k = end
        else:
            out.append(text[k])
            k += 1
    return "".join(out)


def text_width(text: str, size: float) -> float:
    """A rough width of a label in px (Heros averages about 0.55 em per character; scripts 70%)."""
    text = _scripts(text)
    plain = 0
    scripts = 0
    k = 0
    while k < len(text):
        if text[k] in "_^" and k + 1 < len(text):
            if text[k + 1] == "{":
                end = text.index("}", k + 2)
                scripts += end - k - 2
                k = end + 1
            else:
                scripts += 1
                k += 2
            continue
        plain += 1
        k += 1
    return (plain + 0.7 * scripts) * 0.55 * size


def svg_open(width: float, height: float, cls: str, label: str) -> str:
    """The opening ``<svg>`` tag of a figure (size in CSS px, a role and an accessible label)."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{escape(cls)}" width="{fmt(width)}" height="{fmt(height)}" '
        f'viewBox="0 0 {fmt(width)} {fmt(height)}" role="img" aria-label="{escape(label, {chr(34): "&quot;"})}">'
    )


def polyline(points: Sequence[tuple[float, float]]) -> str:
    """SVG path data through ``points``."""
    return "M" + "L".join(f"{fmt(x)} {fmt(y)}" for x, y in points)
