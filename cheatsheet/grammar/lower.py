"""Lowering the syntax tree to sympy, checking the numeric limits on the way.

Every constant part of an expression is first estimated in floats (:meth:`Lowering.estimate`): it must be a
finite real number within the float range, so that sympy never evaluates an enormous or undefined number
(2^1000 is fine, exp(exp(20)) is not). Powers are bounded (:attr:`Limits.exponent`, and the product of
nested exponents, :attr:`Limits.growth`), and division by zero is an error at its column. Each node kind has
its own method, ``_lower_<kind>`` and ``_estimate_<kind>``, found by name as sympy's printers find
``_print_<Class>``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import sympy as sp
from sympy.core.parameters import evaluate

from cheatsheet.grammar.errors import LimitError, Limits, ParseError
from cheatsheet.grammar.functions import FUNCTIONS
from cheatsheet.grammar.parser import Node

__all__ = ["Lowering", "Resolver", "magnitude", "short"]

#: How a name becomes a sympy object: ``resolve(name, column)``; raises ParseError for a name it refuses.
Resolver = Callable[[str, int], sp.Basic]

_RELATIONS = {"<": sp.StrictLessThan, "<=": sp.LessThan, ">": sp.StrictGreaterThan, ">=": sp.GreaterThan}
_FLOAT_RELATIONS = {"<": float.__lt__, "<=": float.__le__, ">": float.__gt__, ">=": float.__ge__}
_NOT_REAL_HINT = "Only real values are supported (no log or sqrt of a negative number, no root of a negative base)."


class Lowering:
    """One lowering of one tree: ``Lowering(text, limits, resolve, evaluated, constants).run(tree)``.

    ``evaluated=False`` keeps the terms in the order written (for printing); ``constants`` are the names
    that are numbers (``pi``, ``e``) unless the caller gave them another meaning.
    """

    def __init__(
        self, text: str, limits: Limits, resolve: Resolver, evaluated: bool, constants: frozenset[str]
    ) -> None:
        self.text = text
        self.constants = constants
        self.limits = limits
        self.resolve = resolve
        self.evaluated = evaluated
        self._const: dict[int, bool] = {}
        self._vetted: set[int] = set()

    def fail(self, node: Node, message: str, hint: str = "", cls: type[ParseError] = ParseError) -> ParseError:
        """An error at ``node``'s column."""
        return cls(message, column=node.col, text=self.text, hint=hint)

    def constant(self, node: Node) -> bool:
        """True when the subtree has no variables (memoized)."""
        key = id(node)
        if key not in self._const:
            own = node.kind != "name" or node.value in self.constants
            self._const[key] = own and all(self.constant(a) for a in node.args)
        return self._const[key]

    # ------------------------------------------------------------------ the float estimate of a constant
    def estimate(self, node: Node) -> Any:
        """The float value of a constant subtree (a bool for a condition), so that no constant is too large
        for sympy to evaluate exactly: every intermediate value must be a finite real."""
        self._vetted.add(id(node))
        try:
            value = getattr(self, f"_estimate_{node.kind}")(node)
        except ParseError:
            raise
        except ZeroDivisionError:
            raise self.fail(node, "division by zero") from None
        except OverflowError:
            value = math.inf
        except ValueError:
            raise self.fail(node, "this constant is undefined or not a real number", _NOT_REAL_HINT) from None
        if isinstance(value, float) and math.isinf(value):
            raise self.fail(
                node,
                "this constant is too large (beyond the float range, about 1e308)",
                "Use smaller constants.",
                LimitError,
            )
        if isinstance(value, float) and math.isnan(value):
            raise self.fail(node, "this constant is undefined")
        return value

    def _estimates(self, node: Node) -> list[Any]:
        return [self.estimate(a) for a in node.args]

    def _estimate_num(self, node: Node) -> float:
        return float(node.value)

    def _estimate_name(self, node: Node) -> float:  # a constant: pi or e
        return math.pi if node.value == "pi" else math.e

    def _estimate_neg(self, node: Node) -> Any:
        return -self._estimates(node)[0]

    def _estimate_sum(self, node: Node) -> float:
        return math.fsum(v if s == "+" else -v for s, v in zip(node.value, self._estimates(node), strict=True))

    def _estimate_prod(self, node: Node) -> Any:
        args = self._estimates(node)
        value = args[0]
        for op, v, a in zip(node.value[1:], args[1:], node.args[1:], strict=True):
            if op == "/" and v == 0:
                raise self.fail(a, "division by zero")
            value = value * v if op == "*" else value / v
        return value

    def _estimate_pow(self, node: Node) -> float:
        base, exponent = self._estimates(node)
        return math.pow(base, exponent)

    def _estimate_abs(self, node: Node) -> Any:
        return abs(self._estimates(node)[0])

    def _estimate_call(self, node: Node) -> float:
        return float(FUNCTIONS[node.value].estimate(*self._estimates(node)))

    def _estimate_rel(self, node: Node) -> bool:
        args = self._estimates(node)
        return all(
            _FLOAT_RELATIONS[op](float(a), float(b)) for op, a, b in zip(node.value, args, args[1:], strict=False)
        )

    def _estimate_and(self, node: Node) -> bool:
        return all(self._estimates(node))

    def _estimate_or(self, node: Node) -> bool:
        return any(self._estimates(node))

    def _estimate_not(self, node: Node) -> bool:
        return not self._estimates(node)[0]

    # ------------------------------------------------------------------ lowering to sympy
    def run(self, node: Node, scale: int = 1) -> Any:
        """The sympy object for ``node``; ``scale`` is the product of the constant exponents above it."""
        if self.evaluated and id(node) not in self._vetted and self.constant(node):
            self.estimate(node)
        method: Callable[[Node, int], Any] = getattr(self, f"_lower_{node.kind}")
        return method(node, scale)

    def _checked(self, node: Node, value: Any) -> Any:
        if self.evaluated and isinstance(value, sp.Basic) and value.has(sp.zoo, sp.nan, sp.oo, sp.S.NegativeInfinity):
            raise self.fail(
                node,
                "undefined value (division by zero or a pole)",
                "A constant part of the expression is infinite or undefined.",
            )
        return value

    def _negative(self, value: Any) -> Any:
        return -value if isinstance(value, sp.Number) else sp.Mul(sp.S.NegativeOne, value, evaluate=self.evaluated)

    def _lower_num(self, node: Node, scale: int) -> Any:
        return node.value

    def _lower_name(self, node: Node, scale: int) -> Any:
        return self.resolve(node.value, node.col)

    def _lower_neg(self, node: Node, scale: int) -> Any:
        (a,) = node.args
        if a.kind == "num":
            return -a.value
        return self._checked(node, sp.Mul(sp.S.NegativeOne, self.run(a, scale), evaluate=self.evaluated))

    def _lower_sum(self, node: Node, scale: int) -> Any:
        terms = []
        for sign, a in zip(node.value, node.args, strict=True):
            v = self.run(a, scale)
            terms.append(self._negative(v) if sign == "-" else v)
        return sp.Add(*terms, evaluate=self.evaluated)

    def _lower_prod(self, node: Node, scale: int) -> Any:
        factors: list[Any] = []
        for op, a in zip(node.value, node.args, strict=True):
            v = self.run(a, scale)
            if op == "/":
                if v == 0:
                    raise self.fail(a, "division by zero")
                if (
                    not self.evaluated
                    and isinstance(v, sp.Rational)
                    and factors
                    and all(isinstance(f, sp.Rational) for f in factors)
                ):
                    factors = [sp.Mul(*factors) / v]  # 1/2 is the number one half
                    continue
                v = sp.Pow(v, sp.S.NegativeOne, evaluate=self.evaluated)
            factors.append(v)
        if len(factors) == 1:
            return factors[0]
        return self._checked(node, sp.Mul(*factors, evaluate=self.evaluated))

    def _lower_pow(self, node: Node, scale: int) -> Any:
        base_node, exp_node = node.args
        exponent = self.run(exp_node, scale)
        grown = scale * self._exponent_size(exp_node, exponent)
        if grown > self.limits.growth:
            raise self.fail(
                node,
                f"nested powers grow too large (their exponents multiply to more than {self.limits.growth})",
                "Write the power with one exponent.",
                LimitError,
            )
        base = self.run(base_node, grown)
        if base == 0 and not exponent.free_symbols and exponent.is_negative:
            raise self.fail(node, "division by zero (0 to a negative power)")
        return self._checked(node, sp.Pow(base, exponent, evaluate=self.evaluated))

    def _exponent_size(self, exp_node: Node, exponent: Any) -> int:
        """How much a constant exponent multiplies the size of its base (1 for a variable exponent); refuses
        an exponent that is not real or over :attr:`Limits.exponent`."""
        if exponent.free_symbols:
            return 1
        size = magnitude(exponent)
        if size is None:
            raise self.fail(exp_node, "the exponent is not a real number")
        if size > self.limits.exponent:
            raise self.fail(
                exp_node,
                f"exponent {short(exponent)} is too large (the limit is {self.limits.exponent})",
                "Rewrite the power, or use exp(...) for a growing function.",
                LimitError,
            )
        out = max(1, math.ceil(size))
        if isinstance(exponent, sp.Rational):
            out = max(out, int(abs(exponent.p)), int(exponent.q))
        return out

    def _lower_abs(self, node: Node, scale: int) -> Any:
        return self._checked(node, sp.Abs(self.run(node.args[0], scale), evaluate=self.evaluated))

    def _lower_call(self, node: Node, scale: int) -> Any:
        spec = FUNCTIONS[node.value]
        args = [self.run(a, scale) for a in node.args]
        with evaluate(self.evaluated):
            value = spec.build(*args)
        return self._checked(node, value)

    def _lower_rel(self, node: Node, scale: int) -> Any:
        values = [self.run(a, scale) for a in node.args]
        rels = [
            _RELATIONS[op](a, b, evaluate=self.evaluated)
            for op, a, b in zip(node.value, values, values[1:], strict=False)
        ]
        return rels[0] if len(rels) == 1 else sp.And(*rels, evaluate=self.evaluated)

    def _lower_and(self, node: Node, scale: int) -> Any:
        return sp.And(*(self.run(a, scale) for a in node.args), evaluate=self.evaluated)

    def _lower_or(self, node: Node, scale: int) -> Any:
        return sp.Or(*(self.run(a, scale) for a in node.args), evaluate=self.evaluated)

    def _lower_not(self, node: Node, scale: int) -> Any:
        return sp.Not(self.run(node.args[0], scale))


def magnitude(value: sp.Expr) -> float | None:
    """|value| for a real constant (small enough to be an exponent), None when it is not real."""
    if isinstance(value, sp.Rational):
        if abs(value.p) > 10**30 * value.q:
            return float("inf")
        return abs(float(value))
    with evaluate(True):
        try:
            v = sp.N(value, 15)
        except (TypeError, ValueError, ArithmeticError, RecursionError):
            return None
    if not v.is_number or v.is_real is not True:
        return None
    try:
        return abs(float(v))
    except (TypeError, ValueError, OverflowError):
        return float("inf")


def short(value: Any) -> str:
    """``value`` as text, cut to about 24 characters for a message."""
    text = str(value)
    return text if len(text) <= 24 else text[:20] + "..."
