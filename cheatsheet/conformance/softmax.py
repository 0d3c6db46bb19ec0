"""PyTorch counterparts of the softmax family. softmax, log_softmax, softmin and logsumexp are called
through their ``torch`` field with ``torch_kwargs`` dim=-1; PyTorch has no temperature argument, so the
temperature rule divides the logits; the vector–Jacobian product is autograd of ⟨g, softmax(x)⟩."""

from __future__ import annotations

from cheatsheet.conformance.model import Counterpart, Deviation

__all__ = ["COUNTERPARTS"]

COUNTERPARTS: dict[str, Counterpart] = {
    "softmax_vjp": Counterpart(
        lambda torch, t, p: (t["grad_output"] * torch.nn.functional.softmax(t["input"], dim=-1)).sum(-1),
        note="autograd of ⟨g, softmax(x)⟩ runs PyTorch's softmax backward on g",
    ),
    "softmax_temperature": Counterpart(
        lambda torch, t, p: torch.nn.functional.softmax(t["input"] / t["temperature"], dim=-1),
        deviations=(
            Deviation(
                "softmax's backward forms p_j(δ_ij − p_i) with 1 − p_i cancelling as p_i → 1; the chain rule "
                "through x/T multiplies that rounding by |x|/T² in ∂/∂T (measured 2e-10 at T = 0.01)",
                1e-9,
                lambda values, params: float(values["temperature"]) < 1,
            ),
        ),
        note="PyTorch has no temperature argument: F.softmax(x / T, dim=-1)",
    ),
}
