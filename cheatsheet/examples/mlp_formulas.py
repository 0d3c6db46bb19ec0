"""The MLP example's printed formulas: the forward pass, the adjoint definition, and per node of the table
its local derivative, its gradient and the upstream adjoint, as LaTeX.

The loss's and the activation's formulas are the rules' own (parameters at their defaults, inputs renamed to
the network's nodes, the activation applied entry by entry); the linear layers' are matrix products of sympy
matrix symbols. Adjoints are written x̄ = ∂ℓ/∂x (:mod:`cheatsheet.examples.mlp`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sympy as sp

from cheatsheet.examples.mlp_network import Network
from cheatsheet.examples.numbers import positive_first
from cheatsheet.printing.latex import latex
from cheatsheet.rule import Rule
from cheatsheet.sheet import Formula

__all__ = ["formulas", "symbols"]

_M = sp.MatrixSymbol


def symbols(net: Network) -> dict[str, Any]:
    """The nodes' printed symbols by node name (matrix symbols sized to ``net``), their adjoints under ``bar``."""
    n_in, n_hid = len(net.x), len(net.b1)
    return {
        "x": _M("x", n_in, 1),
        "W1": _M("W_1", n_hid, n_in),
        "b1": _M("b_1", n_hid, 1),
        "z1": _M("z_1", n_hid, 1),
        "h": _M("h", n_hid, 1),
        "W2": _M("W_2", 1, n_hid),
        "b2": sp.Symbol("b_2"),
        "z2": sp.Symbol("z_2"),
        "loss": sp.Symbol("ell"),
        "y": sp.Symbol("y"),
        "bar": {
            "x": _M("xbar", n_in, 1),
            "W1": _M("Wbar_1", n_hid, n_in),
            "b1": _M("bbar_1", n_hid, 1),
            "z1": _M("zbar_1", n_hid, 1),
            "h": _M("hBar", n_hid, 1),
            "W2": _M("Wbar_2", 1, n_hid),
            "b2": sp.Symbol("bbar_2"),
            "z2": sp.Symbol("zbar_2"),
            "loss": sp.Symbol("ellbar"),
        },
    }


def _at_defaults(rule: Rule, expr: sp.Basic, subs: Mapping[sp.Basic, sp.Basic]) -> sp.Expr:
    """``expr`` of ``rule`` with its parameters at their defaults and its inputs renamed (evaluated)."""
    from cheatsheet.evaluate.expand import param_values

    with sp.evaluate(True):
        out = sp.sympify(expr).xreplace(dict(param_values(rule, {}))).xreplace(dict(subs))
        return positive_first(sp.sympify(out))


def _elementwise(rule: Rule, expr: sp.Basic, arg: sp.MatrixSymbol) -> sp.MatrixExpr:
    """The scalar ``expr`` of the rule's input applied entry by entry to the vector ``arg``."""
    x = rule.inputs[0].symbol
    return arg.applyfunc(sp.Lambda(x, expr))


def _eq(lhs: Any, rhs: Any) -> str:
    """lhs = rhs in LaTeX."""
    return f"{latex(lhs)} = {latex(rhs)}"


def formulas(
    net: Network, act: Rule, loss: Rule
) -> tuple[tuple[Formula, ...], Formula, dict[str, tuple[str, str, str]]]:
    """The forward equations, the adjoint definition, and per node: (local tex, gradient tex, upstream tex)."""
    s = symbols(net)
    bar = s["bar"]
    x_in, y_in = loss.inputs[0].symbol, loss.inputs[1].symbol
    loss_f = _at_defaults(loss, loss.function, {x_in: s["z2"], y_in: s["y"]})
    loss_d = _at_defaults(loss, loss.derivatives["input"], {x_in: s["z2"], y_in: s["y"]})
    act_f = _elementwise(act, act.function, s["z1"])
    act_d = _elementwise(act, act.derivatives[act.inputs[0].name], s["z1"])
    with sp.evaluate(False):
        equations = (
            Formula("mlp-eq-z1", _eq(s["z1"], s["W1"] * s["x"] + s["b1"]), "example"),
            Formula("mlp-eq-h", _eq(s["h"], act_f), "example"),
            # z₂ and b₂ as 1×1 matrices here (the same printed names), so that W₂h + b₂ is a matrix sum
            Formula("mlp-eq-z2", _eq(_M("z_2", 1, 1), s["W2"] * s["h"] + _M("b_2", 1, 1)), "example"),
            Formula("mlp-eq-loss", _eq(s["loss"], loss_f), "example"),
        )
    v = sp.Symbol("v")
    adjoint = Formula(
        "mlp-adjoint",
        f"{latex(sp.Symbol('vbar'))} = \\frac{{\\partial {latex(s['loss'])}}}{{\\partial {latex(v)}}}",
        "example",
    )
    per: dict[str, tuple[str, str, str]] = {
        "loss": (
            "",
            f"{latex(bar['loss'])} = \\frac{{\\partial {latex(s['loss'])}}}{{\\partial {latex(s['loss'])}}}",
            "",
        ),
        "z2": (latex(loss_d), f"{latex(bar['z2'])} = {latex(loss_d)}", latex(bar["loss"])),
        "b2": ("1", f"{latex(bar['b2'])} = {latex(bar['z2'])}", latex(bar["z2"])),
        "W2": (latex(s["h"].T), f"{latex(bar['W2'])} = {latex(bar['z2'] * s['h'].T)}", latex(bar["z2"])),
        "h": (latex(s["W2"].T), f"{latex(bar['h'])} = {latex(sp.MatMul(s['W2'].T, bar['z2']))}", latex(bar["z2"])),
        "z1": (latex(act_d), f"{latex(bar['z1'])} = {latex(sp.HadamardProduct(act_d, bar['h']))}", latex(bar["h"])),
        "b1": ("1", f"{latex(bar['b1'])} = {latex(bar['z1'])}", latex(bar["z1"])),
        "W1": (latex(s["x"].T), f"{latex(bar['W1'])} = {latex(bar['z1'] * s['x'].T)}", latex(bar["z1"])),
        "x": (latex(s["W1"].T), f"{latex(bar['x'])} = {latex(s['W1'].T * bar['z1'])}", latex(bar["z1"])),
    }
    return equations, adjoint, per
