"""The grammar's vocabulary: the functions one may call, the named constants, and the reserved names.

Each function has a sympy builder, an arity, a line for the docs and a float implementation. The float one
vets the constant arguments of a call before sympy evaluates it exactly, so that ``exp(exp(20))`` is refused
as too large instead of making sympy build an enormous number.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p, log2, log10

from cheatsheet.notation import Indicator, Phi, phi, sigmoid, softplus

__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "INFINITY",
    "PIECEWISE",
    "PRIMARY",
    "RESERVED",
    "WORDS",
    "Function",
    "arity_hint",
    "arity_text",
]


@dataclass(frozen=True)
class Function:
    """One allowed function: its sympy builder, arity and a one-line description for the docs."""

    build: Callable[..., sp.Basic]
    arity: tuple[int, int]  # (min, max) number of arguments
    doc: str
    condition: bool = False  # the first argument is a condition

    @property
    def estimate(self) -> Callable[..., float]:
        """A float implementation, used to vet constant arguments before sympy evaluates them."""
        return _FLOATS[self.build]


# ------------------------------------------------------------------ builders that are not sympy classes
def _heaviside(a: sp.Expr) -> sp.Basic:
    return sp.Heaviside(a)


def _where(c: sp.Basic, a: sp.Expr, b: sp.Expr) -> sp.Basic:
    return sp.Piecewise((a, c), (b, True))


def _relu(a: sp.Expr) -> sp.Basic:
    return sp.Max(0, a)


def _elu(a: sp.Expr) -> sp.Basic:
    return sp.Piecewise((a, a > 0), (sp.exp(a) - 1, True))


def _gelu(a: sp.Expr) -> sp.Basic:
    return a * Phi(a)


def _silu(a: sp.Expr) -> sp.Basic:
    return a * sigmoid(a)


def _mish(a: sp.Expr) -> sp.Basic:
    return a * sp.tanh(softplus(a))


def _softsign(a: sp.Expr) -> sp.Basic:
    return a / (1 + sp.Abs(a))


def _logsigmoid(a: sp.Expr) -> sp.Basic:
    return -softplus(-a)


_ONE = (1, 1)
_MANY = (2, 16)
#: Allowed functions (name -> builder); several names may share one builder (aliases).
FUNCTIONS: dict[str, Function] = {
    "exp": Function(sp.exp, _ONE, "e^x"),
    "log": Function(sp.log, _ONE, "natural logarithm (also ln)"),
    "ln": Function(sp.log, _ONE, "natural logarithm"),
    "log2": Function(log2, _ONE, "base-2 logarithm"),
    "log10": Function(log10, _ONE, "base-10 logarithm"),
    "log1p": Function(log1p, _ONE, "log(1 + x)"),
    "expm1": Function(expm1, _ONE, "exp(x) - 1"),
    "sqrt": Function(sp.sqrt, _ONE, "square root"),
    "sin": Function(sp.sin, _ONE, "sine"),
    "cos": Function(sp.cos, _ONE, "cosine"),
    "tan": Function(sp.tan, _ONE, "tangent"),
    "cot": Function(sp.cot, _ONE, "cotangent"),
    "sec": Function(sp.sec, _ONE, "secant"),
    "csc": Function(sp.csc, _ONE, "cosecant"),
    "asin": Function(sp.asin, _ONE, "inverse sine (also arcsin)"),
    "acos": Function(sp.acos, _ONE, "inverse cosine (also arccos)"),
    "atan": Function(sp.atan, _ONE, "inverse tangent (also arctan)"),
    "arcsin": Function(sp.asin, _ONE, "inverse sine"),
    "arccos": Function(sp.acos, _ONE, "inverse cosine"),
    "arctan": Function(sp.atan, _ONE, "inverse tangent"),
    "sinh": Function(sp.sinh, _ONE, "hyperbolic sine"),
    "cosh": Function(sp.cosh, _ONE, "hyperbolic cosine"),
    "tanh": Function(sp.tanh, _ONE, "hyperbolic tangent"),
    "asinh": Function(sp.asinh, _ONE, "inverse hyperbolic sine (also arsinh, arcsinh)"),
    "acosh": Function(sp.acosh, _ONE, "inverse hyperbolic cosine (also arcosh, arccosh)"),
    "atanh": Function(sp.atanh, _ONE, "inverse hyperbolic tangent (also artanh, arctanh)"),
    "arsinh": Function(sp.asinh, _ONE, "inverse hyperbolic sine"),
    "arcosh": Function(sp.acosh, _ONE, "inverse hyperbolic cosine"),
    "artanh": Function(sp.atanh, _ONE, "inverse hyperbolic tangent"),
    "arcsinh": Function(sp.asinh, _ONE, "inverse hyperbolic sine"),
    "arccosh": Function(sp.acosh, _ONE, "inverse hyperbolic cosine"),
    "arctanh": Function(sp.atanh, _ONE, "inverse hyperbolic tangent"),
    "erf": Function(sp.erf, _ONE, "error function"),
    "erfc": Function(sp.erfc, _ONE, "complementary error function"),
    "abs": Function(sp.Abs, _ONE, "absolute value |x|"),
    "Abs": Function(sp.Abs, _ONE, "absolute value |x|"),
    "sign": Function(sp.sign, _ONE, "sign: -1, 0 or 1"),
    "sgn": Function(sp.sign, _ONE, "sign: -1, 0 or 1"),
    "step": Function(_heaviside, _ONE, "Heaviside step (also heaviside, Heaviside)"),
    "heaviside": Function(_heaviside, _ONE, "Heaviside step"),
    "Heaviside": Function(_heaviside, _ONE, "Heaviside step"),
    "max": Function(sp.Max, _MANY, "largest argument (also Max)"),
    "min": Function(sp.Min, _MANY, "smallest argument (also Min)"),
    "Max": Function(sp.Max, _MANY, "largest argument"),
    "Min": Function(sp.Min, _MANY, "smallest argument"),
    "where": Function(_where, (3, 3), "where(condition, a, b): a where the condition holds, else b", condition=True),
    "indicator": Function(
        Indicator, _ONE, "indicator(condition): 1 where it holds, else 0 (also Indicator)", condition=True
    ),
    "Indicator": Function(Indicator, _ONE, "1 where the condition holds, else 0", condition=True),
    "sigmoid": Function(sigmoid, _ONE, "logistic sigmoid σ(x) = 1/(1 + e^-x) (also sigma, σ, logistic)"),
    "sigma": Function(sigmoid, _ONE, "logistic sigmoid σ(x)"),
    "logistic": Function(sigmoid, _ONE, "logistic sigmoid σ(x)"),
    "softplus": Function(softplus, _ONE, "softplus(x) = ln(1 + e^x)"),
    "Phi": Function(Phi, _ONE, "standard normal CDF Φ(x) (also Φ)"),
    "phi": Function(phi, _ONE, "standard normal density φ(x) (also φ)"),
    "relu": Function(_relu, _ONE, "max(0, x)"),
    "elu": Function(_elu, _ONE, "where(x > 0, x, exp(x) - 1) (alpha = 1)"),
    "gelu": Function(_gelu, _ONE, "x Φ(x)"),
    "silu": Function(_silu, _ONE, "x σ(x) (also swish)"),
    "swish": Function(_silu, _ONE, "x σ(x)"),
    "mish": Function(_mish, _ONE, "x tanh(softplus(x))"),
    "softsign": Function(_softsign, _ONE, "x/(1 + |x|)"),
    "logsigmoid": Function(_logsigmoid, _ONE, "ln σ(x) = -softplus(-x)"),
}

#: One name per function, for hints and docs (aliases left out).
PRIMARY: tuple[str, ...] = (
    "exp",
    "log",
    "log2",
    "log10",
    "log1p",
    "expm1",
    "sqrt",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "sinh",
    "cosh",
    "tanh",
    "asinh",
    "acosh",
    "atanh",
    "erf",
    "erfc",
    "abs",
    "sign",
    "step",
    "max",
    "min",
    "where",
    "indicator",
    "sigmoid",
    "softplus",
    "Phi",
    "phi",
    "relu",
    "elu",
    "gelu",
    "silu",
    "mish",
    "softsign",
    "logsigmoid",
)

#: Functions not allowed inside a condition: sympy's Piecewise then rewrites and simplifies at length.
PIECEWISE = ("where", "elu")


# ------------------------------------------------------------------ float implementations
def _fsig(v: float) -> float:
    return 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))


def _fsoftplus(v: float) -> float:
    return max(v, 0.0) + math.log1p(math.exp(-abs(v)))


def _fsign(v: float) -> float:
    return float((v > 0) - (v < 0))


def _fphi(v: float) -> float:
    return math.exp(-v * v / 2) / math.sqrt(2 * math.pi)


def _fPhi(v: float) -> float:
    return math.erfc(-v / math.sqrt(2)) / 2


_FLOATS: dict[Callable[..., Any], Callable[..., float]] = {
    sp.exp: math.exp,
    sp.log: math.log,
    log2: math.log2,
    log10: math.log10,
    log1p: math.log1p,
    expm1: math.expm1,
    sp.sqrt: math.sqrt,
    sp.sin: math.sin,
    sp.cos: math.cos,
    sp.tan: math.tan,
    sp.cot: lambda v: 1 / math.tan(v),
    sp.sec: lambda v: 1 / math.cos(v),
    sp.csc: lambda v: 1 / math.sin(v),
    sp.asin: math.asin,
    sp.acos: math.acos,
    sp.atan: math.atan,
    sp.sinh: math.sinh,
    sp.cosh: math.cosh,
    sp.tanh: math.tanh,
    sp.asinh: math.asinh,
    sp.acosh: math.acosh,
    sp.atanh: math.atanh,
    sp.erf: math.erf,
    sp.erfc: math.erfc,
    sp.Abs: abs,
    sp.sign: _fsign,
    _heaviside: lambda v: 1.0 if v > 0 else (0.0 if v < 0 else 0.5),
    sp.Max: max,
    sp.Min: min,
    _where: lambda c, a, b: a if c else b,
    Indicator: lambda c: 1.0 if c else 0.0,
    sigmoid: _fsig,
    softplus: _fsoftplus,
    Phi: _fPhi,
    phi: _fphi,
    _relu: lambda v: max(0.0, v),
    _elu: lambda v: v if v > 0 else math.expm1(v),
    _gelu: lambda v: v * _fPhi(v),
    _silu: lambda v: v * _fsig(v),
    _mish: lambda v: v * math.tanh(_fsoftplus(v)),
    _softsign: lambda v: v / (1 + abs(v)),
    _logsigmoid: lambda v: -_fsoftplus(-v),
}

#: Named constants.
CONSTANTS: dict[str, sp.Expr] = {"pi": sp.pi, "e": sp.E, "E": sp.E}
#: The words that join comparisons in a condition.
WORDS = ("and", "or", "not")
#: The names of infinity (allowed only as the end of a domain interval).
INFINITY = ("inf", "oo", "infinity")

#: Names that cannot be variables: functions, constants, the words of conditions, and the names that
#: sympy's code printers emit unqualified (a variable of that name would shadow them). Python keywords
#: are fine (λ is ``lambda``): sympy renames such arguments when it compiles an expression.
RESERVED: frozenset[str] = (
    frozenset(FUNCTIONS)
    | frozenset(CONSTANTS)
    | frozenset(WORDS)
    | frozenset(INFINITY)
    | frozenset(
        {
            "I",
            "nan",
            "zoo",
            "mpmath",
            "numpy",
            "np",
            "math",
            "sympy",
            "scipy",
            "builtins",
            "DiracDelta",
            "Piecewise",
            "Derivative",
            "Subs",
            "select",
            "mpf",
            "mpc",
        }
    )
)


def arity_text(spec: Function) -> str:
    """'1 argument', '3 arguments', '2 to 16 arguments'."""
    lo, hi = spec.arity
    if lo == hi:
        return f"{lo} argument{'s' * (lo != 1)}"
    return f"{lo} to {hi} arguments"


def arity_hint(name: str) -> str:
    """How to call ``name`` with the right number of arguments, or ''."""
    if name in ("log", "ln"):
        return "For base b write log(x)/log(b), or log2(x), log10(x)."
    if name == "where":
        return "Write where(condition, value if true, value otherwise), e.g. where(x > 0, x, 0)."
    if name in ("max", "min", "Max", "Min"):
        return f"Write {name}(a, b), e.g. {name}(0, x)."
    return ""
