"""PyTorch counterparts of the reductions and scans. Each rule is called through its ``torch`` field with
``dim=-1``; the adapters here add the points where the rule states PyTorch's convention and random points never
land: zeros in prod's and cumprod's input (one, two, all), ties of amax and amin (two, all), the origin of norm,
x = y for dist and a constant input for std."""

from __future__ import annotations

from typing import Any

from cheatsheet.conformance.model import Counterpart

__all__ = ["COUNTERPARTS"]


def _dim(name: str) -> Any:
    """A call of ``torch.<name>(input, dim=-1)`` (and ``correction`` where the rule has it)."""

    def call(torch: Any, t: dict[str, Any], p: dict[str, Any]) -> Any:
        return getattr(torch, name)(t["input"], dim=-1, **p)

    return call


_ZEROS = (
    {"input": [2.0, 0.0, -3.0]},  # one zero: the gradient there is the product of the others, 0 elsewhere
    {"input": [0.0, 1.5, -2.0, 0.5]},
    {"input": [0.0, 2.0, 0.0]},  # two zeros: 0 everywhere
    {"input": [0.0, 0.0, 0.0, 0.0]},
)
_TIES = (
    {"input": [1.0, 3.0, 3.0]},  # two tied at the maximum
    {"input": [-1.0, -1.0, 2.0, 5.0, 5.0]},  # two tied at the minimum, two at the maximum
    {"input": [2.0, 2.0, 2.0]},  # all tied: 1/n each
)

COUNTERPARTS: dict[str, Counterpart] = {
    "prod": Counterpart(_dim("prod"), points=_ZEROS, note="zeros in the input: PyTorch's formula without division"),
    "cumprod": Counterpart(_dim("cumprod"), points=_ZEROS, note="zeros in the input"),
    "amax": Counterpart(_dim("amax"), points=_TIES, note="ties share the gradient evenly"),
    "amin": Counterpart(_dim("amin"), points=_TIES, note="ties share the gradient evenly"),
    "std": Counterpart(
        _dim("std"), points=({"input": [2.0, 2.0, 2.0]}, {"input": [-1.0, -1.0]}), note="the gradient at s = 0 is 0"
    ),
    "norm": Counterpart(
        lambda torch, t, p: torch.norm(t["input"], p=2, dim=-1),
        points=({"input": [0.0, 0.0, 0.0]}, {"input": [0.0, 0.0]}),
        note="the gradient at x = 0 is 0",
    ),
    "dist": Counterpart(
        lambda torch, t, p: torch.dist(t["input"], t["other"], p=2),
        points=({"input": [1.0, -2.0, 0.5], "other": [1.0, -2.0, 0.5]},),
        note="the gradients at x = y are 0",
    ),
}
