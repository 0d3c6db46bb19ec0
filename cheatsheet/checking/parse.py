"""A small, safe expression grammar for what people type: parsed by our own recursive-descent parser
straight into sympy objects.

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

>>> parse("x/(1+|x|)")
x/(Abs(x) + 1)
>>> parse("sigmod(x)")
Traceback (most recent call last):
...
cheatsheet.checking.parse.ParseError: column 1: unknown function 'sigmod'. Did you mean 'sigmoid'?
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p, log2, log10
from sympy.core.parameters import evaluate

from cheatsheet.notation import Indicator, Phi, phi, sigmoid, softplus

__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "LIMITS",
    "NUMBER_TYPES",
    "RESERVED",
    "InputError",
    "InputTypeError",
    "LimitError",
    "Limits",
    "ParseError",
    "Parsed",
    "exact_number",
    "parse",
    "parse_constant",
    "parse_domain",
    "parse_expression",
    "to_text",
    "type_name",
    "variable_name",
]


# --------------------------------------------------------------------------------------------- limits
@dataclass(frozen=True)
class Limits:
    """Resource limits of the parser; exceeding one is a :class:`LimitError`, never a hang.

    Besides these, every constant part of an expression must be a finite real number within the
    float range (about 1e308): 2^1000 is accepted, exp(exp(20)) and 2^1100 are not, so that sympy
    never evaluates an enormous number.
    """

    length: int = 2000  #: characters of one expression
    depth: int = 40  #: nesting of parentheses, bars, calls, signs and exponents
    nodes: int = 500  #: numbers, names, operators and calls in one expression
    exponent: int = 1000  #: largest |exponent| of a power with a constant exponent
    growth: int = 10_000  #: largest product of nested constant exponents, as in (x^100)^100
    literal: int = 100  #: digits of one number literal
    literal_exponent: int = 400  #: largest |n| in a literal written 1e<n>
    name: int = 32  #: characters of one name


#: The default limits.
LIMITS = Limits()


# --------------------------------------------------------------------------------------------- errors
class InputError(ValueError):
    """Input that cannot be read or is over a limit: the command line exits with status 2."""

    exit_code = 2


class ParseError(InputError):
    """Text that is not an expression of the grammar: where (1-based column), what was expected,
    what was found, and a hint. ``source`` names the text (``"F"``, ``"CLAIM"``) in the message."""

    def __init__(
        self, message: str, *, column: int, text: str = "", expected: str = "", found: str = "", hint: str = "",
        source: str = "",
    ) -> None:
        self.message = message
        self.column = column
        self.text = text
        self.expected = expected
        self.found = found
        self.hint = hint
        self.source = source
        super().__init__(message)

    def __str__(self) -> str:
        hint = f". {self.hint}" if self.hint else ""
        where = f"{self.source}, column {self.column}" if self.source else f"column {self.column}"
        return f"{where}: {self.message}{hint}"

    def __reduce__(self) -> tuple[Any, ...]:  # picklable across processes despite keyword arguments
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))

    def pointer(self) -> str:
        """Two lines: the text and a caret under the column."""
        return f"{self.text}\n{' ' * (self.column - 1)}^"


class LimitError(ParseError):
    """An expression over a resource limit (too long, too deep, too many nodes, too large a power)."""


def _rebuild(cls: type[ParseError], message: str, state: dict[str, Any]) -> ParseError:
    err = cls(message, column=int(state.get("column", 1)))
    err.__dict__.update(state)
    return err


# --------------------------------------------------------------------------------------------- tokens
@dataclass(frozen=True)
class _Tok:
    kind: str  # "num", "name", "op", "end"
    text: str
    col: int  # 1-based column in the original text


_OPS = ("**", "<=", ">=", "+", "-", "*", "/", "^", "(", ")", ",", "|", "<", ">")
_ALIASES = {
    "\u2212": "-", "\u2013": "-", "\u00d7": "*", "\u00b7": "*", "\u22c5": "*", "\u2219": "*",
    "\u00f7": "/", "\u2215": "/", "\u2264": "<=", "\u2265": ">=",
}
_SUPERSCRIPTS = {"\u00b2": "2", "\u00b3": "3"}
_GREEK_NAMES = {"lamda": "lambda", "sigma": "sigma", "final sigma": "sigma"}
_SPECIAL_GREEK = {"\u03c0": "pi", "\u03c3": "sigma", "\u03a6": "Phi", "\u03c6": "phi", "\u03d5": "phi"}
_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_RELOPS = ("<", "<=", ">", ">=")


def _greek(ch: str) -> str | None:
    """'α' -> 'alpha', 'Δ' -> 'Delta'; None for a character that is not a Greek letter."""
    if ch in _SPECIAL_GREEK:
        return _SPECIAL_GREEK[ch]
    try:
        uname = unicodedata.name(ch)
    except ValueError:
        return None
    for prefix, cap in (("GREEK SMALL LETTER ", False), ("GREEK CAPITAL LETTER ", True)):
        if uname.startswith(prefix):
            word = uname[len(prefix):].lower()
            if " " in word and word != "final sigma":
                return None
            word = _GREEK_NAMES.get(word, word)
            return word.capitalize() if cap else word
    return None


def _show(ch: str) -> str:
    if ch.isprintable() and not ch.isspace():
        return repr(ch)
    return f"U+{ord(ch):04X}"


def _bad_char(text: str, i: int, prev: _Tok | None) -> ParseError:
    ch = text[i]
    col = i + 1
    hints = {
        "'": "String literals are not part of the grammar.",
        '"': "String literals are not part of the grammar.",
        "[": "Subscripts are not part of the grammar; group with ( ).",
        "]": "Subscripts are not part of the grammar; group with ( ).",
        "{": "Braces are not part of the grammar; group with ( ).",
        "}": "Braces are not part of the grammar; group with ( ).",
        ";": "Give one expression only.",
        ":": "Lambdas and slices are not part of the grammar.",
        "_": "Names start with a letter.",
        "!": "Factorials and != are not supported; compare with < <= > >= inside where(...).",
        "=": "Give the function and the claimed derivative separately (no '='); compare with < <= > >= inside where(...).",
        "@": "Decorators and matrix products are not part of the grammar.",
        "\u221a": "Write sqrt(x).",
        "%": "Write x/100 for a percentage; % is not an operator.",
        "&": "Write 'and' between comparisons inside where(...).",
    }
    if ch == "." and prev is not None and (prev.kind == "name" or prev.text == ")"):
        hint = "Attribute access is not part of the grammar."
    elif ch == ".":
        hint = "A number needs a digit after the point, as in 0.5."
    else:
        hint = hints.get(ch, "")
    return ParseError(f"unexpected character {_show(ch)}", column=col, text=text, expected="an expression",
                      found=_show(ch), hint=hint)


def _tokenize(text: str, limits: Limits) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in " \t\r\n":
            i += 1
            continue
        col = i + 1
        m = _NUMBER.match(text, i)
        if m and (ch.isdigit() or ch == "."):
            toks.append(_Tok("num", m.group(0), col))
            i = m.end()
            continue
        if ch.isascii() and ch.isalpha():
            m = _NAME.match(text, i)
            assert m is not None
            toks.append(_Tok("name", m.group(0), col))
            i = m.end()
            continue
        two = text[i:i + 2]
        if two in ("**", "<=", ">="):
            toks.append(_Tok("op", two, col))
            i += 2
            continue
        if two in ("==", "!="):
            raise ParseError(f"unexpected {two!r}", column=col, text=text, expected="an expression", found=two,
                             hint="Equality is not part of the grammar; compare with < <= > >= inside where(...).")
        if ch in "+-*/^(),|<>":
            toks.append(_Tok("op", ch, col))
            i += 1
            continue
        if ch in _ALIASES:
            toks.append(_Tok("op", _ALIASES[ch], col))
            i += 1
            continue
        if ch in _SUPERSCRIPTS:
            toks.append(_Tok("op", "^", col))
            toks.append(_Tok("num", _SUPERSCRIPTS[ch], col))
            i += 1
            continue
        if ch == "\u221e":  # ∞
            toks.append(_Tok("name", "inf", col))
            i += 1
            continue
        greek = _greek(ch)
        if greek is not None:
            toks.append(_Tok("name", greek, col))
            i += 1
            continue
        raise _bad_char(text, i, toks[-1] if toks else None)
    toks.append(_Tok("end", "", n + 1))
    return toks


# --------------------------------------------------------------------------------------------- functions
@dataclass(frozen=True)
class _Func:
    """One allowed function: its sympy builder, arity and a one-line description for the docs."""

    build: Callable[..., sp.Basic]
    arity: tuple[int, int]  # (min, max) number of arguments
    doc: str
    condition: bool = False  # the first argument is a condition

    @property
    def estimate(self) -> Callable[..., float]:
        """A float implementation, used to vet constant arguments before sympy evaluates them."""
        return _FLOATS[self.build]


def _heaviside(a: sp.Expr) -> sp.Basic:
    return sp.Heaviside(a)


def _where(c: sp.Basic, a: sp.Expr, b: sp.Expr) -> sp.Basic:
    return sp.Piecewise((a, c), (b, True))


def _relu(a: sp.Expr) -> sp.Basic:
    return sp.Max(0, a)


def _elu(a: sp.Expr) -> sp.Basic:
    return sp.Piecewise((a, a > 0), (sp.exp(a) - 1, True))


_ONE = (1, 1)
_PIECEWISE = ("where", "elu")  # not allowed inside a condition: sympy's Piecewise then rewrites and simplifies at length
#: Allowed functions (name -> builder); several names may share one builder (aliases).
FUNCTIONS: dict[str, _Func] = {
    "exp": _Func(sp.exp, _ONE, "e^x"),
    "log": _Func(sp.log, _ONE, "natural logarithm (also ln)"),
    "ln": _Func(sp.log, _ONE, "natural logarithm"),
    "log2": _Func(log2, _ONE, "base-2 logarithm"),
    "log10": _Func(log10, _ONE, "base-10 logarithm"),
    "log1p": _Func(log1p, _ONE, "log(1 + x)"),
    "expm1": _Func(expm1, _ONE, "exp(x) - 1"),
    "sqrt": _Func(sp.sqrt, _ONE, "square root"),
    "sin": _Func(sp.sin, _ONE, "sine"),
    "cos": _Func(sp.cos, _ONE, "cosine"),
    "tan": _Func(sp.tan, _ONE, "tangent"),
    "cot": _Func(sp.cot, _ONE, "cotangent"),
    "sec": _Func(sp.sec, _ONE, "secant"),
    "csc": _Func(sp.csc, _ONE, "cosecant"),
    "asin": _Func(sp.asin, _ONE, "inverse sine (also arcsin)"),
    "acos": _Func(sp.acos, _ONE, "inverse cosine (also arccos)"),
    "atan": _Func(sp.atan, _ONE, "inverse tangent (also arctan)"),
    "arcsin": _Func(sp.asin, _ONE, "inverse sine"),
    "arccos": _Func(sp.acos, _ONE, "inverse cosine"),
    "arctan": _Func(sp.atan, _ONE, "inverse tangent"),
    "sinh": _Func(sp.sinh, _ONE, "hyperbolic sine"),
    "cosh": _Func(sp.cosh, _ONE, "hyperbolic cosine"),
    "tanh": _Func(sp.tanh, _ONE, "hyperbolic tangent"),
    "asinh": _Func(sp.asinh, _ONE, "inverse hyperbolic sine (also arsinh, arcsinh)"),
    "acosh": _Func(sp.acosh, _ONE, "inverse hyperbolic cosine (also arcosh, arccosh)"),
    "atanh": _Func(sp.atanh, _ONE, "inverse hyperbolic tangent (also artanh, arctanh)"),
    "arsinh": _Func(sp.asinh, _ONE, "inverse hyperbolic sine"),
    "arcosh": _Func(sp.acosh, _ONE, "inverse hyperbolic cosine"),
    "artanh": _Func(sp.atanh, _ONE, "inverse hyperbolic tangent"),
    "arcsinh": _Func(sp.asinh, _ONE, "inverse hyperbolic sine"),
    "arccosh": _Func(sp.acosh, _ONE, "inverse hyperbolic cosine"),
    "arctanh": _Func(sp.atanh, _ONE, "inverse hyperbolic tangent"),
    "erf": _Func(sp.erf, _ONE, "error function"),
    "erfc": _Func(sp.erfc, _ONE, "complementary error function"),
    "abs": _Func(sp.Abs, _ONE, "absolute value |x|"),
    "Abs": _Func(sp.Abs, _ONE, "absolute value |x|"),
    "sign": _Func(sp.sign, _ONE, "sign: -1, 0 or 1"),
    "sgn": _Func(sp.sign, _ONE, "sign: -1, 0 or 1"),
    "step": _Func(_heaviside, _ONE, "Heaviside step (also heaviside, Heaviside)"),
    "heaviside": _Func(_heaviside, _ONE, "Heaviside step"),
    "Heaviside": _Func(_heaviside, _ONE, "Heaviside step"),
    "max": _Func(sp.Max, (2, 16), "largest argument (also Max)"),
    "min": _Func(sp.Min, (2, 16), "smallest argument (also Min)"),
    "Max": _Func(sp.Max, (2, 16), "largest argument"),
    "Min": _Func(sp.Min, (2, 16), "smallest argument"),
    "where": _Func(_where, (3, 3), "where(condition, a, b): a where the condition holds, else b", condition=True),
    "indicator": _Func(Indicator, _ONE, "indicator(condition): 1 where it holds, else 0 (also Indicator)", condition=True),
    "Indicator": _Func(Indicator, _ONE, "1 where the condition holds, else 0", condition=True),
    "sigmoid": _Func(sigmoid, _ONE, "logistic sigmoid σ(x) = 1/(1 + e^-x) (also sigma, σ, logistic)"),
    "sigma": _Func(sigmoid, _ONE, "logistic sigmoid σ(x)"),
    "logistic": _Func(sigmoid, _ONE, "logistic sigmoid σ(x)"),
    "softplus": _Func(softplus, _ONE, "softplus(x) = ln(1 + e^x)"),
    "Phi": _Func(Phi, _ONE, "standard normal CDF Φ(x) (also Φ)"),
    "phi": _Func(phi, _ONE, "standard normal density φ(x) (also φ)"),
    "relu": _Func(_relu, _ONE, "max(0, x)"),
    "elu": _Func(_elu, _ONE, "where(x > 0, x, exp(x) - 1) (alpha = 1)"),
    "gelu": _Func(lambda a: a * Phi(a), _ONE, "x Φ(x)"),
    "silu": _Func(lambda a: a * sigmoid(a), _ONE, "x σ(x) (also swish)"),
    "swish": _Func(lambda a: a * sigmoid(a), _ONE, "x σ(x)"),
    "mish": _Func(lambda a: a * sp.tanh(softplus(a)), _ONE, "x tanh(softplus(x))"),
    "softsign": _Func(lambda a: a / (1 + sp.Abs(a)), _ONE, "x/(1 + |x|)"),
    "logsigmoid": _Func(lambda a: -softplus(-a), _ONE, "ln σ(x) = -softplus(-x)"),
}

def _fsig(v: float) -> float:
    return 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))


def _fsoftplus(v: float) -> float:
    return max(v, 0.0) + math.log1p(math.exp(-abs(v)))


def _fsign(v: float) -> float:
    return float((v > 0) - (v < 0))


def _fphi(v: float) -> float:
    return math.exp(-v * v / 2) / math.sqrt(2 * math.pi)


_FLOATS: dict[Callable[..., Any], Callable[..., float]] = {
    sp.exp: math.exp, sp.log: math.log, log2: math.log2, log10: math.log10, log1p: math.log1p, expm1: math.expm1,
    sp.sqrt: math.sqrt, sp.sin: math.sin, sp.cos: math.cos, sp.tan: math.tan, sp.cot: lambda v: 1 / math.tan(v),
    sp.sec: lambda v: 1 / math.cos(v), sp.csc: lambda v: 1 / math.sin(v), sp.asin: math.asin, sp.acos: math.acos,
    sp.atan: math.atan, sp.sinh: math.sinh, sp.cosh: math.cosh, sp.tanh: math.tanh, sp.asinh: math.asinh,
    sp.acosh: math.acosh, sp.atanh: math.atanh, sp.erf: math.erf, sp.erfc: math.erfc, sp.Abs: abs, sp.sign: _fsign,
    _heaviside: lambda v: 1.0 if v > 0 else (0.0 if v < 0 else 0.5), sp.Max: max, sp.Min: min,
    _where: lambda c, a, b: a if c else b, Indicator: lambda c: 1.0 if c else 0.0, sigmoid: _fsig,
    softplus: _fsoftplus, Phi: lambda v: math.erfc(-v / math.sqrt(2)) / 2, phi: _fphi, _relu: lambda v: max(0.0, v),
    _elu: lambda v: v if v > 0 else math.expm1(v),
}
for _name, _f in FUNCTIONS.items():
    if _f.build not in _FLOATS:  # the macros: gelu, silu, mish, softsign, logsigmoid
        _FLOATS[_f.build] = {
            "gelu": lambda v: v * math.erfc(-v / math.sqrt(2)) / 2, "silu": lambda v: v * _fsig(v),
            "swish": lambda v: v * _fsig(v), "mish": lambda v: v * math.tanh(_fsoftplus(v)),
            "softsign": lambda v: v / (1 + abs(v)), "logsigmoid": lambda v: -_fsoftplus(-v),
        }[_name]

#: Named constants.
CONSTANTS: dict[str, sp.Expr] = {"pi": sp.pi, "e": sp.E, "E": sp.E}

_WORDS = ("and", "or", "not")
_INFINITY = ("inf", "oo", "infinity")
#: Names that cannot be variables: functions, constants, the words of conditions, and the names that
#: sympy's code printers emit unqualified (a variable of that name would shadow them). Python keywords
#: are fine (λ is ``lambda``): sympy renames such arguments when it compiles an expression.
RESERVED: frozenset[str] = frozenset(FUNCTIONS) | frozenset(CONSTANTS) | frozenset(_WORDS) | frozenset(_INFINITY) | frozenset({
    "I", "nan", "zoo", "mpmath", "numpy", "np", "math", "sympy", "scipy", "builtins", "DiracDelta", "Piecewise",
    "Derivative", "Subs", "select", "mpf", "mpc",
})


def _close(name: str, choices: Sequence[str]) -> str:
    """' Did you mean ...?' by spelling (case-insensitive), or ''."""
    lower = {c.lower(): c for c in choices}
    hit = difflib.get_close_matches(name.lower(), list(lower), n=1, cutoff=0.6)
    return f"Did you mean {lower[hit[0]]!r}?" if hit else ""


# --------------------------------------------------------------------------------------------- AST
@dataclass
class _Node:
    kind: str  # num, name, sum, prod, neg, pow, call, abs, rel, and, or, not
    col: int
    value: Any = None  # Rational for num, name for name/call, operators for sum/prod/rel
    args: list[_Node] = field(default_factory=list)


class _Parser:
    def __init__(self, text: str, limits: Limits) -> None:
        self.text = text
        self.limits = limits
        self.toks = _tokenize(text, limits)
        self.pos = 0
        self.depth = 0
        self.count = 0
        self.in_condition = 0

    # ------------------------------------------------------------------ helpers
    @property
    def tok(self) -> _Tok:
        return self.toks[self.pos]

    def _advance(self) -> _Tok:
        t = self.toks[self.pos]
        self.pos += 1
        return t

    def _is(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in ops

    def _found(self, t: _Tok | None = None) -> str:
        t = t or self.tok
        return "the end" if t.kind == "end" else repr(t.text)

    def error(self, expected: str, hint: str = "", tok: _Tok | None = None) -> ParseError:
        t = tok or self.tok
        return ParseError(f"expected {expected}, found {self._found(t)}", column=t.col, text=self.text,
                          expected=expected, found=self._found(t), hint=hint)

    def node(self, kind: str, col: int, value: Any = None, args: list[_Node] | None = None) -> _Node:
        self.count += 1
        if self.count > self.limits.nodes:
            raise LimitError(f"expression has more than {self.limits.nodes} nodes", column=col, text=self.text,
                             expected=f"at most {self.limits.nodes} nodes", found="more",
                             hint="Split it, or name a part as a parameter.")
        return _Node(kind, col, value, args or [])

    def enter(self, col: int) -> None:
        self.depth += 1
        if self.depth > self.limits.depth:
            raise LimitError(f"expression nested more than {self.limits.depth} levels deep", column=col,
                             text=self.text, expected=f"at most {self.limits.depth} levels", found="deeper")

    def expect(self, op: str, hint: str = "") -> _Tok:
        if not self._is(op):
            raise self.error(repr(op), hint)
        return self._advance()

    # ------------------------------------------------------------------ grammar
    def parse(self) -> _Node:
        if self.tok.kind == "end":
            raise ParseError("empty expression", column=1, text=self.text, expected="an expression",
                             found="nothing", hint="Write an expression such as x^2.")
        node = self.sum()
        if self.tok.kind != "end":
            raise self._trailing()
        return node

    def _trailing(self) -> ParseError:
        t = self.tok
        if t.kind == "op" and t.text in _RELOPS:
            return self.error("an operator or the end",
                              "A comparison is only allowed as the condition of where(condition, a, b) or indicator(condition).")
        if t.kind == "op" and t.text == ")":
            return self.error("an operator or the end", "This ')' has no matching '('.")
        if t.kind == "op" and t.text == ",":
            return self.error("an operator or the end", "Commas separate the arguments of a function call.")
        if t.kind in ("num", "name") or (t.kind == "op" and t.text in ("(", "|")):
            return self.error("an operator or the end", "Write '*' for multiplication, as in 2*x.")
        return self.error("an operator or the end")

    def sum(self) -> _Node:
        col = self.tok.col
        first = self.product()
        terms, signs = [first], ["+"]
        while self._is("+", "-"):
            signs.append(self._advance().text)
            terms.append(self.product())
        if len(terms) == 1:
            return first
        return self.node("sum", col, signs, terms)

    def product(self) -> _Node:
        col = self.tok.col
        first = self.unary()
        factors, ops = [first], ["*"]
        while self._is("*", "/"):
            ops.append(self._advance().text)
            factors.append(self.unary())
        if len(factors) == 1:
            return first
        return self.node("prod", col, ops, factors)

    def unary(self) -> _Node:
        col = self.tok.col
        self.enter(col)
        try:
            if self._is("-"):
                self._advance()
                return self.node("neg", col, None, [self.unary()])
            if self._is("+"):
                self._advance()
                return self.unary()
            return self.power()
        finally:
            self.depth -= 1

    def power(self) -> _Node:
        base = self.atom()
        if self._is("^", "**"):
            op = self._advance()
            if self.tok.kind == "end":
                raise self.error("an exponent", f"Write the exponent after {op.text!r}, as in x^2.")
            exponent = self.unary()
            return self.node("pow", op.col, None, [base, exponent])
        return base

    def atom(self) -> _Node:
        t = self.tok
        if t.kind == "num":
            self._advance()
            return self.node("num", t.col, self._number(t))
        if t.kind == "name":
            return self.name()
        if self._is("("):
            self._advance()
            inner = self.sum()
            if self._is(*_RELOPS):
                raise self.error("')'", "A comparison is only allowed as the condition of where(condition, a, b) or indicator(condition).")
            self.expect(")", "Every '(' needs a matching ')'.")
            return inner
        if self._is("|"):
            self._advance()
            inner = self.sum()  # ||x|| nests: the inner bar opens again
            if not self._is("|"):
                hint = "Close the absolute value with '|'."
                if self.tok.kind in ("num", "name") or self._is("("):
                    hint = "Write '*' for multiplication, as in 2*x; close the absolute value with '|'."
                raise self.error("'|'", hint)
            self._advance()
            return self.node("abs", t.col, None, [inner])
        if t.kind == "end":
            raise self.error("an expression", "The expression ends too early.")
        if t.text == ")":
            raise self.error("an expression", "There is nothing between these parentheses or before this ')'.")
        if t.text in ("*", "/", "^", "**"):
            raise self.error("an expression", f"{t.text!r} needs an expression on its left.")
        raise self.error("an expression")

    def _number(self, t: _Tok) -> sp.Rational:
        m = _NUMBER.fullmatch(t.text)
        assert m is not None
        mantissa, exp = m.group(1), m.group(2)
        digits = len(mantissa.replace(".", "").lstrip("0"))
        if digits > self.limits.literal:
            raise LimitError(f"number has {digits} digits; the limit is {self.limits.literal}", column=t.col,
                             text=self.text, expected=f"at most {self.limits.literal} digits", found=f"{digits} digits")
        power = int(exp[1:]) if exp else 0
        if abs(power) > self.limits.literal_exponent:
            raise LimitError(f"number {t.text!r} is too large or too small (|exponent| > {self.limits.literal_exponent})",
                             column=t.col, text=self.text, expected=f"an exponent within ±{self.limits.literal_exponent}",
                             found=t.text)
        whole, _, frac = mantissa.partition(".")
        value = sp.Rational(int((whole or "0") + frac), 10 ** len(frac))
        return value * sp.Rational(10) ** power if power else value

    def name(self) -> _Node:
        t = self._advance()
        name = t.text
        if len(name) > self.limits.name:
            raise LimitError(f"name is {len(name)} characters long; the limit is {self.limits.name}", column=t.col,
                             text=self.text, expected=f"a name of at most {self.limits.name} characters", found=repr(name[:40]))
        if self._is("("):
            return self.call(t)
        if name in FUNCTIONS:
            raise ParseError(f"{name!r} is a function", column=t.col, text=self.text, expected="a value",
                             found=repr(name), hint=f"Call it with parentheses, as in {name}(x); a variable needs another name.")
        if name in _WORDS:
            raise ParseError(f"{name!r} only joins comparisons inside where(...) or indicator(...)", column=t.col,
                             text=self.text, expected="an expression", found=repr(name))
        return self.node("name", t.col, name)

    def call(self, t: _Tok) -> _Node:
        name = t.text
        spec = FUNCTIONS.get(name)
        if spec is None:
            if name in CONSTANTS:
                raise ParseError(f"{name!r} is a constant, not a function", column=t.col, text=self.text,
                                 expected="a function", found=repr(name), hint=f"Write '*' for multiplication: {name}*(...).")
            close = _close(name, list(FUNCTIONS))
            if close:
                raise ParseError(f"unknown function {name!r}", column=t.col, text=self.text, expected="a function",
                                 found=repr(name), hint=close)
            hint = f"If {name!r} is a variable, write '*' for multiplication: {name}*(...)."
            if len(name) > 2:
                hint += " Functions: " + ", ".join(_PRIMARY) + "."
            raise ParseError(f"unknown function {name!r}", column=t.col, text=self.text, expected="a function",
                             found=repr(name), hint=hint)
        if self.in_condition and name in _PIECEWISE:
            raise ParseError(f"{name}() cannot be used inside a condition", column=t.col, text=self.text,
                             expected="a comparison of plain expressions", found=repr(name),
                             hint="Combine conditions with and/or instead, e.g. where(x > 0 and x < 1, a, b).")
        open_ = self._advance()
        self.enter(open_.col)
        try:
            args: list[_Node] = []
            if not self._is(")"):
                while True:
                    if spec.condition and not args:
                        args.append(self.condition())
                    else:
                        args.append(self.sum())
                        if self._is(*_RELOPS):
                            raise self.error("',' or ')'", f"Only the first argument of where(...) or indicator(...) is a condition; {name}() takes values.")
                    if not self._is(","):
                        break
                    self._advance()
                    if len(args) >= spec.arity[1]:
                        raise self.error("')'", f"{name}() takes {_arity(spec)}.")
            if not self._is(")"):
                raise self.error("',' or ')'", f"Close the call of {name}( with ')'.")
            self._advance()
        finally:
            self.depth -= 1
        lo, hi = spec.arity
        if not lo <= len(args) <= hi:
            raise ParseError(f"{name}() takes {_arity(spec)}, got {len(args)}", column=t.col, text=self.text,
                             expected=_arity(spec), found=f"{len(args)} argument{'s' * (len(args) != 1)}",
                             hint=_arity_hint(name))
        return self.node("call", t.col, name, args)

    # ------------------------------------------------------------------ conditions
    def condition(self) -> _Node:
        col = self.tok.col
        self.enter(col)
        self.in_condition += 1
        try:
            parts = [self._conjunction()]
            while self.tok.kind == "name" and self.tok.text == "or":
                self._advance()
                parts.append(self._conjunction())
            return parts[0] if len(parts) == 1 else self.node("or", col, None, parts)
        finally:
            self.depth -= 1
            self.in_condition -= 1

    def _conjunction(self) -> _Node:
        col = self.tok.col
        parts = [self._negation()]
        while self.tok.kind == "name" and self.tok.text == "and":
            self._advance()
            parts.append(self._negation())
        return parts[0] if len(parts) == 1 else self.node("and", col, None, parts)

    def _negation(self) -> _Node:
        t = self.tok
        if t.kind == "name" and t.text == "not":
            self._advance()
            self.enter(t.col)
            try:
                return self.node("not", t.col, None, [self._negation()])
            finally:
                self.depth -= 1
        if self._is("(") and self._parenthesized_condition():
            self._advance()
            inner = self.condition()
            self.expect(")", "Every '(' needs a matching ')'.")
            return inner
        return self._comparison()

    def _parenthesized_condition(self) -> bool:
        """True when the '(' here encloses a condition (a comparison or and/or/not at its own level)."""
        level = 0
        for t in self.toks[self.pos:]:
            if t.kind == "op" and t.text == "(":
                level += 1
            elif t.kind == "op" and t.text == ")":
                level -= 1
                if level == 0:
                    return False
            elif level == 1 and ((t.kind == "op" and t.text in _RELOPS) or (t.kind == "name" and t.text in _WORDS)):
                return True
            elif t.kind == "end":
                return False
        return False

    def _comparison(self) -> _Node:
        col = self.tok.col
        operands = [self.sum()]
        ops: list[str] = []
        while self._is(*_RELOPS):
            ops.append(self._advance().text)
            operands.append(self.sum())
        if not ops:
            raise self.error("a comparison (< <= > >=)", "The first argument of where(...) or indicator(...) is a condition such as x > 0.")
        return self.node("rel", col, ops, operands)


def _arity(spec: _Func) -> str:
    lo, hi = spec.arity
    if lo == hi:
        return f"{lo} argument{'s' * (lo != 1)}"
    return f"{lo} to {hi} arguments"


def _arity_hint(name: str) -> str:
    if name in ("log", "ln"):
        return "For base b write log(x)/log(b), or log2(x), log10(x)."
    if name == "where":
        return "Write where(condition, value if true, value otherwise), e.g. where(x > 0, x, 0)."
    if name in ("max", "min", "Max", "Min"):
        return f"Write {name}(a, b), e.g. {name}(0, x)."
    return ""


#: One name per function, for hints and docs (aliases left out).
_PRIMARY: tuple[str, ...] = (
    "exp", "log", "log2", "log10", "log1p", "expm1", "sqrt", "sin", "cos", "tan", "asin", "acos", "atan", "sinh",
    "cosh", "tanh", "asinh", "acosh", "atanh", "erf", "erfc", "abs", "sign", "step", "max", "min", "where",
    "indicator", "sigmoid", "softplus", "Phi", "phi", "relu", "elu", "gelu", "silu", "mish", "softsign", "logsigmoid",
)


# --------------------------------------------------------------------------------------------- lowering
_Resolver = Callable[[str, int], sp.Basic]


class _Lower:
    """AST -> sympy, checking the numeric limits on the way (exponents, digits, division by zero)."""

    def __init__(self, text: str, limits: Limits, resolve: _Resolver, evaluated: bool, constants: frozenset[str]) -> None:
        self.text = text
        self.constants = constants
        self.limits = limits
        self.resolve = resolve
        self.evaluated = evaluated
        self._const: dict[int, bool] = {}
        self._vetted: set[int] = set()

    def fail(self, node: _Node, message: str, hint: str = "", cls: type[ParseError] = ParseError) -> ParseError:
        return cls(message, column=node.col, text=self.text, hint=hint)

    def constant(self, node: _Node) -> bool:
        """True when the subtree has no variables (memoized)."""
        key = id(node)
        if key not in self._const:
            self._const[key] = (node.kind != "name" or node.value in self.constants) and all(self.constant(a) for a in node.args)
        return self._const[key]

    def estimate(self, node: _Node) -> Any:
        """The float value of a constant subtree, so that no constant is too large for sympy to evaluate
        exactly (2^1000 is fine, exp(exp(20)) is not): every intermediate value must be a finite real."""
        self._vetted.add(id(node))
        k = node.kind
        try:
            if k == "num":
                value: Any = float(node.value)
            elif k == "name":  # a constant: pi or e
                value = math.pi if node.value == "pi" else math.e
            else:
                args = [self.estimate(a) for a in node.args]
                if k == "neg":
                    value = -args[0]
                elif k == "sum":
                    value = math.fsum(v if s == "+" else -v for s, v in zip(node.value, args))
                elif k == "prod":
                    value = args[0]
                    for op, v, a in zip(node.value[1:], args[1:], node.args[1:]):
                        if op == "/" and v == 0:
                            raise self.fail(a, "division by zero")
                        value = value * v if op == "*" else value / v
                elif k == "pow":
                    value = math.pow(args[0], args[1])
                elif k == "abs":
                    value = abs(args[0])
                elif k == "call":
                    value = float(FUNCTIONS[node.value].estimate(*args))
                elif k == "rel":
                    ops = {"<": float.__lt__, "<=": float.__le__, ">": float.__gt__, ">=": float.__ge__}
                    value = all(ops[op](float(a), float(b)) for op, a, b in zip(node.value, args, args[1:]))
                elif k == "and":
                    value = all(args)
                elif k == "or":
                    value = any(args)
                else:  # not
                    value = not args[0]
        except ParseError:
            raise
        except ZeroDivisionError:
            raise self.fail(node, "division by zero") from None
        except OverflowError:
            value = math.inf
        except ValueError:
            raise self.fail(node, "this constant is undefined or not a real number",
                            "Only real values are supported (no log or sqrt of a negative number, no root of a negative base).") from None
        if isinstance(value, float) and math.isinf(value):
            raise self.fail(node, "this constant is too large (beyond the float range, about 1e308)",
                            "Use smaller constants.", LimitError)
        if isinstance(value, float) and math.isnan(value):
            raise self.fail(node, "this constant is undefined")
        return value

    def run(self, node: _Node, scale: int = 1) -> Any:
        if self.evaluated and id(node) not in self._vetted and self.constant(node):
            self.estimate(node)
        k = node.kind
        if k == "num":
            return node.value
        if k == "name":
            return self.resolve(node.value, node.col)
        if k == "neg":
            (a,) = node.args
            if a.kind == "num":
                return -a.value
            return self._checked(node, sp.Mul(sp.S.NegativeOne, self.run(a, scale), evaluate=self.evaluated))
        if k == "sum":
            terms = []
            for sign, a in zip(node.value, node.args):
                v = self.run(a, scale)
                if sign == "-":
                    v = -v if isinstance(v, sp.Number) else sp.Mul(sp.S.NegativeOne, v, evaluate=self.evaluated)
                terms.append(v)
            return sp.Add(*terms, evaluate=self.evaluated)
        if k == "prod":
            factors: list[Any] = []
            for op, a in zip(node.value, node.args):
                v = self.run(a, scale)
                if op == "/":
                    if v == 0:
                        raise self.fail(a, "division by zero")
                    if not self.evaluated and factors and all(isinstance(f, sp.Rational) for f in factors) and isinstance(v, sp.Rational):
                        factors = [sp.Mul(*factors) / v]  # 1/2 is the number one half
                        continue
                    v = sp.Pow(v, sp.S.NegativeOne, evaluate=self.evaluated)
                factors.append(v)
            if len(factors) == 1:
                return factors[0]
            return self._checked(node, sp.Mul(*factors, evaluate=self.evaluated))
        if k == "pow":
            return self._power(node, scale)
        if k == "abs":
            return self._checked(node, sp.Abs(self.run(node.args[0], scale), evaluate=self.evaluated))
        if k == "call":
            return self._call(node, scale)
        if k == "rel":
            values = [self.run(a, scale) for a in node.args]
            rels = [_relational(op, a, b, self.evaluated) for op, a, b in zip(node.value, values, values[1:])]
            return rels[0] if len(rels) == 1 else sp.And(*rels, evaluate=self.evaluated)
        if k in ("and", "or"):
            parts = [self.run(a, scale) for a in node.args]
            return (sp.And if k == "and" else sp.Or)(*parts, evaluate=self.evaluated)
        if k == "not":
            return sp.Not(self.run(node.args[0], scale))
        raise AssertionError(k)  # pragma: no cover

    def _checked(self, node: _Node, value: Any) -> Any:
        if self.evaluated and isinstance(value, sp.Basic) and value.has(sp.zoo, sp.nan, sp.oo, sp.S.NegativeInfinity):
            raise self.fail(node, "undefined value (division by zero or a pole)",
                            "A constant part of the expression is infinite or undefined.")
        return value

    def _power(self, node: _Node, scale: int) -> Any:
        base_node, exp_node = node.args
        exponent = self.run(exp_node, scale)
        size = 1
        if not exponent.free_symbols:
            magnitude = _magnitude(exponent)
            if magnitude is None:
                raise self.fail(exp_node, "the exponent is not a real number")
            if magnitude > self.limits.exponent:
                raise self.fail(exp_node, f"exponent {_short(exponent)} is too large (the limit is {self.limits.exponent})",
                                "Rewrite the power, or use exp(...) for a growing function.", LimitError)
            size = max(1, math.ceil(magnitude))
            if isinstance(exponent, sp.Rational):
                size = max(size, int(abs(exponent.p)), int(exponent.q))
        grown = scale * size
        if grown > self.limits.growth:
            raise self.fail(node, f"nested powers grow too large (their exponents multiply to more than {self.limits.growth})",
                            "Write the power with one exponent.", LimitError)
        base = self.run(base_node, grown)
        if base == 0 and not exponent.free_symbols and exponent.is_negative:
            raise self.fail(node, "division by zero (0 to a negative power)")
        return self._checked(node, sp.Pow(base, exponent, evaluate=self.evaluated))

    def _call(self, node: _Node, scale: int) -> Any:
        spec = FUNCTIONS[node.value]
        args = [self.run(a, scale) for a in node.args]
        with evaluate(self.evaluated):
            value = spec.build(*args)
        return self._checked(node, value)


def _relational(op: str, a: Any, b: Any, evaluated: bool) -> sp.Basic:
    cls = {"<": sp.StrictLessThan, "<=": sp.LessThan, ">": sp.StrictGreaterThan, ">=": sp.GreaterThan}[op]
    return cls(a, b, evaluate=evaluated)


def _magnitude(value: sp.Expr) -> float | None:
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


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 24 else text[:20] + "..."


_SYMPY_FAILURES = (RecursionError, TypeError, ValueError, AttributeError, NotImplementedError, ArithmeticError, KeyError, IndexError)


# --------------------------------------------------------------------------------------------- public API
@dataclass(frozen=True)
class Parsed:
    """A parsed expression and the variable names it uses, in order of first appearance."""

    expr: Any
    names: tuple[str, ...]
    text: str
    positions: Mapping[str, int] = field(default_factory=dict)  #: name -> column of its first use


def _collect_names(node: _Node, out: dict[str, int]) -> None:
    if node.kind == "name" and node.value not in out:
        out[node.value] = node.col
    for a in node.args:
        _collect_names(a, out)


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
    if not isinstance(text, str):
        raise TypeError(f"expected the expression as a str, got {type(text).__name__}")
    if len(text) > limits.length:
        raise LimitError(f"expression is {len(text)} characters long; the limit is {limits.length}", column=limits.length + 1,
                         text=text[: limits.length], expected=f"at most {limits.length} characters", found=f"{len(text)} characters",
                         hint="Split it, or name a part as a parameter.")
    parser = _Parser(text, limits)
    if condition:
        if parser.tok.kind == "end":
            raise ParseError("empty condition", column=1, text=text, expected="a condition such as x > 0", found="nothing")
        tree = parser.condition()
        if parser.tok.kind != "end":
            raise parser._trailing()
    else:
        tree = parser.parse()
    known = dict(symbols or {})
    created: dict[str, sp.Symbol] = {}

    def resolve(name: str, col: int) -> sp.Basic:
        if name in known:
            return known[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in _INFINITY:
            raise ParseError(f"{name!r} (infinity) is only allowed as the end of a domain interval", column=col, text=text,
                             expected="a finite value", found=repr(name))
        if name in RESERVED:
            raise ParseError(f"{name!r} is a reserved name", column=col, text=text, expected="a variable", found=repr(name),
                             hint="Choose another variable name.")
        if not new_symbols:
            choices = list(known)
            close = _close(name, choices)
            listed = ", ".join(repr(c) for c in choices) if choices else "none"
            raise ParseError(f"unknown name {name!r}", column=col, text=text, expected="a known name", found=repr(name),
                             hint=close or f"Known names: {listed}.")
        if name not in created:
            created[name] = sp.Symbol(name, real=True)
        return created[name]

    # The evaluated pass checks the limits and undefined constants; an unevaluated result keeps the order.
    constants = frozenset(CONSTANTS) - frozenset(known)
    try:
        with evaluate(True):
            value = _Lower(text, limits, resolve, True, constants).run(tree)
    except ParseError:
        raise
    except _SYMPY_FAILURES as exc:  # sympy itself cannot build it (e.g. recursion in nested conditions)
        raise ParseError(f"sympy cannot build this expression ({type(exc).__name__})", column=1, text=text,
                         hint="Simplify it, e.g. split nested where(...) conditions.") from None
    if not evaluated:
        try:
            with evaluate(False):
                value = _Lower(text, limits, resolve, False, constants).run(tree)
        except ParseError:
            raise
        except _SYMPY_FAILURES:
            pass  # keep the evaluated form: only the printed order of terms differs
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
            raise ParseError(exc.message.replace("unknown name", "expected a number, found the name"), column=exc.column,
                             text=text, expected="a number", found=exc.found, hint="Give a number such as 2, 0.5, 1/3 or pi/4.") from None
        raise
    if not isinstance(value, sp.Expr) or value.free_symbols or _magnitude(value) is None:
        raise ParseError("expected a real number", column=1, text=text, expected="a real number", found=repr(text))
    return value


class InputTypeError(InputError, TypeError):
    """A value of a type that is not accepted (a list where a number is expected, None, an object).

    A ``TypeError`` for Python callers and an :class:`InputError` (exit status 2) for the command line.
    """


#: What :func:`exact_number` accepts, for its error messages.
NUMBER_TYPES = "an int, float, Fraction, Decimal, numpy or sympy real number, or text such as '1/3' or 'pi/4'"

_MAX_BITS = 4096  # numerator and denominator of an exact number (about 1233 digits): no enormous integers
_FLOAT_MAX = sp.Integer(2) ** 1024  # the float range, as for the grammar's constants


def _rational(p: int, q: int, where: str, shown: str) -> sp.Rational:
    if p.bit_length() > _MAX_BITS or q.bit_length() > _MAX_BITS:
        raise InputError(f"{where}: {shown} has more than {_MAX_BITS} bits in its numerator or denominator; "
                         "expected a number of float range and a few hundred digits at most")
    value = sp.Rational(p, q)
    if abs(value) >= _FLOAT_MAX:
        raise InputError(f"{where}: {shown} is too large; expected a number within the float range (about 1.8e308)")
    return value


def _finite_float(v: float, where: str) -> sp.Rational:
    if not math.isfinite(v):
        raise InputError(f"{where}: expected a finite number, got {v!r}")
    return sp.Rational(float.__repr__(v))  # 0.1 is 1/10: the shortest decimal that reads back as this float


def _module(kind: type) -> str:
    """The module that defines ``kind`` ('' for a class made at run time, such as sympy's Function('f'))."""
    module = type.__dict__["__module__"].__get__(kind, type)  # type's own getter: a metaclass cannot override it
    return module if isinstance(module, str) else ""


def _sympy_only(value: sp.Basic) -> bool:
    """True when every node of ``value`` is one of sympy's own classes (none defined elsewhere, whose
    methods could run anything) and there are at most as many as the grammar allows. Checked first:
    even comparing or printing ``value`` would call the methods of its nodes."""
    for count, node in enumerate(sp.preorder_traversal(value)):
        if count > LIMITS.nodes or not _module(type(node)).startswith("sympy."):
            return False
    return True


def exact_number(value: object, where: str) -> sp.Expr:
    """An exact real number from a value that came from outside: an API argument, an option, a file.

    Accepted: ``int``; ``float`` (its shortest decimal: 0.1 is 1/10); ``fractions.Fraction``;
    ``decimal.Decimal``; numpy integer and floating scalars and 0-d arrays of them; mpmath ``mpf``; sympy
    integers, rationals, floats and exact real constants such as ``pi/4`` or ``sqrt(2)``; and text read
    by :func:`parse_constant` (our grammar, never ``sympify``). Anything else (bool, None, bytes, lists,
    other objects) is an :class:`InputTypeError` (a ``TypeError``); nan and ±inf, complex values and numbers
    beyond the float range are an :class:`InputError` (a ``ValueError``); text outside the grammar is a
    :class:`ParseError`. ``where`` starts every message (``"softplus: parameter beta"``, ``"--param a"``).

    No method of an object of another type is ever called: types are tested on ``type(value)``, and a
    subclass of ``int`` or ``float`` is read through the base class, so an overridden ``__float__``,
    ``__index__``, ``__repr__`` or ``_sympy_`` never runs.
    """
    import decimal
    import fractions

    import mpmath
    import numpy as np

    kind = type(value)
    if issubclass(kind, (bool, np.bool_)):
        raise InputTypeError(f"{where}: expected a number, got the bool {bool.__repr__(bool(value))}; give {NUMBER_TYPES}")
    if kind is np.ndarray:  # a 0-d array of a numeric dtype holds one number
        arr: Any = value
        if arr.ndim != 0 or arr.dtype.kind not in "iuf":
            raise InputTypeError(f"{where}: expected one number, got an array of shape {arr.shape} and dtype {arr.dtype}; "
                                 f"give {NUMBER_TYPES}")
        value, kind = arr[()], type(arr[()])
    if issubclass(kind, int):
        n = int.__int__(cast(int, value))
        return _rational(n, 1, where, "the integer")
    if issubclass(kind, float):
        return _finite_float(float.__float__(value), where)  # type: ignore[arg-type]
    if _module(kind) == "numpy" and issubclass(kind, (np.integer, np.floating)):
        if issubclass(kind, np.integer):
            return _rational(int(value), 1, where, "the integer")  # type: ignore[call-overload]
        if not np.isfinite(value):  # type: ignore[call-overload]
            raise InputError(f"{where}: expected a finite number, got {value!r}")
        # float32 0.1 is 1/10 as for floats: numpy's shortest decimal that reads back as this value
        exact = sp.Rational(np.format_float_positional(value, unique=True, trim="0"))  # type: ignore[arg-type]
        return _rational(int(exact.p), int(exact.q), where, "the number")
    if issubclass(kind, fractions.Fraction):
        p, q = fractions.Fraction.numerator.fget(value), fractions.Fraction.denominator.fget(value)  # type: ignore[attr-defined]
        if type(p) is not int or type(q) is not int:
            raise InputTypeError(f"{where}: a Fraction whose parts are not integers; give {NUMBER_TYPES}")
        return _rational(p, q, where, "the fraction")
    if issubclass(kind, decimal.Decimal):
        d: decimal.Decimal = value  # type: ignore[assignment]
        if not decimal.Decimal.is_finite(d):
            raise InputError(f"{where}: expected a finite number, got Decimal({decimal.Decimal.__str__(d)!r})")
        if not -1300 <= decimal.Decimal.adjusted(d) <= 308 or len(decimal.Decimal.as_tuple(d).digits) > 1000:
            raise InputError(f"{where}: the Decimal is out of range; expected a number within the float range "
                             "with at most 1000 digits")
        p, q = decimal.Decimal.as_integer_ratio(d)
        return _rational(p, q, where, "the Decimal")
    if kind is mpmath.mpf:
        if not mpmath.isfinite(value):
            raise InputError(f"{where}: expected a finite number, got {value}")
        man, exp = value.man_exp  # type: ignore[attr-defined]
        if man == 0:
            return sp.Integer(0)
        if exp > 1024 or exp < -_MAX_BITS:
            raise InputError(f"{where}: the mpf is out of range; expected a number within the float range")
        return _rational(man * 2**exp, 1, where, "the mpf") if exp >= 0 else _rational(man, 2**-exp, where, "the mpf")
    if issubclass(kind, sp.Basic) and _module(kind).startswith("sympy."):
        assert isinstance(value, sp.Basic)
        if not _sympy_only(value):
            raise InputTypeError(f"{where}: expected a number, got a sympy {kind.__name__} with parts defined outside sympy "
                                 f"(or over {LIMITS.nodes} parts); give {NUMBER_TYPES}")
        if value in (sp.oo, -sp.oo, sp.zoo, sp.nan):
            raise InputError(f"{where}: expected a finite number, got {value}")
        if isinstance(value, sp.Rational):
            return _rational(int(value.p), int(value.q), where, "the number")
        if isinstance(value, sp.Float):
            if not value.is_finite:
                raise InputError(f"{where}: expected a finite number, got {value}")
            if abs(value) >= _FLOAT_MAX:
                raise InputError(f"{where}: {_short(value)} is too large; expected a number within the float range (about 1.8e308)")
            return value
        if not isinstance(value, sp.Expr) or value.free_symbols:
            raise InputTypeError(f"{where}: expected a number, got the sympy {kind.__name__} {_short(value)}; give {NUMBER_TYPES}")
        # an exact constant such as pi/4 is printed and read back by the grammar, under its limits
        # (sympy's own printer on sympy's own classes; a value the grammar cannot read is refused)
        try:
            text = sp.sstr(value)
        except ValueError:  # an integer too long to print
            raise InputError(f"{where}: the sympy number is too large; expected a number within the float range") from None
        try:
            return parse_constant(text)
        except ParseError as exc:
            raise InputError(f"{where}: {_short(text)} is not a real number the grammar can read ({exc.message}); "
                             f"give {NUMBER_TYPES}") from None
    if issubclass(kind, str):
        try:
            number = parse_constant(str.__str__(cast(str, value)))  # a plain copy of a subclass
        except ParseError as exc:
            exc.source = where
            raise
        if isinstance(number, sp.Rational):
            return _rational(int(number.p), int(number.q), where, "the number")
        return number
    raise InputTypeError(f"{where}: expected a number, got {type_name(value)}; give {NUMBER_TYPES}")


def type_name(value: object) -> str:
    """'None' or 'a value of type list' for a message, from the type alone (no method of the value runs)."""
    if value is None:
        return "None"
    kind = type(value)
    module = _module(kind)
    qualname = type.__dict__["__qualname__"].__get__(kind, type)  # type's own getter, as in _module
    name = qualname if module in ("builtins", "") else f"{module}.{qualname}"
    return f"a value of type {name}"


def variable_name(text: str) -> str | None:
    """The variable name the grammar reads for ``text`` (``'x'``, ``'alpha'``, and ``'α'`` as ``'alpha'``),
    or None when ``text`` is not one name. Reserved names are returned as read; the caller refuses them."""
    if not isinstance(text, str):
        return None
    t = text.strip()
    if len(t) == 1 and not t.isascii():
        return _greek(t)
    if _NAME.fullmatch(t) and len(t) <= LIMITS.name:
        return t
    return None


_NAMED_SETS: dict[str, sp.Set] = {
    "real": sp.S.Reals,
    "reals": sp.S.Reals,
    "positive": sp.Interval.open(0, sp.oo),
    "negative": sp.Interval.open(-sp.oo, 0),
    "nonnegative": sp.Interval(0, sp.oo),
    "nonpositive": sp.Interval(-sp.oo, 0),
    "nonzero": sp.Union(sp.Interval.open(-sp.oo, 0), sp.Interval.open(0, sp.oo)),
    "unit": sp.Interval.open(0, 1),
}


def parse_domain(text: str, *, limits: Limits = LIMITS) -> sp.Set:
    """A domain: ``real``, ``positive``, ``negative``, ``nonnegative``, ``nonpositive``, ``nonzero``,
    ``unit`` (0 < x < 1), an interval such as ``(0, 1]``, ``(-inf, 0)`` or ``[-pi/2, pi/2]``, or a
    union ``(-1, 0) U (0, 1)``."""
    if not isinstance(text, str):
        raise TypeError(f"expected the domain as a str, got {type(text).__name__}")
    if len(text) > limits.length:
        raise LimitError("domain is too long", column=limits.length + 1, text=text[: limits.length])
    parts: list[sp.Set] = []
    pos = 0
    for piece in re.split(r"(\s+U\s+|\u222a|\s+or\s+)", text):
        if re.fullmatch(r"\s+U\s+|\u222a|\s+or\s+", piece):
            pos += len(piece)
            continue
        parts.append(_one_domain(text, piece, pos, limits))
        pos += len(piece)
    domain = parts[0] if len(parts) == 1 else sp.Union(*parts)
    if domain.is_empty:
        raise ParseError("the domain is empty", column=1, text=text, expected="a non-empty set", found=repr(text))
    return domain


def _one_domain(text: str, piece: str, offset: int, limits: Limits) -> sp.Set:
    stripped = piece.strip()
    lead = offset + len(piece) - len(piece.lstrip()) + 1
    if stripped.lower() in _NAMED_SETS:
        return _NAMED_SETS[stripped.lower()]
    if not stripped or stripped[0] not in "([" or stripped[-1] not in ")]" or stripped.count(",") != 1:
        close = _close(stripped, list(_NAMED_SETS)) if stripped and stripped[0].isalpha() else ""
        raise ParseError(f"unknown domain {stripped!r}", column=lead, text=text, expected="a domain", found=repr(stripped),
                         hint=close or "Write real, positive, negative, nonnegative, nonpositive, nonzero, unit, "
                         "an interval such as (0, 1] or (-inf, 0), or a union (-1, 0) U (0, 1).")
    inner = stripped[1:-1]
    left_text, right_text = inner.split(",")
    ends = []
    col = lead + 1
    for end_text, sign_default in ((left_text, -1), (right_text, 1)):
        t = end_text.strip()
        if t.lstrip("+-").strip() in _INFINITY + ("\u221e",):
            ends.append(-sp.oo if t.startswith("-") else sp.oo)
        else:
            try:
                ends.append(parse_constant(t, limits=limits))
            except ParseError as exc:
                exc.column += col - 1 + len(end_text) - len(end_text.lstrip())
                exc.text = text
                raise
        col += len(end_text) + 1
        _ = sign_default
    lo, hi = ends
    if not bool(lo < hi):
        raise ParseError(f"interval {stripped} is empty: {lo} is not below {hi}", column=lead, text=text,
                         expected="a lower end below the upper end", found=stripped)
    return sp.Interval(lo, hi, left_open=stripped[0] == "(" or lo == -sp.oo, right_open=stripped[-1] == ")" or hi == sp.oo)


# --------------------------------------------------------------------------------------------- printing
class _TextPrinter(sp.printing.str.StrPrinter):  # type: ignore[misc]
    """Plain text in the grammar above: x^2, |x|, where(x > 0, 1, 0), sigmoid(x)."""

    def _p(self, expr: Any) -> str:
        return str(self._print(expr))

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        e = expr.exp
        if isinstance(e, sp.Rational) and e.is_negative and e != -1 and not rational:
            return "1/" + str(self.parenthesize(sp.Pow(expr.base, -e), 50))  # 1/x^2 rather than x^(-2)
        text = str(super()._print_Pow(expr, rational))
        return text.replace("**", "^")

    def _print_Abs(self, expr: sp.Abs) -> str:
        return "|" + self._p(expr.args[0]) + "|"

    def _print_Exp1(self, expr: sp.Basic) -> str:
        return "e"

    def _print_Max(self, expr: sp.Basic) -> str:
        return "max(" + ", ".join(self._p(a) for a in expr.args) + ")"

    def _print_Min(self, expr: sp.Basic) -> str:
        return "min(" + ", ".join(self._p(a) for a in expr.args) + ")"

    def _print_Heaviside(self, expr: sp.Basic) -> str:
        return "step(" + self._p(expr.args[0]) + ")"

    def _print_Indicator(self, expr: sp.Basic) -> str:
        return "indicator(" + self._p(expr.args[0]) + ")"

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        *head, (last_value, last_cond) = expr.args
        text = self._p(last_value)
        if last_cond != sp.true:
            text = f"where({self._p(last_cond)}, {text}, nan)"
        for value, cond in reversed(head):
            text = f"where({self._p(cond)}, {self._p(value)}, {text})"
        return text

    def _print_And(self, expr: sp.Basic) -> str:
        return " and ".join(self._paren_cond(a) for a in expr.args)

    def _print_Or(self, expr: sp.Basic) -> str:
        return " or ".join(self._paren_cond(a) for a in expr.args)

    def _print_Not(self, expr: sp.Basic) -> str:
        return "not " + self._paren_cond(expr.args[0])

    def _paren_cond(self, cond: sp.Basic) -> str:
        text = self._p(cond)
        return f"({text})" if isinstance(cond, (sp.And, sp.Or)) else text

    def _print_Relational(self, expr: sp.Basic) -> str:
        op = expr.rel_op
        if op in ("==", "!="):  # Eq/Ne are not in the grammar: write them as a pair of comparisons
            a, b = self._p(expr.lhs), self._p(expr.rhs)
            return f"({a} <= {b} and {a} >= {b})" if op == "==" else f"({a} < {b} or {a} > {b})"
        return f"{self._p(expr.lhs)} {op} {self._p(expr.rhs)}"

    def _print_BooleanTrue(self, expr: sp.Basic) -> str:
        return "0 <= 1"

    def _print_BooleanFalse(self, expr: sp.Basic) -> str:
        return "0 > 1"


def to_text(expr: Any) -> str:
    """Plain text of a sympy expression in this module's grammar (for terminals; it parses back)."""
    return str(_TextPrinter().doprint(expr))
