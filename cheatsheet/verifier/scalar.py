"""Scalar claims: each claimed partial derivative of a rule with scalar inputs against sympy's derivative of its
function, through the gate and the proof, then exactly on every breakpoint, where no sample point ever is.

At a breakpoint b the function's branches on either side, continued to b, give its continuity and its one-sided
derivatives: where they agree the claim must equal the derivative there, at a kink it must lie in the
subdifferential, and where the function jumps or has an infinite slope it has no derivative, which is recorded
(``Verdict.extra["not_differentiable"]``), not judged. Declared kinks have their own check
(:mod:`cheatsheet.verifier.kinks`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy as sp

from cheatsheet.evaluate.expand import concrete
from cheatsheet.rule import Input, Rule
from cheatsheet.verifier.gate import EXPECTED_ERRORS, Claim, Failed, Session
from cheatsheet.verifier.kinks import check_kink
from cheatsheet.verifier.numbers import DPS, Point, differing, exact_sign, fmt, short
from cheatsheet.verifier.points import Line, names_of, param_sets, parameters, scalar_points
from cheatsheet.verifier.proof import run_claim
from cheatsheet.verifier.sampling import distinct_sorted, edges, in_domain, sample_at
from cheatsheet.verifier.symbolic import ProofTimeout, resolve, time_limit
from cheatsheet.verifier.verdict import Check, Counterexample

__all__ = ["scalar_claims"]


def scalar_claims(s: Session, rule: Rule, function: sp.Basic, claims: Mapping[str, sp.Basic], tag: str) -> None:
    """Verify each claimed derivative of ``function`` (``tag``: a prefix of the labels, '' for the rule itself,
    whose declared kinks are then checked too)."""
    f = concrete(function, rule)
    scalars = [inp for inp in rule.inputs if inp.shape == "scalar"]
    variables = [inp.symbol for inp in scalars] + parameters(rule)
    names = names_of(rule)
    for wrt, claim in claims.items():
        var = rule.input(wrt).symbol
        assert isinstance(var, sp.Symbol)
        true = sp.diff(f, var)
        c = concrete(claim, rule)
        psets = param_sets(rule)
        points, proof_points, lines = _points(rule, scalars, psets, [f, c], (tag, wrt))
        label = f"{tag}∂/∂{wrt}"
        run_claim(
            s,
            Claim(
                label,
                variables,
                [true],
                [c],
                [""],
                points,
                names,
                fd=[(f, var)],
                proof_points=proof_points,
                domains={inp.symbol: inp.domain for inp in scalars},
            ),
        )
        # declared kinks have their own, stricter check (the stated one-sided derivatives and conventions)
        declared = [kk.at for kk in rule.kinks_for(wrt)] if not tag else []
        target = _Target(label, f, true, c, rule.input(wrt), names)
        _check_breakpoints(s, target, [ln for ln in lines if ln.var == var], declared)
        if not tag:
            for kink in rule.kinks_for(wrt):
                check_kink(s, rule, kink, f, true, c, var, psets, scalars)


def _points(
    rule: Rule, scalars: list[Input], psets: list[dict[sp.Symbol, sp.Expr]], exprs: list[sp.Basic], tag: tuple[str, str]
) -> tuple[list[Point], list[Point], list[Line]]:
    """The sample points of every parameter set, those of the first (where the proof resolves its regions), and
    the breakpoints found along each input."""
    points: list[Point] = []
    first: list[Point] = []
    lines: list[Line] = []
    for k, pset in enumerate(psets):
        pts = scalar_points(rule, scalars, pset, exprs, (*tag, k), lines, k)
        points += pts
        if k == 0:
            first = pts
    return points, first, lines


# ------------------------------------------------------------------------------------------ breakpoints
@dataclass(frozen=True)
class _Target:
    """What is checked at the breakpoints along one input: the claim's label, F, its derivative, the claim."""

    label: str
    f: sp.Basic
    true: sp.Basic
    claim: sp.Basic
    inp: Input
    names: dict[sp.Symbol, str]


@dataclass(frozen=True)
class _Found:
    """What F does at one breakpoint (``kind``, ``detail``, ``values``: see :func:`_at_breakpoint`), with the
    check's label and the point as a counterexample names it."""

    label: str
    what: str
    where: dict[str, str]
    kind: str
    detail: str
    values: tuple[Any, ...]


def _check_breakpoints(s: Session, target: _Target, lines: list[Line], declared: list[sp.Expr]) -> None:
    """The claim exactly on every breakpoint of F and of the claim inside the domain, except the declared kinks.

    At a breakpoint b inside the domain: F's branches on either side, continued to b, against F(b) (continuity),
    and the one-sided derivatives (the branches of sympy's derivative, continued to b). Where F is continuous and
    they agree, F is differentiable at b and the claim's value there must equal the derivative; at a kink (they
    differ, both finite) it must lie in the subdifferential [min, max]; where F jumps, is not defined at b or has
    an infinite one-sided slope, F has no derivative at b and that is recorded (``Verdict.extra``), not judged.
    """
    domain = target.inp.domain
    for line in lines:
        feats = distinct_sorted(list(line.breaks) + edges(domain))
        kinks = [sp.sympify(at).subs(line.fixed) for at in declared]
        for b in line.breaks:
            if in_domain(b, domain) and not any(_same_number(b, k) for k in kinks):
                _check_breakpoint(s, target, line, b, feats)
    if lines:
        s.methods.add("exact values at the breakpoints")


def _by_value(e: sp.Expr) -> float:
    return float(sp.N(e, 30))


def _check_breakpoint(s: Session, target: _Target, line: Line, b: sp.Expr, feats: list[sp.Expr]) -> None:
    """The claim at the breakpoint ``b`` of ``line`` (``feats``: every breakpoint and domain edge, sorted)."""
    var = target.inp.symbol
    assert isinstance(var, sp.Symbol)
    pos = next(i for i, ft in enumerate(feats) if _same_number(ft, b))
    room = [
        abs(b - feats[pos - 1]) if pos > 0 else sp.S.One,
        abs(feats[pos + 1] - b) if pos + 1 < len(feats) else sp.S.One,
    ]
    delta = min([sp.S.One, room[0] / 2, room[1] / 2], key=_by_value)
    left, right = b - delta, b + delta
    if not (in_domain(left, target.inp.domain) and in_domain(right, target.inp.domain)):
        return  # an edge of the domain: a one-sided point, where no two-sided derivative is claimed
    at = line.fixed | {var: b}
    # as many digits as it takes to tell b from its neighbours (1 + 1e-70 is not printed 1.0)
    digits = 12 + sample_at(b, min(room, key=_by_value)).dps - DPS
    names = target.names
    name = names.get(var, str(var))
    where = {names.get(k, str(k)): short(v, digits if k == var else 12) for k, v in at.items() if k in names}
    what = f"{target.label} at {name} = {where[name]}"
    try:
        with time_limit(s.seconds):
            kind, detail, values = _at_breakpoint(target.f, target.true, target.claim, var, b, left, right, line.fixed)
    except EXPECTED_ERRORS as exc:
        why = (
            "ran past its time limit"
            if isinstance(exc, ProofTimeout)
            else f"sympy could not decide ({type(exc).__name__})"
        )
        s.unproved.append(f"{what}: the value at the breakpoint {why}")
        s.checks.append(Check(what, "checked", "exact value at the breakpoint", why))
        return
    found = _Found(target.label, what, where, kind, detail, values)
    _JUDGES.get(kind, _no_derivative)(s, found)


def _judge_differentiable(s: Session, found: _Found) -> None:
    """F is differentiable at the breakpoint: the claim's value must be its derivative there."""
    want, got = found.values
    same = _same_number(want, got) if got is not None else False
    if same is False:
        with mpmath.workdps(2 * DPS):
            exp_text = fmt(mpmath.mpf(sp.N(want, 2 * DPS)))
            got_text = fmt(mpmath.mpf(sp.N(got, 2 * DPS))) if got is not None else "no real number"
            if exp_text == got_text and got is not None:
                exp_text, got_text = differing(mpmath.mpf(sp.N(want, 2 * DPS)), mpmath.mpf(sp.N(got, 2 * DPS)))
        raise Failed(
            Counterexample(f"{found.label} at a breakpoint, where F is differentiable", found.where, exp_text, got_text)
        )
    if same is None:
        s.unproved.append(f"{found.what}: the claim's value is not proved equal to the derivative there")
        s.checks.append(Check(found.what, "checked", "value at the breakpoint, equal to 400 digits", found.detail))
    else:
        s.checks.append(Check(found.what, "proved", "exact value at the breakpoint", found.detail))


def _judge_kink(s: Session, found: _Found) -> None:
    """F has a kink at the breakpoint: a claim that gives no value is not false, one outside [lo, hi] is."""
    lo, hi, got = found.values
    if got is not None and not all(exact_sign(e) in (0, 1) for e in (got - lo, hi - got)):
        raise Failed(
            Counterexample(
                f"{found.label} at a kink, where F is not differentiable",
                found.where,
                f"a value in the subdifferential [{short(lo)}, {short(hi)}]",
                short(got),
            )
        )
    s.checks.append(Check(found.what, "proved", "exact value at the breakpoint", found.detail))
    s.not_differentiable.append(
        {
            "claim": found.label,
            "point": found.where,
            "what": "kink",
            "detail": found.detail,
            "subdifferential": [short(lo), short(hi)],
            "value": short(got) if got is not None else None,
        }
    )


def _no_derivative(s: Session, found: _Found) -> None:
    """F jumps, is not defined or has an infinite slope at the breakpoint: recorded, not judged."""
    s.checks.append(Check(found.what, "proved", "exact value at the breakpoint", found.detail))
    s.not_differentiable.append(
        {"claim": found.label, "point": found.where, "what": found.kind, "detail": found.detail}
    )


_JUDGES: dict[str, Callable[[Session, _Found], None]] = {"differentiable": _judge_differentiable, "kink": _judge_kink}


def _at_breakpoint(
    f: sp.Basic,
    true: sp.Basic,
    claim: sp.Basic,
    var: sp.Symbol,
    b: sp.Expr,
    left: sp.Expr,
    right: sp.Expr,
    fixed: dict[sp.Symbol, sp.Expr],
) -> tuple[str, str, tuple[Any, ...]]:
    """What F does at ``b`` and what the claim says there: (kind, detail, values) with kind 'differentiable'
    (values: the derivative, the claim's value), 'kink' (the subdifferential's ends, the claim's value), or
    'jump', 'undefined', 'infinite slope' (F has no derivative at b)."""
    fs, ts, cs = (sp.sympify(e).subs(fixed) for e in (f, true, claim))
    kind_b, f_b = _value_kind(fs.subs(var, b))
    if kind_b != "finite":
        return "undefined", "F is not defined here", ()
    sides = {}
    for side, inside in (("left", left), ("right", right)):
        kind, value = _one_sided(fs, var, b, inside, side)
        if kind != "finite" or value is None or f_b is None or _same_number(value, f_b) is not True:
            return (
                "jump",
                f"F jumps here (F = {short(f_b)}; from the {side}, {short(value) if value is not None else kind})",
                (),
            )
        sides[side] = _one_sided(ts, var, b, inside, side)
    (kl, dl), (kr, dr) = sides["left"], sides["right"]
    if "infinite" in (kl, kr):
        return "infinite slope", "F is continuous here but its slope is infinite", ()
    if kl != "finite" or kr != "finite":
        raise ValueError("a one-sided derivative is undefined")
    assert dl is not None and dr is not None
    kind_c, c_b = _value_kind(cs.subs(var, b))
    got = c_b if kind_c == "finite" else None
    same = _same_number(dl, dr)
    if same is None:
        raise ValueError("the one-sided derivatives cannot be compared")
    if same:
        return "differentiable", f"F is differentiable here, with derivative {short(dl)}", (dl, got)
    lo, hi = (dl, dr) if exact_sign(dr - dl) == 1 else (dr, dl)
    claimed = f"gives {short(got)}, inside" if got is not None else "gives no value; F's derivative does not exist, its"
    return (
        "kink",
        (
            f"F has a kink here (one-sided derivatives {short(dl)} and {short(dr)}); the claim "
            f"{claimed} subdifferential is [{short(lo)}, {short(hi)}]"
        ),
        (lo, hi, got),
    )


def _value_kind(v: sp.Basic) -> tuple[str, sp.Expr | None]:
    """('finite', v) for a finite real number, ('infinite', None) for ±∞ or complex ∞, ('undefined', None) else."""
    v = sp.sympify(v)
    if v in (sp.zoo, sp.oo, sp.S.NegativeInfinity):
        return "infinite", None
    if not v.is_number or v.has(sp.nan, sp.zoo, sp.oo, sp.S.NegativeInfinity):
        return "undefined", None
    n = sp.N(v, 30)
    if n in (sp.zoo, sp.oo, sp.S.NegativeInfinity):
        return "infinite", None
    re_, im_ = n.as_real_imag()
    if not (re_.is_Number and im_.is_Number) or re_ is sp.nan:
        return "undefined", None
    if abs(im_) > sp.Float("1e-25") * (1 + abs(re_)):
        return "undefined", None
    return "finite", v


def _one_sided(expr: sp.Basic, var: sp.Symbol, b: sp.Expr, inside: sp.Expr, side: str) -> tuple[str, sp.Expr | None]:
    """The limit of ``expr`` at ``b`` from the side of ``inside`` (a point of the adjacent region): the branch
    active there, continued to b; a branch that is 0/0 at b goes to sympy's one-sided limit."""
    branch, _ = resolve(expr, {var: inside})
    kind, value = _value_kind(sp.sympify(branch).subs(var, b))
    if kind == "undefined" and sp.sympify(branch).subs(var, b) is sp.nan:
        kind, value = _value_kind(sp.limit(branch, var, b, "-" if side == "left" else "+"))
    return kind, value


def _same_number(a: sp.Expr, b: sp.Expr) -> bool | None:
    """a = b, decided exactly (True/False); None when sympy cannot decide (equal to 2·DPS digits)."""
    sign = exact_sign(a - b)
    if sign is None:
        return None
    return sign == 0
