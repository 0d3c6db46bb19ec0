"""PyTorch counterparts of the losses that a plain call cannot reach: ``pos_weight`` is a tensor, some
targets are not differentiable in PyTorch (they must not require grad), and the classic hinge loss has
no functional of its own (it is written with ``relu``, as in practice)."""

from __future__ import annotations

from typing import Any

from cheatsheet.conformance.model import Counterpart

__all__ = ["COUNTERPARTS"]


def _bce_with_logits(torch: Any, t: dict[str, Any], p: dict[str, Any]) -> Any:
    pos_weight = torch.tensor(p["pos_weight"], dtype=torch.float64)
    return torch.nn.functional.binary_cross_entropy_with_logits(
        t["input"], t["target"], pos_weight=pos_weight, reduction=p["reduction"]
    )


def _reduce(out: Any, reduction: str) -> Any:
    return {"mean": out.mean, "sum": out.sum}.get(reduction, lambda: out)()


COUNTERPARTS: dict[str, Counterpart] = {
    "binary_cross_entropy_with_logits": Counterpart(_bce_with_logits, note="pos_weight is a tensor: torch.tensor(p)"),
    "soft_margin_loss": Counterpart(
        lambda torch, t, p: torch.nn.functional.soft_margin_loss(
            t["input"], t["target"].detach(), reduction=p["reduction"]
        ),
        note="PyTorch does not differentiate w.r.t. the target: it is detached",
    ),
    "hinge_embedding_loss": Counterpart(
        lambda torch, t, p: torch.nn.functional.hinge_embedding_loss(
            t["input"], t["target"].detach(), margin=p["margin"], reduction=p["reduction"]
        ),
        note="PyTorch does not differentiate w.r.t. the target: it is detached",
    ),
    "hinge_loss": Counterpart(
        lambda torch, t, p: _reduce(torch.relu(1 - t["target"].detach() * t["input"]), p["reduction"]),
        note="no PyTorch functional: torch.relu(1 - y * x), reduced like the other losses",
    ),
}
