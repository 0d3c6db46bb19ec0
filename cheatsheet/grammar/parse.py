"""A small, safe expression grammar for what people type: parsed by our own recursive-descent parser
straight into sympy objects. This module is the entry: :func:`parse_expression`, :func:`parse` and
:func:`parse_constant`.

User text never reaches ``eval``, ``exec``, ``compile``, ``sympify`` or ``parse_expr`` (all of which
run code). The grammar has no strings, attributes, subscripts, lambdas or statements, so hostile text
such as ``__import__('os').system('...')`` is simply a syntax error. Every error is a
:class:`ParseError` with the column, what was expected, what was found and a hint; resource limits
(length, nesting depth, number of nodes, exponent size) are :class:`LimitError`.

The grammar (``^`` and ``**`` are the same operator)::

    expression := sum
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := ("-" | "+") unary | power
    power      := atom (("^" | "**") unary)?          right-associative: 2^3^2 = 2^9, -x^2 = -(x^2)
    atom       := number | name | name "(" arguments ")" | "(" sum ")" | "|" sum "|"
    condition  := comparison (("and" | "or") comparison)* | "not" condition | "(" condition ")"
    comparison := sum (("<" | "<=" | ">" | ">=") sum)+  chained: 0 < x < 1

Numbers are exact (``0.1`` is 1/10, ``1e-3`` is 1/1000). Names are variables, the constants ``pi``
and ``e``, or functions (see :data:`FUNCTIONS`); ``where(condition, a, b)`` is a piecewise
expression and ``indicator(condition)`` is 𝟙[condition]. Multiplication is always written: ``2*x``.

The stages, one module each: :mod:`~cheatsheet.grammar.lexer` (text to tokens),
:mod:`~cheatsheet.grammar.parser` (tokens to a syntax tree), :mod:`~cheatsheet.grammar.lower` (the tree to
sympy, under the numeric limits), with the vocabulary in :mod:`~cheatsheet.grammar.functions` and the errors
and limits in :mod:`~cheatsheet.grammar.errors`. Domains are read by :mod:`~cheatsheet.grammar.domains`,
numbers of every Python type by :mod:`~cheatsheet.grammar.numbers`.

>>> parse("x/(1+|x|)")
x/(Abs(x) + 1)
>>> parse("sigmod(x)")
Traceback (most recent call last):
...
cheatsheet.grammar.errors.ParseError: column 1: unknown function 'sigmod'. Did you mean 'sigmoid'?
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy as sp
from sympy.core.parameters import evaluate

from cheatsheet.grammar.errors import LIMITS, InputError, InputTypeError, LimitError, Limits, ParseError
from cheatsheet.grammar.functions import CONSTANTS, FUNCTIONS, INFINITY, RESERVED
from cheatsheet.grammar.lower import Lowering, magnitude
from cheatsheet.grammar.parser import Node, Parser
from cheatsheet.names import suggestion

__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "LIMITS",
    "RESERVED",
    "InputError",
    "InputTypeError",
    "LimitError",
    "Limits",
    "ParseError",
    "Parsed",
    "parse",
    "parse_constant",
    "parse_expression",
]

# what sympy itself may raise while building an expression (e.g. recursion in nested conditions)
_SYMPY_FAILURES = (
    RecursionError,
    TypeError,
    ValueError,
    AttributeError,
    NotImplementedError,
    ArithmeticError,
    KeyError,
    IndexError,
)


@dataclass(frozen=True)
class Parsed:
    """A parsed expression and the variable names it uses, in order of first appearance."""

    expr: Any
    names: tuple[str, ...]
    text: str
    positions: Mapping[str, int] = field(default_factory=dict)  #: name -> column of its first use


def parse_expression(
    text: str,
    symbols: Mapping[str, sp.Basic] | None = None,
    *,
    new_symbols: bool = True,
    evaluated: bool = True,
    condition: bool = False,
    limits: Limits = LIMITS,
) -> Parsed:
    """Parse ``text`` into a sympy expression (see the module docstring for the grammar).

    ``symbols`` maps names to the symbols to use; other names become real symbols when
    ``new_symbols``, and are an error otherwise (with the closest known name as a hint).
    ``evaluated=False`` keeps the order of terms as written (for printing, like the catalog's
    ``textbook()``). ``condition=True`` parses a condition (``x > 0 and x < 1``) instead.
    """
    tree = _tree(text, condition, limits)
    known = dict(symbols or {})
    resolve = _Names(text, known, new_symbols).resolve
    # The evaluated pass checks the limits and undefined constants; an unevaluated result keeps the order.
    constants = frozenset(CONSTANTS) - frozenset(known)
    value = _evaluated(text, tree, Lowering(text, limits, resolve, True, constants))
    if not evaluated:
        value = _as_written(tree, Lowering(text, limits, resolve, False, constants), value)
    order: dict[str, int] = {}
    _collect_names(tree, order)
    names = tuple(n for n in order if n in known or n not in CONSTANTS)
    return Parsed(value, names, text, {n: order[n] for n in names})


def parse(
    text: str,
    symbols: Mapping[str, sp.Basic] | None = None,
    *,
    new_symbols: bool = True,
    evaluated: bool = True,
    limits: Limits = LIMITS,
) -> Any:
    """The sympy expression for ``text`` (see :func:`parse_expression`); raises :class:`ParseError`."""
    return parse_expression(text, symbols, new_symbols=new_symbols, evaluated=evaluated, limits=limits).expr


def parse_constant(text: str, *, limits: Limits = LIMITS) -> sp.Expr:
    """An exact real constant such as ``2``, ``-0.5``, ``1/3`` or ``pi/4``; names are an error."""
    try:
        value = parse(text, {}, new_symbols=False, limits=limits)
    except ParseError as exc:
        if exc.message.startswith("unknown name"):
            raise ParseError(
                exc.message.replace("unknown name", "expected a number, found the name"),
                column=exc.column,
                text=text,
                expected="a number",
                found=exc.found,
                hint="Give a number such as 2, 0.5, 1/3 or pi/4.",
            ) from None
        raise
    if not isinstance(value, sp.Expr) or value.free_symbols or magnitude(value) is None:
        raise ParseError("expected a real number", column=1, text=text, expected="a real number", found=repr(text))
    return value


# ------------------------------------------------------------------ the steps
def _tree(text: str, condition: bool, limits: Limits) -> Node:
    """The syntax tree of ``text`` (an expression, or a condition), within the length limit."""
    if not isinstance(text, str):
        raise TypeError(f"expected the expression as a str, got {type(text).__name__}")
    if len(text) > limits.length:
        raise LimitError(
            f"expression is {len(text)} characters long; the limit is {limits.length}",
            column=limits.length + 1,
            text=text[: limits.length],
            expected=f"at most {limits.length} characters",
            found=f"{len(text)} characters",
            hint="Split it, or name a part as a parameter.",
        )
    parser = Parser(text, limits)
    return parser.whole_condition() if condition else parser.expression()


class _Names:
    """What the names of one text stand for: the given symbols, the constants, or new real symbols."""

    def __init__(self, text: str, known: Mapping[str, sp.Basic], new_symbols: bool) -> None:
        self.text = text
        self.known = known
        self.new_symbols = new_symbols
        self.created: dict[str, sp.Symbol] = {}

    def resolve(self, name: str, col: int) -> sp.Basic:
        """The sympy object for the name ``name`` at column ``col``; a ParseError for a name it may not be."""
        if name in self.known:
            return self.known[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in INFINITY:
            raise self._refuse(
                name, col, f"{name!r} (infinity) is only allowed as the end of a domain interval", "a finite value"
            )
        if name in RESERVED:
            raise self._refuse(name, col, f"{name!r} is a reserved name", "a variable", "Choose another variable name.")
        if not self.new_symbols:
            choices = list(self.known)
            listed = ", ".join(repr(c) for c in choices) if choices else "none"
            hint = suggestion(name, choices, ignore_case=True) or f"Known names: {listed}."
            raise self._refuse(name, col, f"unknown name {name!r}", "a known name", hint)
        if name not in self.created:
            self.created[name] = sp.Symbol(name, real=True)
        return self.created[name]

    def _refuse(self, name: str, col: int, message: str, expected: str, hint: str = "") -> ParseError:
        return ParseError(message, column=col, text=self.text, expected=expected, found=repr(name), hint=hint)


def _evaluated(text: str, tree: Node, lowering: Lowering) -> Any:
    """The tree lowered with sympy's evaluation on: the pass that checks the limits and the constants."""
    try:
        with evaluate(True):
            return lowering.run(tree)
    except ParseError:
        raise
    except _SYMPY_FAILURES as exc:  # sympy itself cannot build it (e.g. recursion in nested conditions)
        raise ParseError(
            f"sympy cannot build this expression ({type(exc).__name__})",
            column=1,
            text=text,
            hint="Simplify it, e.g. split nested where(...) conditions.",
        ) from None


def _as_written(tree: Node, lowering: Lowering, fallback: Any) -> Any:
    """The tree lowered with evaluation off (terms in the order written), or ``fallback`` (the evaluated
    form) when sympy cannot build it so: only the printed order of terms differs."""
    try:
        with evaluate(False):
            return lowering.run(tree)
    except ParseError:
        raise
    except _SYMPY_FAILURES:
        return fallback


def _collect_names(node: Node, out: dict[str, int]) -> None:
    if node.kind == "name" and node.value not in out:
        out[node.value] = node.col
    for a in node.args:
        _collect_names(a, out)
