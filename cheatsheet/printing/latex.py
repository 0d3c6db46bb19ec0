"""The textbook LaTeX printer: how formulas look on the sheet.

It prints the verified sympy expressions in the notation of a textbook: σ(x)(1 − σ(x)) with the factors
in the order the catalog wrote them (catalog expressions are built unevaluated, and this printer
keeps argument order, adjusted by the conventions all printers share in
:mod:`cheatsheet.printing.textbook`), 𝟙[x > 0] for indicators, δ_{ij}, f′(x) for derivatives of
undefined functions, cases with "if", ln, and plain parentheses unless the argument is tall. Renderers
(SVG, MathML, LaTeX export) all start from this output.
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.printing.latex import accepted_latex_functions
from sympy.printing.precedence import PRECEDENCE

from cheatsheet.notation import Indicator, MaxOver, Notation, n
from cheatsheet.printing.bases import LatexPrinterBase
from cheatsheet.printing.textbook import (
    binding,
    elementwise,
    is_denominator,
    lead_with_positive,
    matrix_grouped,
    matrix_product,
    prime,
    scalar_trace,
    shorter_decimal,
    textbook_product,
    written_fraction,
    written_fractions,
)

__all__ = ["TextbookPrinter", "latex"]

_INVERSE_TRIG = frozenset(
    {"asin", "acos", "atan", "acot", "asec", "acsc", "asinh", "acosh", "atanh", "acoth", "asech", "acsch"}
)
_TALL = (r"\frac", r"\sum", r"\begin", r"\sqrt", r"\max", r"\prod")


class TextbookPrinter(LatexPrinterBase):
    """A ``LatexPrinter`` that keeps the catalog's order of terms and factors and prints notation."""

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        base = {"order": "none", "ln_notation": True, "mul_symbol": None, "fold_short_frac": False}
        super().__init__(base | (settings or {}))

    # -------------------------------------------------------------- helpers
    def _paren(self, body: str) -> str:
        if any(t in body for t in _TALL):
            return r"\left(" + body + r"\right)"
        return "(" + body + ")"

    def _call(self, name: str, args: tuple[sp.Basic, ...], exp: str | None = None) -> str:
        head = f"{name}^{{{exp}}}" if exp is not None else name
        return head + self._paren(", ".join(self._print(a) for a in args))

    # -------------------------------------------------------------- products
    def _print_Mul(self, expr: sp.Expr) -> str:
        # Catalog expressions are unevaluated: the sign once in front, then the factors in the textbook
        # order (cheatsheet.printing.textbook), laid out as one fraction unless the product was written
        # as several.
        if not isinstance(expr, sp.Mul):  # _print_Pow hands x^-1 here as a fraction
            return super()._print_Mul(expr)
        product = textbook_product(expr)
        body = self._product_body(expr, list(product.factors))
        return ("- " + body) if product.negative else body

    def _product_body(self, expr: sp.Mul, ordered: list[sp.Expr]) -> str:
        written = written_fractions(expr)
        derivs = [a for a in ordered if isinstance(a, sp.Derivative) and prime(a) is None]
        if not ordered:
            return "1"
        if derivs and len(derivs) < len(ordered) and any(is_denominator(a) for a in ordered):
            # a derivation's chain-rule line: −1/(1 + e^{−x})² · d/dx(1 + e^{−x}), never d/dx(…) in a numerator
            rest = [a for a in ordered if a not in derivs]
            rest_tex = self._print(rest[0]) if len(rest) == 1 else super()._print_Mul(sp.Mul(*rest, evaluate=False))
            return " ".join([rest_tex] + [self._print(a) for a in derivs])
        if written is not None:
            # two or more fractions written as factors stay apart: 1/(1 + e^{−x}) · e^{−x}/(1 + e^{−x})
            return " ".join(self._paren(self._print(a)) if isinstance(a, sp.Add) else self._print(a) for a in written)
        if len(ordered) == 1:
            body = self._print(ordered[0])
            # -(a + b), or 1·(a + b) as sympy's Sum builds it unevaluated
            return self._paren(body) if isinstance(ordered[0], sp.Add) else body
        return super()._print_Mul(sp.Mul(*ordered, evaluate=False))

    # -------------------------------------------------------------- functions
    def _print_Function(self, expr: sp.Function, exp: str | None = None) -> str:
        if isinstance(expr, Notation):  # sympy's dispatch skips the Notation base of sigmoid, softplus, ...
            return self._call(type(expr).latex_name, expr.args, exp)
        func = expr.func.__name__
        special = getattr(self, "_print_" + func, None)
        if special is not None:
            return str(special(expr, exp))
        if func in _INVERSE_TRIG:  # \arcsin, \operatorname{arsinh} (ISO 80000-2), as sympy's inv_trig_style="full"
            func = ("ar" if func.endswith("h") else "arc") + func[1:]
        name = "\\" + func if func in accepted_latex_functions else r"\operatorname{" + func + "}"
        return self._call(name, expr.args, exp)

    def _print_Indicator(self, expr: Indicator, exp: str | None = None) -> str:
        body = "𝟙[" + self._print(expr.args[0]) + "]"
        return f"{body}^{{{exp}}}" if exp is not None else body

    def _print_AppliedUndef(self, expr: sp.Function, exp: str | None = None) -> str:
        body = self._call(
            self._undef_name(expr.func), expr.args
        )  # g(x)^{2}, not g^{2}(x): the power applies to the value
        return f"{body}^{{{exp}}}" if exp is not None else body

    def _undef_name(self, func: Any) -> str:
        name = str(func)
        return {"finv": "f^{-1}"}.get(name, name)

    def _print_Rational(self, expr: sp.Rational) -> str:
        decimal = shorter_decimal(expr)  # SELU's λ as 1.0507009873554804934193349852946
        if decimal is not None:
            return ("- " if expr.p < 0 else "") + decimal
        return super()._print_Rational(expr)

    def _print_log(self, expr: sp.Expr, exp: str | None = None) -> str:
        return self._call(r"\ln", expr.args, exp)

    def _exponent(self, e: sp.Basic) -> str:
        """An exponent: short fractions inline (e^{x/T}, e^{-x^2/2}), not a tiny \\frac."""
        saved = self._settings["fold_short_frac"]
        self._settings["fold_short_frac"] = True
        try:
            return self._print(e).replace(" / ", "/")
        finally:
            self._settings["fold_short_frac"] = saved

    def _print_exp(self, expr: sp.Expr, exp: str | None = None) -> str:
        base = "e^{" + self._exponent(expr.args[0]) + "}"
        return self._paren(base) + f"^{{{exp}}}" if exp is not None else base

    def _print_sign(self, expr: sp.Expr, exp: str | None = None) -> str:
        return self._call(r"\operatorname{sign}", expr.args, exp)

    def _print_erf(self, expr: sp.Expr, exp: str | None = None) -> str:
        return self._call(r"\operatorname{erf}", expr.args, exp)

    def _print_erfc(self, expr: sp.Expr, exp: str | None = None) -> str:
        return self._call(r"\operatorname{erfc}", expr.args, exp)

    def _print_log1p(self, expr: sp.Expr, exp: str | None = None) -> str:
        return self._call(r"\operatorname{log1p}", expr.args, exp)

    def _print_expm1(self, expr: sp.Expr, exp: str | None = None) -> str:
        return self._call(r"\operatorname{expm1}", expr.args, exp)

    def _print_exp2(self, expr: sp.Expr, exp: str | None = None) -> str:
        return "2^{" + self._print(expr.args[0]) + "}"

    def _print_log2(self, expr: sp.Expr, exp: str | None = None) -> str:
        return self._call(r"\log_{2}", expr.args, exp)

    def _print_log10(self, expr: sp.Expr, exp: str | None = None) -> str:
        return self._call(r"\log_{10}", expr.args, exp)

    def _print_loggamma(self, expr: sp.Expr, exp: str | None = None) -> str:
        return self._call(r"\ln\Gamma", expr.args, exp)

    def _print_polygamma(self, expr: sp.Expr, exp: str | None = None) -> str:
        order, arg = expr.args  # ψ(x) for order 0, ψ^{(n)}(x) otherwise
        name = r"\psi" if order == 0 else rf"\psi^{{({self._print(order)})}}"
        return self._call(name, (arg,), exp)

    def _print_Abs(self, expr: sp.Expr, exp: str | None = None) -> str:
        body = r"\left|" + self._print(expr.args[0]) + r"\right|"
        return f"{body}^{{{exp}}}" if exp is not None else body

    def _print_Max(self, expr: sp.Expr, exp: str | None = None) -> str:
        body = self._call(r"\max", expr.args)  # max(0, a)^{2}, not max^{2}(0, a)
        return f"{body}^{{{exp}}}" if exp is not None else body

    def _print_Min(self, expr: sp.Expr, exp: str | None = None) -> str:
        body = self._call(r"\min", expr.args)
        return f"{body}^{{{exp}}}" if exp is not None else body

    def _print_KroneckerDelta(self, expr: sp.Expr, exp: str | None = None) -> str:
        a, b = (self._print(x) for x in expr.args)
        body = rf"\delta_{{{a}{b}}}"
        return f"{body}^{{{exp}}}" if exp is not None else body

    # -------------------------------------------------------------- indexed, sums
    def _print_Indexed(self, expr: sp.Indexed) -> str:
        base = self._print(expr.base.label)
        idx = "".join(self._print(x) for x in expr.indices)
        return f"{base}_{{{idx}}}"

    def _print_IndexedBase(self, expr: sp.IndexedBase) -> str:
        return self._print(expr.label)

    def _limits(self, var: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> str:
        if lo == 1 and hi == n:
            return self._print(var)
        return f"{self._print(var)}={self._print(lo)}}}^{{{self._print(hi)}"

    def _print_Sum(self, expr: sp.Sum) -> str:
        subs = "".join(self._limits(*lim) for lim in expr.limits)
        body = self.parenthesize(expr.function, PRECEDENCE["Mul"], strict=True)
        return rf"\sum_{{{subs}}} {body}"

    def _print_Product(self, expr: sp.Product) -> str:
        subs = "".join(self._limits(*lim) for lim in expr.limits)
        body = self.parenthesize(expr.function, PRECEDENCE["Mul"], strict=True)
        return rf"\prod_{{{subs}}} {body}"

    def _print_MaxOver(self, expr: MaxOver) -> str:
        subs = "".join(self._limits(*lim) for lim in expr.limits)
        body = self.parenthesize(expr.function, PRECEDENCE["Mul"], strict=True)
        if body.startswith("-"):  # max_k (−x_k), not max_k − x_k (amin), as the text printer writes it
            body = rf"\left({body}\right)"
        return rf"\max_{{{subs}}} {body}"

    # -------------------------------------------------------------- piecewise
    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        rows = []
        for e, c in expr.args:
            cond = r"\text{otherwise}" if c == sp.true else r"\text{if } " + self._print(c)
            rows.append(f"{self._print(e)} & {cond}")
        return r"\begin{cases} " + r" \\ ".join(rows) + r" \end{cases}"

    def _print_And(self, expr: sp.And) -> str:
        return r" \text{ and } ".join(self._print(a) for a in expr.args)

    def _print_Or(self, expr: sp.Or) -> str:
        return r" \text{ or } ".join(self._print(a) for a in expr.args)

    # -------------------------------------------------------------- derivatives
    def _prime(self, expr: sp.Basic) -> str | None:
        """f′(x), σ′(x), f′(g(x)) (see :func:`cheatsheet.printing.textbook.prime`), else None."""
        form = prime(expr)
        if form is None:
            return None
        primes = r"\prime" * form.count
        return f"{self._function_name(form.function)}^{{{primes}}}" + self._paren(self._print(form.at))

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        primed = self._prime(expr)
        if primed is not None:
            return primed
        inner = expr.expr
        if expr.derivative_count != 1:
            return super()._print_Derivative(expr)
        # first derivatives (derivation steps): ∂x_i/∂x_j, ∂σ̂/∂x_j, de^{−x}/dx as one fraction; an operand that
        # would run into what follows (a sum, a product, a negative) in parentheses: d/dx (x σ(x)). d for a
        # scalar variable (other symbols are parameters, or abbreviations such as u = u(x) that a ∂ would hold
        # fixed), ∂ for a vector entry x_j.
        (var,) = expr.variables
        d = r"\partial" if not isinstance(var, sp.Symbol) else self._settings["diff_operator_latex"]
        if isinstance(inner, (sp.Symbol, sp.Indexed, sp.exp)):
            return rf"\frac{{{d} {self._print(inner)}}}{{{d} {self._print(var)}}}"
        body = self._print(inner)
        if (
            isinstance(inner, (sp.Add, sp.Sum))
            or inner.could_extract_minus_sign()
            or (isinstance(inner, sp.Mul) and not written_fraction(inner))
        ):
            body = self._paren(body)
        return rf"\frac{{{d}}}{{{d} {self._print(var)}}} {body}"

    def _print_Subs(self, subs: sp.Subs) -> str:
        primed = self._prime(subs)
        return primed if primed is not None else super()._print_Subs(subs)

    def _function_name(self, f: sp.Function) -> str:
        """The printed name of a one-argument function: σ, f, \\tanh, \\operatorname{erf}."""
        if isinstance(f, AppliedUndef):
            return self._undef_name(f.func)
        if isinstance(f, Notation):
            return type(f).latex_name
        tex = self._print(f.func(sp.Symbol("x")))
        return tex[: tex.index("(")] if "(" in tex else tex

    # -------------------------------------------------------------- matrices
    def _print_Transpose(self, expr: sp.Basic) -> str:
        arg = expr.args[0]
        if isinstance(arg, sp.Inverse):
            return self.parenthesize(arg.args[0], PRECEDENCE["Pow"]) + r"^{-\top}"
        return self.parenthesize(arg, PRECEDENCE["Pow"]) + r"^{\top}"

    def _print_Inverse(self, expr: sp.Basic) -> str:
        arg = expr.args[0]
        if isinstance(arg, sp.Transpose):
            return self.parenthesize(arg.args[0], PRECEDENCE["Pow"]) + r"^{-\top}"
        return self.parenthesize(arg, PRECEDENCE["Pow"]) + "^{-1}"

    def parenthesize(self, item: Any, level: int, is_neg: bool = False, strict: bool = False) -> str:
        # an element-wise function prints as its body (1 − tanh²(Z)), so it binds like the body:
        # (1 − tanh²(Z)) ⊙ G, not 1 − tanh²(Z) ⊙ G
        if isinstance(item, ElementwiseApplyFunction):
            prec = binding(item)
            if prec < level or (strict and prec <= level):
                return self._paren(self._print(item))
        return super().parenthesize(item, level, is_neg, strict)

    def _print_ElementwiseApplyFunction(self, expr: ElementwiseApplyFunction) -> str:
        return elementwise(expr, self._print, self._paren)  # σ(Z), e^{Z}: the sheet says "element-wise" once

    def _print_HadamardProduct(self, expr: sp.Basic) -> str:
        grouped = matrix_grouped(sp.HadamardProduct)
        return r" \odot ".join(self._matrix_operand(a, grouped) for a in expr.args)

    def _print_KroneckerProduct(self, expr: sp.Basic) -> str:
        grouped = matrix_grouped(sp.KroneckerProduct)
        return r" \otimes ".join(self._matrix_operand(a, grouped) for a in expr.args)

    def _matrix_operand(self, a: sp.Basic, grouped: tuple[type, ...]) -> str:
        if isinstance(a, grouped):
            return self._paren(self._print(a))
        return self.parenthesize(a, PRECEDENCE["Mul"], strict=True)

    def _print_MatAdd(self, expr: sp.Basic) -> str:
        # the terms in the textbook order; a negative term prints its own sign. (sympy's _print_Add negates
        # such a term with evaluation on, which rewrites it: 𝟏𝟏ᵀ would become one all-ones matrix.)
        terms = lead_with_positive([(t, self._print(t)) for t in expr.args], lambda t: t[1].startswith("- "))
        out = ""
        for k, (term, tex) in enumerate(terms):
            if isinstance(term, sp.MatAdd):
                tex = self._paren(tex)
            if k == 0:
                out = tex
            elif tex.startswith("- "):
                out += " - " + tex[2:]
            else:
                out += " + " + tex
        return out

    def _print_HadamardPower(self, expr: sp.Basic) -> str:
        return self.parenthesize(expr.base, PRECEDENCE["Pow"]) + r"^{\circ " + self._print(expr.exp) + "}"

    def _print_MatMul(self, expr: sp.Basic) -> str:
        # QKᵀ/√d rather than (1/√d) Q Kᵀ
        product = matrix_product(expr)
        grouped = matrix_grouped(sp.MatMul, len(product.matrices))
        body = " ".join(self._matrix_operand(m, grouped) for m in product.matrices)
        sign = "- " if product.negative else ""
        num, den = product.numerator, product.denominator
        top = body if num == 1 else f"{self._print(num)} {body}"
        if den == 1:
            return sign + top
        if num == 1 and len(product.matrices) == 1:  # (x − a)/r: the fraction bar groups the numerator
            top = self._print(product.matrices[0])
        return sign + r"\frac{" + top + "}{" + self._print(den) + "}"

    def _print_OneMatrix(self, expr: sp.Basic) -> str:
        # 𝟏 (the bold digit itself: ziamath draws \mathbf{1} as a plain 1, and G11ᵀ reads as G times eleven)
        # is a column; an all-ones row is 𝟏ᵀ and an all-ones r×c matrix 𝟏𝟏ᵀ
        rows, cols = expr.shape
        if rows == 1 and cols != 1:
            return r"𝟏^{\top}"
        if rows != 1 and cols != 1:
            return r"𝟏 𝟏^{\top}"
        return "𝟏"

    def _print_Identity(self, expr: sp.Basic) -> str:
        return "I"

    def _print_RowSoftmax(self, expr: sp.Basic) -> str:
        return r"\operatorname{softmax}" + self._paren(self._print(expr.args[0]))

    def _print_DiagMatrix(self, expr: sp.Basic) -> str:
        return r"\operatorname{diag}" + self._paren(self._print(expr.args[0]))

    def _print_Vec(self, expr: sp.Basic) -> str:
        return r"\operatorname{vec}" + self._paren(self._print(expr.args[0]))

    def _print_Trace(self, expr: sp.Basic) -> str:
        if scalar_trace(expr):
            return self._print(expr.args[0])
        return r"\operatorname{tr}" + self._paren(self._print(expr.args[0]))

    def _print_Determinant(self, expr: sp.Basic) -> str:
        return r"\det" + self._paren(self._print(expr.args[0]))


def _plain_delimiters(tex: str) -> str:
    """``\\left( a \\right)`` and ``\\left| a \\right|`` become plain ``(a)``, ``|a|`` unless ``a`` is tall
    (a fraction, sum, root or cases), as a typesetter would write them: sympy emits \\left everywhere."""
    out: list[str] = []
    pos = 0
    while True:
        start = tex.find(r"\left", pos)
        if start < 0:
            out.append(tex[pos:])
            return "".join(out)
        opener = tex[start + 5 : start + 6]
        depth, k = 0, start
        end = -1
        while k < len(tex):
            if tex.startswith(r"\left", k):
                depth += 1
                k += 5
            elif tex.startswith(r"\right", k):
                depth -= 1
                if depth == 0:
                    end = k
                    break
                k += 6
            else:
                k += 1
        if end < 0 or opener not in "(|":
            out.append(tex[pos : start + 6])
            pos = start + 6
            continue
        closer = tex[end + 6 : end + 7]
        inner = _plain_delimiters(tex[start + 6 : end])
        out.append(tex[pos:start])
        if any(t in inner for t in _TALL):
            out.append(r"\left" + opener + inner + r"\right" + closer)
        else:
            out.append(opener + inner + closer)
        pos = end + 7


def latex(expr: Any, **settings: Any) -> str:
    """Textbook LaTeX of a sympy expression (the catalog's order of terms is kept)."""
    return _plain_delimiters(TextbookPrinter(settings).doprint(sp.sympify(expr)))
