"""Property-based tests (hypothesis): the parser never fails with anything but its own error, never
hangs; for random valid expressions, sympy's derivative checks TRUE and a mutated claim FALSE.

Set HYPOTHESIS_PROFILE=thorough for a longer run; CI (CI=true) uses a fixed seed."""

from __future__ import annotations

import contextlib
import os

import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, reject, settings
from hypothesis import strategies as st

from cheatsheet.checking.claim import CheckResult, check
from cheatsheet.grammar.domains import parse_domain
from cheatsheet.grammar.parse import ParseError, parse
from cheatsheet.printing.grammar import to_text
from cheatsheet.timelimit import TimeLimitError

settings.register_profile("default", deadline=2000, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True)
settings.register_profile("thorough", parent=settings.get_profile("default"), max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default"))

#: Hundreds of generated inputs per test: part of `make test`, not of the fast loop.
pytestmark = pytest.mark.slow

x = sp.Symbol("x", real=True)

# ------------------------------------------------------------------------------- random text
TOKENS = [
    "x",
    "y",
    "2",
    "0",
    "1.5",
    "1e308",
    "1e-400",
    "9" * 120,
    "e",
    "pi",
    "inf",
    "(",
    ")",
    "|",
    ",",
    "+",
    "-",
    "*",
    "/",
    "^",
    "**",
    "<",
    "<=",
    ">",
    ">=",
    "==",
    "=",
    "and",
    "or",
    "not",
    "sin",
    "exp",
    "log",
    "sqrt",
    "where",
    "indicator",
    "max",
    "sigmoid",
    "Phi",
    "relu",
    "abs",
    "step",
    "__import__",
    "'os'",
    '"rm"',
    ".",
    "__class__",
    "[",
    "]",
    "{",
    "}",
    ";",
    ":",
    "lambda",
    "eval",
    "exec",
    "\x00",
    "\n",
    " ",
    "σ",
    "π",
    "²",
    "−",
    "∞",
    "√",
    "\u202e",
    "\ud7ff",
    "\U0001f600",
]


@settings(max_examples=400)
@given(st.text(max_size=80))
def test_parser_on_random_text_raises_only_parse_errors(text: str) -> None:
    """Any text at all: an expression or a ParseError, nothing else."""
    with contextlib.suppress(ParseError):
        parse(text)


@settings(max_examples=600)
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
def test_parser_on_adversarial_token_soup_raises_only_parse_errors(text: str) -> None:
    """Grammar fragments, hostile Python and odd characters mixed: only ParseError, within the deadline."""
    for evaluated in (True, False):
        with contextlib.suppress(ParseError):
            parse(text, evaluated=evaluated)


@settings(max_examples=200)
@given(
    st.recursive(
        st.sampled_from(["x", "2", "10", "0.5", "pi", "e", "1000", "0", "-1"]),
        lambda inner: (
            st.tuples(inner, st.sampled_from(["^", "*", "/", "+", "-", "^-", "**"]), inner).map("".join)
            | inner.map(lambda s: f"({s})")
            | inner.map(lambda s: f"exp({s})")
            | inner.map(lambda s: f"|{s}|")
            | inner.map(lambda s: f"sin({s})")
            | inner.map(lambda s: f"log({s})")
            | inner.map(lambda s: f"where({s} > 1, {s}, 0)")
            | inner.map(lambda s: f"max({s}, 1)")
        ),
        max_leaves=12,
    )
)
def test_parser_on_towers_of_powers_never_hangs(text: str) -> None:
    """Powers, exponentials and nesting that could explode: a result or a ParseError (LimitError), quickly."""
    with contextlib.suppress(ParseError):
        parse(text)


@settings(max_examples=200)
@given(st.text(alphabet="()[],-+0123456789.infUopstverla ", max_size=30))
def test_domain_parser_raises_only_parse_errors(text: str) -> None:
    with contextlib.suppress(ParseError):
        parse_domain(text)


# ------------------------------------------------------------------------------- random valid expressions
LEAVES = st.sampled_from(["x", "x", "2", "3", "1/2", "pi"])
UNARY = [
    "sin({})",
    "cos({})",
    "exp({})",
    "tanh({})",
    "sigmoid({})",
    "softplus({})",
    "atan({})",
    "erf({})",
    "sqrt(1 + ({})^2)",
    "log(1 + ({})^2)",
    "|{}|",
    "({})^2",
    "({})^3",
    "-({})",
]
BINARY = ["({}) + ({})", "({}) - ({})", "({})*({})", "({})/(1 + ({})^2)", "max({}, {})"]


def _expressions() -> st.SearchStrategy[str]:
    return st.recursive(
        LEAVES,
        lambda inner: (
            st.builds(lambda f, a: f.format(a), st.sampled_from(UNARY), inner)
            | st.builds(lambda f, a, b: f.format(a, b), st.sampled_from(BINARY), inner, inner)
        ),
        max_leaves=4,
    )


def _check(f: str, claim: str) -> CheckResult:
    """check(), with an example that runs past the time limit (sin(exp(exp(x))) at x = 31) set aside:
    too slow is not a wrong verdict."""
    try:
        return check(f, claim, timeout=10)
    except TimeLimitError:
        reject()
        raise AssertionError("unreachable") from None


@settings(max_examples=12, deadline=None)
@given(_expressions())
def test_sympys_derivative_checks_true(f: str) -> None:
    """For a random expression F, `check F <str(sympy's derivative)>` is TRUE."""
    fx = parse(f)
    assume(x in fx.free_symbols)
    claim = str(sp.diff(fx, x))
    assume(len(claim) <= 1500)
    r = _check(f, claim)
    assert r.holds, r.report()


@settings(max_examples=10, deadline=None)
@given(_expressions(), st.sampled_from(["({}) + 1", "({}) - 1/1000", "2*({}) + 1", "({}) + x"]))
def test_mutated_claim_checks_false(f: str, mutation: str) -> None:
    """A claim that differs from the derivative (a constant or x added) is FALSE with a counterexample."""
    fx = parse(f)
    assume(x in fx.free_symbols)
    d = sp.diff(fx, x)
    wrong = mutation.format(to_text(d))
    assume(len(wrong) <= 1500)
    assume(sp.simplify(sp.diff(fx, x) - parse(wrong, {"x": x})) != 0)
    r = _check(f, wrong)
    assert not r.holds and r.counterexample is not None, r.report()


@pytest.mark.parametrize(
    "f", ["x^3*sin(x)", "sigmoid(x)*tanh(x)", "max(x, x^2)/(1 + x^2)", "|sin(x)|", "softplus(-x)*exp(-x^2)"]
)
def test_printed_derivative_round_trips(f: str) -> None:
    """Both sympy's str() and our plain text of a derivative read back to the same expression."""
    d = sp.diff(parse(f), x)
    assert parse(str(d)) == d
    assert parse(to_text(d)) == d


# ------------------------------------------------------------------------------- where a verdict used to be false
BASES = st.sampled_from(["0", "1", "-2", "1/3", "7"])


@pytest.mark.slow
@settings(max_examples=8, deadline=None)
@given(BASES, st.integers(min_value=12, max_value=90))
def test_a_narrow_region_is_never_skipped(base: str, k: int) -> None:
    """Breakpoints 10^-k apart (k from 12 to 90): a claim wrong only between them is FALSE, the right one TRUE."""
    f = f"max({base}, x - 1e-{k})"
    wrong = _check(f, f"indicator(x > {base})")
    assert not wrong.holds and wrong.counterexample is not None, wrong.report()
    right = _check(f, f"indicator(x > {base} + 1e-{k})")
    assert right.holds, right.report()


PAIRS = [("x^2", "2*x"), ("exp(x)", "exp(x)"), ("x^3", "3*x^2"), ("sin(x)", "cos(x)"), ("x*exp(x)", "(x + 1)*exp(x)")]
POSITIVE_PAIRS = [("log(x)", "1/x"), ("sqrt(x)", "1/(2*sqrt(x))"), ("x*log(x)", "log(x) + 1")]


@pytest.mark.slow
@settings(max_examples=10, deadline=None)
@given(st.integers(min_value=20, max_value=300), st.sampled_from(["above", "below", "beside", "tiny"]), st.data())
def test_huge_and_tiny_domains_give_right_verdicts(e: int, where: str, data: st.DataObject) -> None:
    """Domains beyond 10^20 .. 10^300, a unit interval at 10^e, or (0, 10^-e): TRUE for the derivative, FALSE
    for twice it (never a FALSE for a true claim because the precision ran out)."""
    domain = {
        "above": f"(1e{e}, inf)",
        "below": f"(-inf, -1e{e})",
        "beside": f"(1e{e}, 1e{e} + 1)",
        "tiny": f"(0, 1e-{e})",
    }[where]
    pairs = PAIRS + (POSITIVE_PAIRS if where != "below" else [])
    f, d = data.draw(st.sampled_from(pairs))
    try:
        ok = check(f, d, domain={"x": domain}, timeout=20)
        bad = check(f, f"2*({d})", domain={"x": domain}, timeout=20)
    except TimeLimitError:
        reject()
        raise AssertionError("unreachable") from None
    assert ok.holds, ok.report()
    assert not bad.holds, bad.report()


@pytest.mark.slow
@settings(max_examples=10, deadline=None)
@given(
    st.sampled_from(PAIRS),
    st.integers(min_value=-90, max_value=90),
    st.sampled_from(["1", "1e-20", "1e-45"]),
    st.sampled_from(["exp(-({s})*(x - ({c}))^2)", "exp(-({s})*(x - ({c}))^4)", "((x - ({c}))/50)^400"]),
    st.sampled_from(["1", "10", "1/10"]),
)
def test_a_residue_with_a_tiny_support_is_found(pair: tuple[str, str], c: int, size: str, bump: str, s: str) -> None:
    """The derivative plus a bump that is below 10^-100 at every random point (centred anywhere in [-90, 90]),
    or a high power that is negligible until far away: FALSE, at a point where the bump shows."""
    f, d = pair
    term = bump.format(c=c, s=s)
    r = _check(f, f"{d} + {size}*{term}")
    assert not r.holds and r.counterexample is not None, r.report()
