"""PyTorch counterparts of the activations that are not a plain ``F.<id>(input, **params)`` call, and
PyTorch's known float64 inaccuracies on activations (FINDINGS §2), each scoped to where it occurs."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cheatsheet.conformance.model import Counterpart, Deviation

__all__ = ["COUNTERPARTS"]


def _prelu(torch: Any, t: dict[str, Any], p: dict[str, Any]) -> Any:
    # F.prelu takes one weight per channel (dim 1): one channel per element gives each its own slope.
    x, a = t["input"], t["weight"]
    return torch.nn.functional.prelu(x.reshape(1, -1), a).reshape(-1)


def _glu(torch: Any, t: dict[str, Any], p: dict[str, Any]) -> Any:
    # F.glu splits its input into halves along dim: the first half is a, the second the gate b.
    return torch.nn.functional.glu(torch.cat([t["a"], t["b"]], dim=-1), dim=-1)


def _sinc(torch: Any, t: dict[str, Any], p: dict[str, Any]) -> Any:
    # torch.sinc is the normalized sin(πx)/(πx): sin(x)/x = torch.sinc(x/π).
    return torch.sinc(t["input"] / math.pi)


def _inside(lo: float, hi: float) -> Any:
    return lambda values, params: lo < values["input"] < hi


COUNTERPARTS: dict[str, Counterpart] = {
    "prelu": Counterpart(_prelu, note="F.prelu(input.reshape(1, N), weight) with one channel per element"),
    "glu": Counterpart(_glu, note="F.glu(torch.cat([a, b]), dim=-1)"),
    "sinc_unnormalized": Counterpart(_sinc, note="torch.sinc(input/π): PyTorch's sinc is the normalized one"),
    "hardsigmoid": Counterpart(
        lambda torch, t, p: torch.nn.functional.hardsigmoid(t["input"]),
        deviations=(
            Deviation(
                "hardsigmoid's backward multiplies by 1/6 rounded to float32 (3e-8 relative)", 5e-8, _inside(-3, 3)
            ),
        ),
    ),
    "celu": Counterpart(
        lambda torch, t, p: torch.nn.functional.celu(t["input"], alpha=p["alpha"]),
        deviations=(
            Deviation(
                "celu's backward for x <= 0 divides by alpha rounded to float32 (about 2e-8 relative at alpha = 0.7)",
                2e-7,
                lambda values, params: (
                    values["input"] <= 0 and float(np.float32(params["alpha"])) != float(params["alpha"])
                ),
            ),
        ),
    ),
}
