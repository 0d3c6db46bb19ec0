"""The grammar's own syntax: plain text that the expression parser reads back.

``cheatsheet check`` prints the correct derivative with this printer (x^2, |x|, where(x > 0, 1, 0),
sigmoid(x)), so that a user can paste it into a claim; ``to_text(e)`` parses back to ``e``
(see :mod:`cheatsheet.grammar.parse` for the grammar). Terms and factors come in the textbook order
(:mod:`cheatsheet.printing.textbook`), the order of the LaTeX line that ``check`` prints beside it.
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.printing.precedence import PRECEDENCE

from cheatsheet.printing.bases import StrPrinterBase
from cheatsheet.printing.textbook import fraction, textbook_product

__all__ = ["GrammarPrinter", "to_text"]


class GrammarPrinter(StrPrinterBase):
    """Plain text in the grammar: x^2, |x|, where(x > 0, 1, 0), sigmoid(x)."""

    def __init__(self) -> None:
        super().__init__({"order": "none"})

    def _print_Mul(self, expr: sp.Mul) -> str:
        product = textbook_product(expr)
        num, den = fraction(product)
        top = "*".join(self.parenthesize(a, PRECEDENCE["Mul"]) for a in num) or "1"
        if den:
            bottom = "*".join(self.parenthesize(a, PRECEDENCE["Mul"]) for a in den)
            top += "/" + (f"({bottom})" if len(den) > 1 else bottom)
        return ("-" + top) if product.negative else top

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        e = expr.exp
        if isinstance(e, sp.Rational) and e.is_negative and e != -1 and not rational:
            return "1/" + self.parenthesize(sp.Pow(expr.base, -e), PRECEDENCE["Mul"])  # 1/x^2 rather than x^(-2)
        return super()._print_Pow(expr, rational).replace("**", "^")

    def _print_Abs(self, expr: sp.Abs) -> str:
        return "|" + self._print(expr.args[0]) + "|"

    def _print_Exp1(self, expr: sp.Basic) -> str:
        return "e"

    def _print_Max(self, expr: sp.Basic) -> str:
        return "max(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Min(self, expr: sp.Basic) -> str:
        return "min(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Heaviside(self, expr: sp.Basic) -> str:
        return "step(" + self._print(expr.args[0]) + ")"

    def _print_Indicator(self, expr: sp.Basic) -> str:
        return "indicator(" + self._print(expr.args[0]) + ")"

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        *head, (last_value, last_cond) = expr.args
        text = self._print(last_value)
        if last_cond != sp.true:
            text = f"where({self._print(last_cond)}, {text}, nan)"
        for value, cond in reversed(head):
            text = f"where({self._print(cond)}, {self._print(value)}, {text})"
        return text

    def _print_And(self, expr: sp.Basic) -> str:
        return " and ".join(self._paren_cond(a) for a in expr.args)

    def _print_Or(self, expr: sp.Basic) -> str:
        return " or ".join(self._paren_cond(a) for a in expr.args)

    def _print_Not(self, expr: sp.Basic) -> str:
        return "not " + self._paren_cond(expr.args[0])

    def _paren_cond(self, cond: sp.Basic) -> str:
        text = self._print(cond)
        return f"({text})" if isinstance(cond, (sp.And, sp.Or)) else text

    def _print_Relational(self, expr: sp.Basic) -> str:
        op = expr.rel_op
        if op in ("==", "!="):  # Eq/Ne are not in the grammar: write them as a pair of comparisons
            a, b = self._print(expr.lhs), self._print(expr.rhs)
            return f"({a} <= {b} and {a} >= {b})" if op == "==" else f"({a} < {b} or {a} > {b})"
        return f"{self._print(expr.lhs)} {op} {self._print(expr.rhs)}"

    def _print_BooleanTrue(self, expr: sp.Basic) -> str:
        return "0 <= 1"

    def _print_BooleanFalse(self, expr: sp.Basic) -> str:
        return "0 > 1"


def to_text(expr: Any) -> str:
    """Plain text of a sympy expression in this module's grammar (for terminals; it parses back)."""
    return GrammarPrinter().doprint(expr)
