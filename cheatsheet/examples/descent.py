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
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from cheatsheet.examples import DPS, FONT, Value, decimal, floats, fmt, number, polyline, svg_label, svg_open
from cheatsheet.printing.latex import latex
from cheatsheet.sheet import Formula
from cheatsheet.rule import Input, Rule

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


# ------------------------------------------------------------------------------------ the rules
def _symbols() -> tuple[sp.MatrixSymbol, sp.MatrixSymbol, sp.MatrixSymbol]:
    from cheatsheet.catalog._common import n

    return sp.MatrixSymbol("x", n, 1), sp.MatrixSymbol("A", n, n), sp.MatrixSymbol("b", n, 1)


@functools.cache
def local_rule() -> Rule:
    """f(x) = ½ xᵀAx − bᵀx with A symmetric, ∇f = Ax − b: the rule this example prints (and falls back on)."""
    x, A, b = _symbols()
    # unevaluated sums keep the textbook order (½ xᵀAx − bᵀx, Ax − b); the negations are evaluated
    # products (−1)·M, which the printer shows as a minus sign
    function = sp.MatAdd(sp.MatMul(sp.Rational(1, 2), x.T, A, x), -(b.T * x), evaluate=False)
    gradient = sp.MatAdd(A * x, -b, evaluate=False)
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
        derivative={"x": gradient},
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
    return lambda v: float((v[x].T @ v[a] @ v[x]).item())


def _linear(x: str, a: str) -> Callable[[dict[str, Any]], float]:
    return lambda v: float((v[a].T @ v[x]).item())


def _probe(rule: Rule, wanted: Callable[[dict[str, Any]], float], shapes: dict[str, tuple[int, int]]) -> bool:
    """True when ``rule`` evaluates like ``wanted`` on seeded random non-symmetric inputs of ``shapes``."""
    rng = np.random.default_rng(7)
    values: dict[str, Any] = {}
    for inp in rule.inputs:
        m = rng.normal(size=shapes[inp.name]) + (2 * np.eye(shapes[inp.name][0]) if shapes[inp.name][0] == shapes[inp.name][1] else 0)
        values[inp.name] = (m + m.T) / 2 if inp.symmetric else m
    try:
        got = float(np.asarray(rule.evaluate(**values), dtype=float).reshape(-1)[0])
    except Exception:  # noqa: BLE001 - a rule of another signature simply does not match
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
    return np.asarray(v, dtype=object).reshape(-1, 1)


def _gradient() -> tuple[Gradient, tuple[tuple[str, str, str], ...], tuple[tuple[Rule, str, str], ...]]:
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
            return np.array([u / 2 - v for u, v in zip(gq, gl)], dtype=object)  # f = ½ q − l

    rules = ((quad.id, "catalog", q_status), (lin.id, "catalog", l_status), (local.id, "local", status))
    return grad_catalog, rules, found


# ------------------------------------------------------------------------------------ formulas
def _rule_formulas(catalog: tuple[tuple[Rule, str, str], ...]) -> tuple[Formula, ...]:
    """The catalog rules used, as printed there, and how they give ∇f (b for the linear rule's constant)."""
    if not catalog:
        return ()
    (quad, qx, qa), (lin, lx, la) = catalog
    x, A, b = _symbols()
    out = []
    for r, wrt in ((quad, qx), (lin, lx)):
        var = r.input(wrt).symbol
        out.append(Formula(f"descent-rule-{r.id}", rf"\frac{{\partial}}{{\partial {latex(var)}}} {latex(r.function)} = "
                           f"{latex(r.derivatives[wrt])}", "example"))
    with sp.evaluate(True):
        dq = sp.MatMul(sp.Rational(1, 2), quad.derivatives[qx]).xreplace({quad.input(qx).symbol: x, quad.input(qa).symbol: A})
        dl = lin.derivatives[lx].xreplace({lin.input(lx).symbol: x, lin.input(la).symbol: b})
    grad = local_rule().derivatives["x"]
    out.append(Formula("descent-grad-from-rules", rf"\nabla f({latex(x)}) = {latex(dq)} - {latex(dl)} = {latex(grad)}", "example"))
    return tuple(out)


def _formulas() -> tuple[Formula, ...]:
    rule = local_rule()
    x, A, b = _symbols()
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
        Formula("descent-step", f"{latex(xk1)} = {latex(step)}, \\quad {latex(gk)} = {latex(grad.xreplace({x: xk}))}", "example"),
        Formula("descent-newton", f"{latex(x1)} = {latex(newton)} = {latex(A.inv() * b)}", "example"),
        Formula("descent-condition", f"0 < {latex(eta)} < {latex(2 / lam)}", "example"),
    )


# ------------------------------------------------------------------------------------ the example
def _norm(v: Any) -> Any:
    return mpmath.sqrt(mpmath.fsum(c * c for c in v))


def _run(grad: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, eta_value: float, steps: int, lams: tuple[Any, Any],
         xstar: np.ndarray, limit: Any) -> Run:
    """Gradient descent with step ``eta_value`` (the decimal it is written as), in mpmath at :data:`DPS` digits."""
    with mpmath.workdps(DPS):
        eta = decimal(eta_value)
        xs = [x0]
        for _ in range(steps):
            g = grad(xs[-1])
            xs.append(np.array([xi - eta * gi for xi, gi in zip(xs[-1], g)], dtype=object))
        factors = [abs(1 - eta * lam) for lam in lams]
        rate = max(factors)
        converges = rate < 1
        distance = _norm([a - b for a, b in zip(xs[-1], xstar)])
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
        eta=number(eta_value), eta_value=eta_value, converges=bool(converges), rate=number(float(rate), 3),
        iterates=tuple((float(p[0]), float(p[1])) for p in xs),
        shown=tuple(Value.of(floats(p), 3) for p in xs[:6]),
        distance=number(float(distance), 3), style="solid" if converges else "dashed",
        condition=Formula(f"descent-eta-{'conv' if converges else 'div'}", latex(rel), "example"), text=text,
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


def descent(problem: Problem = DEFAULT) -> DescentExample:
    """The worked example: the rules' gradient and Hessian, two runs, Newton's step and the contour plot.

    Computed in mpmath at :data:`DPS` digits from the decimals of ``problem`` (see :mod:`cheatsheet.examples`:
    no float64 result of numpy is printed), then rounded for print."""
    grad_of, rules, catalog = _gradient()
    with mpmath.workdps(DPS):
        A = np.array([[decimal(v) for v in row] for row in problem.A], dtype=object)
        b = np.array([decimal(v) for v in problem.b], dtype=object)
        x0 = np.array([decimal(v) for v in problem.x0], dtype=object)
        if A[0, 1] != A[1, 0] or min(mpmath.eigsy(mpmath.matrix(A.tolist()))[0]) <= 0:
            raise ValueError("A must be symmetric positive definite")

        def grad(x: np.ndarray) -> np.ndarray:
            return grad_of(x, A, b)

        # the Hessian of an affine gradient: column k is ∇f(e_k) − ∇f(0)
        g0 = grad(np.array([mpmath.mpf(0)] * 2, dtype=object))
        cols = [grad(np.array([mpmath.mpf(int(i == k)) for i in range(2)], dtype=object)) - g0 for k in range(2)]
        H = np.array([[cols[k][i] for k in range(2)] for i in range(2)], dtype=object)
        lams, vecs = _eigen(H)
        lam_max = lams[-1]
        limit = 2 / lam_max
        if not decimal(problem.eta_converging) < limit < decimal(problem.eta_diverging):
            raise ValueError(f"step sizes must straddle 2/λmax = {number(float(limit))}: got {problem.eta_converging}, "
                             f"{problem.eta_diverging}")
        # independently of the rules: the test compares Newton's step with it
        xstar = np.array(mpmath.lu_solve(mpmath.matrix(A.tolist()), mpmath.matrix(b.tolist())).tolist(), dtype=object).reshape(-1)
        runs = (
            _run(grad, x0, problem.eta_converging, problem.steps, lams, xstar, limit),
            _run(grad, x0, problem.eta_diverging, problem.steps, lams, xstar, limit),
        )
        step = mpmath.lu_solve(mpmath.matrix(H.tolist()), mpmath.matrix(grad(x0).tolist()))
        newton = np.array([x0[i] - step[i] for i in range(2)], dtype=object)
        newton_error = _norm([u - v for u, v in zip(newton, xstar)])
    example = DescentExample(
        problem=problem, A=Value.of(floats(A)), b=Value.of(floats(b)), x0=Value.of(floats(x0)),
        minimum=Value.of(floats(xstar)), hessian=Value.of(floats(H)),
        eigenvalues=(number(float(lams[0])), number(float(lams[1]))), lambda_max=number(float(lam_max)),
        eta_limit=number(float(limit)), formulas=_formulas() + _rule_formulas(catalog), rules=rules, runs=runs,
        newton=Value.of(floats(newton)), newton_error=float(newton_error), figure="",
    )
    from dataclasses import replace

    return replace(example, figure=contour_svg(A, b, x0, runs, newton, lams, vecs))


# ------------------------------------------------------------------------------------ the figure
_W, _H = 260.0, 200.0  # plot area in px
_SIZE = 7.5
_LEGEND_LINE = 10.0


def _clip(p: tuple[float, float], q: tuple[float, float], box: tuple[float, float, float, float]) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The part of segment pq inside ``box`` (x0, y0, x1, y1), by Liang–Barsky; None if none."""
    x0, y0, x1, y1 = box
    dx, dy = q[0] - p[0], q[1] - p[1]
    t0, t1 = 0.0, 1.0
    for pk, qk in ((-dx, p[0] - x0), (dx, x1 - p[0]), (-dy, p[1] - y0), (dy, y1 - p[1])):
        if pk == 0:
            if qk < 0:
                return None
            continue
        t = qk / pk
        if pk < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return None
    return (p[0] + t0 * dx, p[1] + t0 * dy), (p[0] + t1 * dx, p[1] + t1 * dy)


def contour_svg(A: np.ndarray, b: np.ndarray, x0: np.ndarray, runs: tuple[Run, Run], newton: np.ndarray,
                lams: tuple[Any, Any], vecs: tuple[tuple[Any, Any], tuple[Any, Any]]) -> str:
    """The contour plot with both runs, Newton's step and the minimum (see the module docstring).

    ``A``, ``b``, ``x0``, ``newton``, ``lams`` and ``vecs`` (eigenvectors as columns) are mpmath numbers: the
    frame, the levels, the ellipses' axes and angle are computed in mpmath and become floats for the drawing,
    whose arithmetic is + − × ÷ and sqrt only (the same bits on every machine)."""
    with mpmath.workdps(DPS):
        Am = mpmath.matrix(A.tolist())
        xstar_m = mpmath.lu_solve(Am, mpmath.matrix(b.tolist()))
        d = mpmath.matrix(x0.tolist()) - xstar_m
        f_gap = (d.T * Am * d)[0] / 2  # f(x0) − f(x*): the outermost level passes through x0
        levels = [f_gap * mpmath.mpf("0.4") ** k for k in range(6)]
        ainv = mpmath.inverse(Am)
        # the frame: the outermost ellipse's bounding box (half-width √(2c (A⁻¹)_ii)), a margin around it
        half = [mpmath.sqrt(2 * levels[0] * ainv[i, i]) * mpmath.mpf("1.15") for i in range(2)]
        xstar = [float(xstar_m[i]) for i in range(2)]
        lo = [float(xstar_m[i] - half[i]) for i in range(2)]
        hi = [float(xstar_m[i] + half[i]) for i in range(2)]
        # semi-axes √(2c/λ_i) in data units; the angle of the first eigenvector in degrees
        axes = [(float(mpmath.sqrt(2 * c / lams[0])), float(mpmath.sqrt(2 * c / lams[1]))) for c in levels]
        theta = float(mpmath.degrees(mpmath.atan2(vecs[1][0], vecs[0][0])))
        limit_text = number(float(2 / lams[-1]), 3)
        lam_text = (number(float(lams[0]), 3), number(float(lams[1]), 3))
    x_0 = [float(v) for v in x0]
    x_n = [float(v) for v in newton]
    for p in runs[0].iterates:
        lo, hi = [min(lo[0], p[0]), min(lo[1], p[1])], [max(hi[0], p[0]), max(hi[1], p[1])]
    scale = min(_W / (hi[0] - lo[0]), _H / (hi[1] - lo[1]))
    w, h = (hi[0] - lo[0]) * scale, (hi[1] - lo[1]) * scale
    left, top = 16.0, 6.0  # room for the y tick labels

    def sx(v: float) -> float:
        return float(left + (v - lo[0]) * scale)

    def sy(v: float) -> float:
        return float(top + (hi[1] - v) * scale)

    box = (sx(lo[0]), sy(hi[1]), sx(hi[0]), sy(lo[1]))
    legend_top = top + h + 10
    height = legend_top + 4 * _LEGEND_LINE + 2
    width = left + w + 6
    parts = [svg_open(width, height, "descent-plot", "gradient descent on a 2-D quadratic: contour lines, a converging "
                      "run (solid), a diverging run (dashed), Newton's step (dotted) and the minimum (cross)")]
    parts.append(f'<rect x="{fmt(box[0])}" y="{fmt(box[1])}" width="{fmt(w)}" height="{fmt(h)}" fill="none" stroke="#000" stroke-width="0.6"/>')
    # level sets: exact ellipses, semi-axes √(2c/λ_i) along the eigenvectors (screen y points down: angle −θ)
    cx, cy = sx(xstar[0]), sy(xstar[1])
    for a1, a2 in axes:
        r1, r2 = a1 * scale, a2 * scale
        parts.append(
            f'<ellipse cx="{fmt(cx)}" cy="{fmt(cy)}" rx="{fmt(r1)}" ry="{fmt(r2)}" transform="rotate({fmt(-theta)} {fmt(cx)} {fmt(cy)})" '
            f'fill="none" stroke="#999" stroke-width="0.5"/>'
        )
    # the runs: segments clipped to the frame
    for run in runs:
        pts = [(sx(p[0]), sy(p[1])) for p in run.iterates]
        segs = []
        for p, q in pairwise(pts):  # up to where the run leaves the frame (a diverging run does not come back)
            seg = _clip(p, q, box)
            if seg is not None:
                segs.append(seg)
            if seg is None or _dist(seg[1], q) > 1e-9:
                break
        pts = pts[: len(segs) + 1]
        d = "".join(polyline([a, c]) for a, c in segs)
        dash = "" if run.converges else ' stroke-dasharray="3.5 2"'
        parts.append(f'<path class="{run.style}" d="{d}" fill="none" stroke="#000" stroke-width="0.9"{dash}/>')
        for p in pts[1:]:
            if box[0] <= p[0] <= box[2] and box[1] <= p[1] <= box[3]:
                paint = 'fill="#000"' if run.converges else 'fill="#fff" stroke="#000" stroke-width="0.7"'
                parts.append(f'<circle cx="{fmt(p[0])}" cy="{fmt(p[1])}" r="{1.5 if run.converges else 1.8}" {paint}/>')
    # Newton's step: dotted, with an arrowhead at the minimum
    p, q = (sx(x_0[0]), sy(x_0[1])), (sx(x_n[0]), sy(x_n[1]))
    length = _dist(p, q)
    tip = (q[0] - (q[0] - p[0]) * 5 / length, q[1] - (q[1] - p[1]) * 5 / length)  # stops short of the cross at x*
    parts.append(f'<path class="newton" d="{polyline([p, tip])}" fill="none" stroke="#000" stroke-width="1" stroke-dasharray="0.8 1.8" stroke-linecap="round"/>')
    parts.append(_head(p, tip))
    # start and minimum
    parts.append(f'<rect x="{fmt(p[0] - 2.2)}" y="{fmt(p[1] - 2.2)}" width="4.4" height="4.4" fill="#000"/>')
    parts.append(
        f'<path d="M{fmt(cx - 4)} {fmt(cy - 4)}L{fmt(cx + 4)} {fmt(cy + 4)}M{fmt(cx - 4)} {fmt(cy + 4)}L{fmt(cx + 4)} {fmt(cy - 4)}" '
        f'stroke="#000" stroke-width="1.3"/>'
    )
    parts.append(f'<g font-family="{FONT}" font-size="{fmt(_SIZE)}">')
    parts.append(f'<text x="{fmt(p[0] - 4)}" y="{fmt(p[1] - 4)}" text-anchor="end">{svg_label("x_0", _SIZE)}</text>')
    parts.append(f'<text x="{fmt(cx + 5)}" y="{fmt(cy + 9)}">{svg_label("x^*", _SIZE)}</text>')
    # tick labels at the frame's corners
    tick = 'font-size="6" fill="#555"'
    parts.append(f'<text x="{fmt(box[0])}" y="{fmt(box[3] + 7.5)}" {tick}>{svg_label(number(lo[0], 2), 6)}</text>')
    parts.append(f'<text x="{fmt(box[2])}" y="{fmt(box[3] + 7.5)}" {tick} text-anchor="end">{svg_label(number(hi[0], 2), 6)}</text>')
    parts.append(f'<text x="{fmt((box[0] + box[2]) / 2)}" y="{fmt(box[3] + 7.5)}" {tick} text-anchor="middle">{svg_label("x_1", 6)}</text>')
    parts.append(f'<text x="{fmt(box[0] - 2)}" y="{fmt(box[1] + 5)}" {tick} text-anchor="end">{svg_label(number(hi[1], 2), 6)}</text>')
    parts.append(f'<text x="{fmt(box[0] - 2)}" y="{fmt(box[3])}" {tick} text-anchor="end">{svg_label(number(lo[1], 2), 6)}</text>')
    parts.append(f'<text x="{fmt(box[0] - 2)}" y="{fmt((box[1] + box[3]) / 2 + 2)}" {tick} text-anchor="end">{svg_label("x_2", 6)}</text>')
    # legend: a sample of each line style, then its text
    y = legend_top + 6
    for run in runs:
        dash = "" if run.converges else ' stroke-dasharray="3.5 2"'
        parts.append(f'<path d="M{fmt(left)} {fmt(y - 2.5)}H{fmt(left + 16)}" stroke="#000" stroke-width="0.9"{dash}/>')
        sign = "<" if run.converges else ">"
        verdict = "converges" if run.converges else "diverges"
        parts.append(f'<text x="{fmt(left + 20)}" y="{fmt(y)}">{svg_label(f"η = {run.eta} {sign} 2/λ_{{max}} ≈ {limit_text}: {verdict}", _SIZE)}</text>')
        y += _LEGEND_LINE
    parts.append(f'<path d="M{fmt(left)} {fmt(y - 2.5)}H{fmt(left + 16)}" stroke="#000" stroke-width="1" stroke-dasharray="0.8 1.8" stroke-linecap="round"/>')
    parts.append(f'<text x="{fmt(left + 20)}" y="{fmt(y)}">{svg_label("Newton: x_1 = x_0 − A^{−1}(Ax_0 − b) = x^*", _SIZE)}</text>')
    y += _LEGEND_LINE
    parts.append(f'<text x="{fmt(left)}" y="{fmt(y)}" fill="#555">{svg_label(f"contours of f, λ(A) = {lam_text[0]}, {lam_text[1]}", _SIZE)}</text>')
    parts.append("</g></svg>")
    return "".join(parts)


def _dist(p: tuple[float, float], q: tuple[float, float]) -> float:
    """|pq| with + − × and sqrt only (math.hypot and math.dist are not correctly rounded everywhere)."""
    return math.sqrt((q[0] - p[0]) ** 2 + (q[1] - p[1]) ** 2)


def _head(p: tuple[float, float], q: tuple[float, float]) -> str:
    length = _dist(p, q)
    ux, uy = (q[0] - p[0]) / length, (q[1] - p[1]) / length
    bx, by = q[0] - ux * 4.5, q[1] - uy * 4.5
    pts = [q, (bx - uy * 2.2, by + ux * 2.2), (bx + uy * 2.2, by - ux * 2.2)]
    return f'<path d="{polyline(pts)}Z" fill="#000"/>'
