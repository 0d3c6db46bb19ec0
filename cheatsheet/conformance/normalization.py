"""PyTorch counterparts of the normalization layers: one vector of n features (layer_norm, rms_norm over
normalized_shape (n,)), or one channel of a batch of n (batch_norm in training mode, input (n, 1)).
normalize is called through its ``torch`` field (F.normalize with p=2, dim=-1)."""

from __future__ import annotations

from typing import Any

from cheatsheet.conformance.model import Counterpart

__all__ = ["COUNTERPARTS"]


def _batch_norm(torch: Any, t: dict[str, Any], p: dict[str, Any]) -> Any:
    x = t["input"]
    y = torch.nn.functional.batch_norm(
        x.reshape(-1, 1),
        None,
        None,
        weight=t["weight"].reshape(1),
        bias=t["bias"].reshape(1),
        training=True,
        eps=p["eps"],
    )
    return y.reshape(x.shape)


COUNTERPARTS: dict[str, Counterpart] = {
    "layer_norm": Counterpart(
        lambda torch, t, p: torch.nn.functional.layer_norm(t["input"], t["input"].shape[-1:], eps=p["eps"])
    ),
    "batch_norm": Counterpart(_batch_norm, note="training mode, no running statistics: input (n, 1), one channel"),
    "rms_norm": Counterpart(
        lambda torch, t, p: torch.nn.functional.rms_norm(t["input"], t["input"].shape[-1:], eps=p["eps"])
    ),
}
