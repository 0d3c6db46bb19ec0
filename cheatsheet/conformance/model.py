"""What a PyTorch comparison is made of: the tolerances, how to call PyTorch for a rule (:class:`Counterpart`),
and PyTorch's known inaccuracies (:class:`Deviation`).

The family modules of this package (``activations``, ``losses``, ...) build their adapters from these types;
:mod:`cheatsheet.conformance.counterpart` collects them, :mod:`cheatsheet.conformance.compare` uses them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["ABS_TOL", "REL_TOL", "Call", "Counterpart", "Deviation"]

REL_TOL = 1e-12
ABS_TOL = 1e-14

#: ``call(torch, tensors_by_input_name, params) -> output``
Call = Callable[[Any, dict[str, Any], dict[str, Any]], Any]


@dataclass(frozen=True)
class Deviation:
    """A known inaccuracy of PyTorch (not of the mathematics), with the looser tolerance it needs.

    ``applies`` picks the points it covers, from the input values and the parameters; ``reason`` says
    where the error comes from (e.g. "hardsigmoid's backward uses 1/6 as a float32 constant").
    """

    reason: str
    tolerance: float
    applies: Callable[[dict[str, float], dict[str, Any]], bool] = lambda values, params: True


@dataclass(frozen=True)
class Counterpart:
    """How to call PyTorch for a rule: ``call(torch, tensors_by_input_name, params) -> output``.

    ``points`` (vector rules) lists input values, by input name, where the rule states PyTorch's convention (ties
    of a maximum, zeros of a product, the origin of a norm): compared besides the random points, which never
    meet them."""

    call: Call
    deviations: tuple[Deviation, ...] = ()
    note: str = ""
    points: tuple[dict[str, Any], ...] = ()
