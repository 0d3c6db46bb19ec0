"""Per-rule contract tests over the whole catalog: shipped verdict, golden LaTeX, float64 accuracy
against exact values, the kink conventions of the executable table, and the catalog's totals."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

import cheatsheet
from cheatsheet.evaluate.expand import expand_where
from cheatsheet.printing.latex import latex
from cheatsheet.rule import Rule

RULES = cheatsheet.rules()
IDS = [r.id for r in RULES]

# Float64 evaluation must match the exact value to this relative error (values below TINY count as TINY).
REL = 1e-12
TINY = 1e-290


def _golden_text(rule: Rule) -> str:
    lines = [f"function: {latex(rule.function)}"]
    lines += [f"d/d{w}: {latex(e)}" for w, e in rule.derivatives.items()]
    lines += [f"where {latex(d.symbol)} = {latex(d.value)}" for d in rule.where]
    lines += [
        f"kink at {latex(k.at)}{''.join(f', {latex(s)} = {latex(v)}' for s, v in k.given)}: "
        f"left {latex(k.left)}, right {latex(k.right)}, torch {latex(k.torch)}"
        for k in rule.kinks
    ]
    lines += [f"identity: {latex(i.lhs)} {i.relation} {latex(i.rhs)}" for i in rule.identities]
    if rule.derivation is not None:
        lines += [f"step ({st.kind}, {st.why}): {latex(st.expr)}" for st in rule.derivation.steps]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_latex_golden(rule: Rule, golden) -> None:  # type: ignore[no-untyped-def]
    """Each rule prints in textbook form exactly as reviewed (regenerate with --update-goldens)."""
    golden(f"latex/{rule.id}.txt", _golden_text(rule))


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_shipped_verdict_is_fresh_and_passing(rule: Rule) -> None:
    """The record shipped with the package has a passing verdict for this exact version of the rule."""
    v = rule.verdict
    assert v.status in ("proved", "checked"), (
        f"{rule.id}: {v.summary()} — run `cheatsheet verify` and commit the record"
    )
    if v.status == "checked":
        assert v.reason, f"{rule.id}: a 'checked' verdict must say why the proof did not go through"


# ------------------------------------------------------------------------ accuracy of the executable table
_REAL_GRID = (-30.0, -8.0, -6.0, -3.0, -1.0, -0.5, -1e-7, 1e-7, 0.5, 1.0, 3.0, 6.0, 8.0, 30.0)
_POS_GRID = (1e-6, 0.01, 0.5, 1.0, 2.0, 8.0, 30.0, 1e3)
_UNIT_GRID = (1e-6, 0.01, 0.3, 0.5, 0.7, 0.99, 1 - 1e-6)


def _grid(domain: sp.Set) -> list[float]:
    if isinstance(domain, sp.FiniteSet):
        return [float(v) for v in domain]
    pool = sorted(set(_REAL_GRID + _POS_GRID + _UNIT_GRID + tuple(-v for v in _POS_GRID + _UNIT_GRID)))
    return [v for v in pool if sp.Float(v) in domain]


def _assert_close(got: object, exact: object, what: str) -> None:
    g = np.asarray(got, dtype=float)
    with np.errstate(over="ignore"):  # exact values beyond float64's range become inf and are skipped
        e = np.asarray(np.vectorize(float, otypes=[float])(np.asarray(exact, dtype=object)))
    assert g.shape == e.shape, f"{what}: shape {g.shape}, exact shape {e.shape}"
    for pos in np.ndindex(e.shape):
        ev, gv = float(e[pos]), float(g[pos])
        if math.isinf(ev):
            continue
        err = abs(gv - ev) / max(abs(ev), TINY)
        assert err <= REL, f"{what}{list(pos) if pos else ''}: float64 {gv!r}, exact {ev!r} (relative error {err:.1e})"


def _scalar_cases(rule: Rule) -> list[dict[str, float]]:
    first, *rest = rule.inputs
    others = {inp.name: _grid(inp.domain) for inp in rest}
    cases = []
    for k, v in enumerate(_grid(first.domain)):
        case = {first.name: v}
        for name, grid in others.items():
            case[name] = grid[(3 * k + 1) % len(grid)]
        cases.append(case)
    return cases


def _vector_cases(rule: Rule) -> list[dict[str, object]]:
    rng = np.random.default_rng(7)
    cases: list[dict[str, object]] = []
    for scale in (1.0, 30.0):
        for shift in (0.0, 1000.0, -1000.0):
            case: dict[str, object] = {}
            for inp in rule.inputs:
                if inp.shape == "vector":
                    if inp.simplex:
                        raw = rng.uniform(0.05, 1.0, 4)
                        case[inp.name] = raw / raw.sum()
                    elif inp.domain.is_subset(sp.Interval.open(0, sp.oo)):
                        case[inp.name] = rng.uniform(0.1, 3.0, 4)
                    else:
                        case[inp.name] = rng.normal(0, scale, 4) + (shift if inp.name == rule.inputs[0].name else 0)
                elif inp.class_index:
                    case[inp.name] = 2
                else:
                    case[inp.name] = float(_grid(inp.domain)[len(_grid(inp.domain)) // 2])
            cases.append(case)
    return cases


@pytest.mark.parametrize("rule", [r for r in RULES if r.shape != "matrix" and not r.is_general], ids=lambda r: r.id)
def test_float64_matches_exact(rule: Rule) -> None:
    """evaluate/derivative_at in float64 agree with the exact mpmath values to 1e-12 relative."""
    cases = _scalar_cases(rule) if rule.shape == "scalar" else _vector_cases(rule)
    assert cases, f"{rule.id}: no test points inside the input domains"
    with mpmath.workdps(40):
        for case in cases:
            _assert_close(rule.evaluate(**case), rule.evaluate(**case, exact=True, dps=40), f"{rule.id} f at {case}")
            for wrt in rule.derivatives:
                if rule.input(wrt).class_index:
                    continue
                _assert_close(
                    rule.derivative_at(**case, wrt=wrt),
                    rule.derivative_at(**case, wrt=wrt, exact=True, dps=40),
                    f"{rule.id} d/d{wrt} at {case}",
                )


_KINKED = [(r, k) for r in RULES for k in r.kinks]


@pytest.mark.parametrize("rule,kink", _KINKED, ids=[f"{r.id}@{k.at}" for r, k in _KINKED])
def test_derivative_at_kink_is_pytorch_convention(rule: Rule, kink) -> None:  # type: ignore[no-untyped-def]
    """At each kink, derivative_at returns the value the rule states PyTorch returns."""
    defaults = {p.symbol: sp.sympify(p.default) for p in rule.params if p.symbol is not None}
    wrt = kink.wrt or rule.inputs[0].name
    pinned = dict(kink.given)  # a kink that exists only at these values (hinge_embedding_loss: y = −1)
    case: dict[str, float] = {}
    for inp in rule.inputs:
        if inp.symbol in pinned:
            case[inp.name] = float(pinned[inp.symbol])
        elif inp.name != wrt:
            case[inp.name] = _grid(inp.domain)[len(_grid(inp.domain)) // 2]
    fixed = defaults | {rule.input(k).symbol: sp.Float(v) for k, v in case.items()}
    case[wrt] = float(expand_where(sp.sympify(kink.at), rule.where).subs(fixed))
    got = rule.derivative_at(**case, wrt=wrt)
    want = float(sp.N(expand_where(sp.sympify(kink.torch), rule.where).subs(fixed)))  # may use the rule's definitions
    if rule.reduction:  # one element, 'mean': the element's own derivative
        got = float(np.asarray(got))
    assert got == pytest.approx(want, rel=1e-12, abs=1e-15), (
        f"{rule.id}: derivative at the kink {kink.at} is {got}, PyTorch's is {want}"
    )


def test_catalog_size_and_proof_rate() -> None:
    """At least 90 rules, at least 85% proved and the rest checked with a reason, none failing."""
    verdicts = [r.verdict for r in RULES]
    statuses = [v.status for v in verdicts]
    assert len(RULES) >= 90, f"only {len(RULES)} rules"
    assert statuses.count("failed") == 0 and statuses.count("unverified") == 0
    rate = statuses.count("proved") / len(statuses)
    assert rate >= 0.85, f"only {rate:.0%} proved"


def test_ids_are_unique_and_snake_case() -> None:
    """Ids are the HTML anchors and JSON keys: unique, snake_case."""
    assert len(set(IDS)) == len(IDS)
    assert all(i == i.lower() and " " not in i for i in IDS)


def test_logsigmoid_note_states_where_sigmoid_rounds_to_one() -> None:
    """The note's threshold is where float64 σ(x) becomes 1: not x = 30 (σ(30) = 1 − 9.4×10⁻¹⁴ is below 1), but
    ln(2⁵⁴ − 1) ≈ 37.43, printed from the rule's data and pinned by a checked identity."""
    from cheatsheet.catalog.activations import SIGMOID_ROUNDS_TO_ONE

    rule = cheatsheet.get("logsigmoid")
    with mpmath.workdps(60):
        at = mpmath.mpf(sp.N(SIGMOID_ROUNDS_TO_ONE, 60))

        def sigma(v: mpmath.mpf) -> float:
            return float(1 / (1 + mpmath.exp(-v)))  # the correctly rounded float64 σ(v)

        assert sigma(mpmath.mpf(30)) < 1.0 and sigma(at - mpmath.mpf("1e-12")) < 1.0
        assert sigma(at) == 1.0 and sigma(at + mpmath.mpf("1e-12")) == 1.0
    assert f"≈ {float(at):.2f}" in rule.notes[0] and "x = 30" not in rule.notes[0]
    assert any(ident.lhs.has(SIGMOID_ROUNDS_TO_ONE) for ident in rule.identities)


def test_scans_evaluate_like_numpy_in_float64_and_exactly() -> None:
    """Sums, products and maxima over k = 1..i (the scans) evaluate like numpy's cumulative functions, in float64
    and exactly: the evaluator's prefix ranges, including an infinite term beyond the range (no nan)."""
    x = np.array([0.5, -2.0, 3.0, 1000.0, -0.25])
    want = {
        "cumsum": np.cumsum(x),
        "cumprod": np.cumprod(x),
        "logcumsumexp": np.logaddexp.accumulate(x),
    }
    for rid, expected in want.items():
        rule = cheatsheet.get(rid)
        np.testing.assert_allclose(rule.evaluate(x), expected, rtol=1e-15)
        with mpmath.workdps(30):
            np.testing.assert_allclose(np.asarray(rule.evaluate(x, exact=True, dps=30), dtype=float), expected, 1e-15)
    # ∂ logcumsumexp_i/∂x_j is the softmax of x_1..x_i: e^{1000} overflows beyond row 4 without a nan in rows 1-3
    jac = cheatsheet.get("logcumsumexp").derivative_at(x)
    assert np.isfinite(jac).all() and np.allclose(jac.sum(axis=1), 1.0) and np.allclose(np.triu(jac, 1), 0.0)
    assert cheatsheet.get("cumprod").derivative_at([2.0, 0.0, 3.0]).tolist() == [[1, 0, 0], [0, 2, 0], [0, 6, 0]]
