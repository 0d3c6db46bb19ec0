"""Seeded sample points: random values inside each domain, every region between breakpoints, and
points just beside every breakpoint (never on one).

Breakpoints are exact sympy numbers, compared exactly: two breakpoints are merged only when they are
the same number (the same point found from max and from a condition), never because they are close,
so a region 1e-40 wide is sampled like any other. A point is computed exactly (a rational, or a sympy
number) and then rounded to an mpmath number at the precision it needs: :data:`DPS` digits beyond
those needed to tell it from its nearest breakpoint or domain edge (a point 1e-70 from the breakpoint
1 needs about 130 digits; a point 5 above 10^300 about 360). :class:`Sample` carries that precision
and the distance (the *gap*), so that the gate evaluates it at that precision and takes numerical
derivatives with steps that stay inside its region.
"""

from __future__ import annotations

import functools
import itertools
import math
import random
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy as sp

from cheatsheet.verifier.symbolic import ProofTimeout, time_limit

__all__ = [
    "BESIDE",
    "DPS",
    "Sample",
    "assumed_sign",
    "breakpoints",
    "distinct_sorted",
    "draw",
    "draw_sample",
    "edges",
    "exact_value",
    "in_domain",
    "near",
    "region_points",
    "rng_for",
    "sample_at",
    "structure_points",
    "switch_arguments",
    "value_digits",
    "value_dps",
]

#: Working precision (digits) of the numeric gate at an ordinary point.
DPS = 60
#: Time limit of solving for one breakpoint (random points still cover a switch that is not solved).
SOLVE_SECONDS = 2.0
#: Offsets from a breakpoint at which points are placed on each side (shrunk near a neighbouring breakpoint).
BESIDE: tuple[str, ...] = ("1e-3", "1e-8")
#: Numbers that agree to this many digits but that sympy can neither prove equal nor tell apart are taken as
#: one breakpoint (sympy decides every rational, algebraic and ordinary transcendental case exactly).
_SAME_DIGITS = 100


@dataclass(frozen=True)
class Sample:
    """One value of a variable: ``value`` (an mpmath number rounded from the exact point at ``dps`` digits),
    ``gap`` (its distance to the nearest breakpoint or domain edge; None when none is within reach) and
    ``dps`` (the working precision at which expressions must be evaluated there)."""

    value: mpmath.mpf
    gap: mpmath.mpf | None
    dps: int


def rng_for(*key: Any) -> random.Random:
    """A random generator seeded from ``key`` (stable across processes, unlike ``hash``)."""
    return random.Random(zlib.crc32(repr(key).encode()))


# ------------------------------------------------------------------------------------------ exact numbers
def exact_value(v: Any) -> sp.Expr:
    """An exact sympy number: an mpmath number as the rational it is (man·2^exp), a float as its binary value."""
    if isinstance(v, mpmath.mpf):
        man, exp = v.man_exp
        if man == 0:
            return sp.S.Zero
        return sp.Integer(man) * sp.Integer(2) ** int(exp)
    if isinstance(v, float):
        return sp.Rational(v)
    return sp.sympify(v)


def _mag(v: sp.Expr) -> float:
    """log10 |v| (−inf for 0), from a low-precision evaluation (used only to choose precisions)."""
    with mpmath.workdps(20):
        z = abs(mpmath.mpf(sp.N(v, 20))) if not v.is_Rational else abs(mpmath.mpf(int(v.p)) / int(v.q))
        return -math.inf if z == 0 else float(mpmath.log10(z))


def value_dps(value: sp.Expr, gap: sp.Expr | None) -> int:
    """Digits needed at ``value``: DPS plus the digits that separate it from a feature ``gap`` away."""
    if gap is None or value == 0:
        return DPS
    extra = _mag(value) - _mag(gap)
    return DPS + max(0, math.ceil(extra))


def value_digits(v: mpmath.mpf) -> int:
    """The digits an mpmath number carries (at least DPS for one drawn near 10^300): the precision to use it at."""
    return int(mpmath.libmp.prec_to_dps(max(53, int(v._mpf_[3]))))


def sample_at(value: sp.Expr, gap: sp.Expr | None) -> Sample:
    """``value`` (exact) as a :class:`Sample` at the precision it needs."""
    dps = value_dps(value, gap)
    with mpmath.workdps(dps):
        mp = mpmath.mpf(int(value.p)) / int(value.q) if value.is_Rational else mpmath.mpf(sp.N(value, dps + 10))
        g = None if gap is None else mpmath.mpf(sp.N(gap, 20))
    return Sample(mp, g, dps)


def _rational(u: float) -> sp.Rational:
    return sp.Rational(u)  # the float's exact binary value


def assumed_sign(d: sp.Basic) -> int | None:
    """The sign of ``d`` from sympy's assumptions (is_zero, is_positive, is_negative, asked in that order)."""
    if d.is_zero:
        return 0
    if d.is_positive:
        return 1
    if d.is_negative:
        return -1
    return None


def _sign(d: sp.Expr) -> int | None:
    """The sign of the real number ``d``: exactly where sympy can decide it, else numerically at
    _SAME_DIGITS digits (0 when it is smaller than that: the same number for all our purposes)."""
    known = assumed_sign(d)
    if known is not None:
        return known
    try:
        v = sp.N(d, 30, maxn=int(_SAME_DIGITS * 3.33) + 30)
    except (TypeError, ValueError):
        return None
    if not v.is_number or v.is_real is False:
        return None
    if abs(v) < sp.Float(10) ** -_SAME_DIGITS:
        return 0
    return 1 if v > 0 else -1


def _compare(a: sp.Expr, b: sp.Expr) -> int:
    s = _sign(sp.sympify(a - b))
    return 0 if s is None else s


def distinct_sorted(values: Iterable[sp.Expr]) -> list[sp.Expr]:
    """Exact real numbers, sorted exactly, with equal ones (exactly equal, however written) kept once."""
    out: list[tuple[float, sp.Expr]] = []
    for v in values:
        fv = float(sp.N(v, 20))
        # numbers whose 20-digit values differ are different; only near ones need the exact comparison
        if any(v == u or (abs(fv - fu) <= 1e-12 * max(1.0, abs(fv)) and _compare(v, u) == 0) for fu, u in out):
            continue
        out.append((fv, v))

    def order(a: tuple[float, sp.Expr], b: tuple[float, sp.Expr]) -> int:
        if abs(a[0] - b[0]) > 1e-12 * max(1.0, abs(a[0])):
            return -1 if a[0] < b[0] else 1
        return _compare(a[1], b[1])

    return [v for _, v in sorted(out, key=functools.cmp_to_key(order))]


def edges(domain: sp.Set) -> list[sp.Expr]:
    """The finite boundary points of an interval or a union of intervals (exact); [] for other sets."""
    parts = domain.args if isinstance(domain, sp.Union) else (domain,)
    out: list[sp.Expr] = []
    for p in parts:
        if isinstance(p, sp.Interval):
            out += [e for e in (p.start, p.end) if e.is_finite]
    return out


def in_domain(value: sp.Expr, domain: sp.Set) -> bool:
    """Exact membership (an undecided one counts as outside)."""
    try:
        return bool(domain.contains(value) == sp.true)
    except (TypeError, ValueError):
        return False


# ------------------------------------------------------------------------------------------ random draws
def _interval_draw(iv: sp.Interval, rng: random.Random) -> tuple[sp.Expr, sp.Expr | None]:
    """A random exact point of ``iv`` and its distance to the nearer finite end (None: no finite end)."""
    lo, hi = iv.start, iv.end
    spread = 10 ** rng.uniform(-2, 1.3)  # 0.01 .. 20
    if lo == -sp.oo and hi == sp.oo:
        if rng.random() < 0.75:
            return _rational(rng.uniform(-4, 4)), None
        return _rational(rng.choice((-1, 1)) * 10 ** rng.uniform(0.6, 1.5)), None
    s = _rational(spread)
    if lo == -sp.oo:
        return hi - s, s
    if hi == sp.oo:
        return lo + s, s
    u = _rational(rng.uniform(0.02, 0.98))
    value = lo + (hi - lo) * u
    return value, (hi - lo) * min(u, 1 - u)


def _draw_exact(domain: sp.Set, rng: random.Random) -> tuple[sp.Expr, sp.Expr | None]:
    if isinstance(domain, sp.FiniteSet):
        return sp.sympify(rng.choice(sorted(domain.args, key=lambda e: float(sp.N(e, 30))))), None
    if isinstance(domain, sp.Union):
        parts = [p for p in domain.args if isinstance(p, (sp.Interval, sp.FiniteSet))]
        return _draw_exact(rng.choice(parts), rng)
    if domain == sp.S.Reals:
        return _interval_draw(sp.Interval(-sp.oo, sp.oo), rng)
    if isinstance(domain, sp.Interval):
        return _interval_draw(domain, rng)
    if domain.is_subset(sp.S.Integers):  # Integers, Naturals, Range: a small integer inside
        choices = [v for v in range(-6, 7) if v in domain]
        if choices:
            return sp.Integer(rng.choice(choices)), None
    raise ValueError(
        f"cannot sample from domain {domain}; use an Interval, a Union of intervals, a FiniteSet or a set of integers"
    )


def draw_sample(domain: sp.Set, rng: random.Random) -> Sample:
    """One random point inside ``domain``, exact up to the precision it needs (see :class:`Sample`)."""
    value, gap = _draw_exact(domain, rng)
    return sample_at(value, gap)


def draw(domain: sp.Set, rng: random.Random) -> mpmath.mpf:
    """One random value inside ``domain`` (an interval, a union of intervals or a finite set), as an mpmath
    number carrying the digits it needs (10^300 + 5 keeps its 5)."""
    return draw_sample(domain, rng).value


# ------------------------------------------------------------------------------------------ regions
def _features(breaks: Sequence[sp.Expr], domain: sp.Set) -> list[sp.Expr]:
    return distinct_sorted(list(breaks) + edges(domain))


def near(breaks: Sequence[sp.Expr], domain: sp.Set) -> list[Sample]:
    """Points just beside each breakpoint, on both sides, that lie inside ``domain``.

    The offsets are BESIDE, shrunk in proportion when a neighbouring breakpoint or a domain edge is closer
    than four times the largest: a point beside a breakpoint never jumps over its neighbour.
    """
    feats = _features(breaks, domain)
    first = sp.Rational(BESIDE[0])
    out: list[Sample] = []
    for b in breaks:
        k = next(i for i, f in enumerate(feats) if _compare(f, b) == 0)
        for side in (-1, 1):
            j = k + side
            room = abs(feats[j] - b) if 0 <= j < len(feats) else None
            for off_text in BESIDE:
                off = sp.Rational(off_text)
                if room is not None and _compare(4 * first, room) > 0:
                    off = room * off / (4 * first)  # the same proportions, inside the room there is
                value = b + side * off
                if in_domain(value, domain):
                    out.append(sample_at(value, off))
    return out


def region_points(breaks: Sequence[sp.Expr], domain: sp.Set, rng: random.Random, per_region: int = 2) -> list[Sample]:
    """A few random points inside every region that the sorted breakpoints and the domain's edges cut the
    domain into, however narrow (each computed exactly, then kept at the precision it needs)."""
    if not breaks:
        return []
    feats = _features(breaks, domain)
    out: list[Sample] = []
    for _ in range(per_region):
        s = _rational(10 ** rng.uniform(-1, 1.2))
        out.append(sample_at(feats[0] - s, s))
        out.append(sample_at(feats[-1] + s, s))
        for a, b in itertools.pairwise(feats):
            u = _rational(rng.uniform(0.05, 0.95))
            value = a + (b - a) * u
            if in_domain(value, domain):
                out.append(sample_at(value, (b - a) * min(u, 1 - u)))
    return [p for p in out if in_domain(exact_value(p.value), domain)]


# ------------------------------------------------------------------------------------------ breakpoints
def breakpoints(exprs: Iterable[sp.Basic], var: sp.Symbol, subs: dict[sp.Basic, Any]) -> list[sp.Expr]:
    """Real values of ``var`` where a Piecewise condition, |·|, max, min, sign or step changes: exact sympy
    numbers, sorted, each once (:func:`distinct_sorted`).

    Solved per atom with the other symbols fixed by ``subs``; atoms sympy cannot solve are skipped
    (random points still cover them).
    """
    found: list[sp.Expr] = []
    seen: set[sp.Basic] = set()
    for expr in exprs:
        for atom in switch_arguments(sp.sympify(expr)):
            e = atom.subs(subs)
            if e in seen or var not in e.free_symbols or len(e.free_symbols) != 1:
                continue
            seen.add(e)
            try:
                # rational=False: Floats (a random value of another input) are solved with as they are; the
                # default rationalises them through nsimplify (PSLQ), 20x slower and rounded to 15 digits. A time
                # limit: a transcendental switch such as sin(x) = softplus(x) kept solve busy for 18 s.
                with time_limit(SOLVE_SECONDS):
                    sols = sp.solve(e, var, rational=False)
            except (NotImplementedError, ValueError, TypeError, ProofTimeout):
                continue
            found += [s for s in sols if s.is_number and s.is_real]
    return distinct_sorted(found)


def switch_arguments(expr: sp.Basic) -> list[sp.Expr]:
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
            out += [a - b for a, b in itertools.pairwise(args)]
    return out


# ------------------------------------------------------------------------------------------ a residue's own points
_FUNCTIONS = (sp.exp, sp.log, sp.Pow, sp.sin, sp.cos, sp.tan, sp.sinh, sp.cosh, sp.tanh, sp.erf, sp.atan)


def _approx(root: sp.Expr) -> sp.Expr:
    return sp.Rational(sp.N(root, 25))  # the 25-digit value's exact binary fraction: near enough to a centre


def _polynomial_centres(e: sp.Basic, var: sp.Symbol) -> Iterator[sp.Expr]:
    """Where each polynomial argument (degree 1 to 8 in ``var`` alone) of exp, log, a power or a trigonometric
    function in ``e`` peaks, vanishes or reaches ±1: the real roots of p′, p, p − 1 and p + 1."""
    for node in sp.preorder_traversal(e):
        if not isinstance(node, _FUNCTIONS):
            continue
        for u in node.args:
            if u.free_symbols != {var} or not u.is_polynomial(var):
                continue
            poly = sp.Poly(u, var)
            if 1 <= poly.degree() <= 8:
                for q in (poly.diff(var), poly, poly - 1, poly + 1):
                    yield from _real_roots(q)


def _real_roots(q: sp.Poly) -> Iterator[sp.Expr]:
    """The real roots of ``q`` (25 digits, as exact binary fractions); none for a constant."""
    if q.degree() < 1:
        return
    for r in q.nroots(n=25):
        re_, im_ = r.as_real_imag()
        if abs(im_) <= 1e-20 * (1 + abs(re_)):
            yield _approx(re_)


def structure_points(expr: sp.Basic, var: sp.Symbol, seconds: float = 1.0) -> list[sp.Expr]:
    """Values of ``var`` that the shape of ``expr`` singles out, where a residue with a small support shows
    (exact numbers, the most specific first):

    where a polynomial argument of exp, log, a power or a trigonometric function peaks, vanishes or reaches ±1
    (the centre 50 of exp(−(x−50)²)); the constants of the expression, their negatives and reciprocals (the 1000
    of (x/40)^1000) and points beyond each (c ± 1, 2c, 10c); and the scales ±10^k for k = −3, 0, 1, 2, 3, 6.
    """
    e = sp.sympify(expr)
    centres: list[sp.Expr] = []
    try:
        with time_limit(seconds):
            for centre in _polynomial_centres(e, var):
                centres.append(centre)  # one by one: the roots found before a time-out are kept
    except (
        ProofTimeout,
        ArithmeticError,
        TypeError,
        ValueError,
        NotImplementedError,
        RecursionError,
        sp.polys.polyerrors.PolynomialError,
        mpmath.libmp.NoConvergence,
    ):
        pass  # the roots found so far, and the constants and scales below, are still tried
    consts = sorted(
        {abs(n) for n in e.atoms(sp.Number) if n.is_finite and n != 0 and abs(n) != 1 and 1e-6 <= abs(n) <= 1e8},
        key=lambda n: float(n),
    )
    for n in consts:
        q = sp.Rational(n) if n.is_Float else n  # a Float's exact binary value
        centres += [q, -q, 1 / q, -1 / q]
    out = list(centres)
    for c in centres:
        out += [c + 1, c - 1, 2 * c, 10 * c]  # beyond a centre: where a power of x/c takes off
    out += [s * sp.Integer(10) ** k for k in (-3, 0, 1, 2, 3, 6) for s in (1, -1)]
    unique: list[sp.Expr] = []
    seen: set[sp.Expr] = set()
    for v in out:
        if v not in seen:
            seen.add(v)
            unique.append(v)
    return unique
