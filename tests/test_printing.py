"""The printers agree: LaTeX (the sheet), Unicode text (``cheatsheet show``) and the grammar's own
syntax (``cheatsheet check``) share the textbook order of factors and terms, and the grammar's text
of a formula reads back to the formula."""

from __future__ import annotations

import ast
import itertools
import re
import string
from pathlib import Path

import pytest
import sympy as sp
from sympy.core.function import AppliedUndef

import cheatsheet
from cheatsheet.catalog.piecewise import rint, trunc
from cheatsheet.catalog.special import sinc_pi
from cheatsheet.grammar.parse import ParseError, parse
from cheatsheet.notation import sigmoid, softplus
from cheatsheet.printing.grammar import to_text
from cheatsheet.printing.latex import latex
from cheatsheet.printing.text import text
from cheatsheet.printing.textbook import (
    in_sympy_order,
    lead_with_positive,
    prime,
    shorter_decimal,
    textbook_product,
)

x, y = sp.symbols("x y", real=True)

FORMULAS = [
    pytest.param(rule, label, expr, id=f"{rule.id}-{label}")
    for rule in cheatsheet.rules()
    for label, expr in [("f", rule.function), *((f"d{wrt}", d) for wrt, d in rule.derivatives.items())]
]
DERIVATIVES = [
    pytest.param(rule, wrt, d, id=f"{rule.id}-{wrt}")
    for rule in cheatsheet.rules()
    for wrt, d in rule.derivatives.items()
]


# ------------------------------------------------------------------------------ one order for text and LaTeX
_MARK = re.compile(r"Q[a-z]{2}")


def _marked(expr: sp.Basic) -> sp.Basic:
    """``expr`` with every symbol and matrix symbol renamed to a marker (Qaa, Qab, ...) that both printers
    print as the same plain letters, so the markers' order in a printout is the order of its leaves."""
    names = ("Q" + a + b for a, b in itertools.product(string.ascii_lowercase, repeat=2))
    symbols = sorted({s for s in sp.preorder_traversal(expr) if isinstance(s, sp.Symbol)}, key=str)
    renamed: dict[sp.Basic, sp.Basic] = {s: sp.Symbol(next(names), **s.assumptions0) for s in symbols}
    matrices = sorted({m for m in sp.preorder_traversal(expr) if isinstance(m, sp.MatrixSymbol)}, key=str)
    with sp.evaluate(False):  # rebuild without evaluation: the catalog's order of arguments stays
        for m in matrices:
            renamed[m] = sp.MatrixSymbol(next(names), *(sp.sympify(d).xreplace(renamed) for d in m.shape))
        return expr.xreplace(renamed)


@pytest.mark.parametrize(("rule", "label", "expr"), FORMULAS)
def test_text_and_latex_print_in_the_same_order(rule: cheatsheet.Rule, label: str, expr: sp.Basic) -> None:
    """The terminal and the sheet write a rule's function and derivatives with their variables in the same
    order: the same factors and terms, in the same places (σ(x)·(1 − σ(x)) and σ(x)(1 − σ(x)))."""
    marked = _marked(sp.sympify(expr))
    in_text, in_latex = text(marked), latex(marked)
    assert _MARK.findall(in_text) == _MARK.findall(in_latex), f"\n  text:  {in_text}\n  LaTeX: {in_latex}"


@pytest.mark.parametrize(
    ("expr", "expected_text", "expected_latex"),
    [
        # a sum never follows an operator name: (1 − y) ln(1 − x), as written or not
        (sp.Mul(sp.log(1 - x), 1 - y, evaluate=False), "(1 − y)·ln(1 − x)", r"(1 - y) \ln(1 - x)"),
        (
            sp.Mul(softplus(-x), sp.Add(y, -1, evaluate=False), evaluate=False),
            "(y − 1)·softplus(−x)",
            r"(y - 1) \operatorname{softplus}(- x)",
        ),
        # numbers first, the sign once in front, then the catalog's order
        (sp.Mul(x, -2, 1 - sigmoid(x), evaluate=False), "−2·x·(1 − σ(x))", r"- 2 x (1 - \sigma(x))"),
        (sp.Mul(sigmoid(x), 1 - sigmoid(x), evaluate=False), "σ(x)·(1 − σ(x))", r"\sigma(x) (1 - \sigma(x))"),
        (sp.Mul(1 - y, x, evaluate=False), "(1 − y)·x", r"(1 - y) x"),
    ],
)
def test_written_products_print_alike(expr: sp.Expr, expected_text: str, expected_latex: str) -> None:
    """Products the catalog wrote print with their factors in the textbook order in both printers."""
    assert text(expr) == expected_text
    assert latex(expr) == expected_latex


def test_text_of_matrix_formulas_reads_like_the_sheet() -> None:
    """Matrix formulas print with their signs, operators and coefficients as the sheet writes them."""
    assert text(cheatsheet.get("least_squares").derivatives["x"]) == "2·Aᵀ·(Ax − b)"
    assert text(cheatsheet.get("weighted_least_squares").derivatives["s"]) == "−2·Aᵀ·W·(x − As)"
    assert text(cheatsheet.get("sigmoid_backward").derivatives["input"]) == "G ⊙ σ(Z) ⊙ (1 − σ(Z))"
    assert text(cheatsheet.get("dropout").derivatives["input"]) == "(M ⊙ G)/(1 − p)"  # the bar's grouping, on one line
    assert text(cheatsheet.get("scaled_dot_product_attention").derivatives["query"]) == "S̅K/√(d)"
    assert text(cheatsheet.get("vec_kronecker").function) == "vec(G)ᵀ·(Bᵀ ⊗ A)·vec(X)"
    assert text(cheatsheet.get("linear").derivatives["bias"]) == "Gᵀ𝟏"


def test_long_rationals_print_as_their_decimal_in_both_printers() -> None:
    """SELU's λ reads 1.0507... on the sheet and in the terminal, not as a 31-digit fraction."""
    (lam,) = (d.value for d in cheatsheet.get("selu").where if str(d.symbol) == "lambda")
    assert text(lam) == latex(lam) == "1.0507009873554804934193349852946"
    assert text(sp.Rational(-1, 100)) == "−1/100" and latex(sp.Rational(-1, 100)) == r"- \frac{1}{100}"


# ------------------------------------------------------------------------------ the shared conventions
def test_textbook_product_orders_and_signs() -> None:
    """Numbers first, the sign pulled out once, 1s dropped, a sum moved before a run of operator calls."""
    product = textbook_product(sp.Mul(sp.log(x), sp.tanh(x), 1 - y, -3, 1, evaluate=False))
    assert product.negative
    assert product.factors == (3, 1 - y, sp.log(x), sp.tanh(x))
    # σ and Φ are symbols, not operator names: a sum may follow them
    assert textbook_product(sp.Mul(sigmoid(x), 1 - y, evaluate=False)).factors == (sigmoid(x), 1 - y)


def test_sums_go_last_only_in_sympys_own_order() -> None:
    """An evaluated product (sympy's order, (1 − σ(x)) σ(x)) puts its sums last in the terminal printer; a
    written one keeps its order. The LaTeX printer keeps sympy's order: a written product can coincide with
    it, and the sheet prints what the catalog wrote (the terminal then differs, as for cross_entropy's q_k)."""
    evaluated: sp.Expr = sigmoid(x) * (1 - sigmoid(x))
    assert in_sympy_order(evaluated) and evaluated.args == (1 - sigmoid(x), sigmoid(x))
    assert textbook_product(evaluated, sums_last=True).factors == (sigmoid(x), 1 - sigmoid(x))
    assert textbook_product(evaluated).factors == evaluated.args
    assert text(evaluated) == "σ(x)·(1 − σ(x))" and latex(evaluated) == r"(1 - \sigma(x)) \sigma(x)"
    written = sp.Mul(1 - y, x, evaluate=False)
    assert not in_sympy_order(written) and textbook_product(written, sums_last=True).factors == (1 - y, x)


def test_lead_with_positive() -> None:
    """A sum of matrices leads with its first positive term; the rest keep their order."""
    assert lead_with_positive(["-b", "-c", "Ax", "d"], lambda t: t.startswith("-")) == ["Ax", "-b", "-c", "d"]
    assert lead_with_positive(["-b", "-c"], lambda t: t.startswith("-")) == ["-b", "-c"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (sp.Rational(8943, 200000), "0.044715"),
        (sp.Rational(-8943, 200000), "0.044715"),  # the digits of |r|; the printer writes the sign
        (sp.Rational(1, 4), None),  # 0.25 is longer than 1/4
        (sp.Rational(1, 3), None),  # not a terminating decimal
        (sp.Integer(7), None),
    ],
)
def test_shorter_decimal(value: sp.Rational, expected: str | None) -> None:
    assert shorter_decimal(value) == expected


def test_prime_forms() -> None:
    """f′(x) for a function of its own variable; f′(g(x)) for a derivative evaluated elsewhere; else None."""
    f, g, u = sp.Function("f"), sp.Function("g"), sp.Symbol("u")
    form = prime(sp.Derivative(f(x), x))
    assert form is not None and (form.function, form.count, form.at) == (f(x), 1, x)
    chain = prime(sp.Subs(sp.Derivative(f(u), u), u, g(x)))
    assert chain is not None and chain.at == g(x)
    assert prime(sp.Derivative(f(x, y), x)) is None and prime(sp.Derivative(f(2 * x), x)) is None
    assert text(sp.Derivative(f(x), x)) == "f′(x)" and latex(sp.Derivative(f(x), x)) == r"f^{\prime}(x)"


# ------------------------------------------------------------------------------ the grammar reads its own text back
def _outside_grammar(expr: sp.Basic) -> str | None:
    """Why the grammar of ``cheatsheet check`` cannot write ``expr`` (it is scalar and has no subscripts), or None."""
    nodes = list(sp.preorder_traversal(expr))
    reasons = [
        (sp.MatrixExpr, "matrices"),
        ((sp.Indexed, sp.Sum), "subscripts and sums over an index"),
        ((sp.Derivative, sp.Subs, AppliedUndef), "unnamed functions and their derivatives (the general rules)"),
        (sp.KroneckerDelta, "the Kronecker delta"),
        # not in the grammar yet (issue 10): the special functions' own names
        ((sp.loggamma, sp.polygamma, sp.besseli, sp.erfinv, sinc_pi), "a special function (ψ, I_ν, erfinv, sinc)"),
        ((sp.floor, sp.ceiling, trunc, rint), "a rounding function (floor, ceil, trunc, round)"),
    ]
    for kinds, reason in reasons:
        if any(isinstance(a, kinds) for a in nodes):
            return reason
    if any(isinstance(a, sp.Piecewise) and a.args[-1].cond != sp.true for a in nodes):
        return "a piecewise expression undefined outside its cases (the grammar has no nan)"
    if any(isinstance(a, sp.Symbol) and not a.name.isidentifier() for a in nodes):
        return "a symbol named in TeX"
    return None


def _reads_back(expr: sp.Basic) -> bool:
    names = {s.name: s for s in expr.free_symbols if isinstance(s, sp.Symbol)}
    try:
        parsed = parse(to_text(expr), names, new_symbols=False)
    except ParseError:
        return False
    with sp.evaluate(True):  # the parser evaluates; compare with the formula evaluated, else by simplifying
        return bool(parsed == expr.doit() or sp.simplify(parsed - expr) == 0)


@pytest.mark.parametrize(("rule", "wrt", "expr"), DERIVATIVES)
def test_grammar_text_of_every_derivative_reads_back(rule: cheatsheet.Rule, wrt: str, expr: sp.Basic) -> None:
    """``to_text`` of a catalog derivative parses back to an equal expression, unless the derivative uses
    something the grammar cannot write; then it must not read back (if the grammar learns it, this fails
    and the exception goes)."""
    expr = sp.sympify(expr)
    printed = to_text(expr)
    reason = _outside_grammar(expr)
    if reason is None:
        assert "**" not in printed
        assert _reads_back(expr), f"{printed!r} does not read back to {expr}"
    else:
        assert not _reads_back(expr), f"{printed!r} reads back although it has {reason}: drop the exception"


def test_grammar_prints_in_the_textbook_order() -> None:
    """The grammar's text and the LaTeX that ``check`` prints beside it list factors and terms alike."""
    d = sp.diff(x**2 * sp.sin(x) + sp.exp(-x) * x, x)
    assert _MARK.findall(to_text(_marked(d))) == _MARK.findall(latex(_marked(d)))
    assert to_text(sp.Mul(sp.log(1 - x), 1 - y, evaluate=False)) == "(1 - y)*log(1 - x)"
    assert to_text(sp.erf(x).diff(x)) == "2*exp(-x^2)/sqrt(pi)"


# ------------------------------------------------------------------------------ layering
def test_printing_imports_no_later_stage() -> None:
    """printing sits after the verifier and before checking, examples, render, build and cli: it imports
    none of them (at the top or inside functions), so a printer can never pull in a command."""
    later = (
        "cheatsheet.checking",
        "cheatsheet.examples",
        "cheatsheet.render",
        "cheatsheet.build",
        "cheatsheet.cli",
        "cheatsheet.sheet",
    )
    package = Path(cheatsheet.__file__).parent / "printing"
    for path in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not [n for n in names if n.startswith(later)], f"{path.name} imports {names}"
