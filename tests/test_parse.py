"""The safe expression grammar: what it reads, what it refuses (with the column and a hint), its
resource limits, and that no user text ever reaches eval, exec, compile, sympify or parse_expr."""

from __future__ import annotations

import builtins
import time

import pytest
import sympy as sp
from sympy.core.parameters import evaluate

from cheatsheet.grammar.domains import parse_domain
from cheatsheet.grammar.parse import (
    FUNCTIONS,
    LimitError,
    Limits,
    ParseError,
    parse,
    parse_constant,
    parse_expression,
)
from cheatsheet.notation import Indicator, Phi, phi, sigmoid, softplus
from cheatsheet.printing.grammar import to_text
from cheatsheet.printing.latex import latex

x, y = sp.symbols("x y", real=True)
a = sp.Symbol("a", real=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x^2", x**2),
        ("x**2", x**2),
        ("-x^2", -(x**2)),
        ("2^3^2", sp.Integer(512)),
        ("x - y - 1", x - y - 1),
        ("x/y/2", x / y / 2),
        ("0.1*x", x / 10),
        ("1e-3", sp.Rational(1, 1000)),
        ("2.5E+2", sp.Integer(250)),
        (".5", sp.S.Half),
        ("|x|", sp.Abs(x)),
        ("|x - |y||", sp.Abs(x - sp.Abs(y))),
        ("||x| - 1|", sp.Abs(sp.Abs(x) - 1)),
        ("||x||", sp.Abs(x)),
        ("|x|*|y|", sp.Abs(x) * sp.Abs(y)),
        ("x/(1+|x|)", x / (1 + sp.Abs(x))),
        ("e^x", sp.exp(x)),
        ("pi*x", sp.pi * x),
        ("sigmoid(x)", sigmoid(x)),
        ("sigma(x)", sigmoid(x)),
        ("σ(x)", sigmoid(x)),
        ("softplus(x)", softplus(x)),
        ("Phi(x) + phi(x)", Phi(x) + phi(x)),
        ("Φ(x)*φ(x)", Phi(x) * phi(x)),
        ("ln(x) + log(x)", 2 * sp.log(x)),
        ("relu(x)", sp.Max(0, x)),
        ("gelu(x)", x * Phi(x)),
        ("silu(x)", x * sigmoid(x)),
        ("max(0, x, y)", sp.Max(0, x, y)),
        ("min(x, 1)", sp.Min(x, 1)),
        ("where(x > 0, x, 0.01*x)", sp.Piecewise((x, x > 0), (x / 100, True))),
        ("where(0 < x <= 1, 1, 0)", sp.Piecewise((1, sp.And(x > 0, x <= 1)), (0, True))),
        ("where((x > 0) and (y < 1), 1, 0)", sp.Piecewise((1, sp.And(x > 0, y < 1)), (0, True))),
        ("where(x < 0 or x > 1, 1, 0)", sp.Piecewise((1, sp.Or(x < 0, x > 1)), (0, True))),
        ("where(not x > 0, 1, 0)", sp.Piecewise((1, x <= 0), (0, True))),
        ("indicator(x > 0)", Indicator(x > 0)),
        ("step(x)", sp.Heaviside(x)),
        ("sign(x)*abs(x)", sp.sign(x) * sp.Abs(x)),
        ("x − 1", x - 1),
        ("2·x × y", 2 * x * y),
        ("x²", x**2),
        ("α*x", sp.Symbol("alpha", real=True) * x),
        ("arctan(x) + atan(x)", 2 * sp.atan(x)),
        ("Abs(x) + Max(x, 0)", sp.Abs(x) + sp.Max(x, 0)),
        ("2^1000", sp.Integer(2) ** 1000),
        ("max(sin(x), softplus(pi))", sp.Max(sp.sin(x), softplus(sp.pi))),  # notation evaluates numerically
        ("where(phi(1) > 0.2, x, 0)", x),  # phi(1).evalf() once called mpmath.phi, the golden ratio
    ],
)
def test_grammar_reads_expressions(text: str, expected: sp.Basic) -> None:
    """Each expression of the documented grammar parses to the sympy expression it means."""
    assert parse(text) == expected


def test_unevaluated_parse_keeps_the_order_written() -> None:
    """Rule files print as written: σ(x)(1 − σ(x)), not sympy's canonical (1 − σ(x))σ(x)."""
    with evaluate(False):  # as the catalog writes them (textbook())
        written = [sigmoid(x) * (1 - sigmoid(x)), x / (1 + sp.Abs(x)), x * sp.exp(-x)]
    texts = ["sigmoid(x)*(1 - sigmoid(x))", "x/(1 + |x|)", "x*exp(-x)"]
    for text, expr in zip(texts, written, strict=False):
        assert latex(parse(text, evaluated=False)) == latex(expr)
    assert latex(parse(texts[0], evaluated=False)).startswith(r"\sigma(x)")


def test_symbols_and_names() -> None:
    """Given symbols are used; names are listed in order of first use, with their columns."""
    p = parse_expression("b*x + a*x", {"a": a})
    assert p.names == ("b", "x", "a") and p.positions == {"b": 1, "x": 3, "a": 7}
    assert p.expr.has(a)
    with pytest.raises(ParseError, match=r"unknown name 'bta'\. Did you mean 'beta'"):
        parse("bta*x", {"beta": sp.Symbol("beta"), "x": x}, new_symbols=False)


@pytest.mark.parametrize(
    "expr",
    [
        x / (1 + sp.Abs(x)),
        sigmoid(x) * (1 - sigmoid(x)),
        sp.Piecewise((x, x > 0), (sp.exp(x) - 1, True)),
        sp.Piecewise((1, sp.And(x > 0, x < 1)), (0, True)),
        Indicator(x > 0) + sp.Heaviside(x - 1),
        sp.Max(0, x) - sp.Min(x, y) + sp.E * x + sp.pi,
        -(x**2) / 2 + sp.sqrt(x**2 + 1) - x ** sp.Rational(-3, 2),
        sp.erf(x) * Phi(x) * phi(x) * softplus(x),
    ],
)
def test_plain_text_parses_back(expr: sp.Basic) -> None:
    """to_text prints in the grammar: its output parses back to the same expression."""
    text = to_text(expr)
    assert "**" not in text
    assert parse(text, {"x": x, "y": y}) == expr


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("sigmod(x)", 1, "unknown function 'sigmod'. Did you mean 'sigmoid'?"),
        ("Sigmoid(x)", 1, "Did you mean 'sigmoid'?"),
        ("x^2 + foo(x)", 7, "unknown function 'foo'"),
        ("2x", 2, "Write '*' for multiplication"),
        ("x(1 + x)", 1, "write '*' for multiplication: x*(...)"),
        ("sin x", 1, "'sin' is a function"),
        ("x +", 4, "expected an expression, found the end"),
        ("(x + 1", 7, "expected ')', found the end"),
        ("x + 1)", 6, "no matching '('"),
        ("|x", 3, "expected '|'"),
        ("x > 0", 3, "only allowed as the condition of where"),
        ("where(x, 1, 2)", 8, "expected a comparison"),
        ("max(x)", 1, "max() takes 2 to 16 arguments, got 1"),
        ("log(x, 2)", 8, "log() takes 1 argument"),
        ("x == 1", 3, "Equality is not part of the grammar"),
        ("", 1, "empty expression"),
        ("e(x)", 1, "'e' is a constant, not a function"),
        ("1/0", 3, "division by zero"),
        ("x/(2 - 2)", 4, "division by zero"),
        ("x/sin(pi)", 3, "division by zero"),
        ("x*tan(pi/2)", 3, "undefined value"),
        ("log(0)", 1, "undefined or not a real number"),
        ("sqrt(-1)*x", 1, "not a real number"),
        ("inf*x", 1, "infinity"),
        ("x + zoo", 5, "reserved name"),
        ("where(where(x > 1, x, 0) > 1, x, 0)", 7, "where() cannot be used inside a condition"),
    ],
)
def test_errors_point_at_the_column(text: str, column: int, message: str) -> None:
    """Every error names the column, what was expected or wrong, and a hint."""
    with pytest.raises(ParseError) as info:
        parse(text)
    assert info.value.column == column, str(info.value)
    assert message in str(info.value)
    assert str(info.value).startswith(f"column {column}: ")
    assert "\n" not in str(info.value)
    assert info.value.pointer().splitlines()[1] == " " * (column - 1) + "^"


def test_error_carries_expected_found_and_source() -> None:
    with pytest.raises(ParseError) as info:
        parse("x + * 2")
    err = info.value
    assert (err.expected, err.found, err.column) == ("an expression", "'*'", 5)
    err.source = "CLAIM"
    assert str(err).startswith("CLAIM, column 5: expected an expression, found '*'")


HOSTILE = [
    "__import__('os').system('touch PWNED')",
    '__import__("os").system("touch PWNED")',
    "x.__class__",
    "x.__class__.__bases__[0].__subclasses__()",
    "().__class__",
    "lambda: open('PWNED', 'w')",
    "lambda x: x",
    "eval('1+1')",
    "exec(\"open('PWNED','w')\")",
    "open('PWNED', 'w')",
    "'a string'",
    "x[0]",
    "x; import os",
    "import os",
    "x if x else y",
    "{x: 1}",
    "[x for x in y]",
    'f"{x}"',
    "x @ y",
    "x := 1",
    "`x`",
    "\\x",
    "getattr(x, 'y')",
    "Symbol('x')",
    "sympify('x')",
    "x\x00",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_a_syntax_error(text: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Code in any form is not an expression of the grammar: nothing runs, no file appears."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ParseError):
        parse(text)
    assert list(tmp_path.iterdir()) == []


def test_no_user_text_reaches_eval_exec_compile_sympify_or_parse_expr(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parsing works with eval, exec, compile, sympify and parse_expr all booby-trapped."""
    import sys

    import sympy.parsing.sympy_parser

    import cheatsheet.grammar.parse

    texts = ["x/(1+|x|) - sigmoid(x)^2 + where(x > 0, x, 0)", "max(0, x) + e^x * pi", "gelu(x)", "2^10 * 0.5"]
    for t in texts:  # warm up: lazy imports and caches
        parse(t)
        parse(t, evaluated=False)
    seen: list[str] = []

    def trap(name: str, real: object) -> object:
        def f(*args: object, **kwargs: object) -> object:
            if any(isinstance(a, str) for a in args) or name in ("eval", "exec", "compile", "parse_expr"):
                seen.append(name)
                raise AssertionError(f"{name} called during parsing with {args!r}")
            return real(*args, **kwargs)  # type: ignore[operator]

        return f

    traps = [
        (builtins, "eval"),
        (builtins, "exec"),
        (builtins, "compile"),
        (sp, "sympify"),
        (sys.modules["sympy.core.sympify"], "sympify"),
        (sp, "parse_expr"),
        (sympy.parsing.sympy_parser, "parse_expr"),
    ]
    failure: BaseException | None = None
    with monkeypatch.context() as m:
        for mod, name in traps:
            m.setattr(mod, name, trap(name, getattr(mod, name)))
        try:
            for t in texts:
                assert parse(t) == parse(t)
                parse(t, evaluated=False)
                with pytest.raises(ParseError):
                    parse(t + " + __import__('os')")
        except BaseException as exc:
            failure = exc
    assert failure is None, repr(failure)
    for name in ("eval", "exec", "compile", "sympify", "parse_expr"):
        assert not hasattr(cheatsheet.grammar.parse, name)
    assert seen == []


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("x+" * 1500 + "x", "characters long"),
        ("(" * 60 + "x" + ")" * 60, "nested more than 40 levels"),
        ("-" * 60 + "x", "nested more than 40 levels"),
        ("sin(" * 50 + "x" + ")" * 50, "nested more than 40 levels"),
        ("+".join(["x*y"] * 300), "more than 500 nodes"),
        ("x^100000", "exponent 100000 is too large"),
        ("10^10^10", "too large"),
        ("x^10^10", "exponent 10000000000 is too large"),
        ("(x^1000)^1000", "nested powers grow too large"),
        ("((x^10)^10)^10^3", "nested powers grow too large"),
        ("9" * 200, "number has 200 digits"),
        ("1e999999999", "too large or too small"),
        ("2^1100", "beyond the float range"),
        ("exp(exp(exp(20)))*x", "too large"),
        ("x^sin(exp(exp(20)))", "too large"),
        ("where(sin(exp(exp(30))) > 0, x, 1)", "too large"),
        ("x" * 40, "name is 40 characters long"),
    ],
)
def test_resource_limits_are_clear_errors(text: str, what: str) -> None:
    """Each limit is a LimitError raised at once, never a hang or a crash."""
    start = time.perf_counter()
    with pytest.raises(LimitError, match=what):
        parse(text)
    assert time.perf_counter() - start < 2.0


def test_limits_can_be_changed() -> None:
    assert parse("x^2000", limits=Limits(exponent=5000, growth=10**5)) == x**2000
    with pytest.raises(LimitError):
        parse("x + y", limits=Limits(length=3))


def test_every_function_is_documented_and_callable() -> None:
    """Every allowed function has a docstring line, builds a sympy expression, and has a float twin."""
    for name, spec in FUNCTIONS.items():
        assert spec.doc
        lo = spec.arity[0]
        args = ["x > 0" if spec.condition else "x"] + ["x"] * (lo - 1)
        expr = parse(f"{name}({', '.join(args)})")
        assert isinstance(expr, sp.Basic)
        value = "1.3" if name in ("acosh", "arcosh", "arccosh") else "0.3"
        assert parse(f"{name}({', '.join(a.replace('x', value) for a in args)})").is_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2", 2),
        ("-0.5", sp.Rational(-1, 2)),
        ("1/3", sp.Rational(1, 3)),
        ("pi/4", sp.pi / 4),
        ("1e-3", sp.Rational(1, 1000)),
    ],
)
def test_constants(text: str, expected: sp.Expr) -> None:
    assert parse_constant(text) == expected


def test_constant_refuses_names() -> None:
    with pytest.raises(ParseError, match="expected a number, found the name 'a'"):
        parse_constant("2*a")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("real", sp.S.Reals),
        ("positive", sp.Interval.open(0, sp.oo)),
        ("nonzero", sp.Union(sp.Interval.open(-sp.oo, 0), sp.Interval.open(0, sp.oo))),
        ("(0, 1]", sp.Interval.Lopen(0, 1)),
        ("[-pi/2, pi/2]", sp.Interval(-sp.pi / 2, sp.pi / 2)),
        ("(-inf, 0)", sp.Interval.open(-sp.oo, 0)),
        ("(2, ∞)", sp.Interval.open(2, sp.oo)),
        ("(-1, 0) U (0, 1)", sp.Union(sp.Interval.open(-1, 0), sp.Interval.open(0, 1))),
    ],
)
def test_domains(text: str, expected: sp.Set) -> None:
    assert parse_domain(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("postive", "Did you mean 'positive'"),
        ("(1, 0)", "is empty"),
        ("(0, 1", "unknown domain"),
        ("(0, a)", "found the name 'a'"),
    ],
)
def test_bad_domains(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_domain(text)
