"""Piecewise and rounding ops of PyTorch: clamp, the rounding functions (floor, ceil, round, trunc, frac), the
remainders (fmod, remainder), copysign, lerp and where, with PyTorch's gradients (family ``scalar``).

The rounding functions are constant between their jumps: their derivative is 0 almost everywhere, and at a jump,
where no derivative exists, PyTorch's autograd returns 0 (frac: 1). They jump at every integer (round: every
half-integer), infinitely many points that a :class:`~cheatsheet.rule.Kink` cannot list one by one: each rule
declares the jump at one representative point (checked: the function jumps there, both one-sided derivatives,
PyTorch's value) and an identity such as ⌊x + 1⌋ = ⌊x⌋ + 1 that carries it to every other one. The values at
the jumps (torch.round(2.5) = 2, ties to even) and the gradients at the jumps and at clamp's bounds were measured
with torch 2.13 float64 autograd and are checked by tests/test_conformance.py at those points.

The classes below are sympy functions whose derivative is 0 (sympy leaves ``Derivative(floor(x), x)``
unevaluated); the verifier checks that 0 against ``mpmath.diff`` of the function at its random points, as for any
rule, and evaluates them through ``_imp_`` (exact mpmath rounding).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from cheatsheet.catalog._common import POSITIVE, REAL, real, textbook, x, y
from cheatsheet.notation import Indicator, Notation
from cheatsheet.rule import Identity, Input, Kink, Param, Rule

__all__ = ["RULES"]


class floor(sp.floor):  # type: ignore[misc]  # named as sympy's, so that every printer prints ⌊x⌋
    """⌊x⌋ with derivative 0 (almost everywhere; the jumps at the integers are declared as kinks)."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.S.Zero

    _imp_ = staticmethod(mpmath.floor)


class ceiling(sp.ceiling):  # type: ignore[misc]
    """⌈x⌉ with derivative 0 almost everywhere (see :class:`floor`)."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.S.Zero

    _imp_ = staticmethod(mpmath.ceil)


def _rational(v: sp.Expr) -> Fraction | None:
    """``v`` as an exact fraction when it is a number sympy knows exactly, else None."""
    if isinstance(v, (sp.Rational, sp.Float)):
        p, q = sp.Rational(v).as_numer_denom()
        return Fraction(int(p), int(q))
    return None


def _mp_trunc(v: Any) -> Any:
    return mpmath.floor(v) if v >= 0 else mpmath.ceil(v)


class trunc(Notation):
    """trunc(x): x rounded toward 0 (torch.trunc), derivative 0 almost everywhere."""

    nargs = 1
    latex_name = r"\operatorname{trunc}"

    @classmethod
    def eval(cls, v: sp.Expr) -> sp.Expr | None:
        r = _rational(v)
        return sp.Integer(int(r)) if r is not None else None  # int() of a Fraction rounds toward 0

    @classmethod
    def definition(cls, *args: sp.Expr) -> sp.Expr:
        (v,) = args
        return sp.Piecewise((floor(v), v >= 0), (ceiling(v), True))

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.S.Zero

    numpy_impl = staticmethod(lambda v: np.trunc(np.asarray(v, dtype=float)))
    mpmath_impl = staticmethod(_mp_trunc)
    _imp_ = staticmethod(_mp_trunc)


class rint(Notation):
    """round(x): x rounded to the nearest integer, ties to the even one (torch.round, C's rint, numpy.rint)."""

    nargs = 1
    latex_name = r"\operatorname{round}"

    @classmethod
    def eval(cls, v: sp.Expr) -> sp.Expr | None:
        r = _rational(v)
        return sp.Integer(round(r)) if r is not None else None  # round() of a Fraction: ties to even

    @classmethod
    def definition(cls, *args: sp.Expr) -> sp.Expr:
        (v,) = args
        # the nearest integer; at a tie (v + 1/2 an integer) the even one of ⌊v⌋ and ⌈v⌉
        tie = sp.Eq(floor(v + sp.S.Half), v + sp.S.Half)
        return sp.Piecewise((2 * floor(v / 2 + sp.Rational(1, 4)), tie), (floor(v + sp.S.Half), True))

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.S.Zero

    numpy_impl = staticmethod(lambda v: np.rint(np.asarray(v, dtype=float)))
    mpmath_impl = staticmethod(mpmath.nint)  # ties to even
    _imp_ = staticmethod(mpmath.nint)


def _mp_fmod(a: Any, b: Any) -> Any:
    # mpmath.fmod(a, b) takes the divisor's sign (it is Python's %); C's fmod takes the dividend's. Both are exact:
    # the remainder of two binary numbers is one.
    r = mpmath.fmod(abs(a), abs(b))
    return r if a >= 0 else -r


def _mp_remainder(a: Any, b: Any) -> Any:
    r = _mp_fmod(a, b)
    return r + b if r != 0 and (r < 0) != (b < 0) else r  # to the divisor's sign, as numpy.remainder does


class fmod(Notation):
    """fmod(x, y) = x − y trunc(x/y), computed exactly in float64 (numpy.fmod, C's fmod): the stable form of the
    printed x − y trunc(x/y), whose float64 x/y rounds (−1000/10⁻⁶ gives −10⁹, an integer too many)."""

    nargs = 2
    latex_name = r"\operatorname{fmod}"

    @classmethod
    def definition(cls, *args: sp.Expr) -> sp.Expr:
        a, b = args
        return a - b * trunc(a / b)

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        a, b = self.args
        return sp.S.One if argindex == 1 else -trunc(a / b)

    numpy_impl = staticmethod(lambda a, b: np.fmod(np.asarray(a, dtype=float), np.asarray(b, dtype=float)))
    mpmath_impl = staticmethod(_mp_fmod)
    _imp_ = staticmethod(_mp_fmod)


class remainder(Notation):
    """remainder(x, y) = x − y⌊x/y⌋, in float64 through the exact fmod and one addition (numpy.remainder)."""

    nargs = 2
    latex_name = r"\operatorname{remainder}"

    @classmethod
    def definition(cls, *args: sp.Expr) -> sp.Expr:
        a, b = args
        return a - b * floor(a / b)

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        a, b = self.args
        return sp.S.One if argindex == 1 else -floor(a / b)

    numpy_impl = staticmethod(lambda a, b: np.remainder(np.asarray(a, dtype=float), np.asarray(b, dtype=float)))
    mpmath_impl = staticmethod(_mp_remainder)
    _imp_ = staticmethod(_mp_remainder)


lo = sp.Symbol("a", negative=True)  # clamp's min
hi = sp.Symbol("b", positive=True)  # clamp's max
e = real("y")  # lerp's end
w = real("w")  # lerp's weight
yp = sp.Symbol("y", positive=True)  # a positive divisor
c = real("c")  # where's condition, 0 or 1

IN = Input("input", x, REAL)
SIGN_Y = sp.Piecewise((1, y >= 0), (-1, True))  # copysign's sign: that of y, +1 at y = +0


def _rule(id: str, title: str, inputs: tuple[Input, ...], function: sp.Expr, derivative: Any, **kwargs: Any) -> Rule:
    """A rule of the scalar family whose PyTorch counterpart is ``torch.<id>`` unless ``torch`` says otherwise."""
    kwargs.setdefault("torch", f"torch.{id}")
    return Rule(
        id=id,
        title=title,
        family="scalar",
        inputs=inputs,
        function=function,
        derivative=derivative,
        references=(f"PyTorch {kwargs['torch']}",),
        **kwargs,
    )


_JUMP = "PyTorch's gradient at a jump is 0, as everywhere else: the rounding ops pass no gradient."

with textbook():
    RULES: tuple[Rule, ...] = (
        # ------------------------------------------------------------------ clamp
        _rule(
            "clamp",
            "Clamp",
            (IN,),
            sp.Piecewise((lo, x < lo), (hi, x > hi), (x, True)),
            Indicator(sp.And(x >= lo, x <= hi)),
            params=(
                Param(
                    "min", -1, lo, sp.Interval.open(-sp.oo, 0), samples=(-3, sp.Rational(-1, 4)), doc="lower bound a"
                ),
                Param("max", 1, hi, sp.Interval.open(0, sp.oo), samples=(6, sp.Rational(1, 2)), doc="upper bound b"),
            ),
            kinks=(
                Kink(at=lo, left=0, right=1, torch=1, jax=sp.S.Half),
                Kink(at=hi, left=1, right=0, torch=1, jax=sp.S.Half),
            ),
            identities=(Identity(sp.Piecewise((lo, x < lo), (hi, x > hi), (x, True)), sp.Min(sp.Max(x, lo), hi)),),
            notes=(
                "torch.clamp's derivative is 1 at both bounds (F.hardtanh's is 0, jnp.clip's 1/2).",
                "PyTorch's min and max default to None (no bound); here both are given, with a < 0 < b. When"
                " min > max, PyTorch returns max everywhere, with slope 0.",
            ),
            jax="jax.numpy.clip",
        ),
        # ------------------------------------------------------------------ rounding
        _rule(
            "floor",
            "Floor",
            (IN,),
            floor(x),
            sp.Integer(0),
            kinks=(Kink(at=0, left=0, right=0, torch=0, jump=True, note="⌊x⌋ jumps by 1 at every integer"),),
            identities=(Identity(floor(x + 1), floor(x) + 1, note="the jump at 0 repeats at every integer"),),
            notes=("Zero almost everywhere; ⌊x⌋ jumps by 1 at every integer, where it has no derivative. " + _JUMP,),
        ),
        _rule(
            "ceil",
            "Ceiling",
            (IN,),
            ceiling(x),
            sp.Integer(0),
            kinks=(Kink(at=0, left=0, right=0, torch=0, jump=True, note="⌈x⌉ jumps by 1 at every integer"),),
            identities=(
                Identity(ceiling(x + 1), ceiling(x) + 1, note="the jump at 0 repeats at every integer"),
                Identity(ceiling(x), -floor(-x), note="⌈x⌉ = −⌊−x⌋"),
            ),
            notes=("Zero almost everywhere; ⌈x⌉ jumps by 1 at every integer. " + _JUMP,),
        ),
        _rule(
            "round",
            "Round (half to even)",
            (IN,),
            rint(x),
            sp.Integer(0),
            kinks=(Kink(at=sp.S.Half, left=0, right=0, torch=0, jump=True, note="jumps at every half-integer"),),
            identities=(
                Identity(rint(x + 2), rint(x) + 2, note="the jumps at ±1/2 repeat with period 2"),
                Identity(rint(-x), -rint(x), note="odd: the jump at 1/2 is mirrored at −1/2"),
                Identity(rint(sp.Rational(5, 2)), 2, note="ties go to the even integer"),
            ),
            notes=(
                "torch.round rounds half to even (round(0.5) = 0, round(2.5) = 2) and jumps at every half-integer;"
                " zero derivative almost everywhere. " + _JUMP,
            ),
        ),
        _rule(
            "trunc",
            "Truncation",
            (IN,),
            trunc(x),
            sp.Integer(0),
            kinks=(Kink(at=1, left=0, right=0, torch=0, jump=True, note="jumps at every non-zero integer"),),
            identities=(
                Identity(trunc(-x), -trunc(x), note="odd: the jump at 1 is mirrored at −1"),
                Identity(trunc(sp.Abs(x) + 1), trunc(sp.Abs(x)) + 1, note="the jump at 1 repeats at 2, 3, ..."),
            ),
            notes=("x rounded toward 0; constant on (−1, 1), jumps at every non-zero integer. " + _JUMP,),
        ),
        _rule(
            "frac",
            "Fractional part",
            (IN,),
            x - trunc(x),
            sp.Integer(1),
            kinks=(Kink(at=1, left=1, right=1, torch=1, jump=True, note="drops by 1 at every non-zero integer"),),
            identities=(Identity(x - trunc(x), -(-x - trunc(-x)), note="odd: the jump at 1 is mirrored at −1"),),
            notes=(
                "PyTorch's frac is x − trunc(x), with the sign of x (not x − ⌊x⌋). Slope 1 almost everywhere; at the"
                " non-zero integers it jumps and PyTorch still returns 1.",
            ),
        ),
        # ------------------------------------------------------------------ remainders
        Rule(
            id="fmod",
            title="Remainder, truncated (fmod)",
            family="scalar",
            inputs=(Input("input", x, REAL, doc="dividend x"), Input("other", yp, POSITIVE, doc="divisor y > 0")),
            function=x - yp * trunc(x / yp),
            derivative={"input": sp.Integer(1), "other": -trunc(x / yp)},
            # x − fmod(x, y) is y·trunc(x/y) to 1 ulp: rounding its quotient by y gives the integer exactly
            stable=fmod(x, yp),
            stable_derivative={"other": -rint((x - fmod(x, yp)) / yp)},
            kinks=(
                Kink(
                    at=yp,
                    left=1,
                    right=1,
                    torch=1,
                    jump=True,
                    wrt="input",
                    note="jumps where x/y is a non-zero integer",
                ),
                Kink(at=3, left=-1, right=0, torch=-1, jump=True, wrt="other", given=((x, sp.Integer(3)),)),
            ),
            notes=(
                "x − y trunc(x/y): the sign of the dividend x, like C's fmod. PyTorch's gradients: 1 w.r.t. x and"
                " −trunc(x/y) w.r.t. y, also at the jumps (where x/y is a non-zero integer). Stated for y > 0.",
            ),
            references=("PyTorch torch.fmod",),
            torch="torch.fmod",
        ),
        Rule(
            id="remainder",
            title="Remainder, floored (Python's %)",
            family="scalar",
            inputs=(Input("input", x, REAL, doc="dividend x"), Input("other", yp, POSITIVE, doc="divisor y > 0")),
            function=x - yp * floor(x / yp),
            derivative={"input": sp.Integer(1), "other": -floor(x / yp)},
            stable=remainder(x, yp),
            stable_derivative={"other": -rint((x - remainder(x, yp)) / yp)},
            kinks=(
                Kink(at=0, left=1, right=1, torch=1, jump=True, wrt="input", note="jumps where x/y is an integer"),
                Kink(at=3, left=-1, right=0, torch=-1, jump=True, wrt="other", given=((x, sp.Integer(3)),)),
            ),
            identities=(Identity(x + yp - yp * floor((x + yp) / yp), x - yp * floor(x / yp), note="period y in x"),),
            notes=(
                "x − y⌊x/y⌋: the sign of the divisor y, like Python's %. PyTorch's gradients: 1 w.r.t. x and −⌊x/y⌋"
                " w.r.t. y, also at the jumps (where x/y is an integer). Stated for y > 0.",
            ),
            references=("PyTorch torch.remainder",),
            torch="torch.remainder",
        ),
        # ------------------------------------------------------------------ sign, interpolation, selection
        Rule(
            id="copysign",
            title="Copy sign",
            family="scalar",
            inputs=(Input("input", x, REAL, doc="magnitude x"), Input("other", y, REAL, doc="sign source y")),
            function=sp.Piecewise((sp.Abs(x), y >= 0), (-sp.Abs(x), True)),
            derivative={"input": sp.Piecewise((sp.sign(x), y >= 0), (-sp.sign(x), True)), "other": sp.Integer(0)},
            kinks=(
                Kink(at=0, left=-1, right=1, torch=0, wrt="input", given=((y, sp.Integer(1)),)),
                Kink(at=0, left=1, right=-1, torch=0, wrt="input", given=((y, sp.Integer(-1)),)),
                Kink(at=0, left=0, right=0, torch=0, jump=True, wrt="other", note="jumps from −|x| to |x| (x ≠ 0)"),
            ),
            notes=(
                "|x| with the sign of y (y = +0 counts as positive). PyTorch: ∂/∂x = sign(x) times y's sign (±1), 0 at x = 0;"
                " ∂/∂y = 0, also at y = 0, where the result jumps unless x = 0.",
            ),
            references=("PyTorch torch.copysign",),
            torch="torch.copysign",
        ),
        Rule(
            id="lerp",
            title="Linear interpolation",
            family="scalar",
            inputs=(
                Input("input", x, REAL, doc="start x"),
                Input("end", e, REAL, doc="end y"),
                Input("weight", w, REAL, doc="weight w"),
            ),
            function=x + w * (e - x),
            derivative={"input": 1 - w, "end": w, "weight": e - x},
            identities=(Identity(x + w * (e - x), (1 - w) * x + w * e, note="(1 − w)x + wy"),),
            notes=("x + w(y − x); PyTorch takes the weight as a number or a tensor (then ∂/∂w = y − x).",),
            references=("PyTorch torch.lerp",),
            torch="torch.lerp",
        ),
        Rule(
            id="where",
            title="Where (select)",
            family="scalar",
            inputs=(
                Input("condition", c, sp.FiniteSet(0, 1), doc="the mask c: 1 (True) or 0 (False), fixed"),
                Input("input", x, REAL, doc="x, taken where c = 1"),
                Input("other", y, REAL, doc="y, taken where c = 0"),
            ),
            function=sp.Piecewise((x, sp.Eq(c, 1)), (y, True)),
            derivative={"input": c, "other": 1 - c},
            notes=(
                "torch.where(condition, input, other): the upstream gradient is routed by the mask, c to x and 1 − c"
                " to y (0 where the branch is not taken); the boolean condition gets none.",
            ),
            references=("PyTorch torch.where",),
            torch="torch.where",
        ),
    )
