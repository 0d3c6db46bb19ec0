"""Where the gradient-descent example's gradient comes from: verified rules, the catalog's when it has them.

f(x) = ½ xᵀAx − bᵀx has ∇f(x) = Ax − b (A symmetric). The catalog's quadratic-form and linear-form rules of
the matrix family give it as ½ ∂(xᵀAx)/∂x − ∂(bᵀx)/∂x when the catalog has them: they are found by what they
compute (evaluated on seeded random non-symmetric inputs), not by their ids. Otherwise the example falls back
on a rule built here for f itself (:func:`local_rule`, A declared symmetric). Every rule used is run through
the verifier (the shipped record, or cached by content hash like every verdict) before any number is printed,
and the gradient is evaluated exactly (``exact=True``, mpmath at :data:`~cheatsheet.examples.numbers.DPS`
digits).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from cheatsheet.examples.numbers import DPS
from cheatsheet.printing.latex import latex
from cheatsheet.rule import Input, Rule
from cheatsheet.sheet import Formula

__all__ = ["Gradient", "local_rule", "rule_formulas", "symbols", "verified_gradient"]


def symbols() -> tuple[sp.MatrixSymbol, sp.MatrixSymbol, sp.MatrixSymbol]:
    """x, A and b as the catalog's matrix rules name them (sized by the catalog's symbolic n)."""
    from cheatsheet.catalog._common import n

    return sp.MatrixSymbol("x", n, 1), sp.MatrixSymbol("A", n, n), sp.MatrixSymbol("b", n, 1)


@functools.cache
def local_rule() -> Rule:
    """f(x) = ½ xᵀAx − bᵀx with A symmetric, ∇f = Ax − b: the rule this example prints (and falls back on)."""
    x, A, b = symbols()
    # unevaluated sums keep the textbook order (½ xᵀAx − bᵀx, Ax − b); the negations are evaluated
    # products (−1)·M, which the printer shows as a minus sign
    function = sp.MatAdd(sp.MatMul(sp.Rational(1, 2), x.T, A, x), -(b.T * x), evaluate=False)
    grad = sp.MatAdd(A * x, -b, evaluate=False)
    return Rule(
        id="quadratic_objective",
        title="Quadratic objective",
        family="matrix",
        inputs=(
            Input("x", x, shape="matrix"),
            Input("A", A, shape="matrix", symmetric=True, doc="symmetric positive definite"),
            Input("b", b, shape="matrix"),
        ),
        function=function,
        derivative={"x": grad},
        layout="denominator",
        notes=("∇f = Ax − b needs A symmetric: in general it is ½(A + Aᵀ)x − b.",),
    )


def _statuses(rules: list[Rule]) -> list[str]:
    """The verifier's verdicts on ``rules`` (the catalog's from the shipped record when it vouches for them, else
    cached by content hash or verified now); raises when one is not verified, so that no number from an
    unverified rule is printed."""
    from cheatsheet.verifier import record
    from cheatsheet.verifier.runner import verify_many

    verdicts = verify_many(rules, jobs=1, use_cache=True, record=record.RECORD_PATH)
    for v in verdicts:
        if not v.ok:
            raise RuntimeError(f"rule {v.rule_id!r} of the descent example does not verify: {v.summary()}")
    return [v.status for v in verdicts]


def _quadratic(x: str, a: str) -> Callable[[dict[str, Any]], float]:
    """xᵀAx of the inputs named ``x`` and ``a``, in float64 (to recognize a rule by what it computes)."""
    return lambda v: float((v[x].T @ v[a] @ v[x]).item())


def _linear(x: str, a: str) -> Callable[[dict[str, Any]], float]:
    """aᵀx of the inputs named ``x`` and ``a``, in float64 (to recognize a rule by what it computes)."""
    return lambda v: float((v[a].T @ v[x]).item())


def _probe(rule: Rule, wanted: Callable[[dict[str, Any]], float], shapes: dict[str, tuple[int, int]]) -> bool:
    """True when ``rule`` evaluates like ``wanted`` on seeded random non-symmetric inputs of ``shapes``."""
    rng = np.random.default_rng(7)
    values: dict[str, Any] = {}
    for inp in rule.inputs:
        m = rng.normal(size=shapes[inp.name]) + (
            2 * np.eye(shapes[inp.name][0]) if shapes[inp.name][0] == shapes[inp.name][1] else 0
        )
        values[inp.name] = (m + m.T) / 2 if inp.symmetric else m
    try:
        got = float(np.asarray(rule.evaluate(**values), dtype=float).reshape(-1)[0])
    except Exception:
        return False
    return bool(np.isclose(got, wanted(values), rtol=1e-12, atol=1e-12))


def _catalog_rules() -> tuple[tuple[Rule, str, str], tuple[Rule, str, str]] | None:
    """The catalog's xᵀAx rule (with the names of x and A) and its aᵀx rule (names of x and a), or None.

    Found by what they compute (evaluated on random non-symmetric inputs), so the ids do not matter.
    """
    import cheatsheet

    quad = lin = None
    for r in cheatsheet.rules("matrix"):
        mats = [i for i in r.inputs if i.shape == "matrix"]
        if len(mats) != 2 or len(r.inputs) != 2:
            continue
        ders = r.derivatives
        vec = [i for i in mats if i.symbol.shape[1] == 1 and i.symbol.shape[0] != 1]
        square = [i for i in mats if i.symbol.shape[0] == i.symbol.shape[1]]
        if quad is None and len(vec) == 1 and len(square) == 1 and vec[0].name in ders:
            xn, an = vec[0].name, square[0].name
            if _probe(r, _quadratic(xn, an), {xn: (3, 1), an: (3, 3)}):
                quad = (r, xn, an)
        if lin is None and len(vec) == 2:
            var = next((i.name for i in reversed(vec) if i.name in ders), None)
            if var is not None:
                const = next(i.name for i in vec if i.name != var)
                if _probe(r, _linear(var, const), {var: (3, 1), const: (3, 1)}):
                    lin = (r, var, const)
    if quad is None or lin is None:
        return None
    return quad, lin


#: ∇f as a function of (x, A, b): object arrays of mpmath numbers (x and b vectors, A a 2-D array).
Gradient = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def _column(v: np.ndarray) -> np.ndarray:
    """``v`` as a column (n×1 object array), as the matrix rules take vectors."""
    return np.asarray(v, dtype=object).reshape(-1, 1)


def verified_gradient() -> tuple[Gradient, tuple[tuple[str, str, str], ...], tuple[tuple[Rule, str, str], ...]]:
    """∇f as a function of (x, A, b) through verified rules, evaluated exactly (mpmath at :data:`DPS` digits,
    ``exact=True``: no BLAS, the same digits on every machine), the rules it uses (id, 'catalog' or 'local',
    verdict status), and the catalog rules (rule, name of x, name of the constant), if used."""
    local = local_rule()
    found = _catalog_rules()
    if found is None:
        (status,) = _statuses([local])

        def grad(x: np.ndarray, A: np.ndarray, b: np.ndarray) -> np.ndarray:
            g = local.derivative_at(x=_column(x), A=A, b=_column(b), wrt="x", exact=True, dps=DPS)
            return np.asarray(g, dtype=object).reshape(-1)

        return grad, ((local.id, "local", status),), ()
    (quad, qx, qa), (lin, lx, la) = found
    q_status, l_status, status = _statuses([quad, lin, local])

    def grad_catalog(x: np.ndarray, A: np.ndarray, b: np.ndarray) -> np.ndarray:
        q_in: dict[str, Any] = {qx: _column(x), qa: A}
        l_in: dict[str, Any] = {lx: _column(x), la: _column(b)}
        gq = np.asarray(quad.derivative_at(wrt=qx, exact=True, dps=DPS, **q_in), dtype=object).reshape(-1)
        gl = np.asarray(lin.derivative_at(wrt=lx, exact=True, dps=DPS, **l_in), dtype=object).reshape(-1)
        with mpmath.workdps(DPS):
            return np.array([u / 2 - v for u, v in zip(gq, gl, strict=False)], dtype=object)  # f = ½ q − l

    rules = ((quad.id, "catalog", q_status), (lin.id, "catalog", l_status), (local.id, "local", status))
    return grad_catalog, rules, found


def rule_formulas(catalog: tuple[tuple[Rule, str, str], ...]) -> tuple[Formula, ...]:
    """The catalog rules used, as printed there, and how they give ∇f (b for the linear rule's constant)."""
    if not catalog:
        return ()
    (quad, qx, qa), (lin, lx, la) = catalog
    x, A, b = symbols()
    out = []
    for r, wrt in ((quad, qx), (lin, lx)):
        var = r.input(wrt).symbol
        out.append(
            Formula(
                f"descent-rule-{r.id}",
                rf"\frac{{\partial}}{{\partial {latex(var)}}} {latex(r.function)} = "
                f"{latex(r.derivatives[wrt])}",
                "example",
            )
        )
    with sp.evaluate(True):
        dq = sp.MatMul(sp.Rational(1, 2), quad.derivatives[qx]).xreplace(
            {quad.input(qx).symbol: x, quad.input(qa).symbol: A}
        )
        dl = lin.derivatives[lx].xreplace({lin.input(lx).symbol: x, lin.input(la).symbol: b})
    grad = local_rule().derivatives["x"]
    out.append(
        Formula(
            "descent-grad-from-rules", rf"\nabla f({latex(x)}) = {latex(dq)} - {latex(dl)} = {latex(grad)}", "example"
        )
    )
    return tuple(out)
