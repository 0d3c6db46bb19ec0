"""The grammar's recursive-descent parser: tokens to a small syntax tree (no sympy object is built here).

The tree's nodes are plain data (:class:`Node`); :mod:`cheatsheet.grammar.lower` turns them into sympy.
The parser enforces the structural limits (nesting depth, number of nodes, digits of a literal, length
of a name) and reports every mistake as a :class:`~cheatsheet.grammar.errors.ParseError` at its column,
with what was expected, what was found and a hint. The grammar is in :mod:`cheatsheet.grammar.parse`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from cheatsheet.grammar.errors import LimitError, Limits, ParseError
from cheatsheet.grammar.functions import (
    CONSTANTS,
    FUNCTIONS,
    PIECEWISE,
    PRIMARY,
    WORDS,
    Function,
    arity_hint,
    arity_text,
)
from cheatsheet.grammar.lexer import NUMBER, RELOPS, Token, tokenize
from cheatsheet.names import suggestion

__all__ = ["Node", "Parser"]

_COMPARISON_ONLY_IN_CONDITIONS = (
    "A comparison is only allowed as the condition of where(condition, a, b) or indicator(condition)."
)
_MATCHING_PAREN = "Every '(' needs a matching ')'."
_WRITE_STAR = "Write '*' for multiplication, as in 2*x."


@dataclass
class Node:
    """A node of the syntax tree.

    ``kind`` is one of num, name, sum, prod, neg, pow, call, abs, rel, and, or, not; ``value`` is the
    Rational of a num, the name of a name or call, the signs of a sum (``"+"``/``"-"`` per term), the
    operators of a prod (``"*"``/``"/"`` per factor) or of a rel (one per comparison).
    """

    kind: str
    col: int
    value: Any = None
    args: list[Node] = field(default_factory=list)


class Parser:
    """One parse of one text: ``Parser(text, limits).expression()`` or ``.whole_condition()``."""

    def __init__(self, text: str, limits: Limits) -> None:
        self.text = text
        self.limits = limits
        self.toks = tokenize(text)
        self.pos = 0
        self.depth = 0
        self.count = 0
        self.in_condition = 0

    # ------------------------------------------------------------------ entry points
    def expression(self) -> Node:
        """The whole text as an expression."""
        if self.tok.kind == "end":
            raise ParseError(
                "empty expression",
                column=1,
                text=self.text,
                expected="an expression",
                found="nothing",
                hint="Write an expression such as x^2.",
            )
        return self._to_the_end(self.sum())

    def whole_condition(self) -> Node:
        """The whole text as a condition (``x > 0 and x < 1``)."""
        if self.tok.kind == "end":
            raise ParseError(
                "empty condition", column=1, text=self.text, expected="a condition such as x > 0", found="nothing"
            )
        return self._to_the_end(self.condition())

    # ------------------------------------------------------------------ token helpers
    @property
    def tok(self) -> Token:
        """The current token."""
        return self.toks[self.pos]

    def _advance(self) -> Token:
        t = self.toks[self.pos]
        self.pos += 1
        return t

    def _is(self, *ops: str) -> bool:
        return self.tok.is_op(*ops)

    def error(self, expected: str, hint: str = "", tok: Token | None = None) -> ParseError:
        """'expected X, found Y' at the current token (or ``tok``)."""
        t = tok or self.tok
        found = "the end" if t.kind == "end" else repr(t.text)
        return ParseError(
            f"expected {expected}, found {found}",
            column=t.col,
            text=self.text,
            expected=expected,
            found=found,
            hint=hint,
        )

    def _refuse(self, t: Token, message: str, expected: str, hint: str = "") -> ParseError:
        """A ParseError about the name token ``t``."""
        return ParseError(message, column=t.col, text=self.text, expected=expected, found=repr(t.text), hint=hint)

    def node(self, kind: str, col: int, value: Any = None, args: list[Node] | None = None) -> Node:
        """A new node, counted against the node limit."""
        self.count += 1
        if self.count > self.limits.nodes:
            raise LimitError(
                f"expression has more than {self.limits.nodes} nodes",
                column=col,
                text=self.text,
                expected=f"at most {self.limits.nodes} nodes",
                found="more",
                hint="Split it, or name a part as a parameter.",
            )
        return Node(kind, col, value, args or [])

    @contextmanager
    def _nested(self, col: int) -> Iterator[None]:
        """One level deeper (a sign, an exponent, a call, a condition), counted against the depth limit."""
        self.depth += 1
        try:
            if self.depth > self.limits.depth:
                raise LimitError(
                    f"expression nested more than {self.limits.depth} levels deep",
                    column=col,
                    text=self.text,
                    expected=f"at most {self.limits.depth} levels",
                    found="deeper",
                )
            yield
        finally:
            self.depth -= 1

    def expect(self, op: str, hint: str = "") -> Token:
        """The operator ``op`` here, consumed; else an error."""
        if not self._is(op):
            raise self.error(repr(op), hint)
        return self._advance()

    def _to_the_end(self, node: Node) -> Node:
        if self.tok.kind != "end":
            raise self._trailing()
        return node

    def _trailing(self) -> ParseError:
        t = self.tok
        expected = "an operator or the end"
        if t.is_op(*RELOPS):
            return self.error(expected, _COMPARISON_ONLY_IN_CONDITIONS)
        if t.is_op(")"):
            return self.error(expected, "This ')' has no matching '('.")
        if t.is_op(","):
            return self.error(expected, "Commas separate the arguments of a function call.")
        if t.kind in ("num", "name") or t.is_op("(", "|"):
            return self.error(expected, _WRITE_STAR)
        return self.error(expected)

    # ------------------------------------------------------------------ expressions
    def sum(self) -> Node:
        """product (("+" | "-") product)*"""
        col = self.tok.col
        terms, signs = [self.product()], ["+"]
        while self._is("+", "-"):
            signs.append(self._advance().text)
            terms.append(self.product())
        return terms[0] if len(terms) == 1 else self.node("sum", col, signs, terms)

    def product(self) -> Node:
        """unary (("*" | "/") unary)*"""
        col = self.tok.col
        factors, ops = [self.unary()], ["*"]
        while self._is("*", "/"):
            ops.append(self._advance().text)
            factors.append(self.unary())
        return factors[0] if len(factors) == 1 else self.node("prod", col, ops, factors)

    def unary(self) -> Node:
        """("-" | "+") unary | power"""
        col = self.tok.col
        with self._nested(col):
            if self._is("-"):
                self._advance()
                return self.node("neg", col, None, [self.unary()])
            if self._is("+"):
                self._advance()
                return self.unary()
            return self.power()

    def power(self) -> Node:
        """atom (("^" | "**") unary)?, right-associative."""
        base = self.atom()
        if not self._is("^", "**"):
            return base
        op = self._advance()
        if self.tok.kind == "end":
            raise self.error("an exponent", f"Write the exponent after {op.text!r}, as in x^2.")
        return self.node("pow", op.col, None, [base, self.unary()])

    def atom(self) -> Node:
        """number | name | call | "(" sum ")" | "|" sum "|" """
        t = self.tok
        if t.kind == "num":
            self._advance()
            return self.node("num", t.col, self._number(t))
        if t.kind == "name":
            return self.name()
        if t.is_op("("):
            return self._group()
        if t.is_op("|"):
            return self._bars()
        raise self._no_expression(t)

    def _group(self) -> Node:
        self._advance()
        inner = self.sum()
        if self._is(*RELOPS):
            raise self.error("')'", _COMPARISON_ONLY_IN_CONDITIONS)
        self.expect(")", _MATCHING_PAREN)
        return inner

    def _bars(self) -> Node:
        t = self._advance()
        inner = self.sum()  # ||x|| nests: the inner bar opens again
        if not self._is("|"):
            hint = "Close the absolute value with '|'."
            if self.tok.kind in ("num", "name") or self._is("("):
                hint = "Write '*' for multiplication, as in 2*x; close the absolute value with '|'."
            raise self.error("'|'", hint)
        self._advance()
        return self.node("abs", t.col, None, [inner])

    def _no_expression(self, t: Token) -> ParseError:
        if t.kind == "end":
            return self.error("an expression", "The expression ends too early.")
        if t.text == ")":
            return self.error("an expression", "There is nothing between these parentheses or before this ')'.")
        if t.text in ("*", "/", "^", "**"):
            return self.error("an expression", f"{t.text!r} needs an expression on its left.")
        return self.error("an expression")

    def _number(self, t: Token) -> sp.Rational:
        """The exact value of a number literal (0.1 is 1/10), within the literal limits."""
        m = NUMBER.fullmatch(t.text)
        assert m is not None
        mantissa, exp = m.group(1), m.group(2)
        digits = len(mantissa.replace(".", "").lstrip("0"))
        limit = self.limits.literal
        if digits > limit:
            raise LimitError(
                f"number has {digits} digits; the limit is {limit}",
                column=t.col,
                text=self.text,
                expected=f"at most {limit} digits",
                found=f"{digits} digits",
            )
        power = int(exp[1:]) if exp else 0
        limit = self.limits.literal_exponent
        if abs(power) > limit:
            raise LimitError(
                f"number {t.text!r} is too large or too small (|exponent| > {limit})",
                column=t.col,
                text=self.text,
                expected=f"an exponent within ±{limit}",
                found=t.text,
            )
        whole, _, frac = mantissa.partition(".")
        value = sp.Rational(int((whole or "0") + frac), 10 ** len(frac))
        return value * sp.Rational(10) ** power if power else value

    def name(self) -> Node:
        """A variable or constant, or the call of a function."""
        t = self._advance()
        name = t.text
        if len(name) > self.limits.name:
            raise LimitError(
                f"name is {len(name)} characters long; the limit is {self.limits.name}",
                column=t.col,
                text=self.text,
                expected=f"a name of at most {self.limits.name} characters",
                found=repr(name[:40]),
            )
        if self._is("("):
            return self.call(t)
        if name in FUNCTIONS:
            raise self._refuse(
                t,
                f"{name!r} is a function",
                "a value",
                f"Call it with parentheses, as in {name}(x); a variable needs another name.",
            )
        if name in WORDS:
            raise self._refuse(
                t, f"{name!r} only joins comparisons inside where(...) or indicator(...)", "an expression"
            )
        return self.node("name", t.col, name)

    # ------------------------------------------------------------------ calls
    def call(self, t: Token) -> Node:
        """name "(" arguments ")", with the arity of the function checked."""
        name = t.text
        spec = self._function(t)
        with self._nested(self._advance().col):
            args = self._arguments(name, spec)
            if not self._is(")"):
                raise self.error("',' or ')'", f"Close the call of {name}( with ')'.")
            self._advance()
        lo, hi = spec.arity
        if not lo <= len(args) <= hi:
            raise ParseError(
                f"{name}() takes {arity_text(spec)}, got {len(args)}",
                column=t.col,
                text=self.text,
                expected=arity_text(spec),
                found=f"{len(args)} argument{'s' * (len(args) != 1)}",
                hint=arity_hint(name),
            )
        return self.node("call", t.col, name, args)

    def _function(self, t: Token) -> Function:
        """The function that ``t`` names; else an error that says what the name is or may have meant."""
        name = t.text
        spec = FUNCTIONS.get(name)
        if spec is None:
            if name in CONSTANTS:
                raise self._refuse(
                    t,
                    f"{name!r} is a constant, not a function",
                    "a function",
                    f"Write '*' for multiplication: {name}*(...).",
                )
            hint = suggestion(name, list(FUNCTIONS), ignore_case=True)
            if not hint:
                hint = f"If {name!r} is a variable, write '*' for multiplication: {name}*(...)."
                if len(name) > 2:
                    hint += " Functions: " + ", ".join(PRIMARY) + "."
            raise self._refuse(t, f"unknown function {name!r}", "a function", hint)
        if self.in_condition and name in PIECEWISE:
            raise self._refuse(
                t,
                f"{name}() cannot be used inside a condition",
                "a comparison of plain expressions",
                "Combine conditions with and/or instead, e.g. where(x > 0 and x < 1, a, b).",
            )
        return spec

    def _arguments(self, name: str, spec: Function) -> list[Node]:
        """The comma-separated arguments up to (not including) the closing ')'."""
        args: list[Node] = []
        if self._is(")"):
            return args
        while True:
            args.append(self._argument(name, spec, first=not args))
            if not self._is(","):
                return args
            self._advance()
            if len(args) >= spec.arity[1]:
                raise self.error("')'", f"{name}() takes {arity_text(spec)}.")

    def _argument(self, name: str, spec: Function, *, first: bool) -> Node:
        if spec.condition and first:
            return self.condition()
        arg = self.sum()
        if self._is(*RELOPS):
            raise self.error(
                "',' or ')'",
                f"Only the first argument of where(...) or indicator(...) is a condition; {name}() takes values.",
            )
        return arg

    # ------------------------------------------------------------------ conditions
    def condition(self) -> Node:
        """conjunction ("or" conjunction)*"""
        col = self.tok.col
        with self._nested(col):
            self.in_condition += 1
            try:
                parts = [self._conjunction()]
                while self.tok.is_word("or"):
                    self._advance()
                    parts.append(self._conjunction())
            finally:
                self.in_condition -= 1
        return parts[0] if len(parts) == 1 else self.node("or", col, None, parts)

    def _conjunction(self) -> Node:
        col = self.tok.col
        parts = [self._negation()]
        while self.tok.is_word("and"):
            self._advance()
            parts.append(self._negation())
        return parts[0] if len(parts) == 1 else self.node("and", col, None, parts)

    def _negation(self) -> Node:
        t = self.tok
        if t.is_word("not"):
            self._advance()
            with self._nested(t.col):
                return self.node("not", t.col, None, [self._negation()])
        if self._is("(") and self._parenthesized_condition():
            self._advance()
            inner = self.condition()
            self.expect(")", _MATCHING_PAREN)
            return inner
        return self._comparison()

    def _parenthesized_condition(self) -> bool:
        """True when the '(' here encloses a condition (a comparison or and/or/not at its own level)."""
        level = 0
        for t in self.toks[self.pos :]:
            if t.is_op("("):
                level += 1
            elif t.is_op(")"):
                level -= 1
                if level == 0:
                    return False
            elif level == 1 and (t.is_op(*RELOPS) or t.is_word(*WORDS)):
                return True
        return False

    def _comparison(self) -> Node:
        col = self.tok.col
        operands = [self.sum()]
        ops: list[str] = []
        while self._is(*RELOPS):
            ops.append(self._advance().text)
            operands.append(self.sum())
        if not ops:
            raise self.error(
                "a comparison (< <= > >=)",
                "The first argument of where(...) or indicator(...) is a condition such as x > 0.",
            )
        return self.node("rel", col, ops, operands)
