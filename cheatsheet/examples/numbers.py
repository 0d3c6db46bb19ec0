"""The numbers the examples and panels print: exact inputs, float64 made the same on every machine, display.

Every printed number is computed in mpmath at :data:`DPS` digits from the decimals the examples are written
with (:func:`decimal`), becomes a float only to be rounded for print (:func:`floats`, correctly rounded), and is
shown by :func:`number` (a real minus sign, ×10⁻⁶ with Unicode superscripts) or, for vectors and matrices, by
:class:`Value` (one line of text, LaTeX, lines for a figure). Why: see :mod:`cheatsheet.examples` ("nothing
printed depends on the machine").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["DPS", "FROM_SUPER", "MINUS", "Value", "decimal", "floats", "number", "positive_first"]

#: The minus sign printed (U+2212), not the hyphen.
MINUS = "\u2212"

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
#: Superscript character -> the digit or hyphen it raises (to read a printed exponent back).
FROM_SUPER = {
    v: k
    for k, v in zip("0123456789-", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207b", strict=False)
}


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
        if arr.ndim == 0 or (arr.size == 1 and arr.ndim == 1):
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
                text = mant + "e" + "".join(FROM_SUPER.get(c, c) for c in exp).replace(MINUS, "-")
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
