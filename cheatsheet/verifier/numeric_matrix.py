"""Matrix rules at the sizes that are checked, not proved: evaluated numerically instead of symbolically.

A matrix rule is proved at its first size; at the larger ones it is only checked numerically, and there an
explicit symbolic instance is the wrong tool: a 3x3 inverse or determinant of a product gives expressions that
take minutes to differentiate and compile. These sizes are evaluated numerically instead
(:func:`cheatsheet.evaluate.matrix.evaluate_matrix`, mpmath at DPS digits): each claimed gradient along a random
direction against mpmath's numerical derivative of the function along it (and, in
:mod:`cheatsheet.verifier.derivations`, each derivation line against the one before).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from cheatsheet.evaluate.expand import Instance
from cheatsheet.evaluate.matrix import evaluate_matrix
from cheatsheet.rule import Rule
from cheatsheet.verifier.gate import FD, REL, Failed, H, Session
from cheatsheet.verifier.numbers import DPS, Point, fmt, point_text, real_number
from cheatsheet.verifier.points import checked_points, instance_points, names_of, size_text
from cheatsheet.verifier.sampling import rng_for
from cheatsheet.verifier.verdict import Check, Counterexample

__all__ = [
    "along",
    "at_size",
    "close_numbers",
    "fd_mismatch",
    "matrix_env",
    "numeric",
    "numeric_matrix_claims",
    "scalar_number",
]


def at_size(expr: sp.Basic, inst: Instance) -> sp.Basic:
    """A concrete expression with the dimensions of ``inst`` (MatrixSymbol('X', n, m) -> ('X', 3, 2))."""
    sizes = {dim: v for dim, v in inst.dims.items() if expr.has(dim)}
    return expr.subs(sizes) if sizes else expr


def matrix_env(rule: Rule, inst: Instance, point: Point) -> dict[sp.Basic, Any]:
    """The inputs of a matrix rule at ``point``: object arrays of mpmath numbers keyed by sized symbols."""
    env: dict[sp.Basic, Any] = {}
    for inp in rule.inputs:
        if inp.shape != "matrix":
            if inp.symbol in point:
                env[inp.symbol] = point[inp.symbol]
            continue
        env[at_size(inp.symbol, inst)] = _matrix_value(inst.explicit[inp.symbol], point, inp.simplex)
    env |= {prm.symbol: point[prm.symbol] for prm in rule.params if prm.symbol is not None and prm.symbol in point}
    env |= {dim: mpmath.mpf(v) for dim, v in inst.dims.items()}
    return env


def _matrix_value(mat: sp.Matrix, point: Point, simplex: bool) -> Any:
    """The explicit matrix ``mat`` at ``point`` as an object array (rows of probabilities: the last entry of a row
    is 1 minus the others)."""
    arr = np.empty(mat.shape, dtype=object)
    for r in range(mat.rows):
        for c in range(mat.cols):
            entry = mat[r, c]
            if entry in point:
                arr[r, c] = point[entry]
    if simplex:
        with mpmath.workdps(DPS):
            for r in range(mat.rows):
                arr[r, -1] = 1 - sum(arr[r, :-1])
    return arr


def numeric(expr: sp.Basic, env: dict[sp.Basic, Any]) -> Any:
    """``expr`` evaluated with mpmath (at the current precision); a 1x1 result as a number."""
    out = evaluate_matrix(expr, env, exact=True)
    if isinstance(out, np.ndarray) and out.shape == (1, 1) and not isinstance(expr, sp.MatrixExpr):
        return out[0, 0]
    return out


def scalar_number(v: Any) -> mpmath.mpf | None:
    """A real number from a number or a one-entry array (None when it is not a finite real number)."""
    if isinstance(v, np.ndarray) and v.size == 1:
        v = v.reshape(-1)[0]
    return real_number(v)


def close_numbers(want: Any, got: Any) -> bool:
    """``got`` equals ``want`` to REL (relative, or absolute below 1); never when either is missing."""
    return want is not None and got is not None and bool(abs(got - want) <= REL * max(1, abs(want)))


def along(expr: sp.Basic, env: dict[sp.Basic, Any], key: sp.Basic, base: Any, direction: Any) -> Callable[[Any], Any]:
    """t ↦ ``expr`` with the input ``key`` moved to base + t·direction."""
    return lambda t: numeric(expr, env | {key: base + t * direction})


def fd_mismatch(fn: Callable[[Any], Any], at: Any, got: Any) -> tuple[bool, Any]:
    """Whether ``got`` differs from mpmath's numerical derivative of the scalar ``fn`` at ``at`` (beyond FD),
    and that derivative. A mismatch is confirmed with twice the precision and the square of the step; when the
    two steps disagree no finite difference is reliable there, and the point counts as no evidence."""

    def value(t: Any) -> Any:
        return scalar_number(fn(t))

    def off(want: Any) -> bool:
        return got is None or bool(abs(got - want) > FD * max(1, abs(want)))

    try:
        plain = real_number(mpmath.diff(value, at, h=H))
        if plain is not None and not off(plain):
            return False, plain
        with mpmath.workdps(2 * DPS):
            precise = real_number(+mpmath.diff(value, at, h=H**2))
    except (ZeroDivisionError, ValueError, OverflowError, TypeError):
        return False, None
    if plain is None or precise is None or abs(precise - plain) > FD * max(1, abs(precise)):
        return False, None
    return off(precise), precise


def numeric_matrix_claims(
    s: Session, rule: Rule, inst: Instance, function: sp.Basic, claims: Mapping[str, sp.Basic], tag: str
) -> None:
    """Each claimed gradient G at random points, along a random direction V per point: d/dt f(X + tV) at t = 0
    (mpmath's numerical derivative) must equal tr(Gᵀ V). A wrong entry of G changes tr(Gᵀ V) for almost every V."""
    names = names_of(rule) | {sym_: str(sym_) for sym_, _ in inst.variables}
    points = checked_points(instance_points(rule, inst, (tag, "points")))
    f_at = at_size(function, inst)
    for wrt, claim in claims.items():
        key = at_size(rule.input(wrt).symbol, inst)
        c_at = at_size(claim, inst)
        label = f"{tag}∂/∂{wrt} ({size_text(rule, inst)})"
        rng = rng_for(rule.id, tag, wrt, "directions", tuple(inst.dims.values()))
        for point in points:
            env = matrix_env(rule, inst, point)
            where = point_text(point, names)
            with mpmath.workdps(DPS):
                _gradient_along(rule, inst, label, f_at, c_at, key, env, where, rng)
            s.count_point(where)
        s.checks.append(Check(label, "checked", "randomized 50-digit testing", "numeric only at this size"))


def _gradient_along(
    rule: Rule,
    inst: Instance,
    label: str,
    f_at: sp.Basic,
    c_at: sp.Basic,
    key: sp.Basic,
    env: dict[sp.Basic, Any],
    where: dict[str, str],
    rng: Any,
) -> None:
    """Raise Failed when tr(Gᵀ V) differs from d/dt f(X + tV) at t = 0 for a random direction V at ``env``."""
    if scalar_number(numeric(f_at, env)) is None:
        raise ValueError(
            f"rule {rule.id!r}: {label}: the function is not a finite real number at {where}; "
            "is the input domain right?"
        )
    grad = np.asarray(numeric(c_at, env), dtype=object)
    base = env[key]
    if grad.shape != base.shape:
        raise Failed(
            Counterexample(
                label,
                where,
                f"a {base.shape[0]}×{base.shape[1]} gradient",
                f"{grad.shape[0]}×{grad.shape[1]}" if grad.ndim == 2 else str(grad.shape),
            )
        )
    direction = np.array(
        [[mpmath.mpf(rng.gauss(0, 1)) for _ in range(base.shape[1])] for _ in range(base.shape[0])], dtype=object
    )
    got = real_number(sum(grad.reshape(-1) * direction.reshape(-1)))
    bad, want = fd_mismatch(along(f_at, env, key, base, direction), mpmath.mpf(0), got)
    if bad:
        where = where | {"direction V": str([[mpmath.nstr(v, 6) for v in row] for row in direction.tolist()])}
        raise Failed(Counterexample(f"{label} along V: tr(Gᵀ V)", where, fmt(want), fmt(got)))
