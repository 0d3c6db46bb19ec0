"""PyTorch counterparts of the matrix rules: each computes the rule's scalar function from the input tensors
(2-D float64, vectors as n×1), so that autograd's gradient of it is compared with the printed one.

The layer rules are vector–Jacobian products tr(Gᵀ Y): the adapter runs the PyTorch layer (F.linear,
F.layer_norm, F.scaled_dot_product_attention, ...) and returns (G ⊙ Y).sum(), whose gradient w.r.t. an input
is exactly the layer's backward pass applied to G. vec stacks columns: vec(X) = Xᵀ.reshape(-1, 1).
"""

from __future__ import annotations

from typing import Any

from cheatsheet.conformance.model import Counterpart

__all__ = ["COUNTERPARTS"]

Tensors = dict[str, Any]


def _dot(torch: Any, *factors: Any) -> Any:
    """A product of matrices that is 1×1, as a scalar."""
    return torch.linalg.multi_dot(list(factors)).reshape(())


def _vec(t: Any) -> Any:
    return t.T.reshape(-1, 1)


def _vjp(torch: Any, g: Any, y: Any) -> Any:
    """tr(Gᵀ Y) = Σ G ⊙ Y: its gradient w.r.t. a layer input is the layer's backward pass applied to G."""
    return (g * y).sum()


def _cp(call: Any, note: str = "") -> Counterpart:
    return Counterpart(call, note=note)


def _linear(torch: Any, t: Tensors, p: dict[str, Any]) -> Any:
    y = torch.nn.functional.linear(t["input"], t["weight"], t["bias"].reshape(-1))
    return _vjp(torch, t["grad_output"], y)


def _batch_norm(torch: Any, t: Tensors, p: dict[str, Any]) -> Any:
    y = torch.nn.functional.batch_norm(
        t["input"],
        None,
        None,
        weight=t["weight"].reshape(-1),
        bias=t["bias"].reshape(-1),
        training=True,
        eps=p["eps"],
    )
    return _vjp(torch, t["grad_output"], y)


def _attention(torch: Any, t: Tensors, p: dict[str, Any]) -> Any:
    y = torch.nn.functional.scaled_dot_product_attention(t["query"], t["key"], t["value"])
    return _vjp(torch, t["grad_output"], y)


def _dropout(torch: Any, t: Tensors, p: dict[str, Any]) -> Any:
    # F.dropout draws its own mask; the kernel that applies a given mask is dropout's backward, whose own
    # derivative (w.r.t. its first argument) is again that kernel: it is the layer with the mask fixed
    scale = 1.0 / (1.0 - p["p"])
    y = torch.ops.aten.native_dropout_backward(t["input"], t["mask"] > 0.5, scale)
    return _vjp(torch, t["grad_output"], y)


COUNTERPARTS: dict[str, Counterpart] = {
    # ------------------------------------------------------------ forms
    "linear_form": _cp(lambda torch, t, p: torch.inner(t["a"].reshape(-1), t["x"].reshape(-1))),
    "bilinear_form": _cp(lambda torch, t, p: _dot(torch, t["a"].T, t["X"], t["b"])),
    "bilinear_form_transposed": _cp(lambda torch, t, p: _dot(torch, t["a"].T, t["X"].T, t["b"])),
    "quadratic_form": _cp(lambda torch, t, p: _dot(torch, t["x"].T, t["A"], t["x"])),
    "quadratic_form_symmetric": _cp(lambda torch, t, p: _dot(torch, t["x"].T, t["B"], t["x"])),
    "affine_bilinear_form": _cp(
        lambda torch, t, p: _dot(torch, (t["B"] @ t["x"] + t["b"]).T, t["C"], t["D"] @ t["x"] + t["d"])
    ),
    "squared_norm": _cp(lambda torch, t, p: torch.linalg.vector_norm(t["x"]) ** 2),
    "euclidean_norm": _cp(lambda torch, t, p: torch.linalg.vector_norm(t["x"] - t["a"])),
    "gram_bilinear_form": _cp(lambda torch, t, p: _dot(torch, t["b"].T, t["X"].T, t["X"], t["c"])),
    "weighted_gram_form": _cp(lambda torch, t, p: _dot(torch, t["b"].T, t["X"].T, t["D"], t["X"], t["c"])),
    "affine_quadratic_form": _cp(
        lambda torch, t, p: _dot(torch, (t["X"] @ t["b"] + t["c"]).T, t["D"], t["X"] @ t["b"] + t["c"])
    ),
    "least_squares": _cp(
        lambda torch, t, p: torch.nn.functional.mse_loss(t["A"] @ t["x"], t["b"], reduction="sum"),
        note="F.mse_loss(Ax, b, reduction='sum')",
    ),
    "weighted_least_squares": _cp(
        lambda torch, t, p: _dot(torch, (t["x"] - t["A"] @ t["s"]).T, t["W"], t["x"] - t["A"] @ t["s"])
    ),
    # ------------------------------------------------------------ traces
    "trace_ax": _cp(lambda torch, t, p: torch.trace(t["A"] @ t["X"])),
    "trace_axb": _cp(lambda torch, t, p: torch.trace(t["A"] @ t["X"] @ t["B"])),
    "trace_axtb": _cp(lambda torch, t, p: torch.trace(t["A"] @ t["X"].T @ t["B"])),
    "trace_xta": _cp(lambda torch, t, p: torch.trace(t["X"].T @ t["A"])),
    "trace_x2": _cp(lambda torch, t, p: torch.trace(torch.linalg.matrix_power(t["X"], 2))),
    "trace_x2b": _cp(lambda torch, t, p: torch.trace(torch.linalg.matrix_power(t["X"], 2) @ t["B"])),
    "trace_xtbx": _cp(lambda torch, t, p: torch.trace(t["X"].T @ t["B"] @ t["X"])),
    "trace_xtbx_symmetric": _cp(lambda torch, t, p: torch.trace(t["X"].T @ t["B"] @ t["X"])),
    "trace_xbxt": _cp(lambda torch, t, p: torch.trace(t["X"] @ t["B"] @ t["X"].T)),
    "trace_axbx": _cp(lambda torch, t, p: torch.trace(t["A"] @ t["X"] @ t["B"] @ t["X"])),
    "frobenius_norm_squared": _cp(lambda torch, t, p: torch.linalg.matrix_norm(t["X"]) ** 2),
    "trace_btxtcxb": _cp(lambda torch, t, p: torch.trace(t["B"].T @ t["X"].T @ t["C"] @ t["X"] @ t["B"])),
    "trace_xtbxc": _cp(lambda torch, t, p: torch.trace(t["X"].T @ t["B"] @ t["X"] @ t["C"])),
    "trace_axbxtc": _cp(lambda torch, t, p: torch.trace(t["A"] @ t["X"] @ t["B"] @ t["X"].T @ t["C"])),
    "frobenius_affine": _cp(lambda torch, t, p: torch.linalg.matrix_norm(t["A"] @ t["X"] @ t["B"] + t["C"]) ** 2),
    "trace_inv_xtcx_a": _cp(lambda torch, t, p: torch.trace(torch.linalg.solve(t["X"].T @ t["C"] @ t["X"], t["A"]))),
    "trace_inv_a_xtcx_xtbx": _cp(
        lambda torch, t, p: torch.trace(
            torch.linalg.solve(t["A"] + t["X"].T @ t["C"] @ t["X"], t["X"].T @ t["B"] @ t["X"])
        )
    ),
    # ------------------------------------------------------------ inverses and determinants
    "inverse_bilinear": _cp(lambda torch, t, p: _dot(torch, t["a"].T, torch.linalg.solve(t["X"], t["b"]))),
    "trace_axinvb": _cp(lambda torch, t, p: torch.trace(t["A"] @ torch.linalg.solve(t["X"], t["B"]))),
    "trace_inverse": _cp(lambda torch, t, p: torch.trace(torch.linalg.inv(t["X"] + t["A"]))),
    "logabsdet": _cp(lambda torch, t, p: torch.linalg.slogdet(t["X"]).logabsdet),
    "det_axb": _cp(lambda torch, t, p: torch.det(t["A"] @ t["X"] @ t["B"])),
    "det_inverse": _cp(lambda torch, t, p: torch.det(torch.linalg.inv(t["X"]))),
    "logdet_xtx": _cp(lambda torch, t, p: torch.logdet(t["X"].T @ t["X"])),
    "det_xtax": _cp(lambda torch, t, p: torch.det(t["X"].T @ t["A"] @ t["X"])),
    "frobenius_norm": _cp(lambda torch, t, p: torch.linalg.matrix_norm(t["X"])),
    # ------------------------------------------------------------ vec and Kronecker
    "vec_kronecker": _cp(
        lambda torch, t, p: _dot(torch, _vec(t["G"]).T, torch.kron(t["B"].T.contiguous(), t["A"]), _vec(t["X"]))
    ),
    "kronecker_quadratic_form": _cp(
        lambda torch, t, p: _dot(torch, _vec(t["X"]).T, torch.kron(t["B"], t["A"]), _vec(t["X"]))
    ),
    # ------------------------------------------------------------ layers
    "linear": _cp(_linear, note="F.linear(input, weight, bias) with bias of shape (d_out,)"),
    "sigmoid_backward": _cp(lambda torch, t, p: _vjp(torch, t["grad_output"], torch.sigmoid(t["input"]))),
    "tanh_backward": _cp(lambda torch, t, p: _vjp(torch, t["grad_output"], torch.tanh(t["input"]))),
    "cross_entropy_batch": _cp(
        lambda torch, t, p: torch.nn.functional.cross_entropy(t["input"], t["target"]),
        note="probability targets, reduction='mean'",
    ),
    "layer_norm_backward": _cp(
        lambda torch, t, p: _vjp(
            torch, t["grad_output"], torch.nn.functional.layer_norm(t["input"], t["input"].shape[-1:], eps=p["eps"])
        )
    ),
    "rms_norm_backward": _cp(
        lambda torch, t, p: _vjp(
            torch, t["grad_output"], torch.nn.functional.rms_norm(t["input"], t["input"].shape[-1:], eps=p["eps"])
        )
    ),
    "batch_norm_backward": _cp(_batch_norm, note="training mode, no running statistics"),
    "scaled_dot_product_attention": _cp(_attention, note="one head, no mask, default scale 1/√d"),
    "dropout": _cp(_dropout, note="the mask applied by aten.native_dropout_backward (dropout's own kernel)"),
}
