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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from cheatsheet.examples import DPS, FONT, Value, decimal, floats, fmt, positive_first, svg_label, svg_open, text_width
from cheatsheet.printing.latex import latex
from cheatsheet.sheet import Formula
from cheatsheet.rule import Rule

__all__ = ["DEFAULT", "FD_STEP", "Agreement", "BackpropRow", "MLPExample", "Network", "backprop", "torch_agreement"]

#: Step of the central finite differences.
FD_STEP = 1e-6


@dataclass(frozen=True)
class Network:
    """The weights, the input and the target (short decimals), and the catalog rules used."""

    x: tuple[float, ...]
    W1: tuple[tuple[float, ...], ...]
    b1: tuple[float, ...]
    W2: tuple[tuple[float, ...], ...]
    b2: float
    y: float
    activation: str = "tanh"
    loss: str = "binary_cross_entropy_with_logits"

    def arrays(self) -> dict[str, np.ndarray]:
        """The parameters and the input as float64 arrays, by node name (b₂ as a 1-vector)."""
        return {
            "x": np.array(self.x, dtype=float),
            "W1": np.array(self.W1, dtype=float),
            "b1": np.array(self.b1, dtype=float),
            "W2": np.array(self.W2, dtype=float),
            "b2": np.array([self.b2], dtype=float),
        }


DEFAULT = Network(
    x=(0.5, -1.0),
    W1=((0.2, -0.4), (0.6, 0.3), (-0.5, 0.1)),
    b1=(0.1, -0.2, 0.3),
    W2=((0.7, -0.5, 0.4),),
    b2=0.1,
    y=1.0,
)


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
class Agreement:
    """How far the backpropagated gradients are from an independent computation.

    ``errors`` gives, per node (x, W1, b1, W2, b2), the largest absolute difference over its entries;
    ``max_abs_error`` is the largest of them and ``max_rel_error`` the largest relative to
    max(|gradient entry|, 1e-3); ``text`` says it in one line for the sheet.
    """

    method: str
    errors: tuple[tuple[str, float], ...]
    max_abs_error: float
    max_rel_error: float
    text: str


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


# ---------------------------------------------------------------------------------- the rules
def _rules(net: Network) -> tuple[Rule, Rule]:
    import cheatsheet

    act, loss = cheatsheet.get(net.activation), cheatsheet.get(net.loss)
    if act.shape != "scalar" or len(act.inputs) != 1 or act.kinks:
        raise ValueError(f"activation {act.id!r}: expected a smooth scalar rule of one input")
    if loss.shape != "scalar" or [i.name for i in loss.inputs][:2] != ["input", "target"]:
        raise ValueError(f"loss {loss.id!r}: expected a scalar loss of (input, target)")
    return act, loss


def _exact(net: Network) -> dict[str, np.ndarray]:
    """The parameters and the input as the decimals they are written with, mpmath numbers at :data:`DPS` digits
    (object arrays; b₂ as a 1-vector). Call inside ``mpmath.workdps(DPS)``."""
    def arr(v: Any) -> np.ndarray:
        return np.array(np.vectorize(decimal, otypes=[object])(np.array(v, dtype=float)), dtype=object)

    return {"x": arr(net.x), "W1": arr(net.W1), "b1": arr(net.b1), "W2": arr(net.W2), "b2": arr([net.b2])}


def _matvec(m: np.ndarray, v: np.ndarray) -> np.ndarray:
    """M v in mpmath (row by row, in order): no BLAS, so the same digits on every machine."""
    return np.array([mpmath.fsum(a * b for a, b in zip(row, v)) for row in m], dtype=object)


def _outer(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.array([[a * b for b in v] for a in u], dtype=object)


def _forward(net: Network, act: Rule, loss: Rule, p: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """Every node's value, through the rules' exact evaluation (mpmath at :data:`DPS` digits)."""
    with mpmath.workdps(DPS):
        z1 = _matvec(p["W1"], p["x"]) + p["b1"]
        h = np.asarray(act.evaluate(z1, exact=True, dps=DPS), dtype=object).reshape(z1.shape)
        z2 = _matvec(p["W2"], h) + p["b2"]
        value = loss.evaluate(z2, np.array([decimal(net.y)], dtype=object), exact=True, dps=DPS)
    return {"z1": z1, "h": h, "z2": z2, "loss": value}


def _loss_of(net: Network, act: Rule, loss: Rule) -> Callable[[Mapping[str, np.ndarray]], Any]:
    return lambda p: _forward(net, act, loss, p)["loss"]


def _backward(net: Network, act: Rule, loss: Rule, p: Mapping[str, np.ndarray], fw: Mapping[str, Any]) -> dict[str, Any]:
    """The adjoints, the loss's and the activation's derivatives from the rules, linear layers as products
    (mpmath at :data:`DPS` digits)."""
    with mpmath.workdps(DPS):
        y = np.array([decimal(net.y)], dtype=object)
        zbar2 = np.asarray(loss.derivative_at(fw["z2"], y, wrt="input", exact=True, dps=DPS), dtype=object).reshape(1)
        act_prime = np.asarray(act.derivative_at(fw["z1"], exact=True, dps=DPS), dtype=object).reshape(fw["z1"].shape)
        hbar = _matvec(p["W2"].T, zbar2)
        zbar1 = act_prime * hbar
        return {
            "loss": np.array(mpmath.mpf(1), dtype=object), "z2": zbar2, "b2": zbar2.copy(), "W2": _outer(zbar2, fw["h"]),
            "h": hbar, "act_prime": act_prime, "z1": zbar1, "b1": zbar1.copy(), "W1": _outer(zbar1, p["x"]),
            "x": _matvec(p["W1"].T, zbar1),
        }


# ---------------------------------------------------------------------------------- checks
def _agreement(method: str, grads: Mapping[str, np.ndarray], other: Mapping[str, np.ndarray], what: str) -> Agreement:
    """The largest absolute and relative differences, in mpmath (floats count exactly as the binary numbers
    they are), so that the printed figures are the same on every machine for the same inputs."""
    errors = []
    rel = mpmath.mpf(0)
    with mpmath.workdps(DPS):
        for name in ("x", "W1", "b1", "W2", "b2"):
            a = np.asarray(grads[name], dtype=object).ravel()
            b = np.asarray(other[name], dtype=object).ravel()
            diffs = [abs(mpmath.mpf(u) - mpmath.mpf(v)) for u, v in zip(a, b)]
            errors.append((name, float(max(diffs))))
            rel = max([rel] + [d / max(abs(mpmath.mpf(u)), mpmath.mpf("1e-3")) for d, u in zip(diffs, a)])
    worst = max(e for _, e in errors)
    from cheatsheet.examples import number

    text = f"{what}: largest difference {number(worst, 2)} (relative {number(float(rel), 2)}) over all {sum(np.size(grads[n]) for n, _ in errors)} gradient entries"
    return Agreement(method, tuple(errors), worst, float(rel), text)


def _central_differences(f: Callable[[Mapping[str, np.ndarray]], Any], p: Mapping[str, np.ndarray], h: float) -> dict[str, np.ndarray]:
    """(f(p + h e) − f(p − h e)) / 2h for every entry, in mpmath at :data:`DPS` digits: the difference from the
    gradient is the truncation error h²f‴/6 (about 10⁻¹³), a number of the example, not of the machine (in
    float64 the rounding error ε|ℓ|/h ≈ 10⁻¹⁰, which depends on the CPU's kernels, would swamp it)."""
    out: dict[str, np.ndarray] = {}
    with mpmath.workdps(DPS):
        step = decimal(h)
        for name in ("x", "W1", "b1", "W2", "b2"):
            grad = np.empty(p[name].shape, dtype=object)
            for idx in np.ndindex(p[name].shape):
                plus = {k: v.copy() for k, v in p.items()}
                minus = {k: v.copy() for k, v in p.items()}
                plus[name][idx] += step
                minus[name][idx] -= step
                grad[idx] = (f(plus) - f(minus)) / (2 * step)
            out[name] = grad
    return out


def finite_differences(net: Network = DEFAULT, step: float = FD_STEP) -> dict[str, np.ndarray]:
    """The gradient of the loss w.r.t. x, W1, b1, W2, b2 by central differences of the forward pass (computed
    at :data:`DPS` digits, returned as float64)."""
    act, loss = _rules(net)
    with mpmath.workdps(DPS):
        exact = _central_differences(_loss_of(net, act, loss), _exact(net), step)
    return {k: floats(v) for k, v in exact.items()}


def torch_agreement(example: MLPExample | None = None) -> Agreement | None:
    """The gradients compared with PyTorch's float64 autograd (None when PyTorch is not installed).

    PyTorch runs the same network with the rules' PyTorch counterparts (the conformance adapters), so
    it checks the catalog's derivatives, the matrix products and their chaining at once.
    """
    try:
        import torch
    except ImportError:
        return None
    from cheatsheet.conformance import counterpart

    ex = example if example is not None else backprop()
    net = ex.network
    act, loss = _rules(net)
    cp_act, cp_loss = counterpart(act), counterpart(loss)
    if cp_act is None or cp_loss is None:
        raise ValueError(f"no PyTorch counterpart for {act.id!r} or {loss.id!r}")
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in net.arrays().items()}
    z1 = t["W1"] @ t["x"] + t["b1"]
    h = cp_act.call(torch, {"input": z1}, _torch_params(act))
    z2 = t["W2"] @ h + t["b2"]
    target = torch.tensor([net.y], dtype=torch.float64)
    value = cp_loss.call(torch, {"input": z2, "target": target}, _torch_params(loss))
    value.backward()
    grads = {}
    for k, v in t.items():
        assert v.grad is not None
        grads[k] = v.grad.detach().numpy()
    return _agreement(f"PyTorch {torch.__version__} float64 autograd", ex.gradients, grads, "PyTorch float64 autograd")


def _torch_params(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in rule.params:
        out[p.name] = p.default if p.is_choice else float(p.default)
    return out


# ---------------------------------------------------------------------------------- printing
_M = sp.MatrixSymbol


def _symbols(net: Network) -> dict[str, Any]:
    n_in, n_hid = len(net.x), len(net.b1)
    return {
        "x": _M("x", n_in, 1), "W1": _M("W_1", n_hid, n_in), "b1": _M("b_1", n_hid, 1), "z1": _M("z_1", n_hid, 1),
        "h": _M("h", n_hid, 1), "W2": _M("W_2", 1, n_hid), "b2": sp.Symbol("b_2"), "z2": sp.Symbol("z_2"),
        "loss": sp.Symbol("ell"), "y": sp.Symbol("y"),
        "bar": {
            "x": _M("xbar", n_in, 1), "W1": _M("Wbar_1", n_hid, n_in), "b1": _M("bbar_1", n_hid, 1),
            "z1": _M("zbar_1", n_hid, 1), "h": _M("hBar", n_hid, 1), "W2": _M("Wbar_2", 1, n_hid),
            "b2": sp.Symbol("bbar_2"), "z2": sp.Symbol("zbar_2"), "loss": sp.Symbol("ellbar"),
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
    return f"{latex(lhs)} = {latex(rhs)}"


def _formulas(net: Network, act: Rule, loss: Rule) -> tuple[tuple[Formula, ...], Formula, dict[str, tuple[str, str, str]]]:
    """The forward equations, the adjoint definition, and per node: (local tex, gradient tex, upstream tex)."""
    s = _symbols(net)
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
    adjoint = Formula("mlp-adjoint", f"{latex(sp.Symbol('vbar'))} = \\frac{{\\partial {latex(s['loss'])}}}{{\\partial {latex(v)}}}", "example")
    per: dict[str, tuple[str, str, str]] = {
        "loss": ("", f"{latex(bar['loss'])} = \\frac{{\\partial {latex(s['loss'])}}}{{\\partial {latex(s['loss'])}}}", ""),
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


# ---------------------------------------------------------------------------------- the example
_ORDER = ("loss", "z2", "b2", "W2", "h", "z1", "b1", "W1", "x")


def backprop(net: Network = DEFAULT) -> MLPExample:
    """The worked example: forward values, local derivatives, gradients, the checks and the figure."""
    act, loss = _rules(net)
    with mpmath.workdps(DPS):
        p = _exact(net)
    fw = _forward(net, act, loss, p)
    bw = _backward(net, act, loss, p, fw)
    equations, adjoint, per = _formulas(net, act, loss)
    s = _symbols(net)
    values = {"x": p["x"], "W1": p["W1"], "b1": p["b1"], "W2": p["W2"], "b2": p["b2"][0],
              "z1": fw["z1"], "h": fw["h"], "z2": fw["z2"][0], "loss": fw["loss"]}
    upstream_of = {"z2": bw["loss"], "b2": bw["z2"], "W2": bw["z2"], "h": bw["z2"], "z1": bw["h"], "b1": bw["z1"],
                   "W1": bw["z1"], "x": bw["z1"]}
    local_of: dict[str, Any] = {"z2": bw["z2"] / bw["loss"], "b2": 1.0, "W2": fw["h"][None, :], "h": p["W2"].T,
                                "z1": bw["act_prime"], "b1": 1.0, "W1": p["x"][None, :], "x": p["W1"].T}
    how = {
        "z2": f"rule {loss.id}, ∂/∂input at the defaults",
        "b2": "bias: identity", "W2": "linear layer: outer product with hᵀ", "h": "linear layer: matrix product with W₂ᵀ",
        "z1": f"rule {act.id}, entry by entry (Hadamard product)",
        "b1": "bias: identity", "W1": "linear layer: outer product with xᵀ", "x": "linear layer: matrix product with W₁ᵀ",
        "loss": "seed: ∂ℓ/∂ℓ = 1",
    }
    rule_of = {"z2": loss.id, "z1": act.id}
    rows = []
    for node in _ORDER:
        local_tex, grad_tex, up_tex = per[node]
        sym = s[node]
        shape = "1×1" if not isinstance(sym, sp.MatrixSymbol) else f"{sym.shape[0]}×{sym.shape[1]}"
        grad = bw[node]
        rows.append(BackpropRow(
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
            gradient_value=Value.of(grad),
        ))
    exact = {k: np.asarray(bw[k], dtype=object).reshape(p[k].shape) for k in ("x", "W1", "b1", "W2", "b2")}
    gradients = {k: floats(v) for k, v in exact.items()}
    fd = _central_differences(_loss_of(net, act, loss), p, FD_STEP)
    from cheatsheet.examples import number

    fd_agreement = _agreement(f"central finite differences of the forward pass, step h = {number(FD_STEP)}, "
                              f"{DPS}-digit arithmetic", exact, fd,
                              f"central differences (h = {number(FD_STEP)}, {DPS} digits)")
    example = MLPExample(
        network=net, equations=equations, adjoint=adjoint, rows=tuple(rows), gradients=gradients,
        loss_value=float(fw["loss"]), finite_differences=fd_agreement, figure="", rules=(act.id, loss.id),
    )
    return _with_figure(example, act, loss)


def _with_figure(ex: MLPExample, act: Rule, loss: Rule) -> MLPExample:
    from dataclasses import replace

    return replace(ex, figure=graph_svg(ex, act.id))


# ---------------------------------------------------------------------------------- the figure
_SIZE = 7.5  # numbers
_LABEL = 9.5  # node names
_LINE = 8.6  # line height of numbers
_BOX_H = 15.0
_PAD = 3.0  # between a box and its numbers
_COL_GAP = 5.0  # between the columns of a matrix
_GAP = 30.0  # between columns of nodes
_VGAP = 8.0  # between blocks of one column
_MARGIN = 4.0
_GREY = "#555"


def _block_width(v: Value | None) -> float:
    if v is None:
        return 0.0
    cols = len(v.entries[0])
    widths = [max(text_width(r[c], _SIZE) for r in v.entries) for c in range(cols)]
    brackets = 0.0 if v.kind == "scalar" else 6.0
    return sum(widths) + _COL_GAP * (cols - 1) + brackets


def _block(v: Value, cx: float, top: float, fill: str) -> list[str]:
    """The numbers of ``v`` as a matrix (columns centred, thin brackets for vectors and matrices) whose first
    line's top is at ``top``."""
    out = []
    cols = len(v.entries[0])
    widths = [max(text_width(r[c], _SIZE) for r in v.entries) for c in range(cols)]
    inner = sum(widths) + _COL_GAP * (cols - 1)
    left = cx - inner / 2
    rights = []  # numbers are right-aligned in their column, as in a printed matrix
    x = left
    for w in widths:
        x += w
        rights.append(x)
        x += _COL_GAP
    paint = f' fill="{fill}"' if fill != "#000" else ""
    anchor = "" if v.kind == "scalar" else ' text-anchor="end"'
    for k, row in enumerate(v.entries):
        base = top + (k + 1) * _LINE - 2
        for c, entry in enumerate(row):
            xx = cx if v.kind == "scalar" else rights[c]
            out.append(f'<text x="{fmt(xx)}" y="{fmt(base)}"{anchor}{paint}>{svg_label(entry, _SIZE)}</text>')
    if v.kind != "scalar":
        y0, y1 = top + 0.5, top + len(v.entries) * _LINE + 0.5
        lx, rx = left - 3, left + inner + 3
        out.append(
            f'<path d="M{fmt(lx + 1.6)} {fmt(y0)}H{fmt(lx)}V{fmt(y1)}H{fmt(lx + 1.6)}'
            f'M{fmt(rx - 1.6)} {fmt(y0)}H{fmt(rx)}V{fmt(y1)}H{fmt(rx - 1.6)}" fill="none" stroke="{fill}" stroke-width="0.5"/>'
        )
    return out


@dataclass
class _Node:
    key: str
    label: str
    above: Value
    below: Value | None
    col: int
    row: str  # 'top', 'mid', 'bottom'
    computed: bool
    constant: bool = False
    cx: float = 0.0
    cy: float = 0.0
    w: float = 0.0

    def half_above(self) -> float:
        return _BOX_H / 2 + _PAD + len(self.above.entries) * _LINE

    def half_below(self) -> float:
        return _BOX_H / 2 + (_PAD + len(self.below.entries) * _LINE if self.below is not None else 0.0)


def graph_svg(ex: MLPExample, act_id: str = "tanh") -> str:
    """The computation graph: nodes x, W₁, b₁, z₁, h, W₂, b₂, z₂, ℓ and the target y, forward edges (the
    activation's rule id on its edge), each node's forward value above it and its gradient ∂ℓ/∂node below
    it (grey; none for the constant y, drawn dashed). Parameters and inputs are square boxes, computed nodes
    rounded. Black and white; deterministic; labels in Heros; no ids."""
    rows = {r.node: r for r in ex.rows}

    def node(key: str, label: str, col: int, row: str, computed: bool) -> _Node:
        r = rows[key]
        return _Node(key, label, r.forward, r.gradient_value, col, row, computed)

    nodes = [
        node("x", "x", 0, "top", False), node("W1", "W_1", 0, "mid", False), node("b1", "b_1", 0, "bottom", False),
        node("z1", "z_1", 1, "mid", True), node("h", "h", 2, "mid", True),
        node("W2", "W_2", 3, "top", False), node("b2", "b_2", 3, "bottom", False),
        node("z2", "z_2", 4, "mid", True), node("loss", "\u2113", 5, "mid", True),
        _Node("y", "y", Value.of(ex.network.y), None, 6, "mid", False, constant=True),
    ]
    for n in nodes:
        n.w = max(text_width(n.label, _LABEL) + 12, _block_width(n.above) + 6, _block_width(n.below) + 6, 22.0)
    cols = sorted({n.col for n in nodes})
    col_w = {c: max(n.w for n in nodes if n.col == c) for c in cols}
    centre = {}
    x = _MARGIN
    for c in cols:
        gap = _GAP if c < 6 else _GAP * 0.6
        centre[c] = x + col_w[c] / 2
        x += col_w[c] + gap
    width = x - _GAP * 0.6 + _MARGIN
    by = {(n.col, n.row): n for n in nodes}
    # a column without a mid node (W₂, b₂) still keeps its blocks clear of the edge h → z₂ on the mid row
    up = max(by[(c, "top")].half_below() + (by[(c, "mid")].half_above() if (c, "mid") in by else 4.0)
             for c in cols if (c, "top") in by)
    down = max(by[(c, "bottom")].half_above() + (by[(c, "mid")].half_below() if (c, "mid") in by else 4.0)
               for c in cols if (c, "bottom") in by)
    y_top = _MARGIN + max(n.half_above() for n in nodes if n.row == "top")
    y_mid = y_top + up + _VGAP
    y_bottom = y_mid + down + _VGAP
    legend_y = y_bottom + max(n.half_below() for n in nodes if n.row == "bottom") + 12
    height = legend_y + 4
    for n in nodes:
        n.cx = centre[n.col]
        n.cy = {"top": y_top, "mid": y_mid, "bottom": y_bottom}[n.row]
    at = {n.key: n for n in nodes}

    parts = [svg_open(width, height, "mlp-graph",
                      "computation graph of a 2-layer MLP: forward values above each node, gradients below")]
    parts.append(f'<g font-family="{FONT}" font-size="{fmt(_SIZE)}" text-anchor="middle">')
    # edges first (under the boxes); arrowheads are small triangles (no markers, so no ids)
    edges = (("x", "z1", ""), ("W1", "z1", ""), ("b1", "z1", ""), ("z1", "h", act_id), ("h", "z2", ""),
             ("W2", "z2", ""), ("b2", "z2", ""), ("z2", "loss", ""), ("y", "loss", ""))
    for a, b, label in edges:
        na, nb = at[a], at[b]
        if na.col > nb.col:  # the target y enters the loss from the right
            x0, y0, x1, y1 = na.cx - na.w / 2, na.cy, nb.cx + nb.w / 2, nb.cy
        else:
            offset = {"top": -4.0, "bottom": 4.0}.get(na.row, 0.0) if na.row != nb.row else 0.0
            x0, y0, x1, y1 = na.cx + na.w / 2, na.cy, nb.cx - nb.w / 2, nb.cy + offset
        parts.append(_arrow(x0, y0, x1, y1))
        if label:
            parts.append(f'<text x="{fmt((x0 + x1) / 2)}" y="{fmt(y0 - 3)}">{svg_label(label, _SIZE)}</text>')
    for n in nodes:
        rx = 5 if n.computed else 0
        dash = ' stroke-dasharray="2 1.5"' if n.constant else ""
        parts.append(
            f'<rect x="{fmt(n.cx - n.w / 2)}" y="{fmt(n.cy - _BOX_H / 2)}" width="{fmt(n.w)}" height="{fmt(_BOX_H)}" '
            f'rx="{rx}" fill="#fff" stroke="#000" stroke-width="0.8"{dash}/>'
        )
        parts.append(f'<text x="{fmt(n.cx)}" y="{fmt(n.cy + _LABEL * 0.35)}" font-size="{fmt(_LABEL)}">{svg_label(n.label, _LABEL)}</text>')
        parts += _block(n.above, n.cx, n.cy - n.half_above(), "#000")
        if n.below is not None:
            parts += _block(n.below, n.cx, n.cy + _BOX_H / 2 + _PAD, _GREY)
    parts.append(f'<text x="{fmt(width / 2)}" y="{fmt(legend_y)}">above each node its value, below it (grey) the gradient \u2202\u2113/\u2202node</text>')
    parts.append("</g></svg>")
    return "".join(parts)


def _arrow(x0: float, y0: float, x1: float, y1: float) -> str:
    import math

    length = math.sqrt((x1 - x0) ** 2 + (y1 - y0) ** 2)  # + − × ÷ and sqrt only: correctly rounded everywhere
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    head, half = 5.0, 2.2
    bx, by = x1 - ux * head, y1 - uy * head
    left = (bx - uy * half, by + ux * half)
    right = (bx + uy * half, by - ux * half)
    return (
        f'<path d="M{fmt(x0)} {fmt(y0)}L{fmt(bx)} {fmt(by)}" stroke="#000" stroke-width="0.7" fill="none"/>'
        f'<path d="M{fmt(x1)} {fmt(y1)}L{fmt(left[0])} {fmt(left[1])}L{fmt(right[0])} {fmt(right[1])}Z" fill="#000"/>'
    )
