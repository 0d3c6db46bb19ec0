"""The symbolic half of a claim's check: a proof attempt region by region, and, when it does not go through,
a search for the residue it left.

A piecewise claim is proved region by region: at each sample point every Piecewise, |·|, max, min and sign is
replaced by the branch active there (:func:`~cheatsheet.verifier.symbolic.resolve`) and the analytic residue is
proved zero (or non-negative, for an inequality) under a time limit. A residue that is not proved zero is
sought: at the proof's sample point and where its own structure points (the centre 50 of exp(−(x−50)²)),
numerically then exactly. Found, it is a counterexample; not found, the claim is ``checked`` with the reason.
:func:`run_claim` is the whole check of one claim: the numeric gate, then this.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import mpmath
import sympy as sp

from cheatsheet.verifier.gate import EXPECTED_ERRORS, Claim, Failed, Session, differs_at
from cheatsheet.verifier.numbers import DPS, Point, differing, exact_point, exact_sign, point_text, short
from cheatsheet.verifier.sampling import in_domain, structure_points, switch_arguments
from cheatsheet.verifier.symbolic import prove_nonnegative, prove_zero, resolve, time_limit
from cheatsheet.verifier.verdict import Check, Counterexample

__all__ = ["VECTOR_PROOF_POINTS", "attempt", "run_claim"]

VECTOR_PROOF_POINTS = 12  # vector rules: branch patterns (which entry is the max) met in 12 random points
_MAX_PATTERNS = 24
_STRUCTURE_POINTS = 40  # most points a residue's own structure suggests, per region whose proof did not go through
_RESIDUE_FOUND = "(where the residue of the proof attempt shows)"  # appended to such a counterexample's claim
_BRANCHES = (sp.Piecewise, sp.Abs, sp.sign, sp.Heaviside, sp.Max, sp.Min)


def run_claim(s: Session, g: Claim) -> None:
    """The whole check of a claim: the numeric gate at every sample point, then the proof attempt."""
    s.gate(g)
    attempt(s, g)


@dataclass
class _Regions:
    """What a proof attempt has covered so far: (entry, branch pattern) pairs proved, the methods that proved
    them, the distinct patterns, and the sample points whose branches could not be decided."""

    done: set[tuple[int, tuple[Any, ...]]] = field(default_factory=set)
    methods: set[str] = field(default_factory=set)
    patterns: set[tuple[Any, ...]] = field(default_factory=set)
    undecided: list[Point] = field(default_factory=list)


def attempt(s: Session, g: Claim) -> None:
    """Prove every entry of ``g`` region by region, recording a ``proved`` check, or ``checked`` with the reason
    (:class:`Failed` when the search for the residue finds a point where the claim is false)."""
    if not s.prove:
        s.unproved.append(f"{g.label}: no proof attempted")
        s.checks.append(Check(g.label, "checked", "randomized 50-digit testing", "no proof attempted"))
        return
    if not g.prove:  # by design: a larger size of a vector rule proved at the smaller sizes
        s.checks.append(Check(g.label, "checked", "randomized 50-digit testing", "numeric only at this size"))
        return
    points = g.proof_points or g.points
    if g.proof_limit:
        points = points[: g.proof_limit]
    found = _Regions()
    for idx in range(len(g.true)):
        if not _prove_entry(s, g, idx, points, found):
            return
    if found.undecided:
        # a region whose branches cannot be told at its sample point is a region the proof did not cover
        s.unprove(
            g,
            f"the branches could not be decided at {len(found.undecided)} sample points "
            f"(e.g. {point_text(found.undecided[0], g.names)}), so not every region is proved",
        )
        return
    how = "symbolic (" + ", ".join(sorted(found.methods)) + ")"
    if len(found.patterns) > 1:
        how += f", region by region ({len(found.patterns)} regions)"
        s.methods.add("region by region")
    s.methods.update(f"symbolic ({m})" for m in found.methods)
    s.checks.append(Check(g.label, "proved", how))


def _prove_entry(s: Session, g: Claim, idx: int, points: list[Point], found: _Regions) -> bool:
    """Prove entry ``idx`` in every region its sample points meet; False (recorded as unproved) when one fails."""
    # '=': true - claimed vanishes; '<=' (lhs <= rhs): rhs - lhs >= 0; '>=': lhs - rhs >= 0
    t, c = sp.sympify(g.true[idx]), sp.sympify(g.claimed[idx])
    diff = c - t if g.relation == "<=" else t - c
    prover = prove_zero if g.relation == "=" else prove_nonnegative
    branchy = diff.has(*_BRANCHES)
    for point in points if branchy else points[:1]:
        region = _region(diff, point, branchy)
        if region is None:
            found.undecided.append(point)
            continue
        resolved, pattern = region
        if (idx, pattern) in found.done:
            continue
        found.done.add((idx, pattern))
        found.patterns.add(pattern)
        if len(found.done) > _MAX_PATTERNS * len(g.true):
            s.unprove(g, "too many piecewise regions to prove one by one")
            return False
        method, why = prover(resolved, s.seconds)
        if method is None:
            if g.relation == "=":
                why += "; " + _refute(s, g, idx, resolved, point)
            s.unprove(g, f"{g.entry_names[idx] or 'entry'}: {why}".strip())
            return False
        found.methods.add(method)
    return True


def _region(diff: sp.Basic, point: Point, branchy: bool) -> tuple[sp.Basic, tuple[Any, ...]] | None:
    """``diff`` with every branch resolved as at ``point``, and the pattern of branches taken (None: undecided)."""
    if not branchy:
        return diff, ()
    try:
        return resolve(diff, point)
    except ValueError:
        return None


# ------------------------------------------------------------------------------------------ the residue
def _refute(s: Session, g: Claim, idx: int, residue: sp.Basic, point: Point) -> str:
    """After a proof did not go through: look for a point where entry ``idx`` of the claim differs from the
    reference. Tried at the proof point, then at the points the residue's own structure singles out
    (:func:`structure_points`: the centre 50 of exp(−(x−50)²), the 1000 of (x/40)^1000, ...), first numerically
    at the precision the point needs, then exactly (sympy decides the residue's sign there, or evaluates it with
    guaranteed digits). Raises Failed at the first point found; returns where it looked."""
    exact = {v: val for v, val in exact_point(point).items() if v in g.variables}
    candidates = _candidates(g, residue, exact)
    switches = switch_arguments(sp.sympify(g.true[idx]) - sp.sympify(g.claimed[idx]))
    deadline = time.process_time() + s.seconds  # CPU time, as time_limit counts it
    # numerically at every point first (a difference of 25^1000 at x = 1000 makes a better counterexample than
    # one of 1e-870 at the proof point), then exactly
    looked = [cand for cand in candidates[: _STRUCTURE_POINTS + 1] if _look(g, idx, cand, False, switches, deadline)]
    _signed_residue(g, idx, residue, exact, deadline)
    for cand in looked:
        _look(g, idx, cand, True, switches, deadline)
    return _where_looked(g, [c for c in looked if c is not exact], exact)


def _candidates(g: Claim, residue: sp.Basic, exact: dict[sp.Symbol, sp.Expr]) -> list[dict[sp.Symbol, sp.Expr]]:
    """The proof point, then the points along each scalar input that the residue's structure suggests."""
    candidates = [exact]
    for var, domain in g.domains.items():
        if var not in exact:
            continue
        along = sp.sympify(residue).subs({k: v for k, v in exact.items() if k != var})
        candidates += [exact | {var: value} for value in structure_points(along, var) if in_domain(value, domain)]
    return candidates


def _look(
    g: Claim, idx: int, cand: dict[sp.Symbol, sp.Expr], exactly: bool, switches: Sequence[sp.Expr], deadline: float
) -> bool:
    """Look for the residue at ``cand`` before ``deadline``: raise Failed where the claim differs; True when the
    point was looked at and nothing was found (False: out of time, on a breakpoint, or undecided)."""
    left = deadline - time.process_time()
    if left <= 0:
        return False
    try:
        with time_limit(left):
            if not exactly and any(exact_sign(sp.sympify(sw).subs(cand)) in (0, None) for sw in switches):
                return False  # on (or too near to tell) a breakpoint: the check at the breakpoints decides there
            differs_at(g, idx, cand, exactly)
    except Failed as found:
        raise Failed(dataclasses.replace(found.cx, claim=f"{found.cx.claim} {_RESIDUE_FOUND}")) from None
    except EXPECTED_ERRORS:
        return False
    return True


def _where_looked(g: Claim, structured: list[dict[sp.Symbol, sp.Expr]], exact: dict[sp.Symbol, sp.Expr]) -> str:
    """The reason's account of where the residue was sought: the proof point and the structured points."""
    shown = "; ".join(
        ", ".join(f"{g.names.get(k, k)} = {short(v)}" for k, v in c.items() if k in g.domains and v != exact[k])
        for c in structured[:6]
    )
    more = "; ..." if len(structured) > 6 else ""
    also = f" and at {len(structured)} points its structure suggests ({shown}{more})" if structured else ""
    return (
        f"the residue was sought at the proof's sample point{also}, numerically at the precision each needs "
        "and exactly where sympy can decide: not found"
    )


def _signed_residue(g: Claim, idx: int, residue: sp.Basic, at: dict[sp.Symbol, sp.Expr], deadline: float) -> None:
    """Raise Failed at the proof point ``at`` when sympy's assumptions show the region's residue positive or
    negative for every value of its symbols (1e-100·exp(−x²) is positive everywhere, even where no evaluation
    can tell it from 0): the claim is then false at every point of the region, this one included."""
    left = min(deadline - time.process_time(), 1.0)
    if left <= 0:
        return
    try:
        with time_limit(left):
            r = sp.sympify(residue)
            sign = "positive" if r.is_positive else ("negative" if r.is_negative else "")
    except EXPECTED_ERRORS:
        return
    if not sign:
        return
    true_at, claim_at = sp.sympify(g.true[idx]).subs(at), sp.sympify(g.claimed[idx]).subs(at)
    with mpmath.workdps(2 * DPS):
        expected, got = differing(mpmath.mpf(sp.N(true_at, 2 * DPS)), mpmath.mpf(sp.N(claim_at, 2 * DPS)))
    if "differs by" in got:
        got = got.split(" (differs by")[0] + f" (differs by {sp.N(claim_at - true_at, 6)})"
    where = {g.names.get(k, str(k)): short(v) for k, v in at.items() if k in g.names}
    raise Failed(
        Counterexample(f"{g.entry(idx)} {_RESIDUE_FOUND}: the residue is {sign} for every value", where, expected, got)
    )
