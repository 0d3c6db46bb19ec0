"""The softmax family: softmax and its Jacobian, log-softmax, softmin, logsumexp, temperature.

Vector rules in index notation: the function is the component f_i, the derivative the Jacobian entry
J_ij = ∂f_i/∂x_j (or the gradient entry ∂f/∂x_i for a scalar function).

Float evaluation uses stable forms, each proved equal to the printed one by the verifier:
p_k = 1 / Σ_l e^{x_l − x_k} never overflows (a huge difference gives e^{...} = inf and p_k = 0, its
limit); when one logit dominates, p_max rounds to 1, so 1 − p_i in δ_ij − p_j is summed from the other
probabilities, Σ_k (1 − δ_ik) p_k, and ln p_i is computed as −M_i − log1p(Σ_{k≠i} e^{x_k − x_i − M_i}
+ expm1(−M_i)) with M_i = max_l x_l − x_i, which is exact for the dominant logit (M_i = 0).
"""

from __future__ import annotations

import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p

from cheatsheet.catalog._common import POSITIVE, REAL, X, i, j, k, n, pos, real, textbook, vec
from cheatsheet.notation import MaxOver
from cheatsheet.rule import Definition, Derivation, Identity, Input, Rule, Step

__all__ = ["RULES"]

IN = Input("input", X, REAL, shape="vector")
G = vec("g")
GRAD = Input("grad_output", G, REAL, shape="vector", doc="upstream gradient g = ∂L/∂p")
T = pos("T")
TEMPERATURE = Input("temperature", T, POSITIVE, doc="T > 0 (a learnable scalar, or a fixed hyperparameter)")
p = vec("p")
m = real("m")
d = sp.KroneckerDelta
l_ = sp.Symbol("l", integer=True, positive=True)  # summation index of the stable forms (free of i, j, k)


def _others(v: sp.IndexedBase, a: sp.Symbol) -> sp.Expr:
    """Σ_{k≠a} v_k, written Σ_k (1 − δ_ak) v_k: equals 1 − v_a for a probability vector, without cancelling."""
    return sp.Sum((1 - d(a, k)) * v[k], (k, 1, n))


def _delta_minus(v: sp.IndexedBase) -> sp.Expr:
    """δ_ij − v_j for a probability vector v, with the diagonal 1 − v_i summed from the other entries."""
    return d(i, j) * _others(v, i) - (1 - d(i, j)) * v[j]


with textbook():
    SOFTMAX = Definition(
        p[k],
        sp.exp(X[k]) / sp.Sum(sp.exp(X[j]), (j, 1, n)),
        stable=1 / sp.Sum(sp.exp(X[l_] - X[k]), (l_, 1, n)),
        text="softmax(x)_k",
    )
    MAX = Definition(m, MaxOver(X[k], (k, 1, n)), text="max_k x_k (for stable evaluation)")
    SOFTMIN = Definition(
        p[k],
        sp.exp(-X[k]) / sp.Sum(sp.exp(-X[j]), (j, 1, n)),
        stable=1 / sp.Sum(sp.exp(X[k] - X[l_]), (l_, 1, n)),
        text="softmin(x)_k",
    )
    SOFTMAX_T = Definition(
        p[k],
        sp.exp(X[k] / T) / sp.Sum(sp.exp(X[j] / T), (j, 1, n)),
        stable=1 / sp.Sum(sp.exp((X[l_] - X[k]) / T), (l_, 1, n)),
        text="softmax(x/T)_k",
    )
    LSE_STABLE = m + sp.log(sp.Sum(sp.exp(X[k] - m), (k, 1, n)))
    # M_i = max_k x_k − x_i ≥ 0 as one node, so that float evaluation never rounds x_i − m inside a longer sum;
    # −ln p_i = M_i + log1p(Σ_{k≠i} e^{x_k − x_i − M_i} + expm1(−M_i)), exact where p_i → 1.
    M_I = MaxOver(X[l_] - X[i], (l_, 1, n))
    NEG_LOG_P = M_I + log1p(sp.Sum((1 - d(i, k)) * sp.exp(X[k] - X[i] - M_I), (k, 1, n)) + expm1(-M_I))
    EXP_SUM = sp.Sum(sp.exp(X[k]), (k, 1, n))  # Σ_k e^{x_k}, in the derivations

    RULES: tuple[Rule, ...] = (
        Rule(
            id="softmax",
            title="Softmax",
            family="softmax",
            inputs=(IN,),
            function=sp.exp(X[i]) / sp.Sum(sp.exp(X[k]), (k, 1, n)),
            derivative=p[i] * (d(i, j) - p[j]),
            stable=p[i],
            stable_derivative=p[i] * _delta_minus(p),
            where=(SOFTMAX,),
            identities=(
                Identity(sp.Sum(p[k], (k, 1, n)), 1, note="the outputs sum to 1"),
                Identity(p[i] * (d(i, j) - p[j]), d(i, j) * p[i] - p[i] * p[j], note="J = diag(p) − p pᵀ"),
                Identity(p[i] * (d(i, j) - p[j]), p[j] * (d(j, i) - p[i]), note="J is symmetric"),
                Identity(
                    sp.Sum(p[i] * (d(i, k) - p[k]), (k, 1, n)),
                    0,
                    note="J·1 = 0: adding a constant to every logit changes nothing",
                ),
            ),
            notes=(
                "In matrix form J = diag(p) − p pᵀ: symmetric, and J·1 = 0 (softmax(x + c) = softmax(x)).",
                "Evaluate pₖ as 1 / Σⱼ exp(xⱼ − xₖ) (or shift the logits by their maximum): exp(xₖ) overflows above 709.",
            ),
            references=("PyTorch F.softmax", "Bridle 1990"),
            derivation=Derivation(
                "input",
                (
                    Step(sp.Derivative(sp.exp(X[i]) / EXP_SUM, X[j]), "softmax: pᵢ = exp(xᵢ)/Σₖ exp(xₖ)"),
                    Step(
                        1 / EXP_SUM * sp.Derivative(sp.exp(X[i]), X[j])
                        - sp.exp(X[i]) / EXP_SUM**2 * sp.Derivative(EXP_SUM, X[j]),
                        "quotient rule",
                    ),
                    Step(
                        d(i, j) * sp.exp(X[i]) / EXP_SUM - sp.exp(X[i]) * sp.exp(X[j]) / EXP_SUM**2,
                        "∂exp(xᵢ)/∂xⱼ = δᵢⱼ exp(xᵢ); in the sum only the term k = j depends on xⱼ",
                    ),
                    Step(sp.exp(X[i]) / EXP_SUM * (d(i, j) - sp.exp(X[j]) / EXP_SUM), "factor out exp(xᵢ)/Σₖ exp(xₖ)"),
                    Step(p[i] * (d(i, j) - p[j]), "exp(xₖ)/Σₗ exp(xₗ) = pₖ"),
                ),
            ),
            torch="F.softmax",
            torch_kwargs={"dim": -1},
        ),
        Rule(
            id="softmax_vjp",
            title="Softmax backward (vector–Jacobian product)",
            family="softmax",
            inputs=(IN, GRAD),
            function=sp.Sum(G[k] * p[k], (k, 1, n)),
            derivative={"input": p[i] * (G[i] - sp.Sum(G[k] * p[k], (k, 1, n))), "grad_output": p[i]},
            stable_derivative={"input": p[i] * sp.Sum(p[k] * (G[i] - G[k]), (k, 1, n))},
            where=(SOFTMAX,),
            notes=(
                "The gradient of ⟨g, softmax(x)⟩ is gᵀJ: what softmax's backward computes, p ⊙ (g − ⟨g, p⟩).",
                "One dot product per row instead of the n × n Jacobian (attention's backward uses it).",
            ),
            references=("PyTorch torch._softmax_backward_data",),
        ),
        Rule(
            id="log_softmax",
            title="Log-softmax",
            family="softmax",
            inputs=(IN,),
            function=X[i] - sp.log(sp.Sum(sp.exp(X[k]), (k, 1, n))),
            derivative=d(i, j) - p[j],
            stable=-NEG_LOG_P,
            where=(SOFTMAX,),
            stable_derivative=_delta_minus(p),
            identities=(
                Identity(
                    sp.Sum(d(i, k) - p[k], (k, 1, n)),
                    0,
                    note="J·1 = 0: adding a constant to every logit changes nothing",
                ),
            ),
            notes=(
                "ln softmax(x)ᵢ = xᵢ − logsumexp(x): the Jacobian is δᵢⱼ − pⱼ, no factor pᵢ.",
                "Prefer it to ln(softmax(x)): for very negative logits softmax underflows to 0 and its log to −∞.",
            ),
            references=("PyTorch F.log_softmax",),
            derivation=Derivation(
                "input",
                (
                    Step(
                        sp.Derivative(sp.log(sp.exp(X[i]) / EXP_SUM), X[j]),
                        "log_softmax(x)ᵢ = ln pᵢ with pᵢ = exp(xᵢ)/Σₖ exp(xₖ)",
                    ),
                    Step(sp.Derivative(X[i] - sp.log(EXP_SUM), X[j]), "ln(a/b) = ln a − ln b and ln exp(xᵢ) = xᵢ"),
                    Step(
                        sp.Derivative(X[i], X[j]) - 1 / EXP_SUM * sp.Derivative(EXP_SUM, X[j]),
                        "chain rule: (ln u)′ = u′/u",
                    ),
                    Step(
                        d(i, j) - sp.exp(X[j]) / EXP_SUM, "∂xᵢ/∂xⱼ = δᵢⱼ; in the sum only the term k = j depends on xⱼ"
                    ),
                    Step(d(i, j) - p[j], "exp(xⱼ)/Σₖ exp(xₖ) = pⱼ"),
                ),
            ),
            torch="F.log_softmax",
            torch_kwargs={"dim": -1},
        ),
        Rule(
            id="softmin",
            title="Softmin",
            family="softmax",
            inputs=(IN,),
            function=sp.exp(-X[i]) / sp.Sum(sp.exp(-X[k]), (k, 1, n)),
            derivative=-p[i] * (d(i, j) - p[j]),
            stable=p[i],
            stable_derivative=-p[i] * _delta_minus(p),
            where=(SOFTMIN,),
            notes=("softmin(x) = softmax(−x): the same Jacobian with the opposite sign.",),
            references=("PyTorch F.softmin",),
            torch="F.softmin",
            torch_kwargs={"dim": -1},
        ),
        Rule(
            id="softmax_temperature",
            title="Softmax with temperature",
            family="softmax",
            inputs=(IN, TEMPERATURE),
            function=sp.exp(X[i] / T) / sp.Sum(sp.exp(X[k] / T), (k, 1, n)),
            derivative={
                "input": p[i] * (d(i, j) - p[j]) / T,
                "temperature": -p[i] * (X[i] - sp.Sum(p[k] * X[k], (k, 1, n))) / T**2,
            },
            stable=p[i],
            stable_derivative={
                "input": p[i] * _delta_minus(p) / T,
                "temperature": -p[i] * sp.Sum(p[k] * (X[i] - X[k]), (k, 1, n)) / T**2,
            },
            where=(SOFTMAX_T,),
            identities=(
                Identity(
                    sp.Sum(p[k] * (X[k] - sp.Sum(p[j] * X[j], (j, 1, n))), (k, 1, n)),
                    0,
                    note="Σ_i ∂p_i/∂T = 0: the outputs stay a distribution",
                ),
            ),
            notes=(
                "softmax(x/T): the Jacobian is the softmax Jacobian at x/T divided by T.",
                "∂pᵢ/∂T has the sign of Σₖ pₖ xₖ − xᵢ: raising T lowers the probabilities of the logits above their p-weighted mean.",
                "PyTorch has no temperature argument: F.softmax(x / T, dim=-1).",
            ),
            references=("PyTorch F.softmax", "Hinton, Vinyals & Dean 2015 (distillation)"),
        ),
        Rule(
            id="logsumexp",
            title="Log-sum-exp",
            family="softmax",
            inputs=(IN,),
            function=sp.log(sp.Sum(sp.exp(X[k]), (k, 1, n))),
            derivative=p[i],
            stable=LSE_STABLE,
            where=(SOFTMAX, MAX),
            notes=("The gradient of logsumexp is the softmax (so its Hessian is the softmax Jacobian).",),
            references=("PyTorch torch.logsumexp",),
            derivation=Derivation(
                "input",
                (
                    Step(1 / EXP_SUM * sp.Derivative(EXP_SUM, X[i]), "chain rule: (ln u)′ = u′/u"),
                    Step(sp.exp(X[i]) / EXP_SUM, "in the sum only the term k = i depends on xᵢ"),
                    Step(p[i], "exp(xᵢ)/Σₖ exp(xₖ) = softmax(x)ᵢ = pᵢ"),
                ),
            ),
            torch="torch.logsumexp",
            torch_kwargs={"dim": -1},
        ),
    )
