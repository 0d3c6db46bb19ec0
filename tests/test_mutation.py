"""Mutation testing: every mechanically generated wrong variant of every rule must be rejected."""

from __future__ import annotations

from collections import Counter

import pytest
import sympy as sp

import cheatsheet
from cheatsheet.verifier.mutation import mutants
from cheatsheet.verifier.runner import verify_many

pytestmark = pytest.mark.slow  # hundreds of mutants through the verifier


def test_every_mutant_is_rejected() -> None:
    """Kill rate 100%: perturbed constants, flipped signs, dropped terms, swapped functions, transposed
    matrices, wrong kink values and wrong derivation steps are all rejected by the verifier (numeric gate
    and kink checks)."""
    pool = [m for r in cheatsheet.rules() for m in mutants(r)]
    verdicts = verify_many([m.rule for m in pool], jobs=2, use_cache=False, prove=False)
    survivors = [
        f"{m.rule.id} [{m.operator}] {m.description}"
        for m, v in zip(pool, verdicts, strict=False)
        if v.status != "failed"
    ]
    killed = len(pool) - len(survivors)
    by_operator = Counter(m.operator for m in pool)
    print(
        f"\nmutation kill rate: {killed}/{len(pool)} = {killed / len(pool):.1%} ({dict(sorted(by_operator.items()))})"
    )
    assert len(pool) >= 3 * len(cheatsheet.rules()), "too few mutants were generated"
    assert not survivors, "mutants the verifier accepted:\n" + "\n".join(survivors)


def test_every_rule_gets_the_core_operators() -> None:
    """Each rule yields a perturbed constant, and a flipped sign unless its derivative is 0."""
    for r in cheatsheet.rules():
        ops = {m.operator for m in mutants(r)}
        assert "constant" in ops, f"{r.id}: only {sorted(ops)}"
        if any(not sp.sympify(e).is_zero for e in r.derivatives.values()):
            assert "sign" in ops, f"{r.id}: only {sorted(ops)}"
        if r.kinks:
            assert "kink-value" in ops
        if r.shape == "matrix":
            assert "transpose" in ops
        if r.derivation is not None:
            assert "wrong-step" in ops, f"{r.id}: no wrong-step mutant"
