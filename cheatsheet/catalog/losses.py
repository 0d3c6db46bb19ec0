"""Losses with PyTorch's signatures: element losses ℓ(x, y) reduced by ``reduction`` ('mean' default,
'sum', 'none'), and the class losses over a vector of logits."""

from __future__ import annotations

import sympy as sp

from cheatsheet.catalog._common import REAL, REDUCTION, X, i, j, k, n, textbook, vec, x, y
from cheatsheet.rule import Definition, Input, Kink, Rule

__all__ = ["RULES"]

INPUT = Input("input", x, REAL)
TARGET = Input("target", y, REAL)
p = vec("p")
c = sp.Symbol("c", integer=True, positive=True)

with textbook():
    SOFTMAX = Definition(p[k], sp.exp(X[k]) / sp.Sum(sp.exp(X[j]), (j, 1, n)), text="softmax(x)_k")
    RULES: tuple[Rule, ...] = (
        Rule(
            id="mse_loss",
            title="Mean squared error",
            family="loss",
            inputs=(INPUT, TARGET),
            params=(REDUCTION,),
            reduction=True,
            function=(x - y) ** 2,
            derivative={"input": 2 * (x - y), "target": -2 * (x - y)},
            references=("PyTorch F.mse_loss",),
            torch="F.mse_loss",
        ),
        Rule(
            id="l1_loss",
            title="L1 loss",
            family="loss",
            inputs=(INPUT, TARGET),
            params=(REDUCTION,),
            reduction=True,
            function=sp.Abs(x - y),
            derivative={"input": sp.sign(x - y), "target": -sp.sign(x - y)},
            kinks=(Kink(at=y, left=-1, right=1, torch=0), Kink(at=x, left=-1, right=1, torch=0, wrt="target")),
            references=("PyTorch F.l1_loss",),
            torch="F.l1_loss",
        ),
        Rule(
            id="cross_entropy",
            title="Cross-entropy (class index)",
            family="loss",
            inputs=(Input("input", X, REAL, shape="vector", doc="logits"), Input("target", c, class_index=True, doc="class")),
            params=(REDUCTION,),
            reduction=True,
            function=-sp.log(p[c]),
            derivative={"input": p[i] - sp.KroneckerDelta(i, c)},
            where=(SOFTMAX,),
            notes=("Softmax followed by the negative log-likelihood; the gradient is p − onehot(c).",),
            references=("PyTorch F.cross_entropy",),
            torch="F.cross_entropy",
        ),
    )
