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
from cheatsheet import errata
from cheatsheet.rule import Identity, Input, Kink, Rule
from cheatsheet.verify import engine
from cheatsheet.verify.hashing import rule_hash
from cheatsheet.verify.record import load_record
from cheatsheet.verify.runner import verify_many

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
    return Rule("relu_variant", "ReLU variant", "activation", (Input("input", x),), sp.Max(0, x), derivative, kinks=(kink,))


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


def test_jump_must_be_declared() -> None:
    """A discontinuous function whose kink is not marked jump=True fails, and vice versa."""
    step = Rule("step_variant", "Step", "activation", (Input("input", x),), sp.Piecewise((1, x > 0), (0, True)),
                sp.Integer(0), kinks=(Kink(0, 0, 0, torch=0),))
    assert engine.verify_rule(step).status == "failed"
    assert engine.verify_rule(dataclasses.replace(step, kinks=(Kink(0, 0, 0, torch=0, jump=True),))).status == "proved"
    relu = _relu(sp.Piecewise((1, x > 0), (0, True)), Kink(0, 0, 1, torch=0, jump=True))
    assert engine.verify_rule(relu).status == "failed"


def test_false_identity_in_a_note_is_rejected() -> None:
    rule = dataclasses.replace(cheatsheet.get("tanh"), identities=(Identity(sp.tanh(x), 2 * sp.tanh(x / 2)),))
    assert engine.verify_rule(rule).status == "failed"


def test_unproved_claim_is_checked_never_proved(monkeypatch: pytest.MonkeyPatch) -> None:
    """When no symbolic proof goes through, the verdict is 'checked' with the reason, not 'proved'."""
    monkeypatch.setattr(engine, "prove_zero", lambda e, s: (None, "simplify left a non-zero residue"))
    v = engine.verify_rule(cheatsheet.get("gelu"))
    assert v.status == "checked" and "non-zero residue" in v.reason


def test_rule_hash_is_stable_across_processes() -> None:
    """Content hashes (the cache keys) do not depend on Python's hash seed."""
    code = "import json, cheatsheet; from cheatsheet.verify.hashing import rule_hash; print(json.dumps({r.id: rule_hash(r) for r in cheatsheet.rules()}))"
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


def test_parallel_run_equals_serial_run() -> None:
    rules = [cheatsheet.get(i) for i in ("softmax", "l1_loss", "softplus", "chain_rule")]
    serial = verify_many(rules, jobs=1, use_cache=False)
    parallel = verify_many(rules, jobs=2, use_cache=False)
    assert [v.to_dict(timing=False) for v in serial] == [v.to_dict(timing=False) for v in parallel]


def test_verifier_crash_becomes_a_failed_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug met while verifying one rule is reported as that rule's failure, not a lost run."""
    from cheatsheet.verify import runner

    def boom(rule: Rule, prove: bool = True) -> None:
        raise ValueError("synthetic")

    monkeypatch.setattr(runner, "verify_rule", boom)
    (v,) = verify_many([cheatsheet.get("relu")], use_cache=False)
    assert v.status == "failed" and "synthetic" in v.reason
