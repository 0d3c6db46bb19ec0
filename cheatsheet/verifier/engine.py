"""Verify one rule: randomized 50-digit identity testing as the gate, a symbolic proof attempt per
branch, the kink conventions, the identities and the stable forms (FINDINGS §1).

Every claim becomes a :class:`~cheatsheet.verifier.gate.Claim`: entries of a reference expression (sympy's
derivative of the rule's function, made elementary) and of the claimed one, over a list of variables. The
numeric gate (:mod:`~cheatsheet.verifier.gate`) evaluates both at every sample point
(:mod:`~cheatsheet.verifier.points`) with mpmath at 60 digits, and compares the claim with an independent
numerical derivative (``mpmath.diff`` of the function) too. Then each claim is proved symbolically region by
region (:mod:`~cheatsheet.verifier.proof`). A failure anywhere is a counterexample; a proof that does not go
through makes the rule ``checked`` with the reason.

This module holds the order of the checks: the derivatives (:mod:`~cheatsheet.verifier.scalar` with its
breakpoints and :mod:`~cheatsheet.verifier.kinks`; :mod:`~cheatsheet.verifier.instances` for vectors and
matrices), the identities and stable forms (:mod:`~cheatsheet.verifier.claims`), the derivation
(:mod:`~cheatsheet.verifier.derivations`); general rules (abstract functions) here; and the verdict.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import sympy as sp

from cheatsheet.printing.text import text
from cheatsheet.verifier.claims import identity_claims, identity_label, stable_claims
from cheatsheet.verifier.derivations import derivation
from cheatsheet.verifier.gate import Failed, Session
from cheatsheet.verifier.hashing import VERIFIER_VERSION, rule_hash
from cheatsheet.verifier.instances import vector_claims
from cheatsheet.verifier.numbers import DPS
from cheatsheet.verifier.points import RANDOM_POINTS, SIZES
from cheatsheet.verifier.proof import run_claim
from cheatsheet.verifier.scalar import scalar_claims
from cheatsheet.verifier.symbolic import prove_zero
from cheatsheet.verifier.verdict import Check, Status, Verdict

if TYPE_CHECKING:
    from cheatsheet.rule import Rule

__all__ = ["DPS", "PROOF_SECONDS", "RANDOM_POINTS", "SIZES", "verify_rule"]

# DPS (from sampling): working precision of the numeric gate at an ordinary point; a point that needs more
# digits (beside a breakpoint 1e-70 away, or near 10^300) carries its own precision (numbers.Placed.dps)
PROOF_SECONDS = 4.0  # time limit of one symbolic attempt


def verify_rule(
    rule: Rule,
    *,
    prove: bool = True,
    seconds: float = PROOF_SECONDS,
    skip_undefined: bool = False,
    keep_points: bool = False,
) -> Verdict:
    """Verify ``rule`` and return its verdict with the evidence. Never raises for a false claim.

    ``skip_undefined`` (for expressions whose domain nobody declared, as in ``cheatsheet check``)
    skips the sample points where the reference is not a finite real number instead of raising, as
    long as enough points remain; ``verdict.extra["skipped_points"]`` counts them. ``keep_points``
    lists the points used in ``verdict.extra["points_used"]``.
    """
    start = time.perf_counter()
    s = Session(rule, prove=prove, seconds=seconds, skip_undefined=skip_undefined, keep_points=keep_points)
    s.methods.add("randomized 50-digit identity testing")
    s.methods.add("mpmath numerical derivative")
    try:
        _check_all(s, rule)
    except Failed as failure:
        return Verdict(
            rule_id=rule.id,
            status="failed",
            methods=tuple(sorted(s.methods)),
            points=s.points,
            max_residual=float(s.residual),
            seconds=time.perf_counter() - start,
            reason=f"false claim: {failure.cx.describe()}",
            counterexample=failure.cx,
            checks=(*s.checks, Check(failure.cx.claim, "failed", "randomized 50-digit testing", failure.cx.describe())),
            content_hash=rule_hash(rule),
            verifier_version=VERIFIER_VERSION,
            extra=s.extra(),
        )
    status: Status = "proved" if not s.unproved and prove else "checked"
    reason = "" if status == "proved" else ("; ".join(s.unproved) if s.unproved else "no symbolic proof attempted")
    return Verdict(
        rule_id=rule.id,
        status=status,
        methods=tuple(sorted(s.methods)),
        points=s.points,
        max_residual=float(s.residual),
        seconds=time.perf_counter() - start,
        reason=reason,
        checks=tuple(s.checks),
        content_hash=rule_hash(rule),
        verifier_version=VERIFIER_VERSION,
        extra=s.extra(),
    )


def _check_all(s: Session, rule: Rule) -> None:
    """Every check of ``rule``, in order: the derivatives, the identities, the stable forms, the derivation
    (raises :class:`Failed` at the first false claim)."""
    if rule.is_general:
        _general(s, rule)
    elif rule.shape == "scalar":
        scalar_claims(s, rule, rule.function, rule.derivatives, "")
    else:
        vector_claims(s, rule, rule.function, rule.derivatives, "")
    for ident in rule.identities:
        for g in identity_claims(rule, ident, identity_label(ident)):
            run_claim(s, g)
    if rule.identities:
        s.methods.add("identities")
    stable_claims(s, rule)
    if rule.derivation is not None:
        derivation(s, rule)
        s.methods.add("derivation steps")


def _general(s: Session, rule: Rule) -> None:
    """Prove the abstract rule with sympy's differentiation, then check each concrete example."""
    for wrt, claim in rule.derivatives.items():
        var = rule.input(wrt).symbol
        true = sp.diff(rule.function, var)
        method, why = prove_zero(true - claim, s.seconds) if s.prove else (None, "no proof attempted")
        if method is None:
            why = "sympy's calculus does not prove it for abstract functions"
            s.unproved.append(f"abstract ∂/∂{wrt}: {why}; checked on {len(rule.examples)} concrete examples")
            s.checks.append(Check(f"abstract ∂/∂{wrt}", "checked", "concrete examples only", why))
        else:
            s.methods.add("symbolic (abstract)")
            s.checks.append(Check(f"abstract ∂/∂{wrt}", "proved", f"symbolic ({method})"))
    for k, example in enumerate(rule.examples):
        mapping = dict(example)

        def sub(e: sp.Basic, _m: dict[sp.Basic, sp.Lambda] = mapping) -> sp.Basic:
            for func, lam in _m.items():
                e = e.replace(func, lam)
            return e.doit()

        shown = ", ".join(f"{f_} = {text(lam.expr)}" for f_, lam in mapping.items())
        scalar_claims(
            s,
            rule,
            sub(rule.function),
            {w: sub(c) for w, c in rule.derivatives.items()},
            f"example {k + 1} ({shown}): ",
        )
