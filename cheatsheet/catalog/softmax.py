"""The softmax family: softmax and its Jacobian, log-softmax, softmin, logsumexp, temperature.

Vector rules in index notation: the function is the component f_i, the derivative the Jacobian entry
J_ij = ∂f_i/∂x_j (or the gradient entry ∂f/∂x_i for a scalar function). Float evaluation uses the
stable definitions (shift by m = max_k x_k), which the verifier checks are equal.
"""

from __future__ import annotations

import sympy as sp

from cheatsheet.catalog._common import REAL, X, i, j, k, n, real, textbook, vec
from cheatsheet.notation import MaxOver
from cheatsheet.rule import Definition, Identity, Input, Rule

__all__ = ["RULES"]

IN = Input("input", X, REAL, shape="vector")
p = vec("p")
m = real("m")

with textbook():
    SOFTMAX = Definition(
        p[k],
        sp.exp(X[k]) / sp.Sum(sp.exp(X[j]), (j, 1, n)),
        stable=sp.exp(X[k] - m) / sp.Sum(sp.exp(X[j] - m), (j, 1, n)),
        text="softmax(x)_k",
    )
    MAX = Definition(m, MaxOver(X[k], (k, 1, n)), text="max_k x_k (for stable evaluation)")

    RULES: tuple[Rule, ...] = (
        Rule(
            id="softmax",
            title="Softmax",
            family="softmax",
            inputs=(IN,),
            function=sp.exp(X[i]) / sp.Sum(sp.exp(X[k]), (k, 1, n)),
            derivative=p[i] * (sp.KroneckerDelta(i, j) - p[j]),
            where=(SOFTMAX, MAX),
            identities=(Identity(sp.Sum(p[k], (k, 1, n)), 1, note="the outputs sum to 1"),),
            notes=("In matrix form J = diag(p) − p pᵀ; symmetric, and J·1 = 0.",),
            references=("PyTorch F.softmax",),
            torch="F.softmax",
        ),
        Rule(
            id="logsumexp",
            title="Log-sum-exp",
            family="softmax",
            inputs=(IN,),
            function=sp.log(sp.Sum(sp.exp(X[k]), (k, 1, n))),
            derivative=p[i],
            stable=m + sp.log(sp.Sum(sp.exp(X[k] - m), (k, 1, n))),
            where=(SOFTMAX, MAX),
            notes=("The gradient of logsumexp is the softmax.",),
            references=("PyTorch torch.logsumexp",),
            torch="torch.logsumexp",
        ),
    )
