"""`cheatsheet check` and `cheatsheet.check`: true claims are proved or checked with the points used,
false ones get a counterexample and the correct derivative, unreadable input is exit 2 with the
column, hostile input never runs, and every limit is a clear error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import mpmath
import pytest
import sympy as sp
from click.testing import CliRunner

import cheatsheet
from cheatsheet.checking.claim import CheckResult, check
from cheatsheet.cli.check import check as check_command
from cheatsheet.grammar.parse import InputError, LimitError, ParseError, parse
from cheatsheet.timelimit import TimeLimitError

x = sp.Symbol("x", real=True)


@pytest.mark.parametrize(
    ("f", "claim"),
    [
        ("x/(1+|x|)", "1/(1+|x|)^2"),
        ("sigmoid(x)", "sigmoid(x)*(1 - sigmoid(x))"),
        ("softplus(x)", "sigmoid(x)"),
        ("tanh(x)", "1 - tanh(x)^2"),
        ("gelu(x)", "Phi(x) + x*phi(x)"),
        ("log(x)", "1/x"),
        ("x^x", "x^x*(log(x) + 1)"),
        ("asin(x)", "1/sqrt(1 - x^2)"),
        ("relu(x)", "indicator(x > 0)"),
        ("|x|", "sign(x)"),
        ("where(x > 0, x, 0.01*x)", "where(x > 0, 1, 0.01)"),
        ("max(x, x^2)", "where(x^2 > x, 2*x, 1)"),
        ("erf(x)", "2/sqrt(pi)*exp(-x^2)"),
        ("sign(x)", "0"),
    ],
)
def test_true_claims_hold(f: str, claim: str) -> None:
    """Correct derivatives are TRUE, with the evidence: how, and at which points."""
    r = check(f, claim)
    assert r.holds and r.exit_code == 0 and r.status in ("proved", "checked"), r.report()
    assert r.points >= 8 and r.points_used
    assert r.report().startswith("TRUE: d/dx")


def test_the_issues_example_is_false_and_its_fix_true() -> None:
    """1 − softsign² is the tanh-style mistake: d/dx x/(1+|x|) is 1/(1+|x|)²."""
    r = check("x/(1+|x|)", "1 - (x/(1+|x|))^2")
    assert not r.holds and r.status == "false" and r.exit_code == 1
    assert check("x/(1+|x|)", "1/(1+|x|)^2").status == "proved"


@pytest.mark.parametrize(
    ("f", "claim"),
    [
        ("sigmoid(x)", "sigmoid(x)*(1 + sigmoid(x))"),
        ("tanh(x)", "-tanh(x)^2"),
        ("x^3", "3*x"),
        ("log(x)", "1/x + 1e-6"),
        ("relu(x)", "1"),
        ("exp(x)", "exp(x) + 1e-40"),  # below the 60-digit gate's tolerance: found by the residue
    ],
)
def test_false_claims_get_a_counterexample_and_the_derivative(f: str, claim: str) -> None:
    """FALSE with a point, the true derivative there (correct) and the claimed value, plus the derivative."""
    r = check(f, claim)
    assert not r.holds and r.status == "false", r.report()
    cx = r.counterexample
    assert cx is not None and cx.point and cx.expected != cx.got
    fx = parse(f, {"x": sp.Symbol("x", positive=True) if f.startswith("log") else x})
    sym = next(iter(fx.free_symbols))
    value = sp.N(sp.diff(fx, sym).subs(sym, sp.Float(cx.point["x"], 30)), 20)
    assert float(cx.expected) == pytest.approx(float(value), rel=1e-9)
    # the correct derivative, as text in the grammar and as LaTeX, equals sympy's derivative
    d = parse(r.derivative_text, {"x": sym})
    assert sp.simplify(d - sp.diff(fx, sym).rewrite(sp.exp).subs({})) == 0 or all(
        abs(complex(sp.N((d - sp.diff(fx, sym)).subs(sym, v)))) < 1e-12 for v in (0.3, 1.7, 2.9)
    )
    assert r.derivative_latex
    assert "FALSE" in r.report() and "counterexample" in r.report()


def test_parameters_are_exact_numbers() -> None:
    r = check("a*x^2 + b", "2*a*x", a="1/3", b=0.1)
    assert r.holds and r.params == {"a": "1/3", "b": "1/10"}
    assert check("x^a", "a*x^(a-1)", "x", params={"a": 2}).holds
    assert check("x^a", "a*x^(a-1)", "x", a=2, params={"a": 3}).params == {"a": "2"}  # keywords win


def test_parameter_typos_and_unknown_variables_are_input_errors() -> None:
    with pytest.raises(InputError, match="no variable 'b'"):
        check("a*x", "a", a=2, b=3)
    with pytest.raises(InputError, match="Did you mean 'beta'"):
        check("beta*x", "beta", bta=2)
    with pytest.raises(ParseError, match="CLAIM uses 'z', which F does not") as info:
        check("x^2", "2*z")
    assert info.value.column == 3
    with pytest.raises(InputError, match="several variables"):
        check("a*b", "b")
    with pytest.raises(InputError, match="also given as a --param"):
        check("a*x", "a", "a", a=2)
    with pytest.raises(ParseError, match="--param a, column 1: expected a number, found the name 'y'"):
        check("a*x", "a", a="y")


def test_wrt_and_several_variables() -> None:
    assert check("x*y^2", "2*x*y", "y").holds
    assert check("x*y^2", "y^2", "x").holds
    assert check("y^2", "0", "x").holds  # F does not depend on x


def test_domains_inferred_given_and_impossible() -> None:
    r = check("log(x)", "1/x")
    assert r.inferred == ("x",) and r.domains["x"] == "x > 0"
    r = check("sqrt(1 - x^2)", "-x/sqrt(1 - x^2)")
    assert r.domains["x"] == "-1 < x < 1"
    r = check("log(x)", "1/x", domain={"x": "(0, 1)"})
    assert r.holds and all(0 < float(p["x"]) < 1 for p in r.points_used)
    r = check("x^(1/3)", "x^(-2/3)/3")  # sympy's principal root is complex for x < 0: those points are skipped
    assert r.holds and r.skipped_points > 0
    with pytest.raises(InputError, match="finite real number at only 0 of"):
        check("log(-x^2 - 1)", "2*x/(x^2 + 1)")
    with pytest.raises(ParseError, match="--domain x"):
        check("log(x)", "1/x", domain={"x": "postive"})


def test_verification_time_limit() -> None:
    """sin of e^(e^(e^x)) needs hundreds of millions of bits of π: a clear error after the limit."""
    start = time.perf_counter()
    with pytest.raises(TimeLimitError, match="time limit of 1 s"):
        check("sin(exp(exp(exp(x))))", "0", timeout=1)
    with pytest.raises(InputError, match=r"time limit|out of memory"):  # 10^(10^10) appears only once a = 1e10
        check("10^a*x", "10^a", a="1e10", timeout=1)
    assert time.perf_counter() - start < 20


def test_limits_and_syntax_are_errors_naming_the_argument() -> None:
    with pytest.raises(LimitError, match=r"^F, column 3: exponent 100000 is too large"):
        check("x^100000", "1")
    with pytest.raises(ParseError, match=r"^CLAIM, column 1: unknown function 'sigmod'\. Did you mean 'sigmoid'"):
        check("sigmoid(x)", "sigmod(x)")


def test_result_api() -> None:
    r = cheatsheet.check("x^2", "2*x")
    assert isinstance(r, CheckResult) and bool(r) and r.counterexample is None
    d = r.to_dict()
    assert d["holds"] is True and d["status"] == "proved" and d["points"] == len(d["points_used"])
    json.dumps(d)


# ----------------------------------------------------------------------------------- the command
def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(check_command, list(args), prog_name="cheatsheet check")
    return result.exit_code, result.output


def test_command_exit_codes_and_output() -> None:
    code, out = _run("x/(1+|x|)", "1/(1+|x|)^2")
    assert code == 0 and out.startswith("TRUE: d/dx [x/(1+|x|)] = 1/(1+|x|)^2") and "evidence" in out
    code, out = _run("sigmoid(x)", "sigmoid(x)^2")
    assert code == 1 and out.startswith("FALSE") and "counterexample: at x = " in out and "the derivative is: " in out
    code, out = _run("sigmod(x)", "0")
    assert code == 2 and out == "Error: F, column 1: unknown function 'sigmod'. Did you mean 'sigmoid'?\n"
    code, out = _run("x^2", "2*x +")
    assert code == 2 and out.startswith("Error: CLAIM, column 6: expected an expression") and out.count("\n") == 1


def test_command_options() -> None:
    code, out = _run("x^a", "a*x^(a-1)", "--wrt", "x", "--param", "a=1/3")
    assert code == 0 and "a = 1/3" in out
    code, out = _run("log(x - c)", "1/(x - c)", "-p", "c=2", "--domain", "x=(2, inf)")
    assert code == 0
    code, out = _run("-x^2", "-2*x")  # a leading minus is an expression, not an option
    assert code == 0, out
    code, out = _run("--", "-x^2", "-2*x")
    assert code == 0, out
    code, out = _run("x^2", "2*x", "--wtr", "x")
    assert code == 2 and "No such option '--wtr'. Did you mean '--wrt'?" in out
    code, out = _run("x", "1", "-p", "a")
    assert code == 2 and out.startswith("Error: --param 'a': expected NAME=VALUE")
    code, out = _run("x^2", "2*x", "--format", "json")
    assert code == 0 and json.loads(out)["holds"] is True
    code, out = _run("sin(exp(exp(exp(x))))", "0", "--timeout", "1")
    assert code == 2 and "time limit" in out


def test_help_documents_grammar_examples_and_exit_codes() -> None:
    code, out = _run("--help")
    assert code == 0
    for text in ("Examples:", "cheatsheet check", "--param", "Exit codes:", "where(cond, a, b)", "sigmoid"):
        assert text in out


HOSTILE = [
    "__import__('os').system('touch {p}')",
    "open('{p}', 'w').write('x')",
    "eval(\"open('{p}', 'w')\")",
    "exec(\"open('{p}', 'w')\")",
    "lambda: open('{p}', 'w')",
    "x.__class__.__init__.__globals__",
    "[open('{p}', 'w')]",
    "x; open('{p}', 'w')",
]


@pytest.mark.parametrize("template", HOSTILE)
def test_hostile_input_never_runs(template: str, tmp_path: Path) -> None:
    """Code passed as F or CLAIM is a syntax error (exit 2); the file it would create never appears."""
    target = tmp_path / "pwned"
    text = template.format(p=target)
    for args in ([text, "0"], ["x", text]):
        code, out = _run(*args)
        assert code == 2 and out.startswith("Error: ") and out.count("\n") == 1, out
        with pytest.raises(ParseError):
            check(*args)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_hostile_input_through_a_real_process(tmp_path: Path) -> None:
    """The same through a separate Python process calling the command (no test harness in between)."""
    target = tmp_path / "pwned"
    code = "import sys; from cheatsheet.cli.check import check; check(args=sys.argv[1:], prog_name='cheatsheet check')"
    proc = subprocess.run(
        [sys.executable, "-c", code, f"__import__('os').system('touch {target}')", "0"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=dict(os.environ),
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2 and proc.stderr.startswith("Error: F, column 1") and "Traceback" not in proc.stderr
    assert not target.exists()


def test_points_used_are_reported() -> None:
    r = check("x^2", "2*x")
    assert len(r.points_used) == r.points
    values = [float(mpmath.mpf(p["x"])) for p in r.points_used]
    assert min(values) < 0 < max(values)


# ----------------------------------------------------------------------------------- verifier extensions
def test_steep_and_irrationally_kinked_functions() -> None:
    """Found by the fuzz tests: sin(e^x) at x = 31 defeated the numerical derivative's step, and a
    breakpoint at log 2 could not be placed; both are TRUE now, and a tiny error is still FALSE."""
    assert check("sin(exp(x))", "exp(x)*cos(exp(x))").holds
    assert check("max(2, exp(x))", "where(exp(x) > 2, exp(x), 0)").holds
    start = time.perf_counter()  # solving sin(x) = softplus(x) for the kink took 18 s: now time-limited
    assert check("max(sin(x), softplus(x))", "where(sin(x) > softplus(x), cos(x), sigmoid(x))").holds
    assert time.perf_counter() - start < 15
    r = check("sin(exp(x))", "exp(x)*cos(exp(x)) + 1e-25")
    assert not r.holds and r.counterexample is not None and r.counterexample.expected != r.counterexample.got


def test_engine_skips_undefined_points_only_when_asked() -> None:
    """verify_rule(skip_undefined=True) drops points where F is not real; by default it still raises."""
    from cheatsheet.rule import Input, Rule
    from cheatsheet.verifier.engine import verify_rule

    rule = Rule("log_on_reals", "log on all reals", "custom", (Input("x", x),), sp.sqrt(x), 1 / (2 * sp.sqrt(x)))
    with pytest.raises(ValueError, match="is the input domain right"):
        verify_rule(rule)
    v = verify_rule(rule, skip_undefined=True, keep_points=True)
    assert v.status == "proved" and v.extra["skipped_points"] > 0
    assert all(float(p["x"]) > 0 for p in v.extra["points_used"]) and len(v.extra["points_used"]) == v.points
    assert verify_rule(Rule("sq", "square", "custom", (Input("x", x),), x**2, 2 * x)).extra == {}


# ----------------------------------------------------------------------------------- false verdicts (issue 15)
@pytest.mark.parametrize(
    ("f", "wrong", "right", "lo", "hi"),
    [
        ("max(0, x - 1e-12)", "indicator(x > 0)", "indicator(x > 1e-12)", "0", "1e-12"),
        ("max(0, x - 1e-40)", "indicator(x > 0)", "indicator(x > 1e-40)", "0", "1e-40"),
        (
            "max(1, x - 1e-70)",
            "indicator(x > 1)",
            "indicator(x > 1 + 1e-70)",
            "1",
            "1.0000000000000000000000000000000000000000000000000000000000000000000001",
        ),
        (
            "max(1, x) + max(1 + 1e-70, x)",
            "2*indicator(x > 1)",
            "indicator(x > 1) + indicator(x > 1 + 1e-70)",
            "1",
            "1.0000000000000000000000000000000000000000000000000000000000000000000001",
        ),
    ],
)
def test_a_region_narrower_than_any_tolerance_is_sampled(f: str, wrong: str, right: str, lo: str, hi: str) -> None:
    """Breakpoints closer than 1e-12 used to be merged, so the region between them was never sampled and a claim
    wrong only there was 'proved'. Every region is sampled now, at the precision it needs."""
    r = check(f, wrong)
    assert not r.holds and r.counterexample is not None, r.report()
    at = mpmath.mpf(r.counterexample.point["x"])
    with mpmath.workdps(120):
        assert mpmath.mpf(lo) < mpmath.mpf(r.counterexample.point["x"]) < mpmath.mpf(hi), at
    ok = check(f, right)
    assert ok.holds and ok.status == "proved", ok.report()


@pytest.mark.parametrize(
    "claim",
    ["2*x + exp(-(x-50)^2)", "2*x + (x/40)^1000", "2*x*(1 + 1e-31)", "2*x + 1e-80*x", "2*x + 1e-200*exp(-(x+70)^2)"],
)
def test_a_residue_that_is_not_zero_is_found(claim: str) -> None:
    """simplify left a non-zero residue and the random points missed it (its support is tiny, or it is below the
    gate's 1e-30): the verifier looks for it (the residue's centres and scales, exact arithmetic) and finds it."""
    r = check("x^2", claim)
    assert not r.holds and r.status == "false", r.report()
    cx = r.counterexample
    assert cx is not None and cx.expected != cx.got
    point = sp.Rational(cx.point["x"])
    exact_gap = sp.N((2 * x - parse(claim, {"x": x})).subs(x, point), 30)
    assert exact_gap != 0, cx  # the counterexample's point really is one where the claim is false


def test_a_constant_factor_below_the_tolerance_is_false_without_a_proof() -> None:
    """The gate itself tells a difference that stays at twice the precision from rounding (no proof needed)."""
    r = check("x^2", "2*x*(1 + 1e-31)", prove=False)
    assert not r.holds, r.report()
    r = check("log(x)", "2/x", domain={"x": "(1e300, inf)"}, prove=False)  # 1e-300 vs 2e-300: small, not equal
    assert not r.holds, r.report()


@pytest.mark.parametrize(
    ("f", "claim", "domain"),
    [
        ("exp(x)", "exp(x)", "(1e300, inf)"),
        ("x", "1", "(1e300, inf)"),
        ("x", "1", "(-inf, -1e300)"),
        ("x^2", "2*x", "(-inf, -1e300)"),
        ("exp(x)", "exp(x)", "(0, 1e-300)"),
        ("log(x)", "1/x", "(0, 1e-300)"),
        ("x^2", "2*x", "(1e300, 1e300 + 1)"),
        ("log(x - 1e300)", "1/(x - 1e300)", "(1e300, 1e300 + 1)"),
        ("sin(x)", "cos(x)", "(1e300, inf)"),
    ],
)
def test_huge_and_tiny_domains_give_true_for_true_claims(f: str, claim: str, domain: str) -> None:
    """Points near 10^300 used to be rounded onto the domain's edge and the numerical derivative's step lost in
    them (FALSE for exp' = exp); points are computed at the precision they need now, and lie inside the domain."""
    r = check(f, claim, domain={"x": domain})
    assert r.holds, r.report()
    lo, hi = parse_domain_bounds(domain)
    with mpmath.workdps(400):
        assert all(lo < mpmath.mpf(p["x"]) < hi for p in r.points_used), r.points_used[:3]


def parse_domain_bounds(text: str) -> tuple[mpmath.mpf, mpmath.mpf]:
    """The open interval '(a, b)' as 400-digit numbers (for the test's own check of the points)."""
    a, b = text.strip("()").split(",")
    with mpmath.workdps(400):

        def value(s: str) -> mpmath.mpf:
            s = s.strip()
            if s in ("inf", "-inf"):
                return mpmath.mpf(s)
            return sum((mpmath.mpf(term) for term in s.split("+")), mpmath.mpf(0))

        return value(a), value(b)


@pytest.mark.parametrize(
    ("f", "claim", "domain"),
    [
        ("exp(x)", "exp(x) + 1e-40", "(1e300, inf)"),
        ("x", "2", "(1e300, inf)"),
        ("log(x)", "2/x", "(1e300, inf)"),
        ("x^2", "2*x + 1", "(1e300, 1e300 + 1)"),
        ("log(x)", "2/x", "(0, 1e-300)"),
    ],
)
def test_huge_and_tiny_domains_give_false_for_false_claims(f: str, claim: str, domain: str) -> None:
    r = check(f, claim, domain={"x": domain})
    assert not r.holds and r.counterexample is not None, r.report()


@pytest.mark.parametrize(
    ("f", "claim", "at", "expected", "got"),
    [
        (
            "x^2",
            "where(x > 1, 2*x, where(x < 1, 2*x, 7))",
            "1",
            "2.0",
            "7.0",
        ),  # differentiable at 1: the claim must be 2
        ("x*|x|", "where(x > 0, 2*x, where(x < 0, -2*x, 1))", "0", "0.0", "1.0"),
        ("max(x, 2*x - 1)", "where(x > 1, 2, where(x < 1, 1, 3))", "1", "a value in the subdifferential [1, 2]", "3"),
        ("|x|", "where(x > 0, 1, where(x < 0, -1, 2))", "0", "a value in the subdifferential [-1, 1]", "2"),
    ],
)
def test_a_claim_wrong_at_a_single_point_is_false(f: str, claim: str, at: str, expected: str, got: str) -> None:
    """The claim is checked exactly on every breakpoint of F and of the claim: where F is differentiable it must
    give the derivative, at a kink a value of the subdifferential."""
    r = check(f, claim)
    assert not r.holds and r.counterexample is not None, r.report()
    cx = r.counterexample
    assert cx.point == {"x": at} and (cx.expected, cx.got) == (expected, got), cx


def test_points_where_f_has_no_derivative_are_reported() -> None:
    """A jump, an infinite slope and a kink: TRUE, and the report and the JSON say where F has no derivative."""
    r = check("sign(x)", "0")
    assert r.holds and "except at x = 0, where sign jumps" in r.report(), r.report()
    (nd,) = r.to_dict()["not_differentiable"]
    assert (nd["point"], nd["what"], nd["cause"]) == ({"x": "0"}, "jump", "sign")
    assert r.verdict.extra["not_differentiable"][0]["what"] == "jump"
    r = check("step(x - 1)", "0")
    assert r.holds and "except at x = 1, where step jumps" in r.report(), r.report()
    r = check("sign(x) + where(x > 2, 1, 0)", "0")
    assert (
        r.holds and "except at x = 0, where sign jumps" in r.report() and "except at x = 2, where F jumps" in r.report()
    )
    r = check("sqrt(|x|)", "sign(x)/(2*sqrt(|x|))")
    assert r.holds and "except at x = 0, where F is not differentiable (its slope is infinite)" in r.report(), (
        r.report()
    )
    r = check("|x|", "sign(x)")
    assert r.holds and "at x = 0, where F has a kink" in r.report() and "subdifferential [-1, 1]" in r.report()
    (nd,) = r.to_dict()["not_differentiable"]
    assert (nd["what"], nd["subdifferential"], nd["value"]) == ("kink", ["-1", "1"], "0")
    r = check("x*|x|", "2*|x|")  # differentiable at its breakpoint: nothing to report but that it was checked there
    assert r.holds and r.to_dict()["not_differentiable"] == [] and "exactly at the breakpoint x = 0" in r.report()
    r = check("x^2", "2*x")
    assert "not_differentiable" not in r.verdict.extra
