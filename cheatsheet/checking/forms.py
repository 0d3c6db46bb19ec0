"""Forms of user expressions for checking and for reporting: steps without distributions, readable derivatives.

``check`` and custom rule files differentiate what a user wrote. sympy would differentiate sign(u) and
step(u) into Dirac deltas, which have no value at a sample point: :func:`without_distributions` writes them
as Piecewise first. When a claim is false, :func:`readable_derivative` finds a short form of the correct
derivative to print.
"""

from __future__ import annotations

import sympy as sp

from cheatsheet.notation import Indicator

__all__ = ["readable_derivative", "without_distributions"]

_SIMPLIFY_SECONDS = 3.0  # looking for a readable form of the correct derivative
_SIMPLIFY_FAILURES = (NotImplementedError, TypeError, ValueError, ZeroDivisionError, RecursionError, sp.PolynomialError)


def without_distributions(expr: sp.Basic) -> sp.Basic:
    """sign(u) and step(u) written as Piecewise, so that their derivative is 0 away from u = 0 (sympy
    would give a Dirac delta, which has no value to compare at a sample point)."""
    if expr.has(sp.sign):
        expr = expr.replace(sp.sign, lambda u: sp.Piecewise((1, u > 0), (-1, u < 0), (0, True)))
    if expr.has(sp.Heaviside):
        expr = expr.replace(
            sp.Heaviside, lambda u, *h: sp.Piecewise((1, u > 0), (0, u < 0), (h[0] if h else sp.S.Half, True))
        )
    return expr


def readable_derivative(d: sp.Basic, seconds: float = _SIMPLIFY_SECONDS) -> sp.Basic:
    """A short, readable form of a derivative: the simplest of sympy's forms within ``seconds``.

    Steps become indicators 𝟙[u > 0]; a Piecewise that sympy invents (e.g. ``Eq(x, 0)`` branches of
    simplify) is not preferred over a form without one.
    """
    from cheatsheet.verifier.symbolic import ProofTimeout, time_limit

    if d.has(sp.Heaviside):
        d = d.replace(sp.Heaviside, lambda u, *h: Indicator(u > 0))
    starts = [d]
    if d.has(sp.sign):
        starts.append(d.replace(_has_u_sign_u, _u_sign_u_to_abs))
    candidates = list(starts)
    try:
        with time_limit(seconds):
            for start in starts:
                _add_transforms(start, candidates)
    except ProofTimeout:
        pass

    def cost(e: sp.Basic) -> tuple[int, int]:
        invented = 1 if (e.has(sp.Piecewise) and not d.has(sp.Piecewise)) else 0
        return (invented, int(sp.count_ops(e)) * 100 + len(str(e)))

    return min(candidates, key=cost)


def _add_transforms(start: sp.Basic, candidates: list[sp.Basic]) -> None:
    """Append ``start`` cancelled, factored and simplified (each that sympy manages) to ``candidates``, one
    by one: those found before the time limit stops a slow one are kept."""
    for transform in (sp.cancel, sp.factor, sp.simplify):
        try:
            candidates.append(transform(start))
        except _SIMPLIFY_FAILURES:
            continue


def _has_u_sign_u(e: sp.Basic) -> bool:
    return isinstance(e, sp.Mul) and any(isinstance(f, sp.sign) and f.args[0] in e.args for f in e.args)


def _u_sign_u_to_abs(e: sp.Mul) -> sp.Basic:
    """u·sign(u) = |u| for real u (also at u = 0): the form a textbook prints."""
    factors = list(e.args)
    for f in list(factors):
        if isinstance(f, sp.sign) and f.args[0] in factors and f in factors:
            factors.remove(f)
            factors.remove(f.args[0])
            factors.append(sp.Abs(f.args[0]))
    return sp.Mul(*factors)
