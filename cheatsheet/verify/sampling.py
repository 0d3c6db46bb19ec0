"""Seeded sample points: random values inside each domain, every region between breakpoints, and
points just beside every breakpoint (never on one)."""

from __future__ import annotations

import random
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

import mpmath
import sympy as sp

from cheatsheet.verify.symbolic import ProofTimeout, time_limit

__all__ = ["BESIDE", "breakpoints", "draw", "rng_for", "near", "region_points"]

#: Time limit of solving for one breakpoint (random points still cover a switch that is not solved).
SOLVE_SECONDS = 2.0
#: Offsets from a breakpoint at which points are placed on each side.
BESIDE: tuple[str, ...] = ("1e-3", "1e-8")


def rng_for(*key: Any) -> random.Random:
    """A random generator seeded from ``key`` (stable across processes, unlike ``hash``)."""
    return random.Random(zlib.crc32(repr(key).encode()))


def _interval_draw(iv: sp.Interval, rng: random.Random) -> mpmath.mpf:
    lo, hi = iv.start, iv.end
    spread = 10 ** rng.uniform(-2, 1.3)  # 0.01 .. 20
    if lo == -sp.oo and hi == sp.oo:
        if rng.random() < 0.75:
            return mpmath.mpf(rng.uniform(-4, 4))
        return mpmath.mpf(rng.choice((-1, 1)) * 10 ** rng.uniform(0.6, 1.5))
    if lo == -sp.oo:
        return mpmath.mpf(float(hi)) - spread
    if hi == sp.oo:
        return mpmath.mpf(float(lo)) + spread
    a, b = float(lo), float(hi)
    return mpmath.mpf(a + (b - a) * rng.uniform(0.02, 0.98))


def draw(domain: sp.Set, rng: random.Random) -> mpmath.mpf:
    """One random value inside ``domain`` (an interval, a union of intervals or a finite set)."""
    if isinstance(domain, sp.FiniteSet):
        return mpmath.mpf(float(rng.choice(sorted(domain.args, key=float))))
    if isinstance(domain, sp.Union):
        parts = [p for p in domain.args if isinstance(p, (sp.Interval, sp.FiniteSet))]
        return draw(rng.choice(parts), rng)
    if domain == sp.S.Reals:
        return _interval_draw(sp.Interval(-sp.oo, sp.oo), rng)
    if isinstance(domain, sp.Interval):
        return _interval_draw(domain, rng)
    if domain.is_subset(sp.S.Integers):  # Integers, Naturals, Range: a small integer inside
        choices = [v for v in range(-6, 7) if v in domain]
        if choices:
            return mpmath.mpf(rng.choice(choices))
    raise ValueError(
        f"cannot sample from domain {domain}; use an Interval, a Union of intervals, a FiniteSet or a set of integers"
    )


def near(points: Iterable[mpmath.mpf], domain: sp.Set) -> list[mpmath.mpf]:
    """Points just beside each breakpoint, on both sides, that lie inside ``domain``."""
    out: list[mpmath.mpf] = []
    for b in points:
        for off in BESIDE:
            for side in (-1, 1):
                v = b + side * mpmath.mpf(off)
                if sp.Float(str(v), 30) in domain:
                    out.append(v)
    return out


def region_points(breaks: Sequence[mpmath.mpf], domain: sp.Set, rng: random.Random, per_region: int = 2) -> list[mpmath.mpf]:
    """A few random points inside every region that the sorted breakpoints cut the domain into."""
    bs = sorted(set(breaks))
    out: list[mpmath.mpf] = []
    if not bs:
        return out
    for _ in range(per_region):
        out.append(bs[0] - 10 ** mpmath.mpf(rng.uniform(-1, 1.2)))
        out.append(bs[-1] + 10 ** mpmath.mpf(rng.uniform(-1, 1.2)))
        for a, b in zip(bs, bs[1:]):
            out.append(a + (b - a) * mpmath.mpf(rng.uniform(0.05, 0.95)))
    return [p for p in out if sp.Float(str(p), 30) in domain]


def breakpoints(exprs: Iterable[sp.Basic], var: sp.Symbol, subs: dict[sp.Basic, Any]) -> list[mpmath.mpf]:
    """Real values of ``var`` where a Piecewise condition, |·|, max, min, sign or step changes.

    Solved per atom with the other symbols fixed by ``subs``; atoms sympy cannot solve are skipped
    (random points still cover them).
    """
    found: set[sp.Expr] = set()
    seen: set[sp.Basic] = set()
    for expr in exprs:
        for atom in _switch_arguments(sp.sympify(expr)):
            e = atom.subs(subs)
            if e in seen or var not in e.free_symbols or len(e.free_symbols) != 1:
                continue
            seen.add(e)
            try:
                # rational=False: solve with the 60-digit Floats as they are; the default rationalises
                # them through nsimplify (PSLQ), 20x slower and rounded to 15 digits. A time limit:
                # a transcendental switch such as sin(x) = softplus(x) kept solve busy for 18 s.
                with time_limit(SOLVE_SECONDS):
                    sols = sp.solve(e, var, rational=False)
            except (NotImplementedError, ValueError, TypeError, ProofTimeout):
                continue
            for s in sols:
                if s.is_real and s.is_number:
                    found.add(s)
    values = sorted(mpmath.mpf(sp.N(s, 60)) for s in found)  # N: also log(2), sqrt(2)
    merged: list[mpmath.mpf] = []
    for v in values:  # one breakpoint found twice (e.g. from max and from a condition) differs by ~1e-18
        if merged and abs(v - merged[-1]) <= mpmath.mpf("1e-12") * max(1, abs(v)):
            continue
        merged.append(v)
    return merged


def _switch_arguments(expr: sp.Basic) -> list[sp.Expr]:
    """Expressions whose sign decides which branch a piecewise construct takes."""
    out: list[sp.Expr] = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Piecewise):
            for _, cond in node.args:
                for rel in cond.atoms(sp.core.relational.Relational):
                    out.append(rel.lhs - rel.rhs)
        elif isinstance(node, (sp.Abs, sp.sign, sp.Heaviside)):
            out.append(node.args[0])
        elif isinstance(node, (sp.Max, sp.Min)):
            args = list(node.args)
            out += [a - b for a, b in zip(args, args[1:])]
    return out
