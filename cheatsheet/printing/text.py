"""The Unicode text printer: one line of textbook notation for a terminal.

σ(x)·(1 − σ(x)), Σ_k exp(x_k), 𝟙[x > 0], Xᵀ, Aᵀ·(Ax − b), G ⊙ σ(Z): the formulas as ``cheatsheet
show`` prints them. It writes what the LaTeX printer (:mod:`cheatsheet.printing.latex`) typesets, in
the same order (both follow :mod:`cheatsheet.printing.textbook`), with Unicode in place of TeX. One
difference: in a product that evaluation left in sympy's order it puts the sums last, σ(x)·(1 − σ(x)),
as it always has for expressions a caller builds with ``*``.
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.pretty.pretty_symbology import pretty_symbol

from cheatsheet.notation import MaxOver, Notation, n
from cheatsheet.printing.bases import StrPrinterBase
from cheatsheet.printing.textbook import (
    binding,
    elementwise,
    fraction,
    lead_with_positive,
    matrix_grouped,
    matrix_product,
    prime,
    scalar_trace,
    shorter_decimal,
    textbook_product,
)

__all__ = ["TextPrinter", "text", "text_set"]

_GREEK = {r"\sigma": "σ", r"\Phi": "Φ", r"\varphi": "φ", r"\phi": "φ"}
_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_RELATIONS = {"<=": "≤", ">=": "≥", "!=": "≠", "==": "="}
_FUNCTION_NAMES = {"log": "ln", "Max": "max", "Min": "min", "loggamma": "lnΓ", "polygamma": "ψ"}


class TextPrinter(StrPrinterBase):
    """sympy's str printer in the textbook order with Unicode notation (the text twin of TextbookPrinter)."""

    # Indexed and others print themselves through ``_sympystr``; this printer decides instead.
    printmethod = "_cheatsheet_text"

    def __init__(self) -> None:
        super().__init__({"order": "none"})

    # -------------------------------------------------------------- helpers
    def _paren_unless(self, expr: sp.Basic, level: int) -> str:
        """``expr`` printed, in parentheses if it binds less tightly than ``level``."""
        body = self._print(expr)
        return f"({body})" if binding(expr) < level else body

    def _call(self, name: str, args: tuple[sp.Basic, ...]) -> str:
        return f"{name}({', '.join(self._print(a) for a in args)})"

    # -------------------------------------------------------------- atoms
    def _print_Symbol(self, expr: sp.Symbol) -> str:
        name: str = expr.name
        if name.startswith("var") and pretty_symbol(name[3:]) != name[3:]:
            name = name[3:]  # varepsilon, varphi: the Greek letter
        if "\\" in name:  # a norm named in TeX (\|x - a\|): ‖x − a‖
            return name.replace(r"\|", "‖").replace(" - ", " − ")
        return str(pretty_symbol(name))

    _print_Dummy = _print_Symbol

    def _print_MatrixSymbol(self, expr: sp.MatrixSymbol) -> str:
        return str(pretty_symbol(expr.name))

    def _print_Rational(self, expr: sp.Rational) -> str:
        sign = "−" if expr.p < 0 else ""
        decimal = shorter_decimal(expr)  # SELU's λ as 1.0507009873554804934193349852946
        if decimal is not None:
            return sign + decimal
        return f"{sign}{abs(expr.p)}/{expr.q}" if expr.q != 1 else f"{sign}{abs(expr.p)}"

    _print_Integer = _print_Rational

    def _print_Half(self, expr: sp.Basic) -> str:
        return "1/2"

    def _print_Infinity(self, expr: sp.Basic) -> str:
        return "∞"

    def _print_NegativeInfinity(self, expr: sp.Basic) -> str:
        return "−∞"

    def _print_Pi(self, expr: sp.Basic) -> str:
        return "π"

    def _print_Exp1(self, expr: sp.Basic) -> str:
        return "e"

    # -------------------------------------------------------------- sums and products
    def _print_Add(self, expr: sp.Add, order: Any = None) -> str:
        out: list[str] = []
        for term in self._as_ordered_terms(expr, order=None):
            t = self._print(term)
            negative = t.startswith("−") and not term.is_Add
            if negative:
                t = t[1:].lstrip()
            if binding(term) < PRECEDENCE["Add"]:  # a nested sum needs none: (a + b) + c = a + b + c
                t = f"({t})"
            out.append(("− " if negative else "+ ") + t if out else ("−" if negative else "") + t)
        return " ".join(out)

    def _print_Mul(self, expr: sp.Mul) -> str:
        # the textbook order (cheatsheet.printing.textbook), numerator then denominator: 3·x/(2·y); sums
        # last in an evaluated product, as this printer always wrote them: σ(x)·(1 − σ(x))
        product = textbook_product(expr, sums_last=True)
        num, den = fraction(product, decimals=True)
        top = "·".join(self._paren_unless(a, PRECEDENCE["Mul"]) for a in num) or "1"
        if den:
            if len(den) == 1:
                bottom = self._paren_unless(den[0], PRECEDENCE["Pow"])
            else:
                bottom = "(" + "·".join(self._paren_unless(a, PRECEDENCE["Mul"]) for a in den) + ")"
            top = f"{top}/{bottom}"
        return ("−" + top) if product.negative else top

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        base, e = expr.args
        if e.is_Number and e.is_negative:
            return self._print_Mul(sp.Mul(sp.S.One, expr, evaluate=False))
        if e == sp.S.Half:
            return f"√({self._print(base)})"
        return self._power(base, e)

    def _power(self, base: sp.Basic, e: sp.Basic, mark: str = "") -> str:
        """base², base^x, base^(x/2); ``mark`` goes before the exponent (∘ for an entry-wise power)."""
        b = self._print(base)
        if binding(base) < PRECEDENCE["Pow"] or isinstance(base, (sp.Pow, sp.MatPow)) or b.startswith("−"):
            b = f"({b})"
        if e.is_Integer and not mark:
            return b + str(e).translate(_SUPERSCRIPTS)
        ex = self._print(e)
        return f"{b}^{mark}{ex}" if binding(e) >= PRECEDENCE["Atom"] else f"{b}^{mark}({ex})"

    # -------------------------------------------------------------- functions
    def _print_Function(self, expr: sp.Function) -> str:
        if isinstance(expr, Notation):  # sympy's dispatch skips the Notation base of sigmoid, softplus, ...
            name = type(expr).latex_name
            return self._call(_GREEK.get(name, name.replace(r"\operatorname{", "").rstrip("}").lstrip("\\")), expr.args)
        name = expr.func.__name__
        return self._call(_FUNCTION_NAMES.get(name, name), expr.args)

    _print_Max = _print_Function
    _print_Min = _print_Function
    _print_log = _print_Function
    _print_exp = _print_Function
    _print_sign = _print_Function

    def _print_Indicator(self, expr: sp.Basic) -> str:
        return f"𝟙[{self._print(expr.args[0])}]"

    def _print_AppliedUndef(self, expr: sp.Function) -> str:
        name = str(expr.func)
        return self._call({"finv": "f⁻¹"}.get(name, str(pretty_symbol(name))), expr.args)

    def _print_Abs(self, expr: sp.Abs) -> str:
        return f"|{self._print(expr.args[0])}|"

    def _print_KroneckerDelta(self, expr: sp.Basic) -> str:
        return "δ_" + "".join(self._print(a) for a in expr.args)

    # -------------------------------------------------------------- indexed, sums
    def _print_Indexed(self, expr: sp.Indexed) -> str:
        idx = [self._print(a) for a in expr.indices]
        sub = "".join(idx) if all(len(s) == 1 for s in idx) else "(" + ", ".join(idx) + ")"
        return f"{self._print(expr.base.label)}_{sub}"

    def _print_IndexedBase(self, expr: sp.IndexedBase) -> str:
        return self._print(expr.label)

    def _limits(self, var: sp.Basic, lo: sp.Basic, hi: sp.Basic) -> str:
        if lo == 1 and hi == n:
            return self._print(var)
        return f"({self._print(var)}={self._print(lo)}..{self._print(hi)})"

    def _print_Sum(self, expr: sp.Sum) -> str:
        subs = "".join(self._limits(*lim) for lim in expr.limits)
        return f"Σ_{subs} {self._summand(expr.function)}"

    def _print_Product(self, expr: sp.Product) -> str:
        subs = "".join(self._limits(*lim) for lim in expr.limits)
        return f"Π_{subs} {self._summand(expr.function)}"

    def _print_MaxOver(self, expr: MaxOver) -> str:
        subs = "".join(self._limits(*lim) for lim in expr.limits)
        return f"max_{subs} {self._summand(expr.function)}"

    def _summand(self, body: sp.Basic) -> str:
        printed = self._paren_unless(body, PRECEDENCE["Mul"])
        return f"({printed})" if printed.startswith("−") else printed

    # -------------------------------------------------------------- piecewise, conditions
    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        rows = []
        for e, c in expr.args:
            cond = "otherwise" if c == sp.true else f"if {self._print(c)}"
            rows.append(f"{self._print(e)} {cond}")
        return "{" + "; ".join(rows) + "}"

    def _print_Relational(self, expr: Any) -> str:
        op = _RELATIONS.get(expr.rel_op, expr.rel_op)
        return f"{self._print(expr.lhs)} {op} {self._print(expr.rhs)}"

    def _print_And(self, expr: Any) -> str:
        return " and ".join(self._paren_unless(a, PRECEDENCE["And"] + 1) for a in expr.args)

    def _print_Or(self, expr: Any) -> str:
        return " or ".join(self._paren_unless(a, PRECEDENCE["Or"] + 1) for a in expr.args)

    # -------------------------------------------------------------- derivatives
    def _prime(self, expr: sp.Basic) -> str | None:
        """f′(x), σ″(x), f′(g(x)) (see :func:`cheatsheet.printing.textbook.prime`), else None."""
        form = prime(expr)
        if form is None:
            return None
        head = self._print(form.function.func(sp.Dummy("t")))
        return f"{head[: head.rindex('(')]}{'′' * form.count}({self._print(form.at)})"

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        primed = self._prime(expr)
        if primed is not None:
            return primed
        wrt = "".join(f"∂{self._print(v)}" for v in expr.variables)
        return f"∂/{wrt} ({self._print(expr.expr)})"

    def _print_Subs(self, expr: sp.Subs) -> str:
        primed = self._prime(expr)
        if primed is not None:
            return primed
        body, old, new = expr.args
        pairs = ", ".join(f"{self._print(o)} = {self._print(v)}" for o, v in zip(old, new, strict=True))
        return f"({self._print(body)}) at {pairs}"

    def _print_Lambda(self, expr: sp.Lambda) -> str:
        (var,) = expr.variables if len(expr.variables) == 1 else (expr.variables,)
        return f"{self._print(var)} ↦ {self._print(expr.expr)}"

    # -------------------------------------------------------------- matrices
    def _print_Transpose(self, expr: Any) -> str:
        arg = expr.args[0]
        if isinstance(arg, sp.Inverse):
            return self._paren_unless(arg.args[0], PRECEDENCE["Pow"] + 1) + "⁻ᵀ"
        return self._paren_unless(arg, PRECEDENCE["Pow"] + 1) + "ᵀ"

    def _print_Inverse(self, expr: Any) -> str:
        arg = expr.args[0]
        if isinstance(arg, sp.Transpose):
            return self._paren_unless(arg.args[0], PRECEDENCE["Pow"] + 1) + "⁻ᵀ"
        return self._paren_unless(arg, PRECEDENCE["Pow"] + 1) + "⁻¹"

    def _matrix_operand(self, a: sp.Basic, grouped: tuple[type, ...]) -> str:
        return f"({self._print(a)})" if isinstance(a, grouped) else self._paren_unless(a, PRECEDENCE["Mul"])

    def _print_MatAdd(self, expr: Any) -> str:
        # the terms in the textbook order (Ax − b, not −b + Ax); a negative term prints its own sign
        terms = lead_with_positive([(t, self._print(t)) for t in expr.args], lambda t: t[1].startswith("−"))
        out: list[str] = []
        for term, printed in terms:
            t = f"({printed})" if isinstance(term, sp.MatAdd) else printed
            negative = t.startswith("−")
            if negative:
                t = t[1:]
            out.append(("− " if negative else "+ ") + t if out else ("−" if negative else "") + t)
        return " ".join(out)

    def _print_MatMul(self, expr: Any) -> str:
        # XᵀCX, 2X, 2·Aᵀ·(Ax − b), QKᵀ/√(d): short factors side by side, long ones with a dot
        product = matrix_product(expr)
        # on one line the denominator is one more factor: (M ⊙ G)/(1 − p), where LaTeX's bar groups M ⊙ G
        grouped = matrix_grouped(sp.MatMul, len(product.matrices) + (product.denominator != 1))
        parts = [self._matrix_operand(m, grouped) for m in product.matrices]
        if product.numerator != 1:
            parts.insert(0, self._paren_unless(product.numerator, PRECEDENCE["Mul"]))
        sep = "" if all(len(p) <= 2 for p in parts) else "·"
        top = sep.join(parts)
        if product.denominator != 1:
            top = f"{top}/{self._paren_unless(product.denominator, PRECEDENCE['Pow'])}"
        return ("−" + top) if product.negative else top

    def _print_HadamardProduct(self, expr: Any) -> str:
        grouped = matrix_grouped(sp.HadamardProduct)
        return " ⊙ ".join(self._matrix_operand(a, grouped) for a in expr.args)

    def _print_KroneckerProduct(self, expr: Any) -> str:
        grouped = matrix_grouped(sp.KroneckerProduct)
        return " ⊗ ".join(self._matrix_operand(a, grouped) for a in expr.args)

    def _print_HadamardPower(self, expr: Any) -> str:
        return self._power(expr.base, expr.exp, mark="∘")

    def _print_MatPow(self, expr: Any) -> str:
        return self._power(expr.base, expr.exp)

    def _print_ElementwiseApplyFunction(self, expr: ElementwiseApplyFunction) -> str:
        return elementwise(expr, self._print, lambda s: f"({s})")

    def _print_OneMatrix(self, expr: Any) -> str:
        # 𝟏 is a column; an all-ones row is 𝟏ᵀ and an all-ones r×c matrix 𝟏𝟏ᵀ
        rows, cols = expr.shape
        if rows == 1 and cols != 1:
            return "𝟏ᵀ"
        return "𝟏𝟏ᵀ" if rows != 1 and cols != 1 else "𝟏"

    def _print_Identity(self, expr: Any) -> str:
        return "I"

    def _print_RowSoftmax(self, expr: Any) -> str:
        return self._call("softmax", expr.args)

    def _print_DiagMatrix(self, expr: Any) -> str:
        return self._call("diag", expr.args)

    def _print_Vec(self, expr: Any) -> str:
        return self._call("vec", expr.args)

    def _print_Trace(self, expr: Any) -> str:
        return self._print(expr.args[0]) if scalar_trace(expr) else self._call("tr", expr.args)

    def _print_Determinant(self, expr: Any) -> str:
        return self._call("det", expr.args)


def text(expr: Any) -> str:
    """A sympy expression as one line of Unicode: σ(x)·(1 − σ(x)), Σ_k exp(x_k), 𝟙[x > 0], Xᵀ."""
    return TextPrinter().doprint(sp.sympify(expr))


def text_set(domain: Any) -> str:
    """A sympy set as text: ℝ, (0, ∞), [0, 1], {0, 1}."""
    if domain == sp.S.Reals:
        return "ℝ"
    if isinstance(domain, sp.Interval):
        lo = "(" if domain.left_open else "["
        hi = ")" if domain.right_open else "]"
        return f"{lo}{text(domain.start)}, {text(domain.end)}{hi}"
    if isinstance(domain, sp.FiniteSet):
        return "{" + ", ".join(text(a) for a in domain.args) + "}"
    if isinstance(domain, sp.Union):
        return " ∪ ".join(text_set(a) for a in domain.args)
    return str(domain)
