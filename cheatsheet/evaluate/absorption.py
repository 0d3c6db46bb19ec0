"""How many digits an mpmath evaluation may have lost to absorption, so that a zero is not trusted too early.

At any precision, 1 + e^(-x) is exactly 1 below 0.43·x digits, so 1 − σ(x) is an exact 0 however many digits
agree between two precisions. The index-notation evaluator (:mod:`cheatsheet.evaluate.tensor`) carries, per
entry, an upper bound on the digits each operation may have absorbed (a sum's spread of magnitudes, a
function's saturation); :func:`lost_digits` collects the bound of every zero or non-finite result, and the
exact evaluator (:mod:`cheatsheet.evaluate.numeric`) raises its precision past it before trusting such a value.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
from collections.abc import Iterator
from typing import Any

import mpmath
import numpy as np

__all__ = ["digits", "function_loss", "lost_digits", "report", "spread"]

_LOG10_2 = math.log10(2)
_LOG10_E = math.log10(math.e)
# Functions that saturate, and how fast: σ(a) = 1 − e^(-a) + ..., so σ(a) is exactly 1 below 0.43·a digits
_RATE = {"sigmoid": 1.0, "softplus": 1.0, "logsigmoid": 1.0, "tanh": 2.0, "sinh": 2.0, "cosh": 2.0}
_GAUSSIAN = frozenset({"erf", "erfc", "Phi", "phi"})  # saturate like e^(-a²)
_ALGEBRAIC = frozenset({"atan", "acot"})  # saturate like 1/a
# Functions that are flat at 0 (f(a) = f(0) + small): a tiny argument is absorbed (exp(1e-50) is 1 at 35 digits)
_FLAT_AT_ZERO = frozenset(
    {"exp", "exp2", "cos", "cosh", "acos", "sigmoid", "softplus", "logsigmoid", "Phi", "phi", "erfc", "pow"}
)


def _digits_one(v: Any) -> float:
    if v == 0:
        return -math.inf
    if not mpmath.isfinite(v):
        return math.nan
    size = abs(float(v)) if isinstance(v, mpmath.mpf) and -1000 < mpmath.mag(v) < 1000 else 0.0
    return math.log10(size) if size > 0 else float(mpmath.mag(v)) * _LOG10_2  # beyond float64: from the exponent


_digits_of = np.frompyfunc(_digits_one, 1, 1)


def digits(arr: Any) -> Any:
    """log10|v| per entry of an mpmath array, from its binary exponent (no overflow): -inf for 0, nan for inf/nan."""
    return np.asarray(_digits_of(np.asarray(arr, dtype=object)), dtype=float)


def spread(magnitudes: Any, axis: int) -> Any:
    """Per entry, how many decades separate the largest and the smallest non-zero term along ``axis`` (of the
    :func:`digits` of the terms): the digits a sum at a lower precision absorbs (1 + 1e-50 is 1 at 35 digits)."""
    finite = np.isfinite(magnitudes)
    hi = np.max(np.where(finite, magnitudes, -np.inf), axis=axis)
    lo = np.min(np.where(finite, magnitudes, np.inf), axis=axis)
    with np.errstate(invalid="ignore"):
        out = hi - lo
    return np.where(np.isfinite(out), out, 0.0)


def function_loss(name: str, args: list[Any]) -> Any:
    """Digits a function may absorb at these arguments: e^(-|a|) next to 1 where it saturates at a large |a|
    (e^(-a²) for the Gaussian family, 1/a for atan), a·f'(0) next to f(0) at a tiny |a| where it is flat at 0.
    An upper bound: it only decides how far a zero or non-finite result is checked. None: the function
    (``name``, as in the backends' tables) loses nothing."""
    if name not in _RATE and name not in _GAUSSIAN and name not in _ALGEBRAIC and name not in _FLAT_AT_ZERO:
        return None
    out: Any = 0.0
    for a in args:
        d = digits(a)
        with np.errstate(all="ignore"):
            size = np.where(d > 0, 10.0 ** np.minimum(d, 300.0), 0.0)  # |a| when above 1
            if name in _GAUSSIAN:
                big = size * size * _LOG10_E
            elif name in _ALGEBRAIC:
                big = 2 * np.maximum(d, 0.0)
            else:
                big = _RATE.get(name, 0.0) * size * _LOG10_E
            tiny = np.where(np.isfinite(d) & (d < 0), -2 * d, 0.0) if name in _FLAT_AT_ZERO else 0.0
            loss = np.maximum(big, tiny)
        out = np.maximum(out, np.where(np.isnan(loss), 0.0, loss))
    return out


_LOST: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar("cheatsheet_lost_digits", default=None)


@contextlib.contextmanager
def lost_digits() -> Iterator[list[float]]:
    """Collect, for every mpmath evaluation inside, the digits its zero or non-finite entries may have lost.

    An exact 0 from 1 − σ(1e4) is not a zero: σ(1e4) is 1 − 1.1e-4343, so the difference needs 4343 more
    digits than the answer. The caller raises the precision past the largest figure before trusting a zero.
    """
    found: list[float] = []
    token = _LOST.set(found)
    try:
        yield found
    finally:
        _LOST.reset(token)


def report(arr: Any, lost: Any) -> None:
    """Inside :func:`lost_digits`, record the largest ``lost`` digits of the zero or non-finite entries of ``arr``."""
    found = _LOST.get()
    if found is None or lost is None:
        return
    suspect = np.asarray(_suspect(arr), dtype=bool)
    if suspect.any():
        found.append(float(np.max(np.broadcast_to(lost, suspect.shape)[suspect])))


def _suspect_one(v: Any) -> bool:
    return bool(v == 0 or not mpmath.isfinite(v))


_suspect = np.frompyfunc(_suspect_one, 1, 1)
