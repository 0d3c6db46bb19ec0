"""Derivations: every printed step equals the one before; the first equals the derivative of the function, the
last the printed derivative.

A scalar or vector derivation is a chain of equal expressions, each link an identity (:mod:`claims`). A matrix
derivation works with differentials: df along a direction dX equals the directional derivative d/dt f(X + t dX)
at t = 0, each line equals the one before, and a gradient line G satisfies tr(Gᵀ dX) = the line before. It is
proved on explicit matrices at the first size and checked numerically at the others.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from cheatsheet.evaluate.expand import Instance, concrete
from cheatsheet.notation import i as I_
from cheatsheet.notation import j as J_
from cheatsheet.rule import Identity, Input, Rule, Step
from cheatsheet.verifier.claims import identity_claims
from cheatsheet.verifier.gate import Claim, Failed, Session
from cheatsheet.verifier.instances import scalar_of
from cheatsheet.verifier.numbers import DPS, Point, fmt, point_text, real_number
from cheatsheet.verifier.numeric_matrix import (
    along,
    at_size,
    close_numbers,
    fd_mismatch,
    matrix_env,
    numeric,
    scalar_number,
)
from cheatsheet.verifier.points import checked_points, instance_points, instances, names_of, parameters, size_text
from cheatsheet.verifier.proof import VECTOR_PROOF_POINTS, run_claim
from cheatsheet.verifier.verdict import Check, Counterexample

__all__ = ["derivation"]


def _step_label(k: int, why: str) -> str:
    return f"derivation step {k} ({why})"


def derivation(s: Session, rule: Rule) -> None:
    """Every step equals the one before; the first equals d/dx f, the last the printed derivative."""
    d = rule.derivation
    assert d is not None
    claim = rule.derivatives[d.wrt]
    if any(st.kind != "equal" for st in d.steps):
        _differential_derivation(s, rule)
        return
    var = rule.input(d.wrt).symbol
    if rule.shape == "vector" and rule.input(d.wrt).shape == "vector":
        var = var[J_] if rule.vector_output else var[I_]
    chain = [(sp.Derivative(rule.function, var), ""), *((st.expr, st.why) for st in d.steps)]
    chain.append((claim, "the printed derivative"))
    for k in range(1, len(chain)):
        label = _step_label(k, chain[k][1]) if k < len(chain) - 1 else "derivation ends at the printed derivative"
        if k == len(chain) - 1 and sp.sympify(chain[k - 1][0]) == sp.sympify(chain[k][0]):
            # the last step written as the printed derivative itself (the usual case): nothing to test
            s.checks.append(Check(label, "proved", "identical expressions"))
            continue
        for g in identity_claims(rule, Identity(chain[k - 1][0], chain[k][0]), label):
            run_claim(s, g)


# ------------------------------------------------------------------------------------------ matrix derivations
def _differential_derivation(s: Session, rule: Rule) -> None:
    """Matrix derivations: df along dX equals the directional derivative d/dt f(X + t dX) at t = 0;
    each step equals the one before; a gradient step G satisfies tr(Gᵀ dX) = the line before."""
    d = rule.derivation
    assert d is not None and d.direction is not None
    aug = dataclasses.replace(
        rule, inputs=(*rule.inputs, Input("direction", d.direction, shape="matrix")), derivation=None
    )
    names = names_of(rule)
    for number, inst in enumerate(instances(aug)):
        if number == 0:  # proved at the smallest size, checked numerically at the others
            _symbolic_derivation(s, rule, aug, inst, names)
        else:
            _numeric_derivation(s, rule, aug, inst, size_text(aug, inst))


def _symbolic_derivation(s: Session, rule: Rule, aug: Rule, inst: Instance, names: dict[sp.Symbol, str]) -> None:
    """Each line of the derivation against the one before on explicit matrices, proved."""
    d = rule.derivation
    assert d is not None and d.direction is not None
    for sym_, _ in inst.variables:
        names[sym_] = str(sym_)
    variables = [v for v, _ in inst.variables] + parameters(rule)
    points = instance_points(aug, inst, ("derivation", "points"))
    X, dX = inst.explicit[rule.input(d.wrt).symbol], inst.explicit[d.direction]
    t = sp.Dummy("t")
    moved = {X[r, c]: X[r, c] + t * dX[r, c] for r in range(X.rows) for c in range(X.cols)}
    prev = sp.diff(scalar_of(inst.apply(concrete(rule.function, rule))).xreplace(moved), t).subs(t, 0)
    sized = size_text(aug, inst)
    for k, st in enumerate(d.steps, start=1):
        cur = scalar_of(inst.apply(concrete(st.expr, rule)))
        if st.kind == "gradient":
            rhs = (cur.T * dX).trace() if isinstance(cur, sp.MatrixBase) else cur * dX[0, 0]
        else:
            rhs = cur
        _run_pair(s, _step_label(k, st.why) + f" ({sized})", variables, prev, rhs, points, names)
        prev = cur
    final = inst.apply(concrete(rule.derivatives[d.wrt], rule))
    _run_pair(s, f"derivation ends at the printed derivative ({sized})", variables, prev, final, points, names)


def _run_pair(
    s: Session,
    label: str,
    variables: list[sp.Symbol],
    lhs: sp.Basic,
    rhs: sp.Basic,
    points: list[Point],
    names: dict[sp.Symbol, str],
) -> None:
    """The claim lhs = rhs, entry by entry (matrices) or as one entry."""
    ls = list(lhs) if isinstance(lhs, sp.MatrixBase) else [lhs]
    rs = list(rhs) if isinstance(rhs, sp.MatrixBase) else [rhs]
    if len(ls) != len(rs):
        raise Failed(Counterexample(label, {}, f"{len(ls)} entries", f"{len(rs)} entries"))
    en = [f"[{k}]" for k in range(len(ls))] if len(ls) > 1 else [""]
    run_claim(
        s,
        Claim(
            label,
            variables,
            [sp.sympify(v) for v in ls],
            [sp.sympify(v) for v in rs],
            en,
            points,
            names,
            proof_limit=VECTOR_PROOF_POINTS,
        ),
    )


def _numeric_derivation(s: Session, rule: Rule, aug: Rule, inst: Instance, label_size: str) -> None:
    """A matrix derivation at a checked size, numerically: df along dX against d/dt f(X + t dX), then each
    line against the one before (a gradient step G through tr(Gᵀ dX)), then the printed derivative."""
    d = rule.derivation
    assert d is not None and d.direction is not None
    names = names_of(rule) | {sym_: str(sym_) for sym_, _ in inst.variables}
    f_at = at_size(concrete(rule.function, rule), inst)
    steps = [(k, st, at_size(concrete(st.expr, rule), inst)) for k, st in enumerate(d.steps, start=1)]
    final = at_size(concrete(rule.derivatives[d.wrt], rule), inst)
    key, dkey = at_size(rule.input(d.wrt).symbol, inst), at_size(d.direction, inst)
    for point in checked_points(instance_points(aug, inst, ("derivation", "points"))):
        env = matrix_env(aug, inst, point)
        where = point_text(point, names)
        with mpmath.workdps(DPS):
            last = _lines_at(steps, f_at, env, key, dkey, where, label_size)
            want = np.asarray(numeric(final, env), dtype=object)
            got = np.asarray(last, dtype=object)
            if got.shape != want.shape or not all(
                close_numbers(real_number(b_), real_number(a_))
                for a_, b_ in zip(got.reshape(-1), want.reshape(-1), strict=True)
            ):
                raise Failed(
                    Counterexample(
                        f"derivation ends at the printed derivative ({label_size})",
                        where,
                        str(want.tolist()),
                        str(got.tolist()),
                    )
                )
        s.points += 1  # counted, not listed among the points used (as the gate lists its own)
    for k, st, _ in steps:
        s.checks.append(
            Check(
                _step_label(k, st.why) + f" ({label_size})",
                "checked",
                "randomized 50-digit testing",
                "numeric only at this size",
            )
        )


def _lines_at(
    steps: list[tuple[int, Step, sp.Basic]],
    f_at: sp.Basic,
    env: dict[sp.Basic, Any],
    key: sp.Basic,
    dkey: sp.Basic,
    where: dict[str, str],
    label_size: str,
) -> Any:
    """Each line of the derivation at ``env`` against the one before (the first against the directional
    derivative d/dt f(X + t dX) at t = 0); returns the last line's value."""
    base, direction = env[key], env[dkey]
    prev: Any = None
    for k, st, expr in steps:
        label = _step_label(k, st.why) + f" ({label_size})"
        cur = numeric(expr, env)
        if st.kind == "gradient":
            grad = np.asarray(cur, dtype=object)
            got = real_number(sum(grad.reshape(-1) * direction.reshape(-1))) if grad.shape == direction.shape else None
        else:
            got = scalar_number(cur)
        if k == 1:
            bad, want = fd_mismatch(along(f_at, env, key, base, direction), mpmath.mpf(0), got)
            if bad:
                raise Failed(Counterexample(label, where, fmt(want), fmt(got)))
        elif not close_numbers(prev, got):
            raise Failed(Counterexample(label, where, fmt(prev), fmt(got)))
        prev = cur if st.kind == "gradient" else got
    return prev
