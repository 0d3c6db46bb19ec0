"""Textbook notation as sympy functions: σ, Φ, φ, softplus, 𝟙[·] and an indexed maximum.

Each class knows its elementary definition (used by the verifier, which never trusts the class's own
derivative), its derivative in textbook form (so that sympy's ``diff`` of a rule written with it stays
readable) and its float and exact implementations (used by :mod:`cheatsheet.evaluate.numeric`). The standard
symbols that every catalog module shares (the index symbols, the vector length ``n``) live here too, so
that rules written in different modules agree on them.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from typing import Any, ClassVar

import mpmath
import numpy as np
import sympy as sp
from sympy.concrete.expr_with_limits import ExprWithLimits

__all__ = [
    "Indicator",
    "MaxOver",
    "Notation",
    "Phi",
    "RowSoftmax",
    "Vec",
    "elementary",
    "i",
    "j",
    "k",
    "mpmath_namespace",
    "n",
    "numpy_namespace",
    "phi",
    "sigmoid",
    "softplus",
]

# sympy ships no type information, so its classes are ``Any`` to mypy: each subclass of one below carries
# ``# type: ignore[misc]`` ("cannot subclass Any"), the only error that forces.

# Index symbols of vector rules: output component i, input component j, summation index k.
i, j, k = sp.symbols("i j k", integer=True, positive=True)
#: Length of the vectors of a vector rule.
n = sp.Symbol("n", integer=True, positive=True)


class Notation(sp.Function):  # type: ignore[misc]
    """A named function of textbook notation with an elementary definition.

    Subclasses set ``latex_name`` and implement ``definition`` (elementary form, used for verification),
    ``fdiff`` (textbook derivative) and the numeric implementations.
    """

    latex_name: ClassVar[str] = ""
    is_real = True

    @classmethod
    def definition(cls, *args: sp.Expr) -> sp.Expr:
        """The elementary expression this notation stands for."""
        raise NotImplementedError

    def _eval_evalf(self, prec: int) -> sp.Expr | None:
        # Numeric values through the definition: sympy's default looks up an mpmath function of the
        # same name, and mpmath.phi is the golden ratio (phi(2).evalf() raised TypeError), while
        # softplus(2) and Phi(2) stayed unevaluated (not comparable, so max(sin(x), softplus(2)) failed).
        if not all(a.is_number for a in self.args):
            return None
        value = sp.sympify(self.definition(*self.args))
        return value.evalf(mpmath.libmp.prec_to_dps(prec))

    @staticmethod
    def numpy_impl(*args: Any) -> Any:
        """Float64 implementation, numerically stable over the whole real line."""
        raise NotImplementedError

    @staticmethod
    def mpmath_impl(*args: Any) -> Any:
        """Arbitrary-precision implementation."""
        raise NotImplementedError


def _np_sigmoid(x: Any) -> Any:
    x = np.asarray(x, dtype=float)
    z = np.exp(-np.abs(x))  # never overflows
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


class sigmoid(Notation):  # lower case: named as in PyTorch (printed as σ), as sympy names its functions
    """The logistic sigmoid σ(x) = 1/(1 + e^{-x})."""

    nargs = 1
    latex_name = r"\sigma"

    @classmethod
    def definition(cls, *args: sp.Expr) -> sp.Expr:
        (x,) = args
        return 1 / (1 + sp.exp(-x))

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        s = sigmoid(self.args[0])
        return s * (1 - s)

    @classmethod
    def eval(cls, x: sp.Expr) -> sp.Expr | None:
        if x.is_zero:
            return sp.S.Half
        return None

    numpy_impl = staticmethod(_np_sigmoid)
    mpmath_impl = staticmethod(lambda x: 1 / (1 + mpmath.exp(-x)))


def _np_softplus(x: Any) -> Any:
    x = np.asarray(x, dtype=float)
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


class softplus(Notation):
    """softplus(x) = ln(1 + e^x)."""

    nargs = 1
    latex_name = r"\operatorname{softplus}"

    @classmethod
    def definition(cls, *args: sp.Expr) -> sp.Expr:
        (x,) = args
        return sp.log(1 + sp.exp(x))

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sigmoid(self.args[0])

    numpy_impl = staticmethod(_np_softplus)
    mpmath_impl = staticmethod(lambda x: mpmath.log1p(mpmath.exp(x)))


_erfc = np.vectorize(math.erfc, otypes=[float])


class Phi(Notation):
    """The standard normal cumulative distribution function Φ(x)."""

    nargs = 1
    latex_name = r"\Phi"

    @classmethod
    def definition(cls, *args: sp.Expr) -> sp.Expr:
        (x,) = args
        return (1 + sp.erf(x / sp.sqrt(2))) / 2

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return phi(self.args[0])

    @classmethod
    def eval(cls, x: sp.Expr) -> sp.Expr | None:
        if x.is_zero:
            return sp.S.Half
        return None

    # erfc keeps full relative precision in the lower tail, where 1 + erf(x) cancels.
    numpy_impl = staticmethod(lambda x: 0.5 * _erfc(-np.asarray(x, dtype=float) / math.sqrt(2.0)))
    mpmath_impl = staticmethod(lambda x: mpmath.ncdf(x))


class phi(Notation):
    """The standard normal density φ(x) = e^{-x²/2}/√(2π)."""

    nargs = 1
    latex_name = r"\varphi"

    @classmethod
    def definition(cls, *args: sp.Expr) -> sp.Expr:
        (x,) = args
        return sp.exp(-(x**2) / 2) / sp.sqrt(2 * sp.pi)

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return -self.args[0] * phi(self.args[0])

    numpy_impl = staticmethod(lambda x: np.exp(-np.square(np.asarray(x, dtype=float)) / 2) / math.sqrt(2 * math.pi))
    mpmath_impl = staticmethod(lambda x: mpmath.npdf(x))


def _np_indicator(cond: Any) -> Any:
    return np.where(cond, 1.0, 0.0)


class Indicator(Notation):
    """𝟙[condition]: 1 where the condition holds, else 0. Its derivative is 0 almost everywhere."""

    nargs = 1
    latex_name = "𝟙"

    @classmethod
    def eval(cls, cond: sp.Basic) -> sp.Expr | None:
        if cond is sp.true:
            return sp.S.One
        if cond is sp.false:
            return sp.S.Zero
        return None

    @classmethod
    def definition(cls, *args: sp.Expr) -> sp.Expr:
        (cond,) = args
        return sp.Piecewise((1, cond), (0, True))

    def _eval_derivative(self, s: sp.Symbol) -> sp.Expr:
        return sp.S.Zero

    numpy_impl = staticmethod(_np_indicator)
    mpmath_impl = staticmethod(lambda cond: mpmath.mpf(1) if cond else mpmath.mpf(0))


class MaxOver(ExprWithLimits):  # type: ignore[misc]
    """max over an index range, e.g. max_{j=1..n} x_j; ``doit`` expands it once the range is explicit."""

    is_real = True

    def doit(self, **hints: Any) -> sp.Expr:
        function = self.function
        if hints.get("deep", True):
            function = function.doit(**hints)
        ((var, low, high),) = self.limits
        if not (low.is_Integer and high.is_Integer):
            return MaxOver(function, (var, low, high))
        return sp.Max(*[function.subs(var, v) for v in range(int(low), int(high) + 1)])

    def _eval_derivative(self, s: sp.Symbol) -> sp.Expr:
        # Only meaningful once expanded; the verifier always expands before differentiating.
        return sp.Derivative(self, s)


class _MatrixFunction(sp.MatrixExpr):  # type: ignore[misc]
    """A function of one matrix argument (``arg``), printed and expanded by its subclass."""

    def __new__(cls, arg: sp.Basic) -> Any:
        return super().__new__(cls, sp.sympify(arg))

    @property
    def arg(self) -> sp.MatrixExpr:
        return self.args[0]


class RowSoftmax(_MatrixFunction):
    """softmax(S) applied to each row of a matrix: P_ij = e^{S_ij} / Σ_k e^{S_ik} (attention's P)."""

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return self.arg.shape  # type: ignore[no-any-return]

    def _entry(self, i: Any, j: Any, **kwargs: Any) -> sp.Expr:
        cols = int(self.shape[1])
        row = [sp.exp(self.arg[i, c]) for c in range(cols)]
        return sp.exp(self.arg[i, j]) / sp.Add(*row)

    def doit(self, **hints: Any) -> sp.Basic:
        arg = self.arg.doit(**hints) if hints.get("deep", True) else self.arg
        if not isinstance(arg, sp.MatrixBase) and all(sp.sympify(v).is_Integer for v in arg.shape):
            with contextlib.suppress(ValueError, TypeError, NotImplementedError):  # stays symbolic
                arg = arg.as_explicit()
        if isinstance(arg, sp.MatrixBase):
            return sp.Matrix(
                arg.rows, arg.cols, lambda r, c: sp.exp(arg[r, c]) / sum(sp.exp(arg[r, k]) for k in range(arg.cols))
            )
        return RowSoftmax(arg)


class Vec(_MatrixFunction):
    """vec(A): the columns of an m×n matrix stacked into an mn×1 column (vec(AXB) = (Bᵀ ⊗ A) vec(X))."""

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        rows, cols = self.arg.shape
        return (rows * cols, sp.S.One)

    def _entry(self, i: Any, j: Any, **kwargs: Any) -> sp.Expr:
        rows = self.arg.shape[0]
        return self.arg[i % rows, i // rows]

    def doit(self, **hints: Any) -> sp.Basic:
        arg = self.arg.doit(**hints) if hints.get("deep", True) else self.arg
        if isinstance(arg, sp.MatrixBase):
            return sp.ImmutableMatrix(arg.T.reshape(arg.rows * arg.cols, 1))
        return Vec(arg)


_NOTATIONS: tuple[type[Notation], ...] = (sigmoid, softplus, Phi, phi, Indicator)


def elementary(expr: sp.Basic) -> sp.Basic:
    """Replace every notation function by its elementary definition, innermost first."""
    for _ in range(8):  # notations nest at most a few levels deep
        found = False
        for cls in _NOTATIONS:
            if expr.has(cls):
                found = True
                expr = expr.replace(cls, lambda *a, _c=cls: _c.definition(*a))
        if not found:
            return expr
    raise ValueError(f"notation nested too deeply in {expr}")


def numpy_namespace() -> dict[str, Callable[..., Any]]:
    """Names that lambdify needs to compile notation functions to float64 numpy code."""
    return {cls.__name__: cls.numpy_impl for cls in _NOTATIONS} | {
        "erf": np.vectorize(math.erf, otypes=[float]),
        "erfc": _erfc,
    }


def mpmath_namespace() -> dict[str, Callable[..., Any]]:
    """Names that lambdify needs to compile notation functions to mpmath code."""
    return {cls.__name__: cls.mpmath_impl for cls in _NOTATIONS}
