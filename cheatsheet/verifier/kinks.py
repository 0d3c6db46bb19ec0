"""Declared kinks: the stated one-sided derivatives, continuity (or the declared jump), and the value PyTorch
(and JAX) return there, exactly and at 60 digits (DESIGN: conventions are data; sympy's Heaviside(0) = 1/2
never decides them).

At each parameter set (and a couple of draws of the other inputs) the kink's location is computed exactly; the
derivative just beside it on each side must be the stated one-sided derivative (numerically, and exactly as the
branch active there continued to the kink), the function must be continuous unless the kink is marked a jump,
the printed derivative at the kink must be PyTorch's value, PyTorch's and JAX's values must lie in the
subdifferential, and the subdifferential as printed (:meth:`~cheatsheet.rule.Kink.subdifferential`) must be the
interval [min, max] of the one-sided derivatives, never reversed. A kink ``given`` values of other inputs or
parameters is checked with those values pinned (it exists only there).
"""

from __future__ import annotations

from collections.abc import Sequence

import mpmath
import sympy as sp

from cheatsheet.evaluate.expand import concrete
from cheatsheet.rule import Input, Kink, Rule
from cheatsheet.verifier.gate import REL, Failed, Session
from cheatsheet.verifier.numbers import DPS, NAMESPACE, as_mp, fmt, point_text, real_number
from cheatsheet.verifier.points import names_of
from cheatsheet.verifier.sampling import draw, rng_for, sample_at
from cheatsheet.verifier.symbolic import prove_zero, resolve
from cheatsheet.verifier.verdict import Check, Counterexample

__all__ = ["check_kink"]

_SIDE = mpmath.mpf("1e-30")  # distance from a kink for one-sided limits


def check_kink(
    s: Session,
    rule: Rule,
    kink: Kink,
    f: sp.Basic,
    true: sp.Basic,
    claim: sp.Basic,
    var: sp.Symbol,
    psets: list[dict[sp.Symbol, sp.Expr]],
    scalars: Sequence[Input],
) -> None:
    """One-sided derivatives, continuity, and the convention's value, exactly and at 60 digits."""
    at = _KinkAt(s, rule, kink, f, true, claim, var)
    pinned = {sym: sp.sympify(value) for sym, value in kink.given}
    others = [o for o in scalars if o.symbol != var and o.symbol not in pinned]
    rng = rng_for(rule.id, "kink", str(kink.at))
    all_exact = True
    for pset in psets:
        for _ in range(2 if others else 1):
            fixed: dict[sp.Symbol, sp.Expr] = dict(pset) | pinned
            for o in others:
                fixed[o.symbol] = sp.Rational(mpmath.nstr(draw(o.domain, rng), 6))
            exact = at.check(fixed)
            all_exact = all_exact and exact
    s.methods.add("kink conventions")
    if all_exact or not s.prove:
        s.checks.append(Check(at.label, "proved" if s.prove else "checked", "one-sided limits and convention, exact"))
    else:
        s.unproved.append(f"{at.label}: one-sided limits checked at 60 digits, not proved exactly")
        s.checks.append(Check(at.label, "checked", "one-sided limits at 60 digits"))


class _KinkAt:
    """The checks of one declared kink, at the kink's location for given values of the other symbols."""

    def __init__(
        self, s: Session, rule: Rule, kink: Kink, f: sp.Basic, true: sp.Basic, claim: sp.Basic, var: sp.Symbol
    ) -> None:
        self.s, self.rule, self.kink, self.f, self.true, self.claim, self.var = s, rule, kink, f, true, claim, var
        given = "".join(f", {sym} = {value}" for sym, value in kink.given)
        self.label = f"kink at {var} = {kink.at}{given}"
        self.names = names_of(rule)
        self.printed = kink.subdifferential(rule)  # the interval the sheet prints

    def check(self, fixed: dict[sp.Symbol, sp.Expr]) -> bool:
        """Every check at the kink with the other symbols at ``fixed``; True when the one-sided derivatives and
        the convention were also proved exactly."""
        loc = sp.sympify(self.kink.at).subs(fixed)
        where = point_text(as_mp(fixed | {self.var: loc}), self.names)
        exact = self._sides(fixed, loc, where)
        exact = self._convention(fixed, loc, where) and exact
        if not self.kink.jump:
            self._frameworks_inside(fixed, where)
        return exact

    def _sides(self, fixed: dict[sp.Symbol, sp.Expr], loc: sp.Expr, where: dict[str, str]) -> bool:
        """The stated one-sided derivatives (at 60 digits, then exactly) and continuity or the declared jump."""
        # _SIDE is absolute: a kink at 10^300 needs 300 more digits for loc ± _SIDE to differ from loc
        kdps = sample_at(loc, sp.S.One).dps if loc.is_number and loc != 0 else DPS
        exact = True
        with mpmath.workdps(kdps):
            loc_mp = mpmath.mpf(sp.N(loc, kdps))
            fvals = {}
            for side, sign_ in (("left", -1), ("right", 1)):
                fvals[side], proved = self._side(fixed, loc, loc_mp + sign_ * _SIDE, side, where)
                exact = exact and proved
            left, right = fvals["left"], fvals["right"]
            assert left is not None and right is not None
            continuous = abs(left - right) < mpmath.mpf("1e-20")
            if continuous == self.kink.jump:
                what = (
                    "the function jumps here; mark the kink jump=True"
                    if not continuous
                    else "the function is continuous here; it is not a jump"
                )
                raise Failed(Counterexample(f"{self.label}: continuity", where, what, f"jump={self.kink.jump}"))
        return exact

    def _side(
        self, fixed: dict[sp.Symbol, sp.Expr], loc: sp.Expr, at: mpmath.mpf, side: str, where: dict[str, str]
    ) -> tuple[mpmath.mpf | None, bool]:
        """F just beside the kink on ``side`` (at ``at``), after checking the derivative there against the stated
        one-sided derivative; with whether that one was also proved exactly."""
        pt = as_mp(fixed) | {self.var: at}
        got = real_number(sp.lambdify(list(pt), self.true, modules=[NAMESPACE, "mpmath"])(*pt.values()))
        f_value = real_number(sp.lambdify(list(pt), self.f, modules=[NAMESPACE, "mpmath"])(*pt.values()))
        stated = concrete(getattr(self.kink, side), self.rule)
        want = real_number(sp.sympify(stated).subs(fixed).evalf(DPS))
        if got is None or want is None or abs(got - want) > mpmath.mpf("1e-20") * max(1, abs(got)):
            raise Failed(Counterexample(f"{self.label}: {side} derivative", where, fmt(got), fmt(want)))
        # exact: the branch active on this side, continued to the kink
        branch, _ = resolve(self.true.subs(fixed), {self.var: at})
        exact = sp.sympify(branch).subs(self.var, loc) - sp.sympify(stated).subs(fixed)
        proved = not (self.s.prove and prove_zero(exact, self.s.seconds)[0] is None)
        return f_value, proved

    def _convention(self, fixed: dict[sp.Symbol, sp.Expr], loc: sp.Expr, where: dict[str, str]) -> bool:
        """The printed derivative, evaluated exactly at the kink, must be the stated convention (PyTorch's value);
        True when proved exactly, False when equal only at 60 digits."""
        value = sp.sympify(self.claim).subs(fixed).subs(self.var, loc)
        torch_value = concrete(self.kink.torch, self.rule).subs(fixed)
        if prove_zero(sp.sympify(value) - torch_value, self.s.seconds)[0] is not None:
            return True
        with mpmath.workdps(DPS):
            a, b = real_number(sp.N(value, DPS)), real_number(sp.N(torch_value, DPS))
        if a is None or b is None or abs(a - b) > REL:
            raise Failed(
                Counterexample(
                    f"{self.label}: printed derivative at the kink vs PyTorch's convention", where, fmt(b), fmt(a)
                )
            )
        return False

    def _frameworks_inside(self, fixed: dict[sp.Symbol, sp.Expr], where: dict[str, str]) -> None:
        """PyTorch's and JAX's values at a continuous kink lie in the subdifferential [min, max]."""
        with mpmath.workdps(DPS):
            ends = [
                real_number(sp.N(concrete(e_, self.rule).subs(fixed), DPS)) for e_ in (self.kink.left, self.kink.right)
            ]
        lo_v, hi_v = ends[0], ends[1]
        assert lo_v is not None and hi_v is not None
        lo_v, hi_v = min(lo_v, hi_v), max(lo_v, hi_v)
        self._printed_interval(fixed, where, lo_v, hi_v)
        for who, val in (("PyTorch", self.kink.torch), ("JAX", self.kink.jax)):
            if val is None:
                continue
            with mpmath.workdps(DPS):
                v = real_number(sp.N(concrete(val, self.rule).subs(fixed), DPS))
                assert v is not None
                inside = lo_v - REL <= v <= hi_v + REL
            if not inside:
                raise Failed(
                    Counterexample(
                        f"{self.label}: {who}'s value lies outside the subdifferential",
                        where,
                        f"in [{fmt(lo_v)}, {fmt(hi_v)}]",
                        fmt(v),
                    )
                )

    def _printed_interval(
        self, fixed: dict[sp.Symbol, sp.Expr], where: dict[str, str], lo: mpmath.mpf, hi: mpmath.mpf
    ) -> None:
        """The printed subdifferential's ends, evaluated here, are the min and the max of the one-sided derivatives
        (a [left, right] printed for left > right, such as SELU's [λα, λ], fails)."""
        with mpmath.workdps(DPS):
            shown = [real_number(sp.N(concrete(e_, self.rule).subs(fixed), DPS)) for e_ in self.printed]
        a, b = shown
        tol = REL * max(1, abs(lo), abs(hi))
        if a is None or b is None or abs(a - lo) > tol or abs(b - hi) > tol:
            raise Failed(
                Counterexample(
                    f"{self.label}: the printed subdifferential",
                    where,
                    f"[{fmt(lo)}, {fmt(hi)}]",
                    f"[{fmt(a)}, {fmt(b)}]",
                )
            )
