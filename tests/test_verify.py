"""The verifier: the whole catalog verifies and matches the shipped record; published errata and the
sympy pitfalls of FINDINGS §1 are rejected with counterexamples; unproved claims are never 'proved';
hashes, the cache and parallel runs are deterministic."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

import pytest
import sympy as sp

import cheatsheet
from cheatsheet.rule import Identity, Input, Kink, Rule, RuleError
from cheatsheet.verifier import engine, errata, proof
from cheatsheet.verifier.hashing import rule_hash
from cheatsheet.verifier.record import load_record
from cheatsheet.verifier.runner import verify_many

x = sp.Symbol("x", real=True)


@pytest.fixture(scope="module")
def full_run() -> list:  # type: ignore[type-arg]
    """Every rule verified from scratch, in parallel, as `cheatsheet verify --no-cache` does."""
    return verify_many(cheatsheet.rules(), jobs=2, use_cache=False)


def test_whole_catalog_verifies(full_run) -> None:  # type: ignore[no-untyped-def]
    """No rule fails, and every 'checked' verdict gives its reason."""
    failed = [f"{v.rule_id}: {v.summary()}" for v in full_run if v.status == "failed"]
    assert not failed, "\n".join(failed)
    assert all(v.reason for v in full_run if v.status == "checked")


def test_shipped_record_matches_a_fresh_run(full_run) -> None:  # type: ignore[no-untyped-def]
    """The shipped record holds exactly what the verifier says now (status, points, residual)."""
    record = load_record()
    assert set(record) == {r.id for r in cheatsheet.rules()}, "the record lists other rules than the catalog"
    for v in full_run:
        shipped = record[v.rule_id]
        assert shipped["content_hash"] == v.content_hash
        assert (shipped["status"], shipped["points"]) == (v.status, v.points), v.rule_id
        assert shipped["max_residual"] == pytest.approx(v.max_residual, rel=1e-6, abs=1e-70)


@pytest.mark.parametrize("erratum", errata.ERRATA, ids=[e.rule_id for e in errata.ERRATA])
def test_published_erratum_is_rejected_with_a_counterexample(erratum: errata.Erratum) -> None:
    """Each published wrong derivative fails, and the counterexample shows the true value."""
    verdict = errata.check(erratum, cheatsheet.get)
    assert verdict.status == "failed", f"{erratum.text} was not rejected: {verdict.summary()}"
    cx = verdict.counterexample
    assert cx is not None and cx.point and cx.expected != cx.got
    rule = cheatsheet.get(erratum.rule_id)
    if rule.shape == "scalar" and "kink" not in cx.claim:
        point = {k: float(v) for k, v in cx.point.items()}
        assert float(cx.expected) == pytest.approx(rule.derivative_at(**point), rel=1e-8)


def _relu(derivative: sp.Basic, kink: Kink) -> Rule:
    return Rule(
        "relu_variant", "ReLU variant", "activation", (Input("input", x),), sp.Max(0, x), derivative, kinks=(kink,)
    )


def test_heaviside_half_at_zero_is_not_pytorchs_convention() -> None:
    """sympy's diff(Max(0, x)) = Heaviside(x) with Heaviside(0) = 1/2 (FINDINGS §1) is rejected."""
    v = engine.verify_rule(_relu(sp.Heaviside(x), Kink(0, 0, 1, torch=0)))
    assert v.status == "failed" and "convention" in v.counterexample.claim


def test_closed_side_of_a_piecewise_decides_the_kink_value() -> None:
    """x >= 0 instead of x > 0 gives 1 at the kink; PyTorch gives 0."""
    v = engine.verify_rule(_relu(sp.Piecewise((1, x >= 0), (0, True)), Kink(0, 0, 1, torch=0)))
    assert v.status == "failed"


def test_wrong_one_sided_derivative_is_rejected() -> None:
    v = engine.verify_rule(_relu(sp.Piecewise((1, x > 0), (0, True)), Kink(0, 0, sp.Rational(1, 2), torch=0)))
    assert v.status == "failed" and "right derivative" in v.counterexample.claim


def test_reversed_printed_subdifferential_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    """The verifier checks the interval the sheet prints: SELU's [λα, λ] as [left, right] (λα ≈ 1.758 > λ ≈ 1.051)
    fails, and so does ELU's [α, 1] at its sample α = 2; as printed ([λ, λα], [min(1, α), max(1, α)]) both pass."""
    for rid in ("selu", "elu"):
        assert engine.verify_rule(cheatsheet.get(rid)).status == "proved"
    monkeypatch.setattr(Kink, "subdifferential", lambda self, rule: (self.left, self.right))
    for rid in ("selu", "elu"):
        v = engine.verify_rule(cheatsheet.get(rid))
        assert v.status == "failed" and "printed subdifferential" in v.counterexample.claim, rid


def test_a_kink_given_a_value_is_checked_only_there() -> None:
    """hinge_embedding_loss has its kink at x = Δ only for y = −1: stated for every y (no ``given``) it fails,
    since for y = 1 the loss is x and its slope 1 on both sides."""
    rule = cheatsheet.get("hinge_embedding_loss")
    (kink,) = rule.kinks
    assert [(str(s), v) for s, v in kink.given] == [("y", -1)]
    assert engine.verify_rule(rule).status == "proved"
    unpinned = dataclasses.replace(rule, kinks=(dataclasses.replace(kink, given=()),))
    v = engine.verify_rule(unpinned)
    assert v.status == "failed" and "derivative" in v.counterexample.claim


def test_a_kink_given_an_unknown_symbol_or_value_is_refused() -> None:
    z = sp.Symbol("z", real=True)  # not a symbol of the rule
    base = cheatsheet.get("hinge_embedding_loss")
    target = base.input("target").symbol
    for given, match in (((z, -1),), "neither another scalar input"), (((target, 3),), "outside its domain"):
        with pytest.raises(RuleError, match=match):
            dataclasses.replace(base, kinks=(dataclasses.replace(base.kinks[0], given=given),))


def test_jump_must_be_declared() -> None:
    """A discontinuous function whose kink is not marked jump=True fails, and vice versa."""
    step = Rule(
        "step_variant",
        "Step",
        "activation",
        (Input("input", x),),
        sp.Piecewise((1, x > 0), (0, True)),
        sp.Integer(0),
        kinks=(Kink(0, 0, 0, torch=0),),
    )
    assert engine.verify_rule(step).status == "failed"
    assert engine.verify_rule(dataclasses.replace(step, kinks=(Kink(0, 0, 0, torch=0, jump=True),))).status == "proved"
    relu = _relu(sp.Piecewise((1, x > 0), (0, True)), Kink(0, 0, 1, torch=0, jump=True))
    assert engine.verify_rule(relu).status == "failed"


def test_false_identity_in_a_note_is_rejected() -> None:
    rule = dataclasses.replace(cheatsheet.get("tanh"), identities=(Identity(sp.tanh(x), 2 * sp.tanh(x / 2)),))
    assert engine.verify_rule(rule).status == "failed"


def test_unproved_claim_is_checked_never_proved(monkeypatch: pytest.MonkeyPatch) -> None:
    """When no symbolic proof goes through, the verdict is 'checked' with the reason, not 'proved'."""
    monkeypatch.setattr(proof, "prove_zero", lambda e, s: (None, "simplify left a non-zero residue"))
    v = engine.verify_rule(cheatsheet.get("gelu"))
    assert v.status == "checked" and "non-zero residue" in v.reason


@pytest.mark.slow
def test_rule_hash_is_stable_across_processes() -> None:
    """Content hashes (the cache keys) do not depend on Python's hash seed."""
    code = "import json, cheatsheet; from cheatsheet.verifier.hashing import rule_hash; print(json.dumps({r.id: rule_hash(r) for r in cheatsheet.rules()}))"
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert json.loads(out) == {r.id: rule_hash(r) for r in cheatsheet.rules()}


def test_hash_ignores_prose_but_not_maths() -> None:
    r = cheatsheet.get("relu")
    assert rule_hash(dataclasses.replace(r, notes=("changed",), title="Changed")) == rule_hash(r)
    assert rule_hash(dataclasses.replace(r, kinks=(Kink(0, 0, 1, torch=1),))) != rule_hash(r)


def test_cache_reuses_verdicts_and_reverifies_changes(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CHEATSHEET_CACHE_DIR", str(tmp_path))
    rules = [cheatsheet.get("relu"), cheatsheet.get("tanh")]
    seen: list[tuple[str, bool]] = []
    first = verify_many(rules, progress=lambda v, cached: seen.append((v.rule_id, cached)))
    assert [c for _, c in seen] == [False, False]
    seen.clear()
    second = verify_many(rules, progress=lambda v, cached: seen.append((v.rule_id, cached)))
    assert [c for _, c in seen] == [True, True]
    assert [v.to_dict(timing=False) for v in first] == [v.to_dict(timing=False) for v in second]
    changed = dataclasses.replace(rules[0], kinks=(Kink(0, 0, 1, torch=0, jax=0),))
    seen.clear()
    verify_many([changed, rules[1]], progress=lambda v, cached: seen.append((v.rule_id, cached)))
    assert dict(seen) == {"relu": False, "tanh": True}


@pytest.mark.slow
def test_parallel_run_equals_serial_run() -> None:
    rules = [cheatsheet.get(i) for i in ("softmax", "l1_loss", "softplus", "chain_rule")]
    serial = verify_many(rules, jobs=1, use_cache=False)
    parallel = verify_many(rules, jobs=2, use_cache=False)
    assert [v.to_dict(timing=False) for v in serial] == [v.to_dict(timing=False) for v in parallel]


def test_verifier_crash_becomes_a_failed_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug met while verifying one rule is reported as that rule's failure, not a lost run."""
    from cheatsheet.verifier import runner

    def boom(rule: Rule, prove: bool = True) -> None:
        raise ValueError("synthetic")

    monkeypatch.setattr(runner, "verify_rule", boom)
    (v,) = verify_many([cheatsheet.get("relu")], use_cache=False)
    assert v.status == "failed" and "synthetic" in v.reason


# ----------------------------------------------------------------------------------- false verdicts (issue 15)
def test_breakpoints_are_exact_sorted_and_merged_only_when_equal() -> None:
    """Breakpoints 1e-40 apart stay two; the same point found twice (from max and from a condition, or written as
    log(4)/2 and log(2)) is one; the order is exact even where 30 digits cannot tell."""
    from cheatsheet.verifier.sampling import breakpoints, distinct_sorted

    tiny = sp.Rational(1, 10**40)
    assert breakpoints([sp.Max(0, x - tiny), sp.Piecewise((1, x > 0), (0, True))], x, {}) == [0, tiny]
    assert breakpoints([sp.Max(0, x), sp.Piecewise((1, x > 0), (0, True)), sp.Abs(x)], x, {}) == [0]
    assert distinct_sorted([1 + sp.Rational(1, 10**70), sp.log(4) / 2, 1, sp.log(2)]) == [
        sp.log(4) / 2,
        1,
        1 + sp.Rational(1, 10**70),
    ]


def test_every_region_is_sampled_and_no_point_jumps_over_a_neighbour() -> None:
    """Region points inside (0, 1e-40) and (1, 1 + 1e-70), exact to the digits they need; the points beside a
    breakpoint stay on their side of the next one (the 1e-3 and 1e-8 offsets shrink near it)."""
    import random

    from cheatsheet.verifier.sampling import exact_value, near, region_points

    for lo, hi in ((sp.S.Zero, sp.Rational(1, 10**40)), (sp.S.One, 1 + sp.Rational(1, 10**70))):
        inside = [p for p in region_points([lo, hi], sp.S.Reals, random.Random(1)) if lo < exact_value(p.value) < hi]
        assert len(inside) == 2, (lo, hi)
        for p in near([lo, hi], sp.S.Reals):
            v = exact_value(p.value)
            assert v != lo and v != hi
            assert (v < lo or v > hi) or lo < v < hi
        beside = sorted(exact_value(p.value) for p in near([lo, hi], sp.S.Reals))
        assert sum(1 for v in beside if lo < v < hi) == 4  # two beside each end, inside: none crossed to the other


def _scalar(f: sp.Basic, d: sp.Basic, domain: sp.Set = sp.S.Reals, kinks: tuple[Kink, ...] = ()) -> Rule:
    y = sp.Symbol("x", positive=True) if domain.is_subset(sp.Interval.open(0, sp.oo)) else x
    f, d = sp.sympify(f).subs(x, y), sp.sympify(d).subs(x, y)
    return Rule("scalar_variant", "variant", "custom", (Input("input", y, domain),), f, d, kinks=kinks)


def test_a_catalog_style_rule_wrong_at_an_undeclared_breakpoint_fails() -> None:
    """The breakpoint check is the verifier's, so catalog and TOML rules get it: x² has derivative 2 at 1."""
    claim = sp.Piecewise((2 * x, x > 1), (2 * x, x < 1), (7, True))
    v = engine.verify_rule(_scalar(x**2, claim))
    assert v.status == "failed" and v.counterexample is not None and v.counterexample.point == {"input": "1"}
    assert engine.verify_rule(_scalar(x**2, sp.Piecewise((2 * x, x > 1), (2 * x, x < 1), (2, True)))).status == "proved"
    # at a declared kink the kink's own check decides (PyTorch's 0 for relu at 0): no second verdict there
    relu = _relu(sp.Piecewise((1, x > 0), (0, True)), Kink(0, 0, 1, torch=0))
    assert engine.verify_rule(relu).status == "proved" and "not_differentiable" not in engine.verify_rule(relu).extra


def test_the_verifier_refutes_a_residue_for_every_rule() -> None:
    """Catalog and TOML rules, not only `check`: a residue below the gate's tolerance or with a tiny support fails."""
    for wrong in (
        sp.exp(x) + sp.Rational(1, 10**40),
        sp.exp(x) + sp.exp(-((x - 50) ** 2)),
        sp.exp(x) * (1 + sp.Rational(1, 10**31)),
    ):
        v = engine.verify_rule(_scalar(sp.exp(x), wrong))
        assert v.status == "failed", (wrong, v.summary())


def test_checked_means_the_residue_was_sought_and_not_found(monkeypatch: pytest.MonkeyPatch) -> None:
    """When no proof goes through, the reason says where the residue was looked for."""
    monkeypatch.setattr(proof, "prove_zero", lambda e, s: (None, "simplify left a non-zero residue"))
    v = engine.verify_rule(_scalar(sp.exp(-((x - 3) ** 2)), (6 - 2 * x) * sp.exp(-(x**2) + 6 * x - 9)))
    assert v.status == "checked", v.summary()
    assert "the residue was sought at the proof's sample point and at" in v.reason and "not found" in v.reason
    assert "(input = 3; " in v.reason, v.reason  # the centre of exp(−(x−3)²) first


@pytest.mark.parametrize(
    ("f", "d", "domain"),
    [
        (sp.exp(x), sp.exp(x), sp.Interval.open(10**300, sp.oo)),
        (x, sp.S.One, sp.Interval.open(-sp.oo, -(10**300))),
        (x**2, 2 * x, sp.Interval.open(10**300, 10**300 + 1)),
        (sp.log(x), 1 / x, sp.Interval.open(0, sp.Rational(1, 10**300))),
    ],
)
def test_huge_and_tiny_domains_verify(f: sp.Basic, d: sp.Basic, domain: sp.Set) -> None:
    assert engine.verify_rule(_scalar(f, d, domain)).status == "proved"
    assert engine.verify_rule(_scalar(f, 2 * d, domain)).status == "failed"


def test_a_fractional_polygamma_order_fails_instead_of_truncating() -> None:
    """mpmath truncates ψ^(4/3) to ψ^(1): digamma's derivative with the order mutated to 4/3 used to pass."""
    from cheatsheet.evaluate.backends import mp_polygamma

    with pytest.raises(ValueError, match="integer"):
        mp_polygamma(sp.Rational(4, 3), 2)
    rule = cheatsheet.get("digamma")
    wrong = sp.polygamma(sp.Rational(4, 3), rule.inputs[0].symbol)
    verdict = engine.verify_rule(dataclasses.replace(rule, derivative=(("input", wrong),)), prove=False)
    assert verdict.status == "failed"


def test_proof_time_limits_count_cpu_time_not_wall_time() -> None:
    """A proof's budget is CPU time: waiting (a busy machine, another process on the core) does not use it up,
    so a verdict does not depend on the load; computing does."""
    import time

    from cheatsheet.verifier.symbolic import ProofTimeout, time_limit

    with time_limit(0.2):
        time.sleep(0.5)  # no CPU spent: no timeout
    with pytest.raises(ProofTimeout), time_limit(0.2):
        end = time.process_time() + 5
        while time.process_time() < end:
            pass
