"""Numbers at the gate's precision: sample points that carry the precision they need, expressions compiled to
mpmath functions, real values and exact signs, and the text a counterexample shows.

Every check of the verifier (the gate, the proof's search for a residue, the breakpoints, the kinks, the
matrix sizes checked numerically) evaluates expressions and reports numbers the same way; this module is
that one way, so that two checks never disagree on what a number is or how it is printed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import mpmath
import sympy as sp
from sympy.core.evalf import PrecisionExhausted

from cheatsheet.evaluate.backends import mp_polygamma
from cheatsheet.notation import mpmath_namespace
from cheatsheet.verifier.sampling import DPS, Sample, assumed_sign, exact_value

__all__ = [
    "DPS",
    "NAMESPACE",
    "Placed",
    "Point",
    "as_mp",
    "compile_exprs",
    "differing",
    "dps_of",
    "exact_point",
    "exact_sign",
    "fmt",
    "placed",
    "point_text",
    "real_at",
    "real_number",
    "short",
]

Point = dict[sp.Symbol, Any]


class Placed(dict[sp.Symbol, Any]):
    """A sample point that says how it must be evaluated: at ``dps`` digits (a point beside a breakpoint
    1e-70 away, or near 10^300, needs more than DPS), with numerical-derivative steps along a variable no
    longer than a fraction of ``reach[var]`` (its distance to the nearest breakpoint or domain edge)."""

    def __init__(
        self,
        values: Mapping[sp.Symbol, Any],
        dps: int = DPS,
        reach: Mapping[sp.Symbol, mpmath.mpf] | None = None,
        exact: Mapping[sp.Symbol, sp.Expr] | None = None,
    ) -> None:
        super().__init__(values)
        self.dps = dps
        self.reach: dict[sp.Symbol, mpmath.mpf] = dict(reach or {})
        self.exact: dict[sp.Symbol, sp.Expr] = dict(
            exact or {}
        )  # the exact values of the parameters (1/3, not its 60 digits)


def placed(
    samples: Mapping[sp.Symbol, Sample], fixed: Point, exact: Mapping[sp.Symbol, sp.Expr] | None = None
) -> Placed:
    """A point from samples of some variables and fixed values of the others (parameters, ``exact`` as given)."""
    dps = max([DPS] + [smp.dps for smp in samples.values()])
    reach = {v: smp.gap for v, smp in samples.items() if smp.gap is not None}
    return Placed({v: smp.value for v, smp in samples.items()} | dict(fixed), dps, reach, exact)


def as_mp(values: Mapping[sp.Symbol, sp.Expr]) -> Point:
    """Exact values as mpmath numbers at DPS digits."""
    with mpmath.workdps(DPS):
        return {s: mpmath.mpf(sp.N(v, DPS)) if not isinstance(v, mpmath.mpf) else v for s, v in values.items()}


def dps_of(point: Mapping[sp.Symbol, Any]) -> int:
    """The precision ``point`` must be evaluated at (DPS for a plain dict)."""
    return int(getattr(point, "dps", DPS))


def exact_point(point: Mapping[sp.Symbol, Any]) -> dict[sp.Symbol, sp.Expr]:
    """The point's values as exact numbers: a parameter as given (1/3), a sampled value as the binary number it is."""
    given: Mapping[sp.Symbol, sp.Expr] = getattr(point, "exact", {})
    return {k: given[k] if k in given else exact_value(v) for k, v in point.items()}


# ------------------------------------------------------------------------------------------ compiled expressions
def _mp_namespace() -> dict[str, Any]:
    ns: dict[str, Any] = dict(mpmath_namespace())
    half = mpmath.mpf(0.5)
    ns["Heaviside"] = lambda x, h0=half: mpmath.mpf(1) if x > 0 else (mpmath.mpf(0) if x < 0 else h0)
    ns["sign"] = mpmath.sign
    ns["polygamma"] = mp_polygamma  # mpmath's truncates a fractional order
    return ns


#: The functions a compiled expression calls: mpmath's, the notation's (σ, Φ, softplus, ...), Heaviside(0) = 1/2.
NAMESPACE = _mp_namespace()


def _printer() -> Any:
    # lambdify's default printer sorts the terms of every sum for display; unsorted is 30% faster here
    from sympy.printing.pycode import MpmathPrinter

    return MpmathPrinter(
        {
            "fully_qualified_modules": False,
            "inline": True,
            "allow_unknown_functions": True,
            "user_functions": {},
            "order": "none",
        }
    )


def compile_exprs(variables: Sequence[sp.Symbol], exprs: Sequence[sp.Basic]) -> Callable[..., list[Any]]:
    """A function of ``variables`` returning ``exprs`` evaluated in mpmath (memoized: a rule's claims
    compile the same reference more than once, about 57% of the calls over the catalog)."""
    return _compile_cached(tuple(variables), tuple(exprs))


@lru_cache(maxsize=512)
def _compile_cached(variables: tuple[sp.Symbol, ...], exprs: tuple[sp.Basic, ...]) -> Callable[..., list[Any]]:
    fn: Callable[..., list[Any]] = sp.lambdify(
        list(variables), list(exprs), modules=[NAMESPACE, "mpmath"], printer=_printer()
    )
    return fn


# ------------------------------------------------------------------------------------------ values
def real_number(v: Any) -> mpmath.mpf | None:
    """A real mpf, or None for a non-real or non-finite value."""
    try:
        z = mpmath.mpmathify(v)
    except (TypeError, ValueError):
        return None
    if isinstance(z, mpmath.mpc):
        if abs(z.imag) > abs(z.real) * mpmath.mpf("1e-40") + mpmath.mpf("1e-50"):
            return None
        z = z.real
    if not mpmath.isfinite(z):
        return None
    return z


def real_at(fns: Sequence[Callable[..., Any] | None], args: list[Any]) -> bool:
    """True when every (compiled) function is a finite real number at ``args``."""
    for fn in fns:
        if fn is None:
            continue
        try:
            if real_number(fn(*args)[0]) is None:
                return False
        except (ZeroDivisionError, ValueError, OverflowError):
            return False
    return True


def exact_sign(d: sp.Basic, quick: bool = False) -> int | None:
    """The sign of the real number ``d`` when it is certain: exactly (a rational; sympy's is_zero, is_positive,
    is_negative), or from an evaluation with guaranteed digits (evalf strict); None when undecided. ``quick``:
    a rational, or an evaluation to at most 2·DPS digits (no assumptions, which can take seconds on a large
    expression that is 0)."""
    d = sp.sympify(d)
    if not d.is_number or d.has(sp.nan, sp.zoo, sp.oo, sp.S.NegativeInfinity):
        return None
    if d.is_Rational:
        return 0 if d == 0 else (1 if d > 0 else -1)
    if not quick:
        known = assumed_sign(d)
        if known is not None:
            return known
    try:
        v = d.evalf(20, strict=True, maxn=2 * DPS + 20 if quick else 400)
    except (PrecisionExhausted, ArithmeticError, TypeError, ValueError):
        return None
    re_, im_ = v.as_real_imag()
    if im_ != 0 or not re_.is_Number or re_ == 0:
        return None
    return 1 if re_ > 0 else -1


# ------------------------------------------------------------------------------------------ text
def fmt(v: Any) -> str:
    """A value for a message: 12 digits of a real number, else the value as it is."""
    z = real_number(v)
    return mpmath.nstr(z, 12) if z is not None else str(v)


def short(v: sp.Expr, digits: int = 12) -> str:
    """An exact number for a message: an integer as it is, anything else to ``digits`` digits."""
    if v.is_Integer:
        return str(v)
    with mpmath.workdps(digits + 10):
        return str(mpmath.nstr(mpmath.mpf(sp.N(v, digits + 10)), digits))


def point_text(point: Point, names: dict[sp.Symbol, str]) -> dict[str, str]:
    """The named values of ``point`` as text; a point that needs more digits than DPS is printed with as many
    more (1 + 5e-71 is not 1.0)."""
    digits = 10 + max(0, dps_of(point) - DPS)
    return {names.get(s, str(s)): mpmath.nstr(v, digits) for s, v in point.items() if s in names}


def differing(a: Any, b: Any) -> tuple[str, str]:
    """Two numbers printed with as many digits as it takes to tell them apart (12 at least)."""
    for digits in (12, 20, 30, 45):
        ta, tb = mpmath.nstr(a, digits), mpmath.nstr(b, digits)
        if ta != tb:
            return ta, tb
    return mpmath.nstr(a, 12), mpmath.nstr(b, 12) + f" (differs by {mpmath.nstr(b - a, 6)})"
