"""PyTorch counterparts of the piecewise rules that are not a plain ``torch.<id>(...)`` call."""

from __future__ import annotations

from typing import Any

from cheatsheet.conformance.model import Counterpart

__all__ = ["COUNTERPARTS"]


def _where(torch: Any, t: dict[str, Any], p: dict[str, Any]) -> Any:
    # the condition arrives as 0.0/1.0 values; torch.where wants a bool mask (which has no gradient)
    return torch.where(t["condition"].detach() > 0.5, t["input"], t["other"])


COUNTERPARTS: dict[str, Counterpart] = {
    "where": Counterpart(_where, note="torch.where(condition, input, other) with a bool mask"),
}
