"""The two ways numbers are computed: float64 numpy arrays, or object arrays of mpmath numbers.

Each backend converts numbers into its own kind and holds its table of elementary functions by name, so one
walk of an expression (:mod:`cheatsheet.evaluate.tensor`) serves both speed (float64) and exact values at any
precision (mpmath, at the precision of the surrounding ``mpmath.workdps``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import sympy as sp

__all__ = ["FLOAT", "MPMATH", "Backend", "mp_polygamma", "mp_power", "object_vectorize"]


@dataclass(frozen=True)
class Backend:
    """How numbers and functions are computed: float64 numpy or mpmath object arrays."""

    name: str
    number: Callable[[Any], Any]
    functions: Mapping[str, Callable[..., Any]]
    dtype: Any


def object_vectorize(f: Callable[..., Any]) -> Callable[..., Any]:
    """``f`` applied entry by entry to arrays, giving an object array (mpmath numbers stay mpmath numbers)."""
    return np.vectorize(f, otypes=[object])


def _float_via_mpmath(f: Callable[..., Any]) -> Callable[..., Any]:
    """A float64 version of the special function ``f`` (digamma, erfinv, Bessel I) computed with mpmath at 30
    digits and rounded: numpy has none of them and scipy is not a dependency; slower, never less accurate."""

    def one(*args: float) -> float:
        with mpmath.workdps(30):
            value = f(*(mpmath.mpf(float(a)) for a in args))
            return float(value.real) if isinstance(value, mpmath.mpc) and value.imag == 0 else float(value)

    return np.vectorize(one, otypes=[float])


def mp_polygamma(m: Any, v: Any) -> Any:
    """ψ⁽ᵐ⁾(v) for an integer order m ≥ 0. mpmath's ``psi``/``polygamma`` truncate a fractional order
    (ψ^(4/3) = ψ^(1)), which made a wrong formula evaluate like the right one: refuse it instead."""
    order = mpmath.mpf(m)
    if order != mpmath.floor(order) or order < 0:
        raise ValueError(f"polygamma order must be an integer >= 0, got {m}")
    return mpmath.psi(int(order), v)


_FLOAT_FUNCS: dict[str, Callable[..., Any]] = {
    "exp": np.exp,
    "log": np.log,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "asin": np.arcsin,
    "acos": np.arccos,
    "atan": np.arctan,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "asinh": np.arcsinh,
    "acosh": np.arccosh,
    "atanh": np.arctanh,
    "Abs": np.abs,
    "sign": np.sign,
    "log1p": np.log1p,
    "expm1": np.expm1,
    "exp2": np.exp2,
    "log2": np.log2,
    "log10": np.log10,
    "sqrt": np.sqrt,
    "erf": np.vectorize(math.erf, otypes=[float]),
    "erfc": np.vectorize(math.erfc, otypes=[float]),
    "atan2": np.arctan2,
    # special functions (cheatsheet/catalog/special.py); sympy's names
    "loggamma": _float_via_mpmath(mpmath.loggamma),  # math.lgamma loses relative digits near its zeros 1 and 2
    "polygamma": _float_via_mpmath(mp_polygamma),
    "erfinv": _float_via_mpmath(mpmath.erfinv),
    "besseli": _float_via_mpmath(mpmath.besseli),
    # rounding (cheatsheet/catalog/piecewise.py)
    "floor": np.floor,
    "ceiling": np.ceil,
}

_v = object_vectorize
_MP_FUNCS: dict[str, Callable[..., Any]] = {
    "exp": _v(mpmath.exp),
    "log": _v(mpmath.log),
    "sin": _v(mpmath.sin),
    "cos": _v(mpmath.cos),
    "tan": _v(mpmath.tan),
    "asin": _v(mpmath.asin),
    "acos": _v(mpmath.acos),
    "atan": _v(mpmath.atan),
    "sinh": _v(mpmath.sinh),
    "cosh": _v(mpmath.cosh),
    "tanh": _v(mpmath.tanh),
    "asinh": _v(mpmath.asinh),
    "acosh": _v(mpmath.acosh),
    "atanh": _v(mpmath.atanh),
    "Abs": _v(lambda v: abs(v)),
    "sign": _v(mpmath.sign),
    "log1p": _v(mpmath.log1p),
    "expm1": _v(mpmath.expm1),
    "exp2": _v(lambda v: mpmath.power(2, v)),
    "log2": _v(lambda v: mpmath.log(v, 2)),
    "log10": _v(mpmath.log10),
    "sqrt": _v(mpmath.sqrt),
    "erf": _v(mpmath.erf),
    "erfc": _v(mpmath.erfc),
    "atan2": _v(mpmath.atan2),
    "loggamma": _v(mpmath.loggamma),
    "polygamma": _v(mp_polygamma),
    "erfinv": _v(mpmath.erfinv),
    "besseli": _v(mpmath.besseli),
    "floor": _v(mpmath.floor),
    "ceiling": _v(mpmath.ceil),
}


def _mp_number(v: Any) -> Any:
    """mpmath numbers from floats, ints, strings, sympy numbers or arrays of them."""
    if isinstance(v, np.ndarray):
        return np.vectorize(_mp_number, otypes=[object])(v)
    if isinstance(v, (sp.Rational, sp.Float)):
        return mpmath.mpf(sp.Float(v, mpmath.mp.dps + 10))
    if isinstance(v, sp.Basic):  # an exact constant such as pi/4 (a parameter), to the working precision
        return mpmath.mpf(sp.N(v, mpmath.mp.dps + 10))
    if isinstance(v, (mpmath.mpf, mpmath.mpc)):
        return v
    return mpmath.mpmathify(v)


def _mp_pow_one(base: Any, exponent: Any) -> Any:
    try:
        return base**exponent
    except ZeroDivisionError:
        return mpmath.nan


#: base**exponent entry by entry in mpmath, nan where mpmath raises (0**-1), as float64 gives inf/nan.
mp_power = np.vectorize(_mp_pow_one, otypes=[object])

FLOAT = Backend("float64", lambda v: np.asarray(v, dtype=float), _FLOAT_FUNCS, float)
MPMATH = Backend("mpmath", _mp_number, _MP_FUNCS, object)
