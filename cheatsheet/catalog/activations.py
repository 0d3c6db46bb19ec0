"""Element-wise activations: every one in torch.nn.functional, and the classics of Wikipedia's table.

Conventions at kinks are PyTorch's (FINDINGS §2), stated as data on each Kink and checked.
"""

from __future__ import annotations

import sympy as sp

from cheatsheet.catalog._common import POSITIVE, REAL, pos, real, textbook, x
from cheatsheet.notation import Indicator, Phi, phi, sigmoid, softplus
from cheatsheet.rule import Identity, Input, Kink, Param, Rule

__all__ = ["RULES"]

IN = Input("input", x, REAL)
alpha = real("alpha")
beta = pos("beta")
t = pos("t")

with textbook():
    RULES: tuple[Rule, ...] = (
        Rule(
            id="sigmoid",
            title="Sigmoid",
            family="activation",
            inputs=(IN,),
            function=sigmoid(x),
            derivative=sigmoid(x) * (1 - sigmoid(x)),
            identities=(
                Identity(sp.Subs(sp.Derivative(sigmoid(x), x), x, 0), sp.Rational(1, 4), note="maximum slope 1/4 at x = 0"),
                Identity(sigmoid(x) * (1 - sigmoid(x)), sp.Rational(1, 4), "<=", note="σ′ never exceeds 1/4"),
                Identity(sigmoid(-x), 1 - sigmoid(x), note="symmetry"),
            ),
            notes=("σ′ = σ(1 − σ): the backward pass reuses the forward output.",),
            references=("PyTorch F.sigmoid", "Goodfellow et al., Deep Learning, §3.10"),
            torch="torch.sigmoid",
        ),
        Rule(
            id="tanh",
            title="Tanh",
            family="activation",
            inputs=(IN,),
            function=sp.tanh(x),
            derivative=1 - sp.tanh(x) ** 2,
            identities=(Identity(sp.tanh(x), 2 * sigmoid(2 * x) - 1, note="a rescaled sigmoid"),),
            notes=("tanh′ = 1 − tanh²; some tables print −tanh², which is wrong.",),
            references=("PyTorch F.tanh",),
            torch="torch.tanh",
        ),
        Rule(
            id="relu",
            title="ReLU",
            family="activation",
            inputs=(IN,),
            function=sp.Max(0, x),
            derivative=Indicator(x > 0),
            kinks=(Kink(at=0, left=0, right=1, torch=0),),
            notes=("Not differentiable at 0; PyTorch and JAX use 0 there.",),
            references=("PyTorch F.relu", "Nair & Hinton 2010"),
            torch="torch.relu",
        ),
        Rule(
            id="leaky_relu",
            title="Leaky ReLU",
            family="activation",
            inputs=(IN,),
            params=(Param("negative_slope", sp.Rational(1, 100), alpha, REAL, samples=(sp.Rational(1, 5), sp.Rational(-1, 2)),
                          doc="slope for x ≤ 0"),),
            function=sp.Piecewise((x, x > 0), (alpha * x, True)),
            derivative=sp.Piecewise((1, x > 0), (alpha, True)),
            kinks=(Kink(at=0, left=alpha, right=1, torch=alpha, jax=1),),
            references=("PyTorch F.leaky_relu", "Maas et al. 2013"),
            torch="F.leaky_relu",
        ),
        Rule(
            id="softplus",
            title="Softplus",
            family="activation",
            inputs=(IN,),
            params=(
                Param("beta", 1, beta, POSITIVE, samples=(2,), doc="sharpness"),
                Param("threshold", 20, t, POSITIVE, samples=(5,), doc="above β·x > threshold the function is x"),
            ),
            function=sp.Piecewise((x, beta * x > t), (softplus(beta * x) / beta, True)),
            derivative=sp.Piecewise((1, beta * x > t), (sigmoid(beta * x), True)),
            kinks=(Kink(at=t / beta, left=sigmoid(t), right=1, torch=sigmoid(t), jump=True,
                        note="PyTorch switches to the identity above the threshold: a jump of about e^{-t}/β"),),
            identities=(Identity(softplus(x) - softplus(-x), x),),
            notes=("softplus′ = σ(βx): the derivative of softplus is the sigmoid.",),
            references=("PyTorch F.softplus",),
            torch="F.softplus",
        ),
        Rule(
            id="gelu",
            title="GELU (exact)",
            family="activation",
            inputs=(IN,),
            function=x * Phi(x),
            derivative=Phi(x) + x * phi(x),
            notes=("PyTorch's default approximate='none'; jax.nn.gelu defaults to the tanh approximation.",),
            references=("PyTorch F.gelu", "Hendrycks & Gimpel 2016"),
            torch="F.gelu",
        ),
    )
