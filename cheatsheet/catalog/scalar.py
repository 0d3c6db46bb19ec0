"""Scalar functions of one real variable: powers, exponentials, logarithms, trigonometric and
hyperbolic functions and their inverses, erf, |x|, sign."""

from __future__ import annotations

import sympy as sp

from cheatsheet.catalog._common import REAL, textbook, x
from cheatsheet.rule import Input, Kink, Rule

__all__ = ["RULES"]

IN = Input("input", x, REAL)

with textbook():
    RULES: tuple[Rule, ...] = (
        Rule(
            id="exp",
            title="Exponential",
            family="scalar",
            inputs=(IN,),
            function=sp.exp(x),
            derivative=sp.exp(x),
            references=("PyTorch torch.exp",),
            torch="torch.exp",
        ),
        Rule(
            id="abs",
            title="Absolute value",
            family="scalar",
            inputs=(IN,),
            function=sp.Abs(x),
            derivative=sp.sign(x),
            kinks=(Kink(at=0, left=-1, right=1, torch=0, jax=1),),
            notes=("sign(0) = 0 is PyTorch's choice; JAX returns 1.",),
            references=("PyTorch torch.abs",),
            torch="torch.abs",
        ),
    )
