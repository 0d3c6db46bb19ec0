"""The MLP example's network and its exact arithmetic: the forward and the backward pass.

The network (2 inputs, 3 hidden units, 1 output, one example)::

    z₁ = W₁x + b₁,   h = act(z₁),   z₂ = W₂h + b₂,   ℓ = loss(z₂, y)

with ``act`` a scalar activation of the catalog applied entry by entry and ``loss`` a scalar loss of the
catalog (:func:`rules_of` checks both). The forward pass evaluates the rules (:meth:`Rule.evaluate`); the
backward pass takes the activation's and the loss's derivatives from the rules (:meth:`Rule.derivative_at`)
and does the linear layers as matrix products. Everything is computed exactly as the numbers are written (the
rules' ``exact=True``, mpmath at :data:`~cheatsheet.examples.numbers.DPS` digits, products summed in mpmath,
no BLAS), so the digits are the same on every machine (see :mod:`cheatsheet.examples`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np

from cheatsheet.examples.numbers import DPS, decimal
from cheatsheet.rule import Rule

__all__ = ["DEFAULT", "Network", "backward", "exact_inputs", "forward", "loss_of", "rules_of"]


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


#: The network the sheet prints.
DEFAULT = Network(
    x=(0.5, -1.0),
    W1=((0.2, -0.4), (0.6, 0.3), (-0.5, 0.1)),
    b1=(0.1, -0.2, 0.3),
    W2=((0.7, -0.5, 0.4),),
    b2=0.1,
    y=1.0,
)


def rules_of(net: Network) -> tuple[Rule, Rule]:
    """The network's activation and loss rules from the catalog, checked to be of the kind the example needs
    (a smooth scalar rule of one input; a scalar loss of (input, target))."""
    import cheatsheet

    act, loss = cheatsheet.get(net.activation), cheatsheet.get(net.loss)
    if act.shape != "scalar" or len(act.inputs) != 1 or act.kinks:
        raise ValueError(f"activation {act.id!r}: expected a smooth scalar rule of one input")
    if loss.shape != "scalar" or [i.name for i in loss.inputs][:2] != ["input", "target"]:
        raise ValueError(f"loss {loss.id!r}: expected a scalar loss of (input, target)")
    return act, loss


def exact_inputs(net: Network) -> dict[str, np.ndarray]:
    """The parameters and the input as the decimals they are written with, mpmath numbers at :data:`DPS` digits
    (object arrays; b₂ as a 1-vector). Call inside ``mpmath.workdps(DPS)``."""

    def arr(v: Any) -> np.ndarray:
        return np.array(np.vectorize(decimal, otypes=[object])(np.array(v, dtype=float)), dtype=object)

    return {"x": arr(net.x), "W1": arr(net.W1), "b1": arr(net.b1), "W2": arr(net.W2), "b2": arr([net.b2])}


def _matvec(m: np.ndarray, v: np.ndarray) -> np.ndarray:
    """M v in mpmath (row by row, in order): no BLAS, so the same digits on every machine."""
    return np.array([mpmath.fsum(a * b for a, b in zip(row, v, strict=False)) for row in m], dtype=object)


def _outer(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """u vᵀ in mpmath, entry by entry."""
    return np.array([[a * b for b in v] for a in u], dtype=object)


def forward(net: Network, act: Rule, loss: Rule, p: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """Every node's value, through the rules' exact evaluation (mpmath at :data:`DPS` digits)."""
    with mpmath.workdps(DPS):
        z1 = _matvec(p["W1"], p["x"]) + p["b1"]
        h = np.asarray(act.evaluate(z1, exact=True, dps=DPS), dtype=object).reshape(z1.shape)
        z2 = _matvec(p["W2"], h) + p["b2"]
        value = loss.evaluate(z2, np.array([decimal(net.y)], dtype=object), exact=True, dps=DPS)
    return {"z1": z1, "h": h, "z2": z2, "loss": value}


def loss_of(net: Network, act: Rule, loss: Rule) -> Callable[[Mapping[str, np.ndarray]], Any]:
    """The loss as a function of the parameters and the input (for finite differences)."""
    return lambda p: forward(net, act, loss, p)["loss"]


def backward(net: Network, act: Rule, loss: Rule, p: Mapping[str, np.ndarray], fw: Mapping[str, Any]) -> dict[str, Any]:
    """The adjoints, the loss's and the activation's derivatives from the rules, linear layers as products
    (mpmath at :data:`DPS` digits)."""
    with mpmath.workdps(DPS):
        y = np.array([decimal(net.y)], dtype=object)
        zbar2 = np.asarray(loss.derivative_at(fw["z2"], y, wrt="input", exact=True, dps=DPS), dtype=object).reshape(1)
        act_prime = np.asarray(act.derivative_at(fw["z1"], exact=True, dps=DPS), dtype=object).reshape(fw["z1"].shape)
        hbar = _matvec(p["W2"].T, zbar2)
        zbar1 = act_prime * hbar
        return {
            "loss": np.array(mpmath.mpf(1), dtype=object),
            "z2": zbar2,
            "b2": zbar2.copy(),
            "W2": _outer(zbar2, fw["h"]),
            "h": hbar,
            "act_prime": act_prime,
            "z1": zbar1,
            "b1": zbar1.copy(),
            "W1": _outer(zbar1, p["x"]),
            "x": _matvec(p["W1"].T, zbar1),
        }
