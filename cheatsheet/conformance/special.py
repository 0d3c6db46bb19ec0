"""PyTorch counterparts of the special functions that are not a plain ``torch.special.<id>(input)`` call."""

from __future__ import annotations

from typing import Any

from cheatsheet.conformance.model import Counterpart, Deviation

__all__ = ["COUNTERPARTS"]


def _polygamma(torch: Any, t: dict[str, Any], p: dict[str, Any]) -> Any:
    # torch.special.polygamma(n, input): the order is the first argument, a Python int
    return torch.special.polygamma(int(p["n"]), t["input"])


#: Measured against mpmath on (0, 6]: torch's trigamma ψ⁽¹⁾ is off by up to 4.9e-10 relative (near x = 1.13); its
#: ψ⁽²⁾..ψ⁽⁴⁾ are within 1e-15. Trigamma is digamma's backward and polygamma(1)'s value (polygamma(0)'s backward).
_TRIGAMMA = "torch's trigamma (polygamma n = 1) is accurate to about 5e-10 relative, not to float64"

COUNTERPARTS: dict[str, Counterpart] = {
    "polygamma": Counterpart(
        _polygamma,
        deviations=(Deviation(_TRIGAMMA, 1e-9, lambda values, params: int(params["n"]) in (0, 1)),),
        note="torch.special.polygamma(n, input), n a Python int",
    ),
    "digamma": Counterpart(
        lambda torch, t, p: torch.special.digamma(t["input"]), deviations=(Deviation(_TRIGAMMA, 1e-9),)
    ),
}
