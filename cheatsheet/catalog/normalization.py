"""Normalization layers: input gradients of layer_norm, batch_norm (training statistics), rms_norm,
normalize (L2).

Vector rules in index notation over the normalized dimension (the features for layer_norm and
rms_norm, the batch for batch_norm): the Jacobian entry J_ij = ∂y_i/∂x_j. The statistics are PyTorch's:
the biased variance (divide by n) and ε inside the square root.

Float evaluation computes x_k − μ as the mean of the differences (1/n) Σ_l (x_k − x_l), which are exact
for inputs that share a large offset; x_k − μ with a rounded μ loses the digits of the offset
(layer_norm of 1000 + 10⁻³·z: 2e-10 relative error instead of 2e-16). The verifier proves the forms equal.
"""

from __future__ import annotations

import sympy as sp

from cheatsheet.catalog._common import POSITIVE, REAL, X, i, j, k, n, pos, real, textbook, vec
from cheatsheet.rule import Definition, Derivation, Identity, Input, Param, Rule, Step

__all__ = ["RULES"]

IN = Input("input", X, REAL, shape="vector")
eps = pos("varepsilon")
mu = real("mu")
sigma = pos("sigmahat")
r = pos("r")
norm = sp.Symbol(r"\|x\|", nonnegative=True)
xhat = vec("xhat")
gamma = real("gamma")
beta = real("beta")
d = sp.KroneckerDelta
l_ = sp.Symbol("l", integer=True, positive=True)  # summation index of the stable forms (free of i, j, k)


def _eps(default: sp.Rational, samples: tuple[sp.Rational, ...], doc: str) -> Param:
    return Param("eps", default, eps, POSITIVE, samples=samples, doc=doc)


LN_EPS = _eps(sp.Rational(1, 10**5), (), "added to the variance inside the square root")
RMS_EPS = _eps(
    sp.Rational(1, 2**52),
    (),
    "added to the mean square inside the square root (PyTorch's eps=None: torch.finfo(dtype).eps)",
)
NORM_EPS = _eps(sp.Rational(1, 10**12), (sp.Rational(3, 2),), "lower bound of the norm in the denominator")


def _centred(a: sp.Expr) -> sp.Expr:
    """x_a − μ as the mean of the differences x_a − x_l: exact-ish even for inputs sharing a large offset."""
    return sp.Sum(X[a] - X[l_], (l_, 1, n)) / n


with textbook():
    MU = Definition(mu, sp.Sum(X[k], (k, 1, n)) / n, text="mean")
    SIGMA = Definition(
        sigma,
        sp.sqrt(sp.Sum((X[k] - mu) ** 2, (k, 1, n)) / n + eps),
        stable=sp.sqrt(sp.Sum(_centred(k) ** 2, (k, 1, n)) / n + eps),
        text="standard deviation with the biased variance and ε",
    )
    XHAT = Definition(xhat[k], (X[k] - mu) / sigma, stable=_centred(k) / sigma, text="normalized input")
    LN_JACOBIAN = sp.Add(n * d(i, j), -1, -(xhat[i] * xhat[j])) / (n * sigma)

    RMS = Definition(r, sp.sqrt(sp.Sum(X[k] ** 2, (k, 1, n)) / n + eps), text="root mean square with ε")
    XHAT_RMS = Definition(xhat[k], X[k] / r, text="normalized input")

    NORM = Definition(norm, sp.sqrt(sp.Sum(X[k] ** 2, (k, 1, n))), text="Euclidean norm")
    UNIT = Definition(xhat[k], X[k] / norm, text="unit vector")

    RULES: tuple[Rule, ...] = (
        Rule(
            id="layer_norm",
            title="Layer normalization",
            family="normalization",
            inputs=(IN,),
            params=(LN_EPS,),
            function=(X[i] - mu) / sigma,
            derivative=LN_JACOBIAN,
            stable=xhat[i],
            where=(MU, SIGMA, XHAT),
            identities=(
                Identity(
                    sp.Sum(sp.Add(n * d(i, k), -1, -(xhat[i] * xhat[k])) / (n * sigma), (k, 1, n)),
                    0,
                    note="J·1 = 0: a common shift of the inputs changes nothing",
                ),
            ),
            notes=(
                "Over the last dimension, without the affine γ, β (F.layer_norm's weight=None, bias=None).",
                "PyTorch uses the biased variance (divide by n) and adds ε inside the square root.",
                "J is symmetric; its rows sum to 0, so the input gradient Jᵀg always sums to 0.",
            ),
            references=("PyTorch F.layer_norm", "Ba, Kiros & Hinton 2016"),
            derivation=Derivation(
                "input",
                (
                    Step(
                        1 / sigma * sp.Derivative(X[i] - mu, X[j])
                        - (X[i] - mu) / sigma**2 * sp.Derivative(sigma, X[j]),
                        "quotient rule: μ and σ̂ depend on every xⱼ",
                    ),
                    Step(
                        (d(i, j) - 1 / n) / sigma
                        - (X[i] - mu) / sigma**2 * (sp.Sum((X[k] - mu) * (d(k, j) - 1 / n), (k, 1, n)) / (n * sigma)),
                        "∂μ/∂xⱼ = 1/n; chain rule on σ̂ = √(Σₖ (xₖ − μ)²/n + ε)",
                    ),
                    Step(
                        (d(i, j) - 1 / n) / sigma - (X[i] - mu) / sigma**2 * ((X[j] - mu) / (n * sigma)),
                        "δₖⱼ picks xⱼ − μ, and Σₖ (xₖ − μ) = 0",
                    ),
                    Step(
                        sp.Add(n * d(i, j), -1, -(xhat[i] * xhat[j])) / (n * sigma), "(xₖ − μ)/σ̂ = x̂ₖ; multiply by n/n"
                    ),
                ),
            ),
            torch="F.layer_norm",
        ),
        Rule(
            id="batch_norm",
            title="Batch normalization (training)",
            family="normalization",
            inputs=(
                IN,
                Input("weight", gamma, REAL, doc="γ of the channel"),
                Input("bias", beta, REAL, doc="β of the channel"),
            ),
            params=(LN_EPS,),
            function=gamma * (X[i] - mu) / sigma + beta,
            derivative={
                "input": gamma * LN_JACOBIAN,
                "weight": xhat[i],
                "bias": sp.S.One,
            },
            stable=gamma * xhat[i] + beta,
            where=(MU, SIGMA, XHAT),
            notes=(
                "One channel; the index runs over the batch (n = N, or N·H·W for images): the gradient flows through μ and σ̂.",
                "Training mode normalizes with the biased batch variance; running_var is updated with the unbiased one.",
                "In eval mode μ and σ̂ are the running statistics, constants: the layer is affine in x.",
            ),
            references=("PyTorch F.batch_norm", "Ioffe & Szegedy 2015"),
            torch="F.batch_norm",
        ),
        Rule(
            id="rms_norm",
            title="RMS normalization",
            family="normalization",
            inputs=(IN,),
            params=(RMS_EPS,),
            function=X[i] / r,
            derivative=sp.Add(n * d(i, j), -(xhat[i] * xhat[j])) / (n * r),
            stable=xhat[i],
            where=(RMS, XHAT_RMS),
            notes=(
                "Layer norm without centring: no mean subtracted, no −1 in the Jacobian.",
                "Without the weight γ (F.rms_norm's weight=None). PyTorch's eps=None is torch.finfo(dtype).eps: 2⁻⁵² in float64.",
            ),
            references=("PyTorch F.rms_norm", "Zhang & Sennrich 2019"),
            torch="F.rms_norm",
        ),
        Rule(
            id="normalize",
            title="L2 normalization",
            family="normalization",
            inputs=(IN,),
            params=(NORM_EPS,),
            function=X[i] / sp.Max(norm, eps),
            derivative=sp.Piecewise(
                ((d(i, j) - xhat[i] * xhat[j]) / norm, norm >= eps),
                (d(i, j) / eps, True),
            ),
            where=(NORM, UNIT),
            identities=(
                Identity(
                    sp.Sum((d(i, k) - xhat[i] * xhat[k]) * xhat[k], (k, 1, n)),
                    0,
                    note="(I − x̂ x̂ᵀ) x̂ = 0: above ε, scaling x leaves x/‖x‖ unchanged",
                ),
            ),
            notes=(
                "F.normalize(x, p=2, dim=-1): above ε the Jacobian is (I − x̂ x̂ᵀ)/‖x‖, the projection orthogonal to x̂ over ‖x‖.",
                "At ‖x‖ = ε PyTorch takes the upper branch: clamp_min passes the gradient at equality.",
            ),
            references=("PyTorch F.normalize",),
            torch="F.normalize",
            torch_kwargs={"p": 2.0, "dim": -1},
        ),
    )
