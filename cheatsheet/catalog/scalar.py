"""Scalar functions of one real variable: powers, exponentials, logarithms, trigonometric and
hyperbolic functions and their inverses, erf, |x|, sign.

Every rule is PyTorch's element-wise function of the same name where one exists (``torch.<id>``).
Domains are the open sets on which the function is differentiable; where the printed derivative
loses float64 accuracy near a domain boundary (1 − x² near ±1, x² − 1 near 1), a factored stable
form is given.
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p, log2, log10

from cheatsheet.catalog._common import POSITIVE, REAL, pos, real, textbook, x
from cheatsheet.notation import Phi
from cheatsheet.rule import Identity, Input, Kink, Param, Rule

__all__ = ["RULES"]

xp = pos("x")  # x on a positive domain
a = real("a")  # a real exponent (an input of pow)
b = pos("a")  # a positive base (a parameter)
c = real("c")
n = sp.Symbol("n", integer=True)  # an integer exponent

NONZERO = sp.Union(sp.Interval.open(-sp.oo, 0), sp.Interval.open(0, sp.oo))
OPEN_UNIT = sp.Interval.open(-1, 1)  # (−1, 1)
ABOVE_ONE = sp.Interval.open(1, sp.oo)  # (1, ∞)
HALF_PERIOD = sp.Interval.open(-sp.pi / 2, sp.pi / 2)  # one branch of tan
ABOVE_MINUS_ONE = sp.Interval.open(-1, sp.oo)  # (−1, ∞)
BASE = sp.Union(sp.Interval.open(0, 1), sp.Interval.open(1, sp.oo))  # a logarithm's base: a > 0, a ≠ 1

IN = Input("input", x, REAL)
IN_POS = Input("input", xp, POSITIVE)
IN_NONZERO = Input("input", x, NONZERO)
IN_UNIT = Input("input", x, OPEN_UNIT)


def _rule(
    id: str,
    title: str,
    inp: Input,
    function: sp.Expr,
    derivative: sp.Expr,
    *,
    torch: str | None = "",
    **kwargs: Any,
) -> Rule:
    """A scalar rule of one input whose PyTorch counterpart is ``torch.<id>``, or ``torch`` when given.

    ``torch=None``: no counterpart. The conformance adapters in cheatsheet/conformance/scalar.py say how
    to call the counterparts that take a parameter (torch.pow with a Python number).
    """
    callable_ = f"torch.{id}" if torch == "" else torch
    own = (f"PyTorch {callable_}",) if callable_ else ()
    return Rule(
        id=id,
        title=title,
        family="scalar",
        inputs=(inp,),
        function=function,
        derivative=derivative,
        references=own,
        torch=callable_,
        **kwargs,
    )


with textbook():
    RULES: tuple[Rule, ...] = (
        # ------------------------------------------------------------------ constants and powers
        _rule(
            "constant",
            "Constant",
            IN,
            c,
            sp.Integer(0),
            torch=None,
            params=(Param("c", 1, c, REAL, samples=(-3, sp.Rational(5, 2)), doc="the constant value"),),
            notes=("Constants contribute no gradient: in PyTorch, tensors with requires_grad=False.",),
        ),
        _rule(
            "power",
            "Power (integer exponent)",
            IN_NONZERO,
            x**n,
            n * x ** (n - 1),
            torch="torch.pow",
            params=(
                Param("exponent", 2, n, sp.S.Integers, samples=(3, 1, 0, -1, -2, -5), doc="the integer exponent n"),
            ),
            notes=(
                "The power rule, for every integer n; stated for x ≠ 0, where xⁿ has a pole when n < 0.",
                "PyTorch: torch.pow(input, n) with a Python int n.",
            ),
        ),
        Rule(
            id="pow",
            title="Power (real exponent)",
            family="scalar",
            inputs=(Input("input", xp, POSITIVE, doc="base x > 0"), Input("exponent", a, REAL, doc="real exponent a")),
            function=xp**a,
            derivative=(("input", a * xp ** (a - 1)), ("exponent", xp**a * sp.log(xp))),
            identities=(Identity(xp**a, sp.exp(a * sp.log(xp)), note="xᵃ = exp(a ln x): both derivatives follow"),),
            notes=(
                "Differentiable in both arguments for x > 0; ∂/∂a = xᵃ ln x is why x must be positive.",
                "PyTorch returns 0 for ∂/∂exponent at x = 0 (it masks ln 0) when the exponent is ≥ 0.",
            ),
            references=("PyTorch torch.pow",),
            torch="torch.pow",
        ),
        _rule("square", "Square", IN, x**2, 2 * x),
        _rule(
            "sqrt",
            "Square root",
            IN_POS,
            sp.sqrt(xp),
            1 / (2 * sp.sqrt(xp)),
            notes=("The slope is unbounded as x → 0⁺: PyTorch returns inf at x = 0.",),
        ),
        _rule(
            "rsqrt",
            "Reciprocal square root",
            IN_POS,
            1 / sp.sqrt(xp),
            -1 / (2 * xp * sp.sqrt(xp)),
        ),
        _rule(
            "reciprocal",
            "Reciprocal",
            IN_NONZERO,
            1 / x,
            -1 / x**2,
            identities=(
                Identity(-1 / x**2, -((1 / x) ** 2), note="−(1/x)²: the backward pass reuses the forward output"),
            ),
        ),
        # ------------------------------------------------------------------ exponentials
        _rule(
            "exp",
            "Exponential",
            IN,
            sp.exp(x),
            sp.exp(x),
            notes=("Its own derivative: the backward pass reuses the forward output.",),
        ),
        _rule(
            "exp2",
            "Base-2 exponential",
            IN,
            2**x,
            2**x * sp.log(2),
            identities=(Identity(2**x, sp.exp(x * sp.log(2))),),
        ),
        _rule(
            "exp_base",
            "Exponential to base a",
            IN,
            b**x,
            b**x * sp.log(b),
            torch="torch.pow",
            params=(Param("base", 10, b, POSITIVE, samples=(2, sp.Rational(1, 2), 1), doc="the base a > 0"),),
            identities=(Identity(b**x, sp.exp(x * sp.log(b)), note="aˣ = exp(x ln a)"),),
            notes=(
                "Decreasing for a < 1 (ln a < 0); constant for a = 1.",
                "PyTorch: torch.pow(a, input) with a Python number a.",
            ),
        ),
        _rule(
            "expm1",
            "Exponential minus one (expm1)",
            IN,
            sp.exp(x) - 1,
            sp.exp(x),
            stable=expm1(x),
            identities=(Identity(sp.exp(x), expm1(x) + 1, note="the backward pass reuses the forward output"),),
            notes=("Evaluate with expm1: eˣ − 1 cancels for small |x|.",),
        ),
        # ------------------------------------------------------------------ logarithms
        _rule(
            "log",
            "Natural logarithm",
            IN_POS,
            sp.log(xp),
            1 / xp,
            identities=(Identity(sp.exp(sp.log(xp)), xp, note="the inverse of exp"),),
            notes=("PyTorch: ln 0 = −inf with slope inf; ln of x < 0 is NaN.",),
        ),
        _rule(
            "log2",
            "Base-2 logarithm",
            IN_POS,
            log2(xp),
            1 / (xp * sp.log(2)),
            identities=(Identity(log2(xp), sp.log(xp) / sp.log(2)),),
        ),
        _rule(
            "log10",
            "Base-10 logarithm",
            IN_POS,
            log10(xp),
            1 / (xp * sp.log(10)),
            identities=(Identity(log10(xp), sp.log(xp) / sp.log(10)),),
        ),
        _rule(
            "log_base",
            "Logarithm to base a",
            IN_POS,
            sp.log(xp) / sp.log(b),
            1 / (xp * sp.log(b)),
            torch=None,
            params=(Param("base", 10, b, BASE, samples=(2, sp.Rational(1, 2)), doc="the base a > 0, a ≠ 1"),),
            notes=("Change of base: log_a x = ln x / ln a; decreasing for a < 1.",),
        ),
        _rule(
            "log1p",
            "Logarithm of one plus x (log1p)",
            Input("input", x, ABOVE_MINUS_ONE),
            sp.log(1 + x),
            1 / (1 + x),
            stable=log1p(x),
            notes=("Evaluate with log1p: 1 + x rounds away small |x|.",),
        ),
        # ------------------------------------------------------------------ trigonometric
        _rule("sin", "Sine", IN, sp.sin(x), sp.cos(x)),
        _rule(
            "cos",
            "Cosine",
            IN,
            sp.cos(x),
            -sp.sin(x),
            identities=(Identity(sp.cos(x), sp.sin(x + sp.pi / 2), note="a shifted sine"),),
        ),
        _rule(
            "tan",
            "Tangent",
            Input("input", x, HALF_PERIOD),
            sp.tan(x),
            1 + sp.tan(x) ** 2,
            identities=(
                Identity(1 + sp.tan(x) ** 2, sp.sec(x) ** 2, note="= sec² x = 1/cos² x"),
                Identity(sp.tan(x + sp.pi), sp.tan(x), note="period π: the rule holds on every branch"),
            ),
            notes=(
                "Stated on (−π/2, π/2); the same formula holds between any two poles π/2 + kπ.",
                "1 + tan²: the backward pass reuses the forward output.",
            ),
        ),
        _rule(
            "asin",
            "Arcsine",
            IN_UNIT,
            sp.asin(x),
            1 / sp.sqrt(1 - x**2),
            stable_derivative=1 / sp.sqrt((1 - x) * (1 + x)),
            notes=("The slope is unbounded as x → ±1: PyTorch returns inf at ±1.",),
        ),
        _rule(
            "acos",
            "Arccosine",
            IN_UNIT,
            sp.acos(x),
            -1 / sp.sqrt(1 - x**2),
            stable_derivative=-1 / sp.sqrt((1 - x) * (1 + x)),
            identities=(
                Identity(sp.acos(x), sp.pi / 2 - sp.asin(x), note="arccos = π/2 − arcsin: the slopes are opposite"),
            ),
        ),
        _rule(
            "atan",
            "Arctangent",
            IN,
            sp.atan(x),
            1 / (1 + x**2),
            identities=(
                Identity(1 / (1 + x**2), 1, "<=", note="the slope never exceeds 1"),
                Identity(sp.Subs(sp.Derivative(sp.atan(x), x), x, 0), 1, note="maximum slope 1 at x = 0"),
            ),
        ),
        # ------------------------------------------------------------------ hyperbolic
        _rule(
            "sinh",
            "Hyperbolic sine",
            IN,
            sp.sinh(x),
            sp.cosh(x),
            identities=(Identity(sp.sinh(x), (sp.exp(x) - sp.exp(-x)) / 2),),
        ),
        _rule(
            "cosh",
            "Hyperbolic cosine",
            IN,
            sp.cosh(x),
            sp.sinh(x),
            identities=(Identity(sp.cosh(x) ** 2 - sp.sinh(x) ** 2, 1),),
        ),
        _rule(
            "asinh",
            "Inverse hyperbolic sine",
            IN,
            sp.asinh(x),
            1 / sp.sqrt(x**2 + 1),
            identities=(Identity(sp.asinh(x), sp.log(x + sp.sqrt(x**2 + 1))),),
        ),
        _rule(
            "acosh",
            "Inverse hyperbolic cosine",
            Input("input", xp, ABOVE_ONE),
            sp.acosh(xp),
            1 / sp.sqrt(xp**2 - 1),
            stable_derivative=1 / sp.sqrt((xp - 1) * (xp + 1)),
            identities=(Identity(sp.acosh(xp), sp.log(xp + sp.sqrt(xp**2 - 1))),),
            notes=("The slope is unbounded as x → 1⁺: PyTorch returns inf at x = 1.",),
        ),
        _rule(
            "atanh",
            "Inverse hyperbolic tangent",
            IN_UNIT,
            sp.atanh(x),
            1 / (1 - x**2),
            stable_derivative=1 / ((1 - x) * (1 + x)),
            identities=(Identity(sp.atanh(x), (sp.log(1 + x) - sp.log(1 - x)) / 2),),
        ),
        # ------------------------------------------------------------------ error function
        _rule(
            "erf",
            "Error function",
            IN,
            sp.erf(x),
            2 / sp.sqrt(sp.pi) * sp.exp(-(x**2)),
            identities=(Identity(sp.erf(x), 2 * Phi(sp.sqrt(2) * x) - 1, note="the normal CDF rescaled"),),
        ),
        _rule(
            "erfc",
            "Complementary error function",
            IN,
            sp.erfc(x),
            -2 / sp.sqrt(sp.pi) * sp.exp(-(x**2)),
            identities=(Identity(sp.erfc(x), 1 - sp.erf(x)),),
            notes=("Use erfc(x), not 1 − erf(x), for large x: the subtraction cancels.",),
        ),
        # ------------------------------------------------------------------ kinks and jumps
        _rule(
            "abs",
            "Absolute value",
            IN,
            sp.Abs(x),
            sp.sign(x),
            kinks=(Kink(at=0, left=-1, right=1, torch=0, jax=1),),
            notes=("sign(0) = 0 is PyTorch's choice (a subgradient); JAX returns 1.",),
        ),
        _rule(
            "sign",
            "Sign",
            IN,
            sp.Piecewise((1, x > 0), (-1, x < 0), (0, True)),
            sp.Integer(0),
            kinks=(Kink(at=0, left=0, right=0, torch=0, jump=True, note="sign jumps from −1 to 1"),),
            notes=(
                "Zero almost everywhere; at 0 sign jumps and has no derivative: PyTorch returns 0.",
                "A gradient-free step: straight-through estimators replace this 0 by 1.",
            ),
        ),
    )
