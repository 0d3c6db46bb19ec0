"""Checks of the MLP example's gradients: central finite differences, and PyTorch's autograd when installed.

Both compare the backpropagated gradients (:mod:`cheatsheet.examples.mlp`) with an independent computation
and say how far apart they are (:class:`Agreement`). The finite differences are taken of the forward pass at
:data:`~cheatsheet.examples.numbers.DPS` digits, so that the printed difference is their truncation error, a
number of the example, not of the machine; PyTorch runs the same network in float64 with the rules' PyTorch
counterparts (the conformance adapters), so it checks the catalog's derivatives, the matrix products and
their chaining at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np

from cheatsheet.examples.mlp_network import DEFAULT, Network, exact_inputs, loss_of, rules_of
from cheatsheet.examples.numbers import DPS, decimal, floats, number
from cheatsheet.rule import Rule

__all__ = ["FD_STEP", "Agreement", "agreement", "central_differences", "finite_differences", "pytorch_agreement"]

#: Step of the central finite differences.
FD_STEP = 1e-6


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


def agreement(method: str, grads: Mapping[str, np.ndarray], other: Mapping[str, np.ndarray], what: str) -> Agreement:
    """The largest absolute and relative differences, in mpmath (floats count exactly as the binary numbers
    they are), so that the printed figures are the same on every machine for the same inputs."""
    errors = []
    rel = mpmath.mpf(0)
    with mpmath.workdps(DPS):
        for name in ("x", "W1", "b1", "W2", "b2"):
            a = np.asarray(grads[name], dtype=object).ravel()
            b = np.asarray(other[name], dtype=object).ravel()
            diffs = [abs(mpmath.mpf(u) - mpmath.mpf(v)) for u, v in zip(a, b, strict=False)]
            errors.append((name, float(max(diffs))))
            rel = max([rel] + [d / max(abs(mpmath.mpf(u)), mpmath.mpf("1e-3")) for d, u in zip(diffs, a, strict=False)])
    worst = max(e for _, e in errors)
    text = f"{what}: largest difference {number(worst, 2)} (relative {number(float(rel), 2)}) over all {sum(np.size(grads[n]) for n, _ in errors)} gradient entries"
    return Agreement(method, tuple(errors), worst, float(rel), text)


def central_differences(
    f: Callable[[Mapping[str, np.ndarray]], Any], p: Mapping[str, np.ndarray], h: float
) -> dict[str, np.ndarray]:
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
    act, loss = rules_of(net)
    with mpmath.workdps(DPS):
        exact = central_differences(loss_of(net, act, loss), exact_inputs(net), step)
    return {k: floats(v) for k, v in exact.items()}


def pytorch_agreement(net: Network, gradients: Mapping[str, np.ndarray]) -> Agreement | None:
    """``gradients`` (of ``net``'s loss, by node name) compared with PyTorch's float64 autograd (None when
    PyTorch is not installed).

    PyTorch runs the same network with the rules' PyTorch counterparts (the conformance adapters), so
    it checks the catalog's derivatives, the matrix products and their chaining at once.
    """
    try:
        import torch
    except ImportError:
        return None
    from cheatsheet.conformance import counterpart

    act, loss = rules_of(net)
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
    return agreement(f"PyTorch {torch.__version__} float64 autograd", gradients, grads, "PyTorch float64 autograd")


def _torch_params(rule: Rule) -> dict[str, Any]:
    """The rule's parameters at their defaults, as the PyTorch counterpart takes them."""
    out: dict[str, Any] = {}
    for p in rule.params:
        out[p.name] = p.default if p.is_choice else float(p.default)
    return out
