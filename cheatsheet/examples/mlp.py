"""Backpropagation through a 2-layer MLP with concrete numbers, every local derivative from a catalog rule.

The network (2 inputs, 3 hidden units, 1 output, one example)::

    z₁ = W₁x + b₁,   h = act(z₁),   z₂ = W₂h + b₂,   ℓ = loss(z₂, y)

with ``act`` a scalar activation of the catalog (tanh by default) applied entry by entry and ``loss`` a
scalar loss of the catalog (binary_cross_entropy_with_logits by default). The forward pass evaluates the
rules (:meth:`Rule.evaluate`); the backward pass takes the activation's and the loss's derivatives from the
rules (:meth:`Rule.derivative_at`) and does the linear layers as matrix products, writing the adjoint
x̄ = ∂ℓ/∂x of every node. Everything is computed exactly as the numbers are written (the rules' ``exact=True``,
mpmath at :data:`~cheatsheet.examples.DPS` digits, products summed in mpmath), so the printed digits are the
same on every machine (see :mod:`cheatsheet.examples`):

    z̄₂ = ℓ′(z₂),  b̄₂ = z̄₂,  W̄₂ = z̄₂ hᵀ,  h̄ = W₂ᵀ z̄₂,  z̄₁ = act′(z₁) ⊙ h̄,  b̄₁ = z̄₁,  W̄₁ = z̄₁ xᵀ,  x̄ = W₁ᵀ z̄₁

The gradients are checked against central finite differences of the forward pass, also at
:data:`~cheatsheet.examples.DPS` digits, so that the printed difference is their truncation error
(:attr:`MLPExample.finite_differences`), and, when PyTorch is installed, against its float64 autograd with
the rules' PyTorch counterparts (:func:`torch_agreement`).

This module assembles the example: the table's rows and :func:`backprop`. The network and its arithmetic are
:mod:`.mlp_network`, the printed formulas :mod:`.mlp_formulas`, the checks :mod:`.mlp_checks` and the figure
:mod:`.mlp_figure`; the public names of those the example's users need are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from cheatsheet.examples.mlp_checks import (
    FD_STEP,
    Agreement,
    agreement,
    central_differences,
    finite_differences,
    pytorch_agreement,
)
from cheatsheet.examples.mlp_figure import graph_svg
from cheatsheet.examples.mlp_formulas import formulas, symbols
from cheatsheet.examples.mlp_network import DEFAULT, Network, backward, exact_inputs, forward, loss_of, rules_of
from cheatsheet.examples.numbers import DPS, Value, floats, number
from cheatsheet.printing.latex import latex
from cheatsheet.rule import Rule
from cheatsheet.sheet import Formula

__all__ = [
    "DEFAULT",
    "FD_STEP",
    "Agreement",
    "BackpropRow",
    "MLPExample",
    "Network",
    "backprop",
    "finite_differences",
    "torch_agreement",
]


@dataclass(frozen=True)
class BackpropRow:
    """One node of the backward pass, in the order backpropagation visits them (ℓ first, x last).

    ``name``: the node's symbol. ``forward``: its value. ``upstream``: the adjoint that flows in from the
    node's consumer (z̄₂ for W₂) and its value. ``local``: the local derivative used — for the loss and
    the activation the rule's derivative at this node (``rule`` is its catalog id), for a linear layer
    the factor of the matrix product (hᵀ for W̄₂ = z̄₂ hᵀ; ``rule`` is ""); ``how`` says which in words.
    ``gradient``: the adjoint formula (W̄₂ = z̄₂ hᵀ) and its value, the gradient ∂ℓ/∂node.
    """

    node: str
    name: Formula
    shape: str
    forward: Value
    upstream: Formula | None
    upstream_value: Value | None
    local: Formula | None
    local_value: Value | None
    rule: str
    how: str
    gradient: Formula
    gradient_value: Value


@dataclass(frozen=True)
class MLPExample:
    """Everything printed for the backpropagation example.

    ``equations``: the forward pass (LaTeX from sympy, the loss and activation printed from their rules);
    ``adjoint``: the definition x̄ = ∂ℓ/∂x; ``rows``: the table, ℓ first; ``gradients``: the final
    gradients by node name (x, W1, b1, W2, b2) as float64 arrays, unrounded; ``finite_differences``: the
    check; ``figure``: the computation graph as SVG (forward values above each node, gradients below);
    ``rules``: the catalog ids used. ``gradients`` are the exact values rounded to float64.
    """

    network: Network
    equations: tuple[Formula, ...]
    adjoint: Formula
    rows: tuple[BackpropRow, ...]
    gradients: Mapping[str, np.ndarray] = field(compare=False)
    loss_value: float
    finite_differences: Agreement
    figure: str
    rules: tuple[str, ...]


# ---------------------------------------------------------------------------------- the table
#: The table's rows: the nodes in the order backpropagation visits them.
_ORDER = ("loss", "z2", "b2", "W2", "h", "z1", "b1", "W1", "x")


def _how(act: Rule, loss: Rule) -> dict[str, str]:
    """Where each node's local derivative comes from, in words."""
    return {
        "z2": f"rule {loss.id}, ∂/∂input at the defaults",
        "b2": "bias: identity",
        "W2": "linear layer: outer product with hᵀ",
        "h": "linear layer: matrix product with W₂ᵀ",
        "z1": f"rule {act.id}, entry by entry (Hadamard product)",
        "b1": "bias: identity",
        "W1": "linear layer: outer product with xᵀ",
        "x": "linear layer: matrix product with W₁ᵀ",
        "loss": "seed: ∂ℓ/∂ℓ = 1",
    }


def _rows(
    net: Network,
    act: Rule,
    loss: Rule,
    p: Mapping[str, np.ndarray],
    fw: Mapping[str, Any],
    bw: Mapping[str, Any],
    per: Mapping[str, tuple[str, str, str]],
) -> tuple[BackpropRow, ...]:
    """The table: per node (ℓ first) its value, the upstream adjoint, the local derivative and the gradient,
    each printed (``per``: the node's local, gradient and upstream LaTeX, from :mod:`.mlp_formulas`) and
    rounded."""
    s = symbols(net)
    values = {
        "x": p["x"],
        "W1": p["W1"],
        "b1": p["b1"],
        "W2": p["W2"],
        "b2": p["b2"][0],
        "z1": fw["z1"],
        "h": fw["h"],
        "z2": fw["z2"][0],
        "loss": fw["loss"],
    }
    upstream_of = {
        "z2": bw["loss"],
        "b2": bw["z2"],
        "W2": bw["z2"],
        "h": bw["z2"],
        "z1": bw["h"],
        "b1": bw["z1"],
        "W1": bw["z1"],
        "x": bw["z1"],
    }
    local_of: dict[str, Any] = {
        "z2": bw["z2"] / bw["loss"],
        "b2": 1.0,
        "W2": fw["h"][None, :],
        "h": p["W2"].T,
        "z1": bw["act_prime"],
        "b1": 1.0,
        "W1": p["x"][None, :],
        "x": p["W1"].T,
    }
    how = _how(act, loss)
    rule_of = {"z2": loss.id, "z1": act.id}
    rows = []
    for node in _ORDER:
        local_tex, grad_tex, up_tex = per[node]
        sym = s[node]
        shape = "1×1" if not isinstance(sym, sp.MatrixSymbol) else f"{sym.shape[0]}×{sym.shape[1]}"
        rows.append(
            BackpropRow(
                node=node,
                name=Formula(f"mlp-{node}", latex(sym), "example"),
                shape=shape,
                forward=Value.of(values[node]),
                upstream=Formula(f"mlp-{node}-up", up_tex, "example") if up_tex else None,
                upstream_value=Value.of(upstream_of[node]) if node in upstream_of else None,
                local=Formula(f"mlp-{node}-local", local_tex, "example") if local_tex else None,
                local_value=Value.of(local_of[node]) if node in local_of else None,
                rule=rule_of.get(node, ""),
                how=how[node],
                gradient=Formula(f"mlp-{node}-grad", grad_tex, "example"),
                gradient_value=Value.of(bw[node]),
            )
        )
    return tuple(rows)


# ---------------------------------------------------------------------------------- the example
def backprop(net: Network = DEFAULT) -> MLPExample:
    """The worked example: forward values, local derivatives, gradients, the checks and the figure."""
    act, loss = rules_of(net)
    with mpmath.workdps(DPS):
        p = exact_inputs(net)
    fw = forward(net, act, loss, p)
    bw = backward(net, act, loss, p, fw)
    equations, adjoint, per = formulas(net, act, loss)
    rows = _rows(net, act, loss, p, fw, bw, per)
    exact = {k: np.asarray(bw[k], dtype=object).reshape(p[k].shape) for k in ("x", "W1", "b1", "W2", "b2")}
    fd = central_differences(loss_of(net, act, loss), p, FD_STEP)
    fd_agreement = agreement(
        f"central finite differences of the forward pass, step h = {number(FD_STEP)}, {DPS}-digit arithmetic",
        exact,
        fd,
        f"central differences (h = {number(FD_STEP)}, {DPS} digits)",
    )
    example = MLPExample(
        network=net,
        equations=equations,
        adjoint=adjoint,
        rows=rows,
        gradients={k: floats(v) for k, v in exact.items()},
        loss_value=float(fw["loss"]),
        finite_differences=fd_agreement,
        figure="",
        rules=(act.id, loss.id),
    )
    return replace(example, figure=graph_svg(example, act.id))


def torch_agreement(example: MLPExample | None = None) -> Agreement | None:
    """The gradients compared with PyTorch's float64 autograd (None when PyTorch is not installed; see
    :func:`cheatsheet.examples.mlp_checks.pytorch_agreement`). Without ``example``, the default one."""
    try:
        import torch  # noqa: F401 - looked for first: without PyTorch, the example is not computed
    except ImportError:
        return None
    ex = example if example is not None else backprop()
    return pytorch_agreement(ex.network, ex.gradients)
