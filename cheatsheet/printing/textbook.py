"""The textbook conventions every printer shares: the order of factors and terms, and how numbers read.

The catalog builds its expressions unevaluated, so their arguments keep the order in which the catalog
wrote them. The printers (LaTeX in :mod:`cheatsheet.printing.latex`, Unicode text in
:mod:`cheatsheet.printing.text`, the grammar's syntax in :mod:`cheatsheet.printing.grammar`) print in
that order, with the few textbook adjustments decided here, once, so that the sheet, the terminal and
``cheatsheet check`` agree:

- a product prints its sign once in front, numbers first, then its factors in the catalog's order,
  except that a parenthesized sum never follows an operator name: (1 − y) ln(1 − x);
- a product that evaluation put in sympy's order may put its sums last, σ(x)(1 − σ(x)) (the terminal
  printer does; see :func:`textbook_product`);
- a sum of matrices leads with a positive term: Ax − b, not −b + Ax;
- a matrix product prints its scalar coefficient as a sign and a fraction around the matrices;
- a long terminating rational prints as its decimal when that is shorter (SELU's λ);
- a function applied element-wise prints as the function of the matrix and binds like its body;
- f′(x) stands for the derivative of a one-argument function of its own variable.

These functions answer questions about the structure of an expression and write no notation of their
own (:func:`elementwise` composes what the calling printer prints).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.printing.precedence import precedence, precedence_traditional

from cheatsheet.notation import Indicator, Notation

__all__ = [
    "MatrixProduct",
    "Prime",
    "Product",
    "binding",
    "elementwise",
    "factors",
    "fraction",
    "in_sympy_order",
    "is_denominator",
    "is_operator_call",
    "lead_with_positive",
    "matrix_grouped",
    "matrix_product",
    "prime",
    "scalar_trace",
    "shorter_decimal",
    "textbook_product",
    "written_fraction",
    "written_fractions",
]

_T = TypeVar("_T")


# ------------------------------------------------------------------------------------------ products
@dataclass(frozen=True)
class Product:
    """A scalar product as a textbook writes it: its sign, then its factors in printing order."""

    negative: bool
    factors: tuple[sp.Expr, ...]


def factors(expr: sp.Expr) -> list[sp.Expr]:
    """The factors of a possibly nested, unevaluated product."""
    if isinstance(expr, sp.Mul):
        return [f for a in expr.args for f in factors(a)]
    return [expr]


def textbook_product(expr: sp.Expr, *, sums_last: bool = False) -> Product:
    """The sign and the ordered factors of a product (nested products flattened, factors of 1 dropped).

    Numbers come first, then the factors in the catalog's order, except that a sum (printed in
    parentheses) never follows an operator name: (1 − y) ln(1 − x), not ln(1 − x)(1 − y), which reads
    as ln of a product. Such a sum moves in front of the run of operator calls it would follow.

    With ``sums_last``, a product in sympy's own order (an evaluated one: :func:`in_sympy_order`) puts
    its sums after its other factors first, σ(x)(1 − σ(x)) rather than sympy's (1 − σ(x))σ(x). The
    terminal printer asks for it; the LaTeX printer cannot, since some catalog formulas were written in
    an order that happens to be sympy's ((1 − ε) δ_kc) and the sheet prints them as written.
    """
    negative = False
    kept: list[sp.Expr] = []
    for a in factors(expr):
        if a.is_Number and a.is_negative:
            negative = not negative
            a = -a
        if a != 1:
            kept.append(a)
    if sums_last and in_sympy_order(expr):  # sympy chose this order, not an author: σ(x)(1 − σ(x))
        kept = [a for a in kept if not isinstance(a, sp.Add)] + [a for a in kept if isinstance(a, sp.Add)]
    ordered = [a for a in kept if a.is_Number]
    for a in (a for a in kept if not a.is_Number):
        if isinstance(a, sp.Add) and ordered and is_operator_call(ordered[-1]):
            at = len(ordered) - 1
            while at > 0 and is_operator_call(ordered[at - 1]):
                at -= 1
            ordered.insert(at, a)
        else:
            ordered.append(a)
    return Product(negative, tuple(ordered))


def fraction(product: Product, *, decimals: bool = False) -> tuple[list[sp.Expr], list[sp.Expr]]:
    """The numerator and denominator factors of a product, each in printing order: 3·x/(2·y).

    A rational p/q splits into p above and q below (1/2 · x reads x/2); with ``decimals`` one that reads
    shorter as its decimal stays whole above. a⁻ⁿ goes below as aⁿ.
    """
    num: list[sp.Expr] = []
    den: list[sp.Expr] = []
    for a in product.factors:
        if isinstance(a, sp.Rational) and a.q != 1 and not (decimals and shorter_decimal(a) is not None):
            if a.p != 1:
                num.append(sp.Integer(a.p))
            den.append(sp.Integer(a.q))
        elif is_denominator(a):
            den.append(a.base if a.exp == -1 else sp.Pow(a.base, -a.exp, evaluate=False))
        else:
            num.append(a)
    return num, den


def in_sympy_order(expr: sp.Expr) -> bool:
    """True for a product whose factors are in sympy's canonical order, as evaluation leaves them.

    Such an order was chosen by sympy's sort, not by whoever wrote the formula, so a printer may
    arrange it. (A product the catalog wrote unevaluated can coincide with it: (1 − ε) δ_kc.)
    """
    if not isinstance(expr, sp.Mul):
        return False
    with sp.evaluate(True):
        return bool(sp.Mul(*expr.args).args == expr.args)


def is_operator_call(e: sp.Basic) -> bool:
    """True for a function printed as an operator name (ln, tanh, softplus, max), not a symbol (σ, Φ, f)."""
    base = e.base if isinstance(e, sp.Pow) else e
    if not isinstance(base, (sp.Function, sp.Max, sp.Min)) or isinstance(base, (AppliedUndef, Indicator)):
        return False
    if isinstance(base, Notation):
        return bool(type(base).latex_name.startswith(r"\operatorname"))
    return not isinstance(base, (sp.Abs, sp.KroneckerDelta, sp.exp))


def is_denominator(e: sp.Basic) -> bool:
    """A factor printed below the fraction bar: 1/a, a⁻², or a fraction 1/2."""
    return (isinstance(e, sp.Pow) and e.exp.is_negative is True) or (isinstance(e, sp.Rational) and e.q != 1)


def written_fraction(e: sp.Basic) -> bool:
    """A denominator, or a product with one: a factor that prints as a fraction."""
    return is_denominator(e) or (isinstance(e, sp.Mul) and any(is_denominator(a) for a in factors(e)))


def written_fractions(expr: sp.Mul) -> list[sp.Expr] | None:
    """The factors of a product in which two or more fractions were written as factors (or a fraction and
    a sum with a fraction in it), each kept whole: 1/(1 + e^{−x}) · e^{−x}/(1 + e^{−x}), not one fraction
    with a fraction in its numerator. None for any other product (which prints as one fraction)."""
    out: list[sp.Expr] = []

    def walk(e: sp.Basic) -> None:
        if isinstance(e, sp.Mul) and not written_fraction(e):
            for a in e.args:
                walk(a)
        else:
            out.append(e)

    for a in expr.args:
        walk(a)
    fractions = [a for a in out if written_fraction(a) and not a.is_number]  # 1/2 stays a coefficient
    tall_sums = [
        a for a in out if isinstance(a, sp.Add) and any(written_fraction(t) and not t.is_number for t in a.args)
    ]
    if not any(isinstance(f, sp.Mul) and not all(is_denominator(a) for a in factors(f)) for f in fractions):
        tall_sums = []  # (δ_ij − 1/n)/σ̂ stays one fraction: only a/b · (c − d/e) is kept apart
    if (
        not fractions
        or len(fractions) + len(tall_sums) < 2
        or any(a.is_Number and a.is_negative for f in out for a in factors(f))
    ):
        return None
    return [a for a in out if a != 1]


# ------------------------------------------------------------------------------------------ matrices
@dataclass(frozen=True)
class MatrixProduct:
    """A matrix product as sign · numerator · matrices / denominator (QKᵀ/√d, not (1/√d) Q Kᵀ)."""

    negative: bool
    numerator: sp.Expr
    denominator: sp.Expr
    matrices: tuple[sp.Basic, ...]


def matrix_product(expr: sp.Basic) -> MatrixProduct:
    """The scalar coefficient of a matrix product split into a sign, a numerator and a denominator."""
    coeff, matrices = expr.as_coeff_matrices()
    num, den = sp.fraction(coeff)
    negative = bool(num.could_extract_minus_sign())
    return MatrixProduct(negative, -num if negative else num, den, tuple(matrices))


def matrix_grouped(parent: type, count: int = 2) -> tuple[type, ...]:
    """The kinds of operand that take parentheses inside a ``parent`` product of ``count`` matrices.

    ⊙, ⊗ and the matrix product have no agreed precedence among themselves: inside one, a sum or
    another kind of product is grouped: −A ⊙ B, but (A ⊙ B)𝟏 and (A + B)x.
    """
    if parent is sp.HadamardProduct:
        return (sp.MatAdd, sp.MatMul, sp.KroneckerProduct)
    if parent is sp.KroneckerProduct:
        return (sp.MatAdd, sp.MatMul, sp.HadamardProduct)
    return (sp.MatAdd, sp.HadamardProduct, sp.KroneckerProduct) if count > 1 else (sp.MatAdd,)


def binding(expr: sp.Basic) -> int:
    """The precedence that decides parentheses around ``expr``: sympy's, except that a function applied
    element-wise prints as its body (1 − tanh²(Z)) and so binds like the body: (1 − tanh²(Z)) ⊙ G."""
    if isinstance(expr, ElementwiseApplyFunction):
        return int(precedence_traditional(expr.function.expr))
    return int(precedence(expr))


def elementwise(expr: ElementwiseApplyFunction, show: Callable[[sp.Basic], str], paren: Callable[[str], str]) -> str:
    """σ(Z), e^{Z}, √(Z): a function applied entry by entry, printed as the function of the matrix.

    ``show`` prints an expression and ``paren`` wraps text in the printer's parentheses. The argument
    takes parentheses unless it is a matrix symbol, a square root groups it, or the printed function
    brings its own call parentheses: σ(Zᵀ), not σ((Zᵀ)).
    """
    arg = expr.expr
    name = show(arg)
    body = expr.function.expr
    radical = isinstance(body, sp.Pow) and body.exp == sp.S.Half and body.base == expr.function.variables[0]
    if not isinstance(arg, sp.MatrixSymbol) and not radical:
        name = paren(name)
    placeholder = "@ARG@"
    printed = show(expr.function(sp.Symbol(placeholder)))
    if f"({placeholder})" in printed:
        name = show(arg)
    return printed.replace(placeholder, name)


def scalar_trace(expr: sp.Basic) -> bool:
    """True for the trace of a 1x1 matrix (xᵀx), which prints as that number."""
    return tuple(expr.args[0].shape) == (1, 1)


def lead_with_positive(terms: Sequence[_T], negative: Callable[[_T], bool]) -> list[_T]:
    """The terms of a sum in the written order, but led by a positive term if there is one.

    sympy builds A x − b as (−b, A x); a textbook writes the positive term first.
    """
    out = list(terms)
    if out and negative(out[0]):
        positive = [k for k, t in enumerate(out) if not negative(t)]
        if positive:
            out.insert(0, out.pop(positive[0]))
    return out


# ------------------------------------------------------------------------------------------ numbers
def shorter_decimal(r: sp.Rational) -> str | None:
    """The exact decimal digits of ``|r|`` when they are shorter than p/q, else None.

    A long terminating decimal (SELU's λ and α, GELU's 0.044715) reads better as the decimal than as
    5253504936777402467096674926473/5000000000000000000000000000000.
    """
    q, twos, fives = int(r.q), 0, 0
    while q % 2 == 0:
        q, twos = q // 2, twos + 1
    while q % 5 == 0:
        q, fives = q // 5, fives + 1
    if q != 1 or r.q == 1:
        return None
    places = max(twos, fives)
    digits = str(abs(int(r.p)) * 10**places // int(r.q)).rjust(places + 1, "0")
    text = digits[:-places] + "." + digits[-places:]
    return text if len(text) < len(str(abs(r.p))) + len(str(r.q)) else None


# ------------------------------------------------------------------------------------------ derivatives
@dataclass(frozen=True)
class Prime:
    """f′(at), σ″(at): a derivative printed with primes."""

    function: sp.Function
    count: int
    at: sp.Basic


def prime(expr: sp.Basic) -> Prime | None:
    """The prime form of a derivative, or None when it prints as d/dx (…).

    A Derivative takes primes when it is the first derivative of a one-argument undefined or notation
    function of its own variable (f′(x), σ′(x)); a Subs of a derivative evaluated elsewhere
    (f′(g(x)), from the chain rule) when the function has one argument, whatever the function.
    """
    if isinstance(expr, sp.Derivative):
        inner = expr.expr
        if (
            isinstance(inner, (AppliedUndef, Notation))
            and not isinstance(inner, Indicator)
            and len(expr.variables) == 1
            and len(inner.args) == 1
            and inner.args[0] == expr.variables[0]
        ):
            return Prime(inner, int(expr.derivative_count), expr.variables[0])
        return None
    if isinstance(expr, sp.Subs):
        body, old, new = expr.args
        if isinstance(body, sp.Derivative) and len(old) == 1 and isinstance(body.expr, sp.Function):
            inner = body.expr
            if len(inner.args) == 1 and inner.args[0] == old[0] and body.variables == (old[0],) * body.derivative_count:
                return Prime(inner, int(body.derivative_count), new[0])
    return None
