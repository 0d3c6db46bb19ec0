"""Special functions as PyTorch names them (``torch.special`` and ``torch``): the gamma family, the error-function
family, the normal distribution's CDF and its inverse, modified Bessel functions, sinc, and the two-argument
functions whose gradients ML code meets (xlogy, logaddexp, hypot, atan2).

Ids are PyTorch's function names and each rule is that function: ``sinc`` is PyTorch's normalized sin(πx)/(πx)
(the unnormalized sin(x)/x is ``sinc_unnormalized`` among the activations). Domains are where the function is
differentiable and PyTorch's formula is the textbook one; PyTorch's values at the edges (xlogy at x = y = 0,
entr at 0) are stated in notes and checked by tests/test_conformance.py. Float64 values of digamma, polygamma,
erfinv and the Bessel functions come from mpmath at 30 digits (numpy has none of them; scipy is not a dependency).
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np
import sympy as sp
from sympy.codegen.cfunctions import log1p

from cheatsheet.catalog._common import POSITIVE, REAL, UNIT, pos, real, textbook, x
from cheatsheet.catalog._scaled import (
    erfcx,
    erfcx_slope,
    i0e_pos,
    i0e_pos_slope,
    i1e_pos,
    i1e_pos_slope,
    log_ndtr,
    log_ndtr_slope,
    ndtri,
    ndtri_slope,
)
from cheatsheet.catalog.activations import sinc_slope
from cheatsheet.notation import Notation, Phi, phi, sigmoid
from cheatsheet.rule import Identity, Input, Kink, Param, Rule

__all__ = ["RULES"]

xp = pos("x")  # x on a positive domain
y = real("y")
yp = pos("y")
m = sp.Symbol("n", integer=True, nonnegative=True)  # polygamma's order


def _np_sincpi(v: Any) -> Any:
    # sin(πx) as sin(π(x − k))·(−1)^k with k the nearest integer: x − k is exact, so no digits are lost near the
    # zeros k ≠ 0 (sin(π·x) of the rounded product π·x keeps only the absolute error 1e−16 there)
    v = np.asarray(v, dtype=float)
    k = np.round(v)
    sign = np.where(np.mod(k, 2) == 0, 1.0, -1.0)
    with np.errstate(all="ignore"):
        out = sign * np.sin(np.pi * (v - k)) / (np.pi * v)
    return np.where(v == 0, 1.0, out)


def _mp_sincpi(v: Any) -> Any:
    return mpmath.sincpi(v)


class sinc_pi(Notation):  # not "sinc": sympy's printers have a _print_sinc for their own sin(x)/x
    """PyTorch's normalized sinc(x) = sin(πx)/(πx), 1 at 0; exactly 0 at the non-zero integers (mpmath's sincpi),
    where sin(π·x) evaluated as written leaves a rounding residue that no precision removes."""

    nargs = 1
    latex_name = r"\operatorname{sinc}"

    @classmethod
    def definition(cls, *args: sp.Expr) -> sp.Expr:
        (v,) = args
        return sp.Piecewise((sp.sin(sp.pi * v) / (sp.pi * v), sp.Ne(v, 0)), (1, True))

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        v = self.args[0]
        return sp.Piecewise(((sp.cos(sp.pi * v) - sinc_pi(v)) / v, sp.Ne(v, 0)), (0, True))

    def _eval_rewrite_as_exp(self, *args: sp.Expr, **hints: Any) -> sp.Expr:
        return self.definition(*args).rewrite(sp.exp)

    numpy_impl = staticmethod(_np_sincpi)
    mpmath_impl = staticmethod(_mp_sincpi)
    _imp_ = staticmethod(_mp_sincpi)


IN = Input("input", x, REAL)
IN_POS = Input("input", xp, POSITIVE)
OPEN_UNIT = sp.Interval.open(-1, 1)
ABOVE_MINUS_ONE = sp.Interval.open(-1, sp.oo)
LOG2 = sp.log(2)


def _rule(id: str, title: str, inputs: tuple[Input, ...], function: sp.Expr, derivative: Any, **kwargs: Any) -> Rule:
    """A special function whose PyTorch counterpart is ``torch.special.<id>`` unless ``torch`` says otherwise."""
    kwargs.setdefault("torch", f"torch.special.{id}")
    refs = (f"PyTorch {kwargs['torch']}",) if kwargs["torch"] else ()
    return Rule(
        id=id,
        title=title,
        family="special",
        inputs=inputs,
        function=function,
        derivative=derivative,
        references=refs + tuple(kwargs.pop("references", ())),
        **kwargs,
    )


with textbook():
    RULES: tuple[Rule, ...] = (
        # ------------------------------------------------------------------ gamma family
        _rule(
            "lgamma",
            "Log-gamma",
            (IN_POS,),
            sp.loggamma(xp),
            sp.polygamma(0, xp),
            torch="torch.lgamma",
            identities=(Identity(sp.loggamma(xp + 1), sp.loggamma(xp) + sp.log(xp), note="Γ(x + 1) = x Γ(x)"),),
            notes=(
                "ln Γ(x), derivative the digamma function ψ(x) = Γ′(x)/Γ(x); stated for x > 0 (PyTorch also takes"
                " negative non-integers, where ln|Γ(x)| has the same derivative ψ(x)).",
            ),
        ),
        _rule(
            "digamma",
            "Digamma",
            (IN_POS,),
            sp.polygamma(0, xp),
            sp.polygamma(1, xp),
            torch="torch.special.digamma",
            identities=(Identity(sp.polygamma(0, xp + 1), sp.polygamma(0, xp) + 1 / xp, note="ψ(x + 1) = ψ(x) + 1/x"),),
            notes=("ψ(x) = (ln Γ)′(x); its derivative is the trigamma function ψ₁(x) = ψ⁽¹⁾(x).",),
        ),
        _rule(
            "polygamma",
            "Polygamma",
            (IN_POS,),
            sp.polygamma(m, xp),
            sp.polygamma(m + 1, xp),
            torch="torch.special.polygamma",
            params=(
                Param("n", 1, m, sp.Naturals0, samples=(0, 2, 3), doc="the order n ≥ 0 (PyTorch's first argument)"),
            ),
            notes=("ψ⁽ⁿ⁾ is the n-th derivative of ψ = ψ⁽⁰⁾: each derivative raises the order by one.",),
        ),
        # ------------------------------------------------------------------ error function family
        _rule(
            "erfinv",
            "Inverse error function",
            (Input("input", x, OPEN_UNIT),),
            sp.erfinv(x),
            sp.sqrt(sp.pi) / 2 * sp.exp(sp.erfinv(x) ** 2),
            identities=(Identity(sp.erf(sp.erfinv(x)), x, note="the inverse of erf"),),
            notes=("The inverse-function rule: 1/erf′(erfinv x) = (√π/2) e^{erfinv(x)²}; unbounded as x → ±1.",),
        ),
        _rule(
            "erfcx",
            "Scaled complementary error function",
            (IN,),
            sp.exp(x**2) * sp.erfc(x),
            2 * x * sp.exp(x**2) * sp.erfc(x) - 2 / sp.sqrt(sp.pi),
            stable=erfcx(x),
            stable_derivative=erfcx_slope(x),
            notes=(
                "erfcx(x) = e^{x²} erfc(x), ≈ 1/(x√π) for large x; its derivative 2x erfcx(x) − 2/√π reuses the"
                " output.",
                "As written, e^{x²} overflows and erfc(x) underflows for large x (inf·0 at x = 30), and"
                " 2x erfcx(x) − 2/√π ≈ −1/(√π x²) cancels: PyTorch evaluates erfcx directly, and so does float64 here.",
            ),
        ),
        _rule(
            "ndtr",
            "Standard normal CDF",
            (IN,),
            Phi(x),
            phi(x),
            identities=(Identity(Phi(x), (1 + sp.erf(x / sp.sqrt(2))) / 2),),
            notes=("Φ(x) = (1 + erf(x/√2))/2; its derivative is the normal density φ(x).",),
        ),
        _rule(
            "ndtri",
            "Inverse standard normal CDF",
            (Input("input", xp, UNIT),),
            sp.sqrt(2) * sp.erfinv(2 * xp - 1),
            sp.sqrt(2 * sp.pi) * sp.exp(sp.erfinv(2 * xp - 1) ** 2),
            stable=ndtri(xp),
            stable_derivative=ndtri_slope(xp),
            identities=(Identity(Phi(sp.sqrt(2) * sp.erfinv(2 * xp - 1)), xp, note="the inverse of Φ"),),
            notes=(
                "Φ⁻¹(p) = √2 erfinv(2p − 1) for 0 < p < 1; derivative 1/φ(Φ⁻¹(p)) = √(2π) e^{erfinv(2p − 1)²},"
                " unbounded as p → 0 or 1.",
                "In float64, 2p − 1 loses the digits of a small p (at p = 1e−6 the written form is off by 1.1e−12"
                " relative): PyTorch evaluates ndtri directly, and so does float64 here.",
            ),
        ),
        _rule(
            "log_ndtr",
            "Log of the standard normal CDF",
            (Input("input", x, sp.Interval.open(-10, sp.oo)),),
            sp.log(Phi(x)),
            phi(x) / Phi(x),
            stable=log_ndtr(x),
            stable_derivative=log_ndtr_slope(x),
            identities=(Identity(Phi(x), sp.erfc(-x / sp.sqrt(2)) / 2, note="Φ(x) = erfc(−x/√2)/2"),),
            notes=(
                "ln Φ(x); its derivative φ(x)/Φ(x) is the inverse Mills ratio of −x, ≈ −x as x → −∞ and → 0 as x → ∞.",
                "As written, ln Φ(x) rounds to 0 for large x (ln Φ(30) ≈ −4.9e−198) and φ, Φ underflow (to 0"
                " below x ≈ −38.5): float64 here evaluates ln Φ as log1p(−Φ(−x)) for x > 0, ln(erfc(−x/√2)/2) for x ≤ 0, and"
                " φ/Φ as √(2/π)/erfcx(−x/√2), accurate on the whole line, as PyTorch's log_ndtr is.",
                "Stated for x > −10 only because the verifier's 50-digit reference evaluates Φ(x) through its definition"
                " (1 + erf(x/√2))/2, which cancels in the left tail: at x = −10 (Φ ≈ 7.6e−24) 27 of the 50 digits"
                " remain, below about −15 (Φ(−15) ≈ 3.7e−51) none.",
            ),
        ),
        # ------------------------------------------------------------------ modified Bessel functions
        _rule(
            "i0",
            "Modified Bessel function I₀",
            (IN,),
            sp.besseli(0, x),
            sp.besseli(1, x),
            torch="torch.special.i0",
            notes=("I₀′ = I₁.",),
        ),
        _rule(
            "i1",
            "Modified Bessel function I₁",
            (IN,),
            sp.besseli(1, x),
            sp.Piecewise((sp.besseli(0, x) - sp.besseli(1, x) / x, sp.Ne(x, 0)), (sp.Rational(1, 2), True)),
            notes=("I₁′ = I₀ − I₁/x, with the limit 1/2 at x = 0 (I₁(x) ≈ x/2), PyTorch's value there.",),
        ),
        _rule(
            "i0e",
            "Exponentially scaled I₀",
            (IN,),
            sp.exp(-sp.Abs(x)) * sp.besseli(0, x),
            sp.exp(-sp.Abs(x)) * (sp.besseli(1, x) - sp.sign(x) * sp.besseli(0, x)),
            stable=i0e_pos(sp.Abs(x)),
            stable_derivative=sp.sign(x) * i0e_pos_slope(sp.Abs(x)),
            kinks=(Kink(at=0, left=1, right=-1, torch=0, note="e^{−|x|} has a kink at 0; PyTorch uses sign(0) = 0"),),
            notes=(
                "i0e(x) = e^{−|x|} I₀(x), ≈ 1/√(2π|x|) for large |x|; derivative i1e(x) − sign(x) i0e(x).",
                "At x = 0 the one-sided slopes are 1 and −1; PyTorch's backward uses sign(0) = 0 and returns"
                " i1e(0) = 0. As written, I₀(x) overflows beyond |x| ≈ 713 (0·inf), and the derivative cancels for"
                " large |x| (≈ −i0e(x)/(2x)): float64 here evaluates both directly.",
            ),
        ),
        _rule(
            "i1e",
            "Exponentially scaled I₁",
            (IN,),
            sp.exp(-sp.Abs(x)) * sp.besseli(1, x),
            sp.Piecewise(
                (sp.exp(-sp.Abs(x)) * (sp.besseli(0, x) - sp.besseli(1, x) * (sp.sign(x) + 1 / x)), sp.Ne(x, 0)),
                (sp.Rational(1, 2), True),
            ),
            stable=sp.sign(x) * i1e_pos(sp.Abs(x)),
            stable_derivative=sp.Piecewise((i1e_pos_slope(sp.Abs(x)), sp.Ne(x, 0)), (sp.Rational(1, 2), True)),
            notes=(
                "i1e(x) = e^{−|x|} I₁(x): derivative i0e(x) − i1e(x)(sign(x) + 1/x), with the limit 1/2 at x = 0,"
                " PyTorch's value there (no kink: I₁(0) = 0 removes the one of e^{−|x|}).",
                "As for i0e, float64 here evaluates the function and its derivative directly (no overflow of I₁,"
                " no cancellation for large |x|).",
            ),
        ),
        # ------------------------------------------------------------------ sinc, logistic
        _rule(
            "sinc",
            "Sinc (normalized)",
            (IN,),
            sinc_pi(x),
            sp.Piecewise(((sp.cos(sp.pi * x) - sinc_pi(x)) / x, sp.Ne(x, 0)), (0, True)),
            stable_derivative=sp.Piecewise((sp.pi * sinc_slope(sp.pi * x), sp.Ne(x, 0)), (0, True)),
            torch="torch.sinc",
            identities=(
                Identity(sinc_pi(x), sp.sin(sp.pi * x) / (sp.pi * x), note="the definition, for x ≠ 0"),
                Identity(sp.Subs(sp.Derivative(sinc_pi(x), x), x, 0), 0, note="slope 0 at x = 0"),
            ),
            notes=(
                "PyTorch's sinc is normalized, sin(πx)/(πx), with zeros at the non-zero integers; value 1 and slope 0"
                " at x = 0. The id sinc meant the unnormalized sin(x)/x before; that rule is now sinc_unnormalized.",
            ),
        ),
        _rule(
            "expit",
            "Expit (logistic sigmoid)",
            (IN,),
            sigmoid(x),
            sigmoid(x) * (1 - sigmoid(x)),
            stable_derivative=sigmoid(x) * sigmoid(-x),
            identities=(Identity(sigmoid(x), 1 / (1 + sp.exp(-x))),),
            notes=("torch.special.expit is torch.sigmoid: the same derivative σ(1 − σ).",),
        ),
        _rule(
            "logit",
            "Logit",
            (Input("input", xp, UNIT),),
            sp.log(xp / (1 - xp)),
            1 / (xp * (1 - xp)),
            torch="torch.logit",
            identities=(Identity(sigmoid(sp.log(xp / (1 - xp))), xp, note="the inverse of σ"),),
            notes=(
                "ln(x/(1 − x)) for 0 < x < 1, PyTorch's default eps=None; its slope is 1/σ′ at σ⁻¹(x).",
                "With eps, PyTorch clamps x to [eps, 1 − eps] first: slope 1/(x(1 − x)) inside, including the ends,"
                " and 0 outside.",
            ),
        ),
        _rule(
            "entr",
            "Elementwise entropy",
            (IN_POS,),
            -xp * sp.log(xp),
            -sp.log(xp) - 1,
            notes=(
                "−x ln x for x > 0. PyTorch: entr(0) = 0 with slope +inf, and entr(x) = −inf for x < 0 (slope NaN).",
            ),
        ),
        # ------------------------------------------------------------------ two arguments
        Rule(
            id="xlogy",
            title="x log y",
            family="special",
            inputs=(Input("input", x, REAL), Input("other", yp, POSITIVE)),
            function=x * sp.log(yp),
            derivative={"input": sp.log(yp), "other": x / yp},
            notes=(
                "Stated for y > 0. PyTorch defines xlogy(0, y) = 0 even at y = 0 (where x ln y is 0·(−∞)), with"
                " ∂/∂x = 0 and ∂/∂y = NaN there.",
            ),
            references=("PyTorch torch.xlogy",),
            torch="torch.xlogy",
        ),
        Rule(
            id="xlog1py",
            title="x log(1 + y)",
            family="special",
            inputs=(Input("input", x, REAL), Input("other", y, ABOVE_MINUS_ONE)),
            function=x * sp.log(1 + y),
            derivative={"input": sp.log(1 + y), "other": x / (1 + y)},
            stable=x * log1p(y),
            stable_derivative={"input": log1p(y)},
            notes=("Stated for y > −1. PyTorch defines xlog1py(0, −1) = 0, with ∂/∂x = 0 and ∂/∂y = NaN there.",),
            references=("PyTorch torch.special.xlog1py",),
            torch="torch.special.xlog1py",
        ),
        Rule(
            id="logaddexp",
            title="Log-add-exp",
            family="special",
            inputs=(Input("input", x, REAL), Input("other", y, REAL)),
            function=sp.log(sp.exp(x) + sp.exp(y)),
            derivative={"input": sigmoid(x - y), "other": sigmoid(y - x)},
            stable=sp.Max(x, y) + log1p(sp.exp(-sp.Abs(x - y))),
            identities=(Identity(sigmoid(x - y) + sigmoid(y - x), 1, note="the two slopes sum to 1"),),
            notes=("ln(eˣ + eʸ) = max(x, y) + ln(1 + e^{−|x − y|}); the slopes are a two-way softmax.",),
            references=("PyTorch torch.logaddexp",),
            torch="torch.logaddexp",
        ),
        Rule(
            id="logaddexp2",
            title="Log-add-exp, base 2",
            family="special",
            inputs=(Input("input", x, REAL), Input("other", y, REAL)),
            function=sp.log(2**x + 2**y) / LOG2,
            derivative={"input": 2**x / (2**x + 2**y), "other": 2**y / (2**x + 2**y)},
            identities=(Identity(2**x / (2**x + 2**y), sigmoid((x - y) * LOG2)),),
            notes=("log₂(2ˣ + 2ʸ): slopes 2ˣ/(2ˣ + 2ʸ) = σ((x − y) ln 2), summing to 1.",),
            references=("PyTorch torch.logaddexp2",),
            torch="torch.logaddexp2",
        ),
        Rule(
            id="hypot",
            title="Hypotenuse",
            family="special",
            inputs=(Input("input", xp, POSITIVE), Input("other", yp, POSITIVE)),
            function=sp.sqrt(xp**2 + yp**2),
            derivative={"input": xp / sp.sqrt(xp**2 + yp**2), "other": yp / sp.sqrt(xp**2 + yp**2)},
            notes=(
                "√(x² + y²), slopes x/h and y/h; stated for x, y > 0 (the same formulas hold away from the origin,"
                " where PyTorch returns NaN).",
            ),
            references=("PyTorch torch.hypot",),
            torch="torch.hypot",
        ),
        Rule(
            id="atan2",
            title="Two-argument arctangent",
            family="special",
            inputs=(Input("input", y, REAL, doc="y"), Input("other", xp, POSITIVE, doc="x > 0")),
            function=sp.atan(y / xp),
            derivative={"input": xp / (xp**2 + y**2), "other": -y / (xp**2 + y**2)},
            notes=(
                "atan2(y, x), the angle of (x, y); stated for x > 0, where it is atan(y/x). The slopes x/r² and"
                " −y/r² hold on the whole plane but the origin (PyTorch returns 0 there).",
            ),
            references=("PyTorch torch.atan2",),
            torch="torch.atan2",
        ),
    )
