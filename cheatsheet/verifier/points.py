"""Where a rule is tested: its parameter sets, the seeded sample points of scalar inputs (random, in every region
between breakpoints, beside every breakpoint), the explicit sizes of vector and matrix rules and their random
entries.

Every draw comes from a generator seeded by the rule's id and what is drawn (:func:`rng_for`), so a rule gets
the same points in every process and every run, and its verdict is reproducible.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy as sp

from cheatsheet.evaluate.expand import Instance, dimensions, instantiate, param_values
from cheatsheet.rule import Input, Rule
from cheatsheet.verifier.numbers import DPS, Point, as_mp, placed
from cheatsheet.verifier.sampling import (
    Sample,
    breakpoints,
    distinct_sorted,
    draw,
    draw_sample,
    exact_value,
    near,
    region_points,
    rng_for,
)

__all__ = [
    "INSTANCE_POINTS",
    "MATRIX_SIZES",
    "RANDOM_POINTS",
    "SIZES",
    "Line",
    "checked_points",
    "class_values",
    "instance_points",
    "instances",
    "names_of",
    "param_sets",
    "parameters",
    "scalar_points",
    "size_text",
]

RANDOM_POINTS = 20  # random points per parameter set, besides region and kink points
SIZES = (2, 3, 4)  # vector lengths checked
MATRIX_SIZES = (2, 3)  # matrix sizes checked
INSTANCE_POINTS = max(6, RANDOM_POINTS // 2)  # random points per parameter set of a vector or matrix instance
_CHECKED_POINTS = 4  # per parameter set, at a size that is checked, not proved: the proof covers exactness


# ------------------------------------------------------------------------------------------ parameters
def parameters(rule: Rule) -> list[sp.Symbol]:
    """The symbols of the rule's numeric parameters, in order."""
    return [p.symbol for p in rule.params if p.symbol is not None]


def param_sets(rule: Rule) -> list[dict[sp.Symbol, sp.Expr]]:
    """Defaults first, then each listed sample, then two random draws inside the domains."""
    numeric = [p for p in rule.params if p.symbol is not None]
    defaults = param_values(rule, {})
    sets = [defaults]
    if not numeric:
        return sets
    for p in numeric:
        assert p.symbol is not None
        sets += [defaults | {p.symbol: sp.sympify(s)} for s in p.samples]
    rng = rng_for(rule.id, "params")
    for _ in range(2):
        d = dict(defaults)
        for p in numeric:
            assert p.symbol is not None
            v = draw(p.domain, rng)
            d[p.symbol] = sp.Rational(str(mpmath.nstr(v, 4)))
            if d[p.symbol] not in p.domain:
                d[p.symbol] = sp.sympify(p.default)
        sets.append(d)
    return sets


def names_of(rule: Rule) -> dict[sp.Symbol, str]:
    """Symbol -> the name a counterexample shows, for the rule's scalar inputs and parameters."""
    out: dict[sp.Symbol, str] = {}
    for inp in rule.inputs:
        if isinstance(inp.symbol, sp.Symbol):
            out[inp.symbol] = inp.name
    for p in rule.params:
        if p.symbol is not None:
            out[p.symbol] = p.name
    return out


# ------------------------------------------------------------------------------------------ scalar inputs
@dataclass(frozen=True)
class Line:
    """The breakpoints found along one input with the other inputs and the parameters fixed (exactly)."""

    var: sp.Symbol
    fixed: dict[sp.Symbol, sp.Expr]
    breaks: list[sp.Expr]
    pset: int


def scalar_points(
    rule: Rule,
    inputs: Sequence[Input],
    pset: dict[sp.Symbol, sp.Expr],
    exprs: Sequence[sp.Basic],
    tag: Any,
    lines: list[Line] | None = None,
    pset_index: int = 0,
) -> list[Point]:
    """Random points for scalar inputs, plus region and near-kink points along each input (each at the precision
    it needs); the breakpoints found along each input are added to ``lines`` when given."""
    rng = rng_for(rule.id, tag, tuple(sorted(map(str, pset.values()))))
    pvals = as_mp(pset)
    points: list[Point] = []
    with mpmath.workdps(DPS):
        for _ in range(RANDOM_POINTS):
            samples = {inp.symbol: draw_sample(inp.domain, rng) for inp in inputs}
            points.append(placed(samples, pvals, pset))
        for inp in inputs:
            line, base = _line(rule, inp, inputs, pset, exprs, rng, pset_index)
            if lines is not None:
                lines.append(line)
            for smp in near(line.breaks, inp.domain) + region_points(line.breaks, inp.domain, rng):
                points.append(placed(base | {line.var: smp}, pvals, pset))
    return points


def _line(
    rule: Rule,
    inp: Input,
    inputs: Sequence[Input],
    pset: dict[sp.Symbol, sp.Expr],
    exprs: Sequence[sp.Basic],
    rng: random.Random,
    pset_index: int,
) -> tuple[Line, dict[sp.Symbol, Sample]]:
    """The other inputs drawn once (their samples), and the breakpoints of ``exprs`` (and of the declared kinks)
    along ``inp`` with those inputs fixed at their exact values."""
    var = inp.symbol
    assert isinstance(var, sp.Symbol)
    base = {o.symbol: draw_sample(o.domain, rng) for o in inputs if o is not inp}
    fixed: dict[sp.Symbol, sp.Expr] = {s: exact_value(smp.value) for s, smp in base.items()} | dict(pset)
    found = breakpoints(exprs, var, fixed)
    for kk in rule.kinks_for(inp.name):
        loc = sp.sympify(kk.at).subs(fixed)
        if loc.is_number and loc.is_real:
            found.append(loc)  # also an irrational kink
    return Line(var, fixed, distinct_sorted(found), pset_index), base


# ------------------------------------------------------------------------------------------ vectors and matrices
def instances(rule: Rule) -> list[Instance]:
    """Vector rules at n = 2, 3, 4; matrix rules with every dimension 2, then 3, then (when there are
    several dimensions) alternating 2, 3, ... in name order, so that non-square shapes are met."""
    if rule.shape != "matrix":
        return [instantiate(rule, size) for size in SIZES]
    out = [instantiate(rule, size) for size in MATRIX_SIZES]
    dims = dimensions(rule)
    if len(dims) > 1:  # 2, 3, 2, 3, ... in name order: every product of two different dimensions is non-square
        out.append(instantiate(rule, 2, {d: 2 + k % 2 for k, d in enumerate(dims)}))
    return out


def size_text(rule: Rule, inst: Instance) -> str:
    """The size of an instance as a label shows it: 'n=3', or 'm=2, n=3' for a matrix rule."""
    if rule.shape != "matrix":
        return f"n={inst.size}"
    return ", ".join(f"{d}={inst.dims[d]}" for d in dimensions(rule))


def class_values(rule: Rule, size: int) -> list[dict[sp.Symbol, int]]:
    """Every value of the rule's class index (1..size), or one empty assignment when it has none."""
    classes = [inp for inp in rule.inputs if inp.class_index]
    if not classes:
        return [{}]
    (cls_inp,) = classes
    return [{cls_inp.symbol: c} for c in range(1, size + 1)]


def instance_points(rule: Rule, inst: Instance, tag: Any) -> list[Point]:
    """Random entries (simplex vectors normalised, square matrices 2I + 0.3N) for each parameter set, in blocks
    of INSTANCE_POINTS points per set."""
    out: list[Point] = []
    for k, pset in enumerate(param_sets(rule)):
        rng = rng_for(rule.id, tag, inst.size, k)
        pvals = as_mp(pset)
        for _ in range(INSTANCE_POINTS):
            pt: Point = {}
            with mpmath.workdps(DPS):
                for inp in rule.inputs:
                    pt |= _ENTRIES[inp.shape](inp, inst, rng)
            out.append(pt | pvals)
    return out


def checked_points(points: list[Point]) -> list[Point]:
    """The first few of each parameter set's block of points (see :func:`instance_points`)."""
    return [pt for k, pt in enumerate(points) if k % INSTANCE_POINTS < _CHECKED_POINTS]


def _simplex(rng: random.Random, n: int) -> list[mpmath.mpf]:
    """``n`` random positive weights (not yet normalised)."""
    return [mpmath.mpf(rng.uniform(0.05, 1.0)) for _ in range(n)]


def _vector_entries(inp: Input, inst: Instance, rng: random.Random) -> Point:
    """A vector input's entries: drawn from its domain, or a random point of the simplex."""
    syms = [v for v, owner in inst.variables if owner is inp]
    if not inp.simplex:
        return {sym_: draw(inp.domain, rng) for sym_ in syms}
    raw = _simplex(rng, inst.size)
    total = sum(raw)
    return {sym_: val / total for sym_, val in zip(syms, raw, strict=False)}


def _matrix_entries(inp: Input, inst: Instance, rng: random.Random) -> Point:
    """A matrix input's entries: 2I + 0.3N (invertible with det > 0 when square, never symmetric unless declared
    so), or rows of probabilities (the last entry of a row is not a variable)."""
    mat = inst.explicit[inp.symbol]
    pt: Point = {}
    if inp.simplex:
        for r in range(mat.rows):
            raw = _simplex(rng, mat.cols)
            for c in range(mat.cols - 1):
                pt[mat[r, c]] = raw[c] / sum(raw)
        return pt
    noise = [[0.3 * rng.gauss(0, 1) for _ in range(mat.cols)] for _ in range(mat.rows)]
    for r in range(mat.rows):
        for c in range(mat.cols):
            if inp.symmetric and r > c:
                continue
            value = (noise[r][c] + noise[c][r]) / 2 if inp.symmetric else noise[r][c]
            diag = 2 if (r == c and mat.rows == mat.cols) else 0
            pt[mat[r, c]] = mpmath.mpf(diag + value)
    return pt


def _scalar_entry(inp: Input, inst: Instance, rng: random.Random) -> Point:
    """A scalar input drawn from its domain (a class index is set per class, not drawn)."""
    return {} if inp.class_index else {inp.symbol: draw(inp.domain, rng)}


_ENTRIES: dict[str, Callable[[Input, Instance, random.Random], Point]] = {
    "vector": _vector_entries,
    "matrix": _matrix_entries,
    "scalar": _scalar_entry,
}
