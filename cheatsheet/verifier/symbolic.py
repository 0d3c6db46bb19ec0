"""Symbolic proof attempts under a time limit, and branch resolution of piecewise expressions.

A proof shows that ``true - claimed`` is identically zero: first the cheap route
``cancel(together(expand(piecewise_fold(e).rewrite(exp))))`` (FINDINGS §1: proves most rules and is
3-10x faster); for differences of logarithms, that ``exp`` of the (real) difference cancels to 1;
the same two after rewriting inverse trigonometric/hyperbolic functions as logarithms and erfc as
1 − erf; then ``simplify``. Piecewise rules are proved branch by branch: at a sample point every
Piecewise, |·|, max, min, sign and step is replaced by the branch active there, and the resulting
analytic expressions are compared.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import mpmath
import sympy as sp

__all__ = ["ProofTimeout", "prove_nonnegative", "prove_zero", "resolve", "sympy_point", "time_limit"]


class ProofTimeout(Exception):
    """A symbolic attempt ran past its time limit."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise ``ProofTimeout`` inside the block after ``seconds`` of this process's CPU time (main thread only;
    else no limit).

    CPU time, not wall time: on a machine busy with other work a proof gets the same budget, so a verdict
    ("proved" or "checked") does not depend on the load (wall-clock limits flipped heavy matrix rules to
    "checked" on a busy machine). It still depends on the CPU's speed, which the limits leave room for.
    """
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum: int, frame: Any) -> None:
        raise ProofTimeout()

    previous = signal.signal(signal.SIGPROF, _raise)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


# Functions that simplify does not relate to their definitions (FINDINGS §1): inverse trigonometric and
# hyperbolic functions become logarithms, erfc becomes 1 − erf.
_REWRITES: tuple[tuple[tuple[Any, ...], Any], ...] = (
    ((sp.asin, sp.acos, sp.atan, sp.asinh, sp.acosh, sp.atanh), sp.log),
    ((sp.erfc,), sp.erf),
)


def _field_zero(e: sp.Expr) -> bool:
    """True when the rational function ``e`` is 0 in sympy's sparse rational-function field: 5-15x faster
    than cancel(together(expand(·))) on the large rational expressions of explicit matrix inverses."""
    try:
        return bool(sp.polys.fields.sfield(e)[1] == 0)
    except sp.polys.polyerrors.BasePolynomialError:
        return False


def _zero_rewritten(e: sp.Expr, target: Any) -> bool:
    """``e`` rewritten in terms of ``target`` (log, erf) cancels to 0, or its exp to 1 (a difference of logs)."""
    r = e.rewrite(target)
    return bool(
        sp.cancel(sp.together(sp.expand(r))) == 0
        or (r.has(sp.log) and sp.cancel(sp.powsimp(sp.expand(sp.exp(r)))) == 1)
    )


def prove_zero(expr: sp.Basic, seconds: float) -> tuple[str | None, str]:
    """Try to show ``expr == 0`` identically: ``(method, "")`` on success, ``(None, why)`` otherwise."""
    e = sp.sympify(expr)
    if e == 0:
        return "identical", ""
    try:
        with time_limit(seconds):
            if e.is_rational_function() and _field_zero(e):
                return "rational function field", ""
            cheap = sp.cancel(sp.together(sp.expand(sp.piecewise_fold(e).rewrite(sp.exp))))
            if cheap == 0:
                return "cancel", ""
            if e.has(sp.log) and sp.cancel(sp.powsimp(sp.expand(sp.exp(e)))) == 1:
                # e is real-valued on the domain, so exp(e) = 1 identically means e = 0
                return "exp-log", ""
            for funcs, target in _REWRITES:
                if e.has(*funcs) and _zero_rewritten(e, target):
                    return f"rewrite as {target.__name__}", ""
            if sp.simplify(e) == 0:
                return "simplify", ""
            if sp.simplify(cheap) == 0:
                return "simplify", ""
    except ProofTimeout:
        return None, f"symbolic proof ran past its {seconds:g} s limit"
    except (RecursionError, NotImplementedError, TypeError, ValueError, ZeroDivisionError) as exc:
        return None, f"sympy could not simplify ({type(exc).__name__})"
    return None, "simplify left a non-zero residue"


def prove_nonnegative(expr: sp.Basic, seconds: float) -> tuple[str | None, str]:
    """Try to show ``expr >= 0`` everywhere (sympy's assumptions on a factored form)."""
    e = sp.sympify(expr)
    try:
        with time_limit(seconds):
            forms: tuple[Callable[[], sp.Basic], ...] = (  # cheapest first, built lazily: simplify only if needed
                lambda: e,
                lambda: sp.factor(sp.cancel(sp.together(e.rewrite(sp.exp)))),
                lambda: sp.factor(sp.simplify(e)),
            )
            for form in forms:
                if form().is_nonnegative:
                    return "factor", ""
    except ProofTimeout:
        return None, f"symbolic proof ran past its {seconds:g} s limit"
    except (RecursionError, NotImplementedError, TypeError, ValueError, ZeroDivisionError) as exc:
        return None, f"sympy could not simplify ({type(exc).__name__})"
    return None, "sympy could not show the bound is non-negative"


def sympy_point(point: Mapping[sp.Basic, Any]) -> dict[sp.Basic, Any]:
    """``point`` with every mpmath number as a sympy Float of all its bits: sympify would round it to the
    precision mpmath happens to be at (53 bits by default), and a point 1e-70 beside a breakpoint would
    land on it."""
    out: dict[sp.Basic, Any] = {}
    for k, v in point.items():
        if isinstance(v, mpmath.mpf):
            out[k] = sp.Float._new(v._mpf_, max(53, int(v._mpf_[3])))
        else:
            out[k] = v
    return out


def _truth(cond: sp.Basic, point: Mapping[sp.Basic, Any]) -> bool:
    value = cond.subs(point)
    if value in (sp.true, sp.false):
        return bool(value)
    raise ValueError(f"condition {cond} is undecided at the sample point")


def _sign_at(e: sp.Basic, point: Mapping[sp.Basic, Any]) -> int:
    # evalf is adaptive: 30 correct digits of the value, however much cancels (x − 1 − 1e-70 at x = 1 + 5e-71)
    value = sp.sympify(e).subs(point).evalf(30)
    if not value.is_number or not value.is_real:
        raise ValueError(f"{e} is not a real number at the sample point")
    return 1 if value > 0 else (-1 if value < 0 else 0)


def resolve(expr: sp.Basic, point: Mapping[sp.Basic, Any]) -> tuple[sp.Basic, tuple[Any, ...]]:
    """``expr`` with every branch construct replaced by the branch active at ``point``.

    Returns the analytic expression and the pattern of choices made (equal patterns mean the same
    region). The point must not lie on a branch boundary.
    """
    pattern: list[Any] = []
    point = sympy_point(point)

    def walk(e: sp.Basic) -> sp.Basic:
        if not e.args:
            return e
        if isinstance(e, sp.Piecewise):
            for idx, (val, cond) in enumerate(e.args):
                if cond == sp.true or _truth(cond, point):
                    pattern.append(("pw", idx))
                    return walk(val)
            raise ValueError(f"no branch of {e} holds at the sample point")
        if isinstance(e, sp.Abs):
            a = walk(e.args[0])
            s = _sign_at(a, point)
            pattern.append(("abs", s))
            return a if s >= 0 else -a
        if isinstance(e, sp.sign):
            s = _sign_at(walk(e.args[0]), point)
            pattern.append(("sign", s))
            return sp.Integer(s)
        if isinstance(e, sp.Heaviside):
            s = _sign_at(walk(e.args[0]), point)
            pattern.append(("step", s))
            return sp.Integer(1 if s > 0 else 0)
        if isinstance(e, (sp.Max, sp.Min)):
            args = [walk(a) for a in e.args]
            want = 1 if isinstance(e, sp.Max) else -1
            best = 0
            for k in range(1, len(args)):  # by the sign of each difference: exact however close the arguments are
                if _sign_at(args[k] - args[best], point) == want:
                    best = k
            pattern.append(("max" if isinstance(e, sp.Max) else "min", best))
            return args[best]
        new_args = [walk(a) for a in e.args]
        if all(x is y for x, y in zip(new_args, e.args, strict=True)):
            return e
        return e.func(*new_args)

    return walk(sp.sympify(expr)), tuple(pattern)
