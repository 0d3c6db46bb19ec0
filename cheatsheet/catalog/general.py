"""General rules stated with undefined functions f(x), g(x): checked abstractly (sympy's calculus)
and on concrete examples."""

from __future__ import annotations

import sympy as sp

from cheatsheet.catalog._common import POSITIVE, REAL, pos, real, textbook, x
from cheatsheet.rule import Input, Param, Rule

__all__ = ["RULES"]

f, g = sp.Function("f", real=True), sp.Function("g", real=True)
finv = sp.Function("finv", real=True)
u = real("u")
t = real("t")
c = real("c")
y = pos("y")
IN = Input("x", x, REAL)


def _df(h: sp.Function) -> sp.Expr:
    """h′(x), printed with a prime."""
    return sp.Derivative(h(x), x)


with textbook():
    RULES: tuple[Rule, ...] = (
        Rule(
            id="sum_rule",
            title="Sum rule",
            family="general",
            inputs=(IN,),
            function=f(x) + g(x),
            derivative=_df(f) + _df(g),
            examples=(
                ((f, sp.Lambda(t, sp.sin(t))), (g, sp.Lambda(t, sp.exp(t)))),
                ((f, sp.Lambda(t, t**3 - 2 * t)), (g, sp.Lambda(t, sp.atan(t)))),
            ),
            notes=("Differentiation is linear: gradients of a sum of losses add up.",),
        ),
        Rule(
            id="constant_multiple_rule",
            title="Constant multiple rule",
            family="general",
            inputs=(IN,),
            params=(Param("c", 2, c, REAL, samples=(-3, sp.Rational(1, 2), 0), doc="a constant factor"),),
            function=c * f(x),
            derivative=c * _df(f),
            examples=(
                ((f, sp.Lambda(t, sp.sin(t))),),
                ((f, sp.Lambda(t, t * sp.exp(-t))),),
            ),
            notes=("A loss weight or a 1/N of a mean scales the gradient by the same factor.",),
        ),
        Rule(
            id="product_rule",
            title="Product rule",
            family="general",
            inputs=(IN,),
            function=f(x) * g(x),
            derivative=_df(f) * g(x) + f(x) * _df(g),
            examples=(
                ((f, sp.Lambda(t, sp.sin(t))), (g, sp.Lambda(t, sp.exp(t)))),
                ((f, sp.Lambda(t, t**3 - 2 * t)), (g, sp.Lambda(t, sp.atan(t)))),
            ),
        ),
        Rule(
            id="quotient_rule",
            title="Quotient rule",
            family="general",
            inputs=(IN,),
            function=f(x) / g(x),
            derivative=(_df(f) * g(x) - f(x) * _df(g)) / g(x) ** 2,
            examples=(
                ((f, sp.Lambda(t, sp.sin(t))), (g, sp.Lambda(t, sp.exp(t)))),
                ((f, sp.Lambda(t, t**3 - 2 * t)), (g, sp.Lambda(t, 1 + t**2))),
                ((f, sp.Lambda(t, sp.atan(t))), (g, sp.Lambda(t, sp.cosh(t)))),
            ),
            notes=("Wherever g(x) ≠ 0: the product rule applied to f · (1/g).",),
        ),
        Rule(
            id="chain_rule",
            title="Chain rule",
            family="general",
            inputs=(IN,),
            function=f(g(x)),
            derivative=sp.Subs(sp.Derivative(f(u), u), u, g(x)) * _df(g),
            examples=(
                ((f, sp.Lambda(t, sp.sin(t))), (g, sp.Lambda(t, t**2 + 1))),
                ((f, sp.Lambda(t, sp.exp(t))), (g, sp.Lambda(t, sp.cos(3 * t)))),
                ((f, sp.Lambda(t, t**3)), (g, sp.Lambda(t, sp.tanh(t)))),
            ),
            notes=("Backpropagation applies it layer by layer: outer derivative at the inner value, times inner.",),
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
            notes=(
                "(f⁻¹)′(y) = 1/f′(f⁻¹(y)) wherever f′(f⁻¹(y)) ≠ 0.",
                "Gives the derivatives of ln, arcsin, arctan, arsinh, ... from those of exp, sin, tan, sinh.",
            ),
        ),
    )
