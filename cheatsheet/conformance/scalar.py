"""PyTorch counterparts of the scalar rules that are not a plain ``torch.<id>(input)`` call."""

from __future__ import annotations

from typing import Any

from cheatsheet.conformance.model import Counterpart

__all__ = ["COUNTERPARTS"]


def _power(torch: Any, t: dict[str, Any], p: dict[str, Any]) -> Any:
    # torch.pow(input, n) with a Python int: the integer-exponent overload
    return torch.pow(t["input"], int(p["exponent"]))


def _exp_base(torch: Any, t: dict[str, Any], p: dict[str, Any]) -> Any:
    # torch.pow(a, input) with a Python number as the base
    return torch.pow(float(p["base"]), t["input"])


COUNTERPARTS: dict[str, Counterpart] = {
    "power": Counterpart(_power, note="torch.pow(input, n), n a Python int"),
    "exp_base": Counterpart(_exp_base, note="torch.pow(base, input), base a Python float"),
}
