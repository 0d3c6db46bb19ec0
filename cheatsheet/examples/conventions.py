"""The conventions panel, generated from the catalog at build time.

:func:`conventions`: numerator vs denominator layout (what ∂f/∂x is for each kind of f and x, with the
catalog's trace rule as the example), JVP vs VJP (with the catalog's softmax Jacobian, evaluated through the
rule, and its VJP rule as a cross-check), and the kink conventions of every kinked rule (:func:`kink_rows`,
from the rules' :class:`~cheatsheet.rule.Kink` data, never typed). The "Common mistakes" panel is
:mod:`cheatsheet.examples.mistakes_panel`.

Formulas are :class:`~cheatsheet.sheet.Formula` objects (unique keys, LaTeX printed by
:func:`cheatsheet.printing.latex.latex` from sympy expressions; left-hand sides such as ∂f/∂x are put together from
printed symbols, as the cards do); numbers are strings rounded for display.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from cheatsheet.examples.numbers import DPS, Value, decimal, floats, number
from cheatsheet.printing.latex import latex
from cheatsheet.rule import Rule
from cheatsheet.sheet import Formula

__all__ = [
    "ConventionsPanel",
    "KinkRow",
    "LayoutExample",
    "LayoutRow",
    "ProductRow",
    "conventions",
    "kink_rows",
    "layout_rows",
    "products",
]


# =========================================================================================== layout
@dataclass(frozen=True)
class LayoutRow:
    """What ∂f/∂x is for one kind of f and x, in numerator and in denominator layout.

    ``case`` names the kinds ("scalar f, vector x ∈ ℝⁿ"); ``numerator``/``denominator`` are the matrices
    (LaTeX), with their shapes and names ("gradient ∇f", "Jacobian J") as text.
    """

    case: str
    numerator: Formula
    numerator_shape: str
    denominator: Formula
    denominator_shape: str
    name: str


def _partial(top: Any, bottom: Any) -> str:
    """The Leibniz fraction ∂top/∂bottom from the printed symbols."""
    return rf"\frac{{\partial {latex(top)}}}{{\partial {latex(bottom)}}}"


def _matrix(rows: Sequence[Sequence[str]]) -> str:
    """A bracketed matrix of LaTeX entries, in the environment the printer uses for sympy matrices."""
    return r"\left[\begin{matrix}" + r" \\ ".join(" & ".join(r) for r in rows) + r"\end{matrix}\right]"


def _turn(entry: str) -> str:
    """An entry of a transposed matrix: the ellipsis turns with it (⋯ in a row, ⋮ in a column)."""
    return {r"\cdots": r"\vdots", r"\vdots": r"\cdots"}.get(entry, entry)


def layout_rows() -> tuple[LayoutRow, ...]:
    """The four cases of the layout table (general sizes, corners of each matrix)."""
    f, x = sp.Symbol("f"), sp.Symbol("x")
    fv, xv, X = sp.IndexedBase("f"), sp.IndexedBase("x"), sp.IndexedBase("X")
    xb = sp.MatrixSymbol("x", 1, 1)  # printed name of the vector/matrix in the left-hand side
    n, m, p, q = sp.symbols("n m p q", integer=True, positive=True)
    one = sp.Integer(1)
    lhs = _partial(f, xb)
    dots, vdots, ddots = r"\cdots", r"\vdots", r"\ddots"

    def pd(a: Any, b: Any) -> str:
        return _partial(a, b)

    row_x = [pd(f, xv[one]), dots, pd(f, xv[n])]
    col_f = [pd(fv[one], x), vdots, pd(fv[m], x)]
    jac = [
        [pd(fv[one], xv[one]), dots, pd(fv[one], xv[n])],
        [vdots, ddots, vdots],
        [pd(fv[m], xv[one]), dots, pd(fv[m], xv[n])],
    ]
    jac_t = [[jac[0][0], dots, jac[2][0]], [vdots, ddots, vdots], [jac[0][2], dots, jac[2][2]]]
    grad_x = [
        [pd(f, X[one, one]), dots, pd(f, X[one, q])],
        [vdots, ddots, vdots],
        [pd(f, X[p, one]), dots, pd(f, X[p, q])],
    ]
    grad_xt = [[grad_x[0][0], dots, grad_x[2][0]], [vdots, ddots, vdots], [grad_x[0][2], dots, grad_x[2][2]]]
    F = sp.MatrixSymbol("f", 1, 1)
    Xm = sp.MatrixSymbol("X", 1, 1)
    return (
        LayoutRow(
            "scalar f, vector x ∈ ℝⁿ",
            Formula("layout-sv-num", f"{lhs} = {_matrix([row_x])}", "panel"),
            "1×n (row)",
            Formula("layout-sv-den", f"{lhs} = {_matrix([[_turn(r)] for r in row_x])}", "panel"),
            "n×1 (column)",
            "the gradient ∇f is the denominator-layout column",
        ),
        LayoutRow(
            "vector f ∈ ℝᵐ, scalar x",
            Formula("layout-vs-num", f"{_partial(F, x)} = {_matrix([[c] for c in col_f])}", "panel"),
            "m×1 (column)",
            Formula("layout-vs-den", f"{_partial(F, x)} = {_matrix([[_turn(c) for c in col_f]])}", "panel"),
            "1×m (row)",
            "a tangent vector",
        ),
        LayoutRow(
            "vector f ∈ ℝᵐ, vector x ∈ ℝⁿ",
            Formula("layout-vv-num", f"{_partial(F, xb)} = {_matrix(jac)}", "panel"),
            "m×n",
            Formula("layout-vv-den", f"{_partial(F, xb)} = {_matrix(jac_t)}", "panel"),
            "n×m",
            "the Jacobian J (numerator) or Jᵀ (denominator)",
        ),
        LayoutRow(
            "scalar f, matrix X (p×q)",
            Formula("layout-sm-num", f"{_partial(f, Xm)} = {_matrix(grad_xt)}", "panel"),
            "q×p",
            Formula("layout-sm-den", f"{_partial(f, Xm)} = {_matrix(grad_x)}", "panel"),
            "p×q (the shape of X)",
            "the gradient has the shape of X in denominator layout",
        ),
    )


@dataclass(frozen=True)
class LayoutExample:
    """A catalog matrix rule in both layouts: its printed gradient (denominator) and the transpose."""

    rule_id: str
    function: Formula
    numerator: Formula
    denominator: Formula


#: The rule the layout panel shows in both layouts (the classic ∂tr(AX)/∂X; also an erratum of the mistakes panel).
LAYOUT_EXAMPLE = "trace_ax"


def _layout_example() -> LayoutExample | None:
    """:data:`LAYOUT_EXAMPLE`, or else the first catalog matrix rule whose gradient is a matrix (not a vector)
    that differs from its transpose."""
    import cheatsheet

    matrix_rules = cheatsheet.rules("matrix")
    for r in sorted(matrix_rules, key=lambda r: r.id != LAYOUT_EXAMPLE):
        if r.layout != "denominator":
            continue
        for wrt, claim in r.derivatives.items():
            claim = sp.sympify(claim)
            if isinstance(claim, sp.MatrixExpr) and claim.shape[1] != 1 and claim.shape[0] != 1:
                with sp.evaluate(True):
                    transposed = sp.Transpose(claim).doit()
                if transposed == claim:
                    continue  # symmetric: both layouts print the same
                lhs = _partial(sp.Symbol("f"), r.input(wrt).symbol)
                return LayoutExample(
                    r.id,
                    Formula(f"layout-{r.id}-f", f"f = {latex(r.function)}", "panel"),
                    Formula(f"layout-{r.id}-num", f"{lhs} = {latex(transposed)}", "panel"),
                    Formula(f"layout-{r.id}-den", f"{lhs} = {latex(claim)}", "panel"),
                )
    return None


# =========================================================================================== JVP / VJP
@dataclass(frozen=True)
class ProductRow:
    """JVP or VJP: the formula, what it computes, its shape, the autodiff mode, and the example's value."""

    kind: str  # 'JVP' or 'VJP'
    formula: Formula
    computes: str
    shape: str
    mode: str
    value: Value


# =========================================================================================== kinks
@dataclass(frozen=True)
class KinkRow:
    """One kink of one rule: where, the one-sided derivatives, PyTorch's value, JAX's where stated, the
    subdifferential (None at a jump of the function, where no derivative exists).

    The ``*_value`` strings give the numbers at the default parameters ('' where the value depends on
    another input, as the hinge loss's kink at x = 1/y).
    """

    rule_id: str
    title: str
    wrt: str
    at: Formula
    left: Formula
    right: Formula
    torch: Formula
    jax: Formula | None
    subdifferential: Formula | None
    jump: bool
    note: str
    at_value: str
    left_value: str
    right_value: str
    torch_value: str
    jax_value: str


def _value_at_defaults(rule: Rule, expr: Any) -> str:
    from cheatsheet.evaluate.expand import concrete, param_values

    try:
        e = concrete(sp.sympify(expr), rule).xreplace(param_values(rule, {}))
        if e.free_symbols:
            return ""
        v = float(sp.N(e, 30))
    except (TypeError, ValueError):
        return ""
    text = number(v)
    shown = float(text.replace("\u2212", "-")) if "\u00d7" not in text else v
    # a value that the rounding changes visibly (σ(20) shown as 1, 1/6 as 0.1667) is marked approximate
    return text if abs(shown - v) <= 1e-12 * max(1.0, abs(v)) else "\u2248" + text


def kink_rows(rules: Sequence[Rule] | None = None) -> tuple[KinkRow, ...]:
    """Every kink of every rule, in catalog order, from the rules' Kink data."""
    import cheatsheet

    out = []
    for r in rules if rules is not None else cheatsheet.rules():
        for k, kink in enumerate(r.kinks):
            wrt = kink.wrt or r.inputs[0].name
            var = latex(r.input(wrt).symbol)
            key = f"kink-{r.id}-{k}"
            given = "".join(rf",\ {latex(sym)} = {latex(value)}" for sym, value in kink.given)
            sub = None
            if not kink.jump:
                lo, hi = kink.subdifferential(r)
                sub = Formula(f"{key}-sub", rf"\left[{latex(lo)}, {latex(hi)}\right]", "panel")
            out.append(
                KinkRow(
                    rule_id=r.id,
                    title=r.title,
                    wrt=wrt,
                    at=Formula(f"{key}-at", f"{var} = {latex(kink.at)}{given}", "panel"),
                    left=Formula(f"{key}-left", latex(kink.left), "panel"),
                    right=Formula(f"{key}-right", latex(kink.right), "panel"),
                    torch=Formula(f"{key}-torch", latex(kink.torch), "panel"),
                    jax=Formula(f"{key}-jax", latex(kink.jax), "panel") if kink.jax is not None else None,
                    subdifferential=sub,
                    jump=kink.jump,
                    note=kink.note,
                    at_value=_value_at_defaults(r, kink.at),
                    left_value=_value_at_defaults(r, kink.left),
                    right_value=_value_at_defaults(r, kink.right),
                    torch_value=_value_at_defaults(r, kink.torch),
                    jax_value=_value_at_defaults(r, kink.jax) if kink.jax is not None else "",
                )
            )
    return tuple(out)


# =========================================================================================== the panel
@dataclass(frozen=True)
class ConventionsPanel:
    """The conventions panel.

    ``layout``: the four cases; ``layout_example``: a catalog matrix rule in both layouts;
    ``catalog_layout``: what the catalog uses, from its data.
    ``jacobian``: the softmax Jacobian entry and its definition (from the rule); ``products``: JVP and VJP
    of the example; ``example``: x, v, g and J rounded; ``vjp_check``: the VJP from the catalog's VJP rule
    (the same numbers, computed independently); ``symmetric``: whether J = Jᵀ here (then gᵀJ = (Jg)ᵀ).
    ``kinks``: every kink of the catalog.
    """

    layout: tuple[LayoutRow, ...]
    layout_example: LayoutExample | None
    catalog_layout: str
    jacobian: tuple[Formula, ...]
    products: tuple[ProductRow, ...]
    example: tuple[tuple[str, Value], ...]
    vjp_check: str
    symmetric: bool
    kinks: tuple[KinkRow, ...]


SOFTMAX_X = (1.0, 2.0, 0.5)
SOFTMAX_V = (1.0, 0.0, -1.0)
SOFTMAX_G = (0.5, -1.0, 0.0)


def products(
    x: Sequence[float] = SOFTMAX_X, v: Sequence[float] = SOFTMAX_V, g: Sequence[float] = SOFTMAX_G
) -> dict[str, Any]:
    """The softmax Jacobian through the catalog rule at ``x``, its JVP J v and VJP gᵀJ, and the VJP from
    the catalog's VJP rule (``softmax_vjp``, the gradient of gᵀ softmax(x)) when it exists.

    Computed exactly (the rules' ``exact=True``, mpmath at :data:`~cheatsheet.examples.DPS` digits, from the
    decimals given; products summed in mpmath, no BLAS): ``exact`` holds those numbers, the other entries are
    them as float64 (each correctly rounded, so the same on every machine)."""
    import cheatsheet

    rule = cheatsheet.get("softmax")
    with mpmath.workdps(DPS):
        xa, va, ga = (np.array([decimal(c) for c in a], dtype=object) for a in (x, v, g))
        J = np.asarray(rule.derivative_at(xa, exact=True, dps=DPS), dtype=object)
        jvp = np.array([mpmath.fsum(J[i, k] * va[k] for k in range(len(va))) for i in range(J.shape[0])], dtype=object)
        vjp = np.array([mpmath.fsum(ga[i] * J[i, k] for i in range(len(ga))) for k in range(J.shape[1])], dtype=object)
    exact: dict[str, Any] = {"J": J, "jvp": jvp, "vjp": vjp, "x": xa, "v": va, "g": ga}
    out: dict[str, Any] = {"rule": rule, "vjp_rule": None, "exact": exact}
    out |= {k: floats(val) for k, val in exact.items()}
    try:
        vjp_rule = cheatsheet.get("softmax_vjp")
    except KeyError:
        return out
    out["vjp_rule"] = vjp_rule
    with mpmath.workdps(DPS):
        exact["vjp_from_rule"] = np.asarray(
            vjp_rule.derivative_at(xa, ga, wrt="input", exact=True, dps=DPS), dtype=object
        ).reshape(-1)
    out["vjp_from_rule"] = floats(exact["vjp_from_rule"])
    return out


#: Two exact computations of the same numbers agree when they differ by less than this (relative to 1): they are
#: both correct to :data:`~cheatsheet.examples.DPS` digits, so the bound leaves room for their last digits only.
AGREE = 10 ** -(DPS - 5)


def _catalog_layout() -> str:
    """What the catalog uses, from its data: the matrix rules' layout, the vector rules' Jacobian."""
    import cheatsheet

    layouts = sorted({r.layout for r in cheatsheet.rules("matrix") if r.layout})
    vector_rules = [r for r in cheatsheet.rules() if r.shape == "vector" and r.vector_output]
    return (
        f"The catalog's matrix rules use {', '.join(layouts) or 'no stated'} layout (the gradient has the shape of the "
        f"input); its {len(vector_rules)} vector-valued rules give the Jacobian entry Jᵢⱼ = ∂fᵢ/∂xⱼ (numerator layout)."
    )


def _jacobian(rule: Rule) -> tuple[Formula, ...]:
    """The softmax rule's Jacobian entry Jᵢⱼ = ∂fᵢ/∂xⱼ and its definitions, as the rule prints them."""
    d = rule.derivatives[rule.inputs[0].name]
    jac = [
        Formula(
            "jvp-jacobian",
            f"J_{{ij}} = {_partial(sp.Indexed('f', sp.Symbol('i')), sp.Indexed('x', sp.Symbol('j')))} = {latex(d)}",
            "panel",
        )
    ]
    for k, w in enumerate(rule.where):
        jac.append(Formula(f"jvp-where-{k}", f"{latex(w.symbol)} = {latex(w.value)}", "panel"))
    return tuple(jac)


def _product_rows(pr: dict[str, Any]) -> tuple[ProductRow, ...]:
    """JVP and VJP: what each computes and costs, with the example's values (``pr`` from :func:`products`)."""
    J, v, g = (sp.MatrixSymbol(s, 3, 3 if s == "J" else 1) for s in ("J", "v", "g"))
    n = len(SOFTMAX_X)
    return (
        ProductRow(
            "JVP",
            Formula("jvp-formula", latex(J * v), "panel"),
            "the directional derivative of f at x along v (a column of J when v = eⱼ)",
            f"like the output: {n}",
            "forward mode: one pass per input direction v; cheap when inputs are few",
            Value.of(pr["jvp"]),
        ),
        ProductRow(
            "VJP",
            Formula("vjp-formula", latex(g.T * J), "panel"),
            "the gradient of gᵀf w.r.t. x (a row of J when g = eᵢ): what backpropagation passes back",
            f"like the input: {n}",
            "reverse mode (backpropagation): one pass per output cotangent g; cheap when outputs are few (a scalar loss)",
            Value.of(pr["vjp"]),
        ),
    )


def _vjp_check(pr: dict[str, Any]) -> str:
    """The cross-check by the catalog's VJP rule, in one sentence ("" without that rule); raises when the two
    computations disagree."""
    if pr["vjp_rule"] is None:
        return ""
    exact = pr["exact"]
    # both are exact to DPS digits: what is printed is the bound they meet (a bound cannot flip with the last
    # digits, as a float64 "largest difference 2.8×10⁻¹⁷" did from one CPU to another)
    gap = max(abs(a - b) for a, b in zip(exact["vjp_from_rule"], exact["vjp"], strict=False))
    if gap > AGREE:
        raise RuntimeError(
            f"the {pr['vjp_rule'].id} rule and the softmax Jacobian give different VJPs "
            f"(largest difference {number(float(gap), 2)})"
        )
    return (
        f"The catalog's {pr['vjp_rule'].id} rule gives the VJP directly: {Value.of(pr['vjp_from_rule']).text} "
        f"(the same to {DPS - 5} digits)."
    )


def conventions() -> ConventionsPanel:
    """The conventions panel, from the catalog."""
    catalog_layout = _catalog_layout()
    pr = products()
    rows = _product_rows(pr)
    vjp_check = _vjp_check(pr)
    J = pr["exact"]["J"]
    symmetric = all(abs(J[i, k] - J[k, i]) <= AGREE for i in range(J.shape[0]) for k in range(J.shape[1]))
    example = (("x", Value.of(pr["x"])), ("v", Value.of(pr["v"])), ("g", Value.of(pr["g"])), ("J", Value.of(pr["J"])))
    return ConventionsPanel(
        layout=layout_rows(),
        layout_example=_layout_example(),
        catalog_layout=catalog_layout,
        jacobian=_jacobian(pr["rule"]),
        products=rows,
        example=example,
        vjp_check=vjp_check,
        symmetric=symmetric,
        kinks=kink_rows(),
    )
