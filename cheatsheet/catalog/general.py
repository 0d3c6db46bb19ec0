"""General rules stated with undefined functions f(x), g(x): checked abstractly (sympy's calculus)
and on concrete examples."""

from __future__ import annotations

import sympy as sp

from cheatsheet.catalog._common import POSITIVE, REAL, pos, real, textbook, x
from cheatsheet.rule import Input, Rule

__all__ = ["RULES"]

f, g = sp.Function("f", real=True), sp.Function("g", real=True)
finv = sp.Function("finv", real=True)
u = real("u")
t = real("t")
y = pos("y")
IN = Input("x", x, REAL)

with textbook():
    RULES: tuple[Rule, ...] = (
        Rule(
            id="product_rule",
            title="Product rule",
            family="general",
            inputs=(IN,),
            function=f(x) * g(x),
            derivative=sp.Derivative(f(x), x) * g(x) + f(x) * sp.Derivative(g(x), x),
            examples=(
                ((f, sp.Lambda(t, sp.sin(t))), (g, sp.Lambda(t, sp.exp(t)))),
                ((f, sp.Lambda(t, t**3 - 2 * t)), (g, sp.Lambda(t, sp.atan(t)))),
            ),
        ),
        Rule(
            id="chain_rule",
            title="Chain rule",
            family="general",
            inputs=(IN,),
            function=f(g(x)),
            derivative=sp.Subs(sp.Derivative(f(u), u), u, g(x)) * sp.Derivative(g(x), x),
            examples=(
                ((f, sp.Lambda(t, sp.sin(t))), (g, sp.Lambda(t, t**2 + 1))),
                ((f, sp.Lambda(t, sp.exp(t))), (g, sp.Lambda(t, sp.cos(3 * t)))),
            ),
        ),
        Rule(
            id="inverse_function_rule",
            title="Inverse function rule",
            family="general",
            inputs=(Input("y", y, POSITIVE),),
            function=finv(y),
            derivative=1 / sp.Subs(sp.Derivative(f(u), u), u, finv(y)),
            examples=(
                ((f, sp.Lambda(t, sp.exp(t))), (finv, sp.Lambda(t, sp.log(t)))),
                ((f, sp.Lambda(t, sp.sinh(t))), (finv, sp.Lambda(t, sp.asinh(t)))),
                ((f, sp.Lambda(t, sp.tan(t))), (finv, sp.Lambda(t, sp.atan(t)))),
                ((f, sp.Lambda(t, t**3)), (finv, sp.Lambda(t, t ** sp.Rational(1, 3)))),
            ),
            notes=("(f⁻¹)′(y) = 1/f′(f⁻¹(y)) wherever f′(f⁻¹(y)) ≠ 0.",),
        ),
    )
