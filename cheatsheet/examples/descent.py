"""Gradient descent on a 2-D quadratic f(x) = ½ xᵀAx − bᵀx, two step sizes and Newton's step.

A is symmetric positive definite (and not diagonal, so the level sets are tilted ellipses). The gradient
∇f(x) = Ax − b and the Hessian ∇²f = A come from verified rules: the catalog's quadratic-form and
linear-form rules of the matrix family when it has them (ids found by what the rules compute, not by
name), otherwise a rule built here for f itself (``quadratic_objective``, A declared symmetric) and run
through the verifier (cached by content hash like every verdict) before any number is printed. The Hessian
is read off the gradient, which is affine: its k-th column is ∇f(e_k) − ∇f(0).

Gradient descent x_{k+1} = x_k − η∇f(x_k) multiplies the error along the i-th eigenvector of A by
1 − ηλ_i, so it converges exactly when 0 < η < 2/λ_max. One run takes η below that bound, one above it;
Newton's step x_1 = x_0 − A⁻¹∇f(x_0) lands on the minimum x* = A⁻¹b from any start.

Every number is computed in mpmath at :data:`~cheatsheet.examples.DPS` digits from the decimals the problem is
written with (the rules evaluated with ``exact=True``; eigenvalues by :func:`mpmath.eigsy`), never from numpy's
float64 (whose last bits depend on the CPU), then rounded for print.

The contour plot draws the level sets f(x) − f(x*) = c as exact SVG ellipses from A's eigen-decomposition
(semi-axes √(2c/λ_i) along the eigenvectors), the converging iterates solid with filled dots, the diverging
ones dashed with open circles (cut at the frame), Newton's step dotted, and the minimum as a cross.

This module computes the example; the rules the gradient comes from are :mod:`.descent_rules`, the contour
plot :mod:`.descent_figure`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from cheatsheet.examples.descent_figure import contour_svg
from cheatsheet.examples.descent_rules import local_rule, rule_formulas, symbols, verified_gradient
from cheatsheet.examples.numbers import DPS, Value, decimal, floats, number
from cheatsheet.printing.latex import latex
from cheatsheet.sheet import Formula

__all__ = ["DEFAULT", "DescentExample", "Problem", "Run", "descent", "local_rule"]


@dataclass(frozen=True)
class Problem:
    """The quadratic (A symmetric positive definite), the start and the two step sizes."""

    A: tuple[tuple[float, float], tuple[float, float]]
    b: tuple[float, float]
    x0: tuple[float, float]
    eta_converging: float
    eta_diverging: float
    steps: int = 12


DEFAULT = Problem(A=((2.5, 1.0), (1.0, 1.5)), b=(1.5, -0.5), x0=(-1.5, 1.0), eta_converging=0.5, eta_diverging=0.75)


@dataclass(frozen=True)
class Run:
    """Gradient descent with one step size.

    ``eta``: the step size as printed; ``rate``: max_i |1 − ηλ_i|, the factor by which the error's
    largest component is multiplied per step; ``iterates``: x_0, x_1, ... (the exact values as float64);
    ``shown``: the first iterates rounded for display; ``distance``: ‖x_K − x*‖ after the last step;
    ``style``: 'solid' or 'dashed' (as drawn); ``text``: one line for the sheet.
    """

    eta: str
    eta_value: float
    converges: bool
    rate: str
    iterates: tuple[tuple[float, float], ...]
    shown: tuple[Value, ...]
    distance: str
    style: str
    condition: Formula
    text: str


@dataclass(frozen=True)
class DescentExample:
    """Everything printed for the gradient-descent example.

    ``formulas``: the objective, its gradient and Hessian (printed from the verified rule), the update,
    Newton's step and the convergence condition, as LaTeX; ``rules``: (rule id, 'catalog' or 'local',
    verdict status) of the rules the gradient and Hessian come from; ``eigenvalues`` of A ascending and
    ``lambda_max``, ``eta_limit`` = 2/λ_max, rounded; ``newton``: x_0 − A⁻¹∇f(x_0) and ``newton_error``:
    its distance to A⁻¹b (solved independently); ``figure``: the SVG contour plot.
    """

    problem: Problem
    A: Value
    b: Value
    x0: Value
    minimum: Value
    hessian: Value
    eigenvalues: tuple[str, str]
    lambda_max: str
    eta_limit: str
    formulas: tuple[Formula, ...]
    rules: tuple[tuple[str, str, str], ...]
    runs: tuple[Run, Run]
    newton: Value
    newton_error: float
    figure: str


# ------------------------------------------------------------------------------------ formulas
def _formulas() -> tuple[Formula, ...]:
    """The objective, its gradient (printed from the verified rule) and Hessian, the update, Newton's step and
    the convergence condition, as LaTeX."""
    rule = local_rule()
    x, A, b = symbols()
    from cheatsheet.catalog._common import n

    xk, xk1, x1, x0 = (sp.MatrixSymbol(s, n, 1) for s in ("x_k", "x_{k+1}", "x_1", "x_0"))
    gk = sp.MatrixSymbol("g_k", n, 1)
    g0 = sp.MatrixSymbol("g_0", n, 1)
    eta = sp.Symbol("eta", positive=True)
    lam = sp.Symbol(r"\lambda_{\max}", positive=True)
    H = sp.MatrixSymbol("H", n, n)
    grad = rule.derivatives["x"]
    step = sp.MatAdd(xk, sp.MatMul(-1, eta, gk, evaluate=False), evaluate=False)
    newton = sp.MatAdd(x0, sp.MatMul(-1, H.inv(), g0, evaluate=False), evaluate=False)
    return (
        Formula("descent-f", f"f({latex(x)}) = {latex(rule.function)}", "example"),
        Formula("descent-grad", rf"\nabla f({latex(x)}) = {latex(grad)}", "example"),
        Formula("descent-hessian", rf"H = \nabla^{{2}} f = {latex(A)}", "example"),
        Formula(
            "descent-step",
            f"{latex(xk1)} = {latex(step)}, \\quad {latex(gk)} = {latex(grad.xreplace({x: xk}))}",
            "example",
        ),
        Formula("descent-newton", f"{latex(x1)} = {latex(newton)} = {latex(A.inv() * b)}", "example"),
        Formula("descent-condition", f"0 < {latex(eta)} < {latex(2 / lam)}", "example"),
    )


# ------------------------------------------------------------------------------------ the example
def _norm(v: Any) -> Any:
    """The Euclidean norm of a vector of mpmath numbers, in mpmath."""
    return mpmath.sqrt(mpmath.fsum(c * c for c in v))


def _run(
    grad: Callable[[np.ndarray], np.ndarray],
    x0: np.ndarray,
    eta_value: float,
    steps: int,
    lams: tuple[Any, Any],
    xstar: np.ndarray,
    limit: Any,
) -> Run:
    """Gradient descent with step ``eta_value`` (the decimal it is written as), in mpmath at :data:`DPS` digits."""
    with mpmath.workdps(DPS):
        eta = decimal(eta_value)
        xs = [x0]
        for _ in range(steps):
            g = grad(xs[-1])
            xs.append(np.array([xi - eta * gi for xi, gi in zip(xs[-1], g, strict=False)], dtype=object))
        factors = [abs(1 - eta * lam) for lam in lams]
        rate = max(factors)
        converges = rate < 1
        distance = _norm([a - b for a, b in zip(xs[-1], xstar, strict=False)])
        # which eigendirection keeps the largest factor |1 − ηλ|: at η = 2/(λmin + λmax) both do (a tie that
        # float64's last bits, or these digits' last ones, would break either way)
        if abs(factors[0] - factors[-1]) <= mpmath.mpf(10) ** (8 - DPS) * rate:
            which = "both eigendirections"
        else:
            which = "the slowest direction" if factors[0] > factors[-1] else "the steepest direction"
    eta_sym, lam = sp.Symbol("eta", positive=True), sp.Symbol(r"\lambda_{\max}", positive=True)
    rel = sp.StrictLessThan(eta_sym, 2 / lam) if converges else sp.StrictGreaterThan(eta_sym, 2 / lam)
    text = (
        f"η = {number(eta_value)} {'<' if converges else '>'} 2/λₘₐₓ ≈ {number(float(limit), 3)}: "
        f"{'converges' if converges else 'diverges'} (error × {number(float(rate), 3)} per step along "
        f"{which}); "
        f"after {steps} steps ‖x − x*‖ = {number(float(distance), 3)}"
    )
    return Run(
        eta=number(eta_value),
        eta_value=eta_value,
        converges=bool(converges),
        rate=number(float(rate), 3),
        iterates=tuple((float(p[0]), float(p[1])) for p in xs),
        shown=tuple(Value.of(floats(p), 3) for p in xs[:6]),
        distance=number(float(distance), 3),
        style="solid" if converges else "dashed",
        condition=Formula(f"descent-eta-{'conv' if converges else 'div'}", latex(rel), "example"),
        text=text,
    )


def _eigen(H: np.ndarray) -> tuple[tuple[Any, Any], tuple[tuple[Any, Any], tuple[Any, Any]]]:
    """Eigenvalues of the symmetric 2×2 ``H`` ascending, and unit eigenvectors (columns; each with its first
    nonzero entry positive, so that the drawing does not depend on a solver's sign convention), by mpmath."""
    E, Q = mpmath.eigsy(mpmath.matrix(H.tolist()))
    order = sorted(range(2), key=lambda k: E[k])
    vecs = []
    for k in order:
        v = [Q[0, k], Q[1, k]]
        if v[0] < 0 or (v[0] == 0 and v[1] < 0):
            v = [-c for c in v]
        vecs.append(v)
    return (E[order[0]], E[order[1]]), ((vecs[0][0], vecs[1][0]), (vecs[0][1], vecs[1][1]))


def _inputs(problem: Problem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A, b and x₀ as the decimals they are written with (mpmath numbers; call inside ``mpmath.workdps``);
    raises unless A is symmetric positive definite."""
    A = np.array([[decimal(v) for v in row] for row in problem.A], dtype=object)
    b = np.array([decimal(v) for v in problem.b], dtype=object)
    x0 = np.array([decimal(v) for v in problem.x0], dtype=object)
    if A[0, 1] != A[1, 0] or min(mpmath.eigsy(mpmath.matrix(A.tolist()))[0]) <= 0:
        raise ValueError("A must be symmetric positive definite")
    return A, b, x0


def _hessian(grad: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """The Hessian of an affine gradient: column k is ∇f(e_k) − ∇f(0)."""
    g0 = grad(np.array([mpmath.mpf(0)] * 2, dtype=object))
    cols = [grad(np.array([mpmath.mpf(int(i == k)) for i in range(2)], dtype=object)) - g0 for k in range(2)]
    return np.array([[cols[k][i] for k in range(2)] for i in range(2)], dtype=object)


def descent(problem: Problem = DEFAULT) -> DescentExample:
    """The worked example: the rules' gradient and Hessian, two runs, Newton's step and the contour plot.

    Computed in mpmath at :data:`DPS` digits from the decimals of ``problem`` (see :mod:`cheatsheet.examples`:
    no float64 result of numpy is printed), then rounded for print."""
    grad_of, rules, catalog = verified_gradient()
    with mpmath.workdps(DPS):
        A, b, x0 = _inputs(problem)

        def grad(x: np.ndarray) -> np.ndarray:
            return grad_of(x, A, b)

        H = _hessian(grad)
        lams, vecs = _eigen(H)
        lam_max = lams[-1]
        limit = 2 / lam_max
        if not decimal(problem.eta_converging) < limit < decimal(problem.eta_diverging):
            raise ValueError(
                f"step sizes must straddle 2/λmax = {number(float(limit))}: got {problem.eta_converging}, "
                f"{problem.eta_diverging}"
            )
        # independently of the rules: the test compares Newton's step with it
        xstar = np.array(
            mpmath.lu_solve(mpmath.matrix(A.tolist()), mpmath.matrix(b.tolist())).tolist(), dtype=object
        ).reshape(-1)
        runs = (
            _run(grad, x0, problem.eta_converging, problem.steps, lams, xstar, limit),
            _run(grad, x0, problem.eta_diverging, problem.steps, lams, xstar, limit),
        )
        step = mpmath.lu_solve(mpmath.matrix(H.tolist()), mpmath.matrix(grad(x0).tolist()))
        newton = np.array([x0[i] - step[i] for i in range(2)], dtype=object)
        newton_error = _norm([u - v for u, v in zip(newton, xstar, strict=False)])
    return DescentExample(
        problem=problem,
        A=Value.of(floats(A)),
        b=Value.of(floats(b)),
        x0=Value.of(floats(x0)),
        minimum=Value.of(floats(xstar)),
        hessian=Value.of(floats(H)),
        eigenvalues=(number(float(lams[0])), number(float(lams[1]))),
        lambda_max=number(float(lam_max)),
        eta_limit=number(float(limit)),
        formulas=_formulas() + rule_formulas(catalog),
        rules=rules,
        runs=runs,
        newton=Value.of(floats(newton)),
        newton_error=float(newton_error),
        figure=contour_svg(A, b, x0, runs, newton, lams, vecs),
    )
