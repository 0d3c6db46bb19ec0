"""Verify one rule: randomized 50-digit identity testing as the gate, a symbolic proof attempt per
branch, the kink conventions, the identities and the stable forms (FINDINGS §1).

Every claim becomes a *group*: entries of a reference expression (sympy's derivative of the rule's
function, made elementary) and of the claimed one, over a list of variables. The numeric gate
evaluates both at every sample point with mpmath at 60 digits, and compares the claim with an
independent numerical derivative (``mpmath.diff`` of the function) too. Then each group is proved
symbolically region by region. A failure anywhere is a counterexample; a proof that does not go
through makes the rule ``checked`` with the reason.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef

from cheatsheet.evaluate.expand import Instance, concrete, dimensions, expand_where, instantiate, param_values
from cheatsheet.printing.latex import latex
from cheatsheet.notation import i as I_
from cheatsheet.notation import j as J_
from cheatsheet.notation import mpmath_namespace
from cheatsheet.rule import Identity, Input, Kink, Rule
from cheatsheet.verifier.hashing import VERIFIER_VERSION, rule_hash
from cheatsheet.verifier.sampling import (
    DPS,
    Sample,
    breakpoints,
    distinct_sorted,
    draw,
    draw_sample,
    edges,
    exact_value,
    in_domain,
    near,
    region_points,
    rng_for,
    sample_at,
    structure_points,
    switch_arguments,
)
from cheatsheet.verifier.symbolic import ProofTimeout, prove_nonnegative, prove_zero, resolve, time_limit
from cheatsheet.verifier.verdict import Check, Counterexample, Status, Verdict

__all__ = ["DPS", "PROOF_SECONDS", "RANDOM_POINTS", "SIZES", "verify_rule"]

# DPS (from sampling): working precision of the numeric gate at an ordinary point; a point that needs more
# digits (beside a breakpoint 1e-70 away, or near 10^300) carries its own precision (_Placed.dps)
RANDOM_POINTS = 20  # random points per parameter set, besides region and kink points
PROOF_SECONDS = 4.0  # time limit of one symbolic attempt
SIZES = (2, 3, 4)  # vector lengths checked
MATRIX_SIZES = (2, 3)  # matrix sizes checked
_REL = mpmath.mpf("1e-30")  # claim vs sympy's derivative, both at 60 digits
_FD = mpmath.mpf("1e-18")  # claim vs mpmath.diff of the function
_H = mpmath.mpf("1e-22")  # step of the numerical derivative
_SIDE = mpmath.mpf("1e-30")  # distance from a kink for one-sided limits
_MAX_PATTERNS = 24
_VECTOR_PROOF_POINTS = 12  # vector rules: branch patterns (which entry is the max) met in 12 random points
_MIN_DEFINED = 8  # with skip_undefined: fewest sample points at which the reference must be defined
_INSTANCE_POINTS = max(6, RANDOM_POINTS // 2)  # random points per parameter set of a vector or matrix instance

Point = dict[sp.Symbol, Any]
_NOISE_DIGITS = 12  # a claim that differs from the reference by more than 10^(12 - dps) relative is looked at again
_STRUCTURE_POINTS = 40  # most points a residue's own structure suggests, per region whose proof did not go through
_RESIDUE_FOUND = "(where the residue of the proof attempt shows)"  # appended to such a counterexample's claim
_EXACT_GATE_POINTS = 4  # per rule: gate points whose small values differ relatively, looked at exactly
_EXACT_SECONDS = 1.0  # time limit of one such exact look


class _Placed(dict[sp.Symbol, Any]):
    """A sample point that says how it must be evaluated: at ``dps`` digits (a point beside a breakpoint
    1e-70 away, or near 10^300, needs more than DPS), with numerical-derivative steps along a variable no
    longer than a fraction of ``reach[var]`` (its distance to the nearest breakpoint or domain edge)."""

    def __init__(self, values: Mapping[sp.Symbol, Any], dps: int = DPS,
                 reach: Mapping[sp.Symbol, mpmath.mpf] | None = None, exact: Mapping[sp.Symbol, sp.Expr] | None = None) -> None:
        super().__init__(values)
        self.dps = dps
        self.reach: dict[sp.Symbol, mpmath.mpf] = dict(reach or {})
        self.exact: dict[sp.Symbol, sp.Expr] = dict(exact or {})  # the exact values of the parameters (1/3, not its 60 digits)


def _placed(samples: Mapping[sp.Symbol, Sample], fixed: Point, exact: Mapping[sp.Symbol, sp.Expr] | None = None) -> _Placed:
    """A point from samples of some variables and fixed values of the others (parameters, ``exact`` as given)."""
    dps = max([DPS] + [smp.dps for smp in samples.values()])
    reach = {v: smp.gap for v, smp in samples.items() if smp.gap is not None}
    return _Placed({v: smp.value for v, smp in samples.items()} | dict(fixed), dps, reach, exact)


def _stable(fn_true: Callable[..., Any], fn_claim: Callable[..., Any], args: list[Any], idx: int, d1: Any,
            dps: int) -> tuple[Any, Any] | None:
    """Entry ``idx`` of both at twice the precision when their difference ``d1`` (at ``dps``) stays the same there
    (to 1/8): a real difference, or a cancellation beyond both precisions; None when it is rounding."""
    with mpmath.workdps(2 * dps):
        try:
            t2, c2 = _num(fn_true(*args)[idx]), _num(fn_claim(*args)[idx])
        except (ZeroDivisionError, ValueError, OverflowError, TypeError):
            return None
        if t2 is None or c2 is None or abs((c2 - t2) - d1) > abs(d1) / 8:
            return None
        return t2, c2


def _exact_point(point: Mapping[sp.Symbol, Any]) -> dict[sp.Symbol, sp.Expr]:
    """The point's values as exact numbers: a parameter as given (1/3), a sampled value as the binary number it is."""
    given: Mapping[sp.Symbol, sp.Expr] = getattr(point, "exact", {})
    return {k: given[k] if k in given else exact_value(v) for k, v in point.items()}


def _exact_sign(d: sp.Basic, quick: bool = False) -> int | None:
    """The sign of the real number ``d`` when it is certain: exactly (a rational; sympy's is_zero, is_positive,
    is_negative), or from an evaluation with guaranteed digits (evalf strict); None when undecided. ``quick``:
    a rational, or an evaluation to at most 2·DPS digits (no assumptions, which can take seconds on a large
    expression that is 0)."""
    from sympy.core.evalf import PrecisionExhausted

    d = sp.sympify(d)
    if not d.is_number or d.has(sp.nan, sp.zoo, sp.oo, sp.S.NegativeInfinity):
        return None
    if d.is_Rational:
        return 0 if d == 0 else (1 if d > 0 else -1)
    if not quick:
        if d.is_zero:
            return 0
        if d.is_positive:
            return 1
        if d.is_negative:
            return -1
    try:
        v = d.evalf(20, strict=True, maxn=2 * DPS + 20 if quick else 400)
    except (PrecisionExhausted, ArithmeticError, TypeError, ValueError):
        return None
    re_, im_ = v.as_real_imag()
    if im_ != 0 or not re_.is_Number or re_ == 0:
        return None
    return 1 if re_ > 0 else -1


def _short(v: sp.Expr, digits: int = 12) -> str:
    """An exact number for a message: an integer as it is, anything else to ``digits`` digits."""
    if v.is_Integer:
        return str(v)
    with mpmath.workdps(digits + 10):
        return str(mpmath.nstr(mpmath.mpf(sp.N(v, digits + 10)), digits))


def _dps_of(point: Mapping[sp.Symbol, Any]) -> int:
    return int(getattr(point, "dps", DPS))


class _Failed(Exception):
    def __init__(self, cx: Counterexample) -> None:
        super().__init__(cx.describe())
        self.cx = cx


def _mp_namespace() -> dict[str, Any]:
    ns: dict[str, Any] = dict(mpmath_namespace())
    half = mpmath.mpf(0.5)
    ns["Heaviside"] = lambda x, h0=half: mpmath.mpf(1) if x > 0 else (mpmath.mpf(0) if x < 0 else h0)
    ns["sign"] = mpmath.sign
    return ns


_NS = _mp_namespace()


def _printer() -> Any:
    # lambdify's default printer sorts the terms of every sum for display; unsorted is 30% faster here
    from sympy.printing.pycode import MpmathPrinter

    return MpmathPrinter({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True,
                          "user_functions": {}, "order": "none"})


def _compile(variables: Sequence[sp.Symbol], exprs: Sequence[sp.Basic]) -> Callable[..., list[Any]]:
    """A function of ``variables`` returning ``exprs`` evaluated in mpmath (memoized: a rule's groups
    compile the same reference more than once, about 57% of the calls over the catalog)."""
    return _compile_cached(tuple(variables), tuple(exprs))


@lru_cache(maxsize=512)
def _compile_cached(variables: tuple[sp.Symbol, ...], exprs: tuple[sp.Basic, ...]) -> Callable[..., list[Any]]:
    fn = sp.lambdify(list(variables), list(exprs), modules=[_NS, "mpmath"], printer=_printer())
    return fn  # type: ignore[no-any-return]


def _num(v: Any) -> mpmath.mpf | None:
    """A real mpf, or None for a non-real or non-finite value."""
    try:
        z = mpmath.mpmathify(v)
    except (TypeError, ValueError):
        return None
    if isinstance(z, mpmath.mpc):
        if abs(z.imag) > abs(z.real) * mpmath.mpf("1e-40") + mpmath.mpf("1e-50"):
            return None
        z = z.real
    if not mpmath.isfinite(z):
        return None
    return z


def _fmt(v: Any) -> str:
    z = _num(v)
    return mpmath.nstr(z, 12) if z is not None else str(v)


def _point_text(point: Point, names: dict[sp.Symbol, str]) -> dict[str, str]:
    # a point that needs more digits than DPS is printed with as many more (1 + 5e-71 is not 1.0)
    digits = 10 + max(0, _dps_of(point) - DPS)
    return {names.get(s, str(s)): mpmath.nstr(v, digits) for s, v in point.items() if s in names}


def _differing(a: Any, b: Any) -> tuple[str, str]:
    """Two numbers printed with as many digits as it takes to tell them apart (12 at least)."""
    for digits in (12, 20, 30, 45):
        ta, tb = mpmath.nstr(a, digits), mpmath.nstr(b, digits)
        if ta != tb:
            return ta, tb
    return mpmath.nstr(a, 12), mpmath.nstr(b, 12) + f" (differs by {mpmath.nstr(b - a, 6)})"


@dataclass
class _Group:
    """A claim: entries of the reference and of the claimed expression over the same variables."""

    label: str
    variables: list[sp.Symbol]
    true: list[sp.Expr]
    claimed: list[sp.Expr]
    entry_names: list[str]
    points: list[Point]
    names: dict[sp.Symbol, str]
    fd: list[tuple[sp.Expr, sp.Symbol] | None] = field(default_factory=list)
    relation: str = "="
    prove: bool = True
    proof_points: list[Point] = field(default_factory=list)
    proof_limit: int = 0  # regions are searched at the first proof_limit points (0: all)
    domains: dict[sp.Symbol, sp.Set] = field(default_factory=dict)  # scalar inputs: where a residue is sought


@dataclass
class _Session:
    rule: Rule
    prove: bool
    seconds: float
    checks: list[Check] = field(default_factory=list)
    unproved: list[str] = field(default_factory=list)
    methods: set[str] = field(default_factory=set)
    points: int = 0
    residual: mpmath.mpf = field(default_factory=lambda: mpmath.mpf(0))
    skip_undefined: bool = False  # skip points where the reference is not real (no declared domain)
    skipped: int = 0
    keep_points: bool = False
    used: list[dict[str, str]] = field(default_factory=list)
    not_differentiable: list[dict[str, Any]] = field(default_factory=list)  # breakpoints where F has no derivative
    exact_looks: int = _EXACT_GATE_POINTS  # gate points left that may be looked at exactly (see gate)

    # ------------------------------------------------------------ numeric gate
    def gate(self, g: _Group) -> None:
        fn_true = _compile(g.variables, g.true)
        fn_claim = _compile(g.variables, g.claimed)
        fd_fns: list[Callable[..., Any] | None] = []
        for spec in g.fd or [None] * len(g.true):
            if spec is None:
                fd_fns.append(None)
            else:
                fd_fns.append(_compile(g.variables, [spec[0]]))
        used = 0
        for point in g.points:
            args = [point[v] for v in g.variables]
            dps = _dps_of(point)
            with mpmath.workdps(dps):
                try:
                    tv = fn_true(*args)
                except (ZeroDivisionError, ValueError, OverflowError) as exc:
                    if self.skip_undefined:
                        self.skipped += 1
                        continue
                    raise ValueError(
                        f"rule {self.rule.id!r}: {g.label}: the function cannot be evaluated at "
                        f"{_point_text(point, g.names)} ({exc}); is the input domain right?"
                    ) from exc
                if self.skip_undefined and (any(_num(t) is None for t in tv) or not _real_at(fd_fns, args)):
                    self.skipped += 1
                    continue
                try:
                    cv = fn_claim(*args)
                except (ZeroDivisionError, ValueError, OverflowError, TypeError):  # e.g. a complex value compared
                    cv = [mpmath.nan] * len(tv)
                for idx, (t, c) in enumerate(zip(tv, cv)):
                    t_, c_ = _num(t), _num(c)
                    if t_ is None:
                        raise ValueError(
                            f"rule {self.rule.id!r}: {g.label}: the reference value is not a finite real "
                            f"number at {_point_text(point, g.names)}; is the input domain right?"
                        )
                    bad = c_ is None
                    if not bad and g.relation == "=":
                        res = abs(c_ - t_) / max(1, abs(t_))
                        self.residual = max(self.residual, res)
                        bad = res > _REL
                        if not bad:
                            self._confirm_equal(g, fn_true, fn_claim, args, idx, t_, c_, point)
                        if (not bad and self.exact_looks and abs(c_ - t_) > _REL * abs(t_)
                                and _stable(fn_true, fn_claim, args, idx, c_ - t_, dps) is not None):
                            # within the tolerance only because the values are below 1 (1/x claimed 2/x at x = 10^300),
                            # and not rounding, which shrinks at twice the precision: exactly, at this point (a
                            # cancellation such as 1 − erf(21), 0 to 199 digits, is stable too, and undecided there)
                            self.exact_looks -= 1
                            self._exact_at(g, idx, point)
                    elif not bad:
                        slack = _REL * max(1, abs(t_))
                        # the group holds lhs as "true" and rhs as "claimed": the claim is lhs <= rhs
                        bad = (t_ > c_ + slack) if g.relation == "<=" else (t_ < c_ - slack)
                    fd_fn = fd_fns[idx]
                    if not bad and fd_fn is not None:
                        spec = g.fd[idx]
                        assert spec is not None
                        fd_val = self._fd(fd_fn, g.variables, args, spec[1], point)
                        if fd_val is not None and abs(fd_val - c_) / max(1, abs(fd_val)) > _FD:
                            # a steep function (sin(e^x) at x = 30) needs a smaller step: confirm first; when
                            # the two steps disagree (sin(e^(e^x)) at x = 5), no finite difference is reliable
                            # there, and the claim has already matched sympy's derivative at this point
                            precise = self._fd(fd_fn, g.variables, args, spec[1], point, precise=True)
                            steady = precise is not None and abs(precise - fd_val) / max(1, abs(precise)) <= _FD
                            fd_val = precise if steady else None
                        if fd_val is not None and abs(fd_val - c_) / max(1, abs(fd_val)) > _FD:
                            raise _Failed(
                                Counterexample(
                                    claim=f"{g.label} {g.entry_names[idx]}".strip(),
                                    point=_point_text(point, g.names),
                                    expected=_fmt(fd_val),
                                    got=_fmt(c_),
                                )
                            )
                    if bad:
                        raise _Failed(
                            Counterexample(
                                claim=f"{g.label} {g.entry_names[idx]}".strip(),
                                point=_point_text(point, g.names),
                                expected=_fmt(t_) if g.relation == "=" else f"{g.relation} {_fmt(t_)}",
                                got=_fmt(c),
                            )
                        )
            self.points += 1
            used += 1
            if self.keep_points:
                self.used.append(_point_text(point, g.names))
        if self.skip_undefined and used < min(_MIN_DEFINED, len(g.points)):
            raise ValueError(
                f"rule {self.rule.id!r}: {g.label}: the function is a finite real number at only {used} of "
                f"{len(g.points)} sample points; give the inputs' domains"
            )

    def _confirm_equal(self, g: _Group, fn_true: Callable[..., Any], fn_claim: Callable[..., Any], args: list[Any],
                       idx: int, t: Any, c: Any, point: Point) -> None:
        """Raise _Failed when the claim differs from the reference by less than the gate's tolerance but by more
        than rounding: a difference that stays the same at twice the precision is real (the claim 2x(1 + 1e-31),
        or exp(x) + 1e-40), while rounding noise shrinks with the precision. Differences below 10^(12 - DPS) are
        not looked at, relative to max(1, |value|) like the gate's tolerance: 1 − erf(21) is 4.7e-199 but
        evaluates to 0 at every precision below 200 digits (cancellation, not a false claim). Those are left to
        the proof and its search for a residue (:meth:`_refute`)."""
        dps = _dps_of(point)
        d1 = c - t
        # the floor is DPS's, not the point's: a point near 10^300 has 300 more digits for its magnitude, not for
        # the cancellations of the terms it takes (at 360 digits, x − 10^300 is still known to about 60)
        if d1 == 0 or abs(d1) <= mpmath.mpf(10) ** (_NOISE_DIGITS - DPS) * max(1, abs(t)):
            return
        again = _stable(fn_true, fn_claim, args, idx, d1, dps)
        if again is None:
            return
        with mpmath.workdps(2 * dps):
            expected, got = _differing(*again)
        raise _Failed(Counterexample(claim=f"{g.label} {g.entry_names[idx]}".strip(), point=_point_text(point, g.names),
                                     expected=expected, got=got))

    def _exact_at(self, g: _Group, idx: int, point: Point) -> None:
        """Raise _Failed when sympy shows that entry ``idx`` of the claim differs from the reference at ``point``
        (exactly or with guaranteed digits); nothing when it cannot tell within its time limit."""
        try:
            with time_limit(min(self.seconds, _EXACT_SECONDS)):
                self._differs_at(g, idx, {v: val for v, val in _exact_point(point).items() if v in g.variables}, True,
                                 quick=True)
        except (ProofTimeout, ArithmeticError, TypeError, ValueError, RecursionError, NotImplementedError):
            pass

    def _fd(self, fn: Callable[..., Any], variables: list[sp.Symbol], args: list[Any], var: sp.Symbol, point: Point,
            precise: bool = False) -> Any:
        """mpmath's numerical derivative with the step 1e-22 (times the point's distance to its nearest breakpoint
        or domain edge when that is below 1, so that x ± h stays in the point's region), at the point's precision
        plus the digits that |x|/step costs (x = 10^300); ``precise``: at twice the precision, the step times 1e-22."""
        pos = variables.index(var)
        x = args[pos]
        reach = getattr(point, "reach", {}).get(var)
        scale = min(mpmath.mpf(1), reach) if reach is not None else mpmath.mpf(1)
        extra = max(0, int(mpmath.ceil(mpmath.log10(max(mpmath.mpf(1), abs(x)) / scale))))
        dps = _dps_of(point) + extra

        def f(t: Any) -> Any:
            a = list(args)
            a[pos] = t
            return fn(*a)[0]

        try:
            if precise:
                with mpmath.workdps(2 * dps):
                    value = mpmath.diff(f, x, h=_H * _H * scale)
            else:
                with mpmath.workdps(dps):
                    value = mpmath.diff(f, x, h=_H * scale)
            return _num(+value)
        except (ZeroDivisionError, ValueError, OverflowError):
            return None

    # ------------------------------------------------------------ symbolic
    def attempt(self, g: _Group) -> None:
        if not self.prove:
            self.unproved.append(f"{g.label}: no proof attempted")
            self.checks.append(Check(g.label, "checked", "randomized 50-digit testing", "no proof attempted"))
            return
        if not g.prove:  # by design: a larger size of a vector rule proved at the smaller sizes
            self.checks.append(Check(g.label, "checked", "randomized 50-digit testing", "numeric only at this size"))
            return
        points = g.proof_points or g.points
        if g.proof_limit:
            points = points[: g.proof_limit]
        done: set[tuple[int, tuple[Any, ...]]] = set()
        methods: set[str] = set()
        regions: set[tuple[Any, ...]] = set()
        undecided: list[Point] = []
        for idx, (t, c) in enumerate(zip(g.true, g.claimed)):
            # '=': true - claimed vanishes; '<=' (lhs <= rhs): rhs - lhs >= 0; '>=': lhs - rhs >= 0
            diff = sp.sympify(c) - sp.sympify(t) if g.relation == "<=" else sp.sympify(t) - sp.sympify(c)
            prover = prove_zero if g.relation == "=" else prove_nonnegative
            branchy = diff.has(sp.Piecewise, sp.Abs, sp.sign, sp.Heaviside, sp.Max, sp.Min)
            for point in points if branchy else points[:1]:
                if branchy:
                    try:
                        resolved, pattern = resolve(diff, point)
                    except ValueError:
                        undecided.append(point)
                        continue
                else:
                    resolved, pattern = diff, ()
                if (idx, pattern) in done:
                    continue
                done.add((idx, pattern))
                regions.add(pattern)
                if len(done) > _MAX_PATTERNS * len(g.true):
                    self._unproved(g, "too many piecewise regions to prove one by one")
                    return
                method, why = prover(resolved, self.seconds)
                if method is None:
                    if g.relation == "=":
                        why += "; " + self._refute(g, idx, resolved, point)
                    self._unproved(g, f"{g.entry_names[idx] or 'entry'}: {why}".strip())
                    return
                methods.add(method)
        if undecided:
            # a region whose branches cannot be told at its sample point is a region the proof did not cover
            self._unproved(g, f"the branches could not be decided at {len(undecided)} sample points "
                              f"(e.g. {_point_text(undecided[0], g.names)}), so not every region is proved")
            return
        how = "symbolic (" + ", ".join(sorted(methods)) + ")"
        if len(regions) > 1:
            how += f", region by region ({len(regions)} regions)"
            self.methods.add("region by region")
        self.methods.update(f"symbolic ({m})" for m in methods)
        self.checks.append(Check(g.label, "proved", how))

    def _refute(self, g: _Group, idx: int, residue: sp.Basic, point: Point) -> str:
        """After a proof did not go through: look for a point where entry ``idx`` of the claim differs from the
        reference. Tried at the proof point, then at the points the residue's own structure singles out
        (:func:`structure_points`: the centre 50 of exp(−(x−50)²), the 1000 of (x/40)^1000, ...), first numerically
        at the precision the point needs, then exactly (sympy decides the residue's sign there, or evaluates it with
        guaranteed digits). Raises _Failed at the first point found; returns where it looked."""
        exact = {v: val for v, val in _exact_point(point).items() if v in g.variables}
        candidates: list[dict[sp.Symbol, sp.Expr]] = [exact]
        for var, domain in g.domains.items():
            if var not in exact:
                continue
            along = sp.sympify(residue).subs({k: v for k, v in exact.items() if k != var})
            for value in structure_points(along, var):
                if in_domain(value, domain):
                    candidates.append(exact | {var: value})
        diff = sp.sympify(g.true[idx]) - sp.sympify(g.claimed[idx])
        switches = switch_arguments(diff)
        deadline = time.perf_counter() + self.seconds
        looked: list[dict[sp.Symbol, sp.Expr]] = []
        # numerically at every point first (a difference of 25^1000 at x = 1000 makes a better counterexample than
        # one of 1e-870 at the proof point), then exactly
        for exactly in (False, True):
            for cand in candidates[: _STRUCTURE_POINTS + 1] if not exactly else looked:
                left = deadline - time.perf_counter()
                if left <= 0:
                    break
                try:
                    with time_limit(left):
                        if not exactly and any(_exact_sign(sp.sympify(sw).subs(cand)) in (0, None) for sw in switches):
                            continue  # on (or too near to tell) a breakpoint: the check at the breakpoints decides there
                        self._differs_at(g, idx, cand, exactly)
                except _Failed as found:
                    raise _Failed(dataclasses.replace(found.cx, claim=f"{found.cx.claim} {_RESIDUE_FOUND}")) from None
                except (ProofTimeout, ArithmeticError, TypeError, ValueError, RecursionError, NotImplementedError):
                    continue
                if not exactly:
                    looked.append(cand)
            if not exactly:
                self._signed_residue(g, idx, residue, exact, deadline)
        structured = [c for c in looked if c is not exact]
        shown = "; ".join(", ".join(f"{g.names.get(k, k)} = {_short(v)}" for k, v in c.items() if k in g.domains and v != exact[k])
                          for c in structured[:6])
        more = "; ..." if len(structured) > 6 else ""
        also = f" and at {len(structured)} points its structure suggests ({shown}{more})" if structured else ""
        return (f"the residue was sought at the proof's sample point{also}, numerically at the precision each needs "
                "and exactly where sympy can decide: not found")

    def _signed_residue(self, g: _Group, idx: int, residue: sp.Basic, at: dict[sp.Symbol, sp.Expr], deadline: float) -> None:
        """Raise _Failed at the proof point ``at`` when sympy's assumptions show the region's residue positive or
        negative for every value of its symbols (1e-100·exp(−x²) is positive everywhere, even where no evaluation
        can tell it from 0): the claim is then false at every point of the region, this one included."""
        left = min(deadline - time.perf_counter(), 1.0)
        if left <= 0:
            return
        try:
            with time_limit(left):
                r = sp.sympify(residue)
                sign = "positive" if r.is_positive else ("negative" if r.is_negative else "")
        except (ProofTimeout, ArithmeticError, TypeError, ValueError, RecursionError, NotImplementedError):
            return
        if not sign:
            return
        true_at, claim_at = sp.sympify(g.true[idx]).subs(at), sp.sympify(g.claimed[idx]).subs(at)
        with mpmath.workdps(2 * DPS):
            expected, got = _differing(mpmath.mpf(sp.N(true_at, 2 * DPS)), mpmath.mpf(sp.N(claim_at, 2 * DPS)))
        if "differs by" in got:
            got = got.split(" (differs by")[0] + f" (differs by {sp.N(claim_at - true_at, 6)})"
        where = {g.names.get(k, str(k)): _short(v) for k, v in at.items() if k in g.names}
        raise _Failed(Counterexample(f"{g.label} {g.entry_names[idx]}".strip()
                                     + f" {_RESIDUE_FOUND}: the residue is {sign} for every value", where, expected, got))

    def _differs_at(self, g: _Group, idx: int, at: dict[sp.Symbol, sp.Expr], exactly: bool, quick: bool = False) -> None:
        """Raise _Failed when entry ``idx`` of the claim differs from the reference at the exact point ``at``:
        numerically at the precision the point needs (and twice that), or ``exactly`` (``quick``: see _exact_sign)."""
        label = f"{g.label} {g.entry_names[idx]}".strip()
        if exactly:
            true_at = sp.sympify(g.true[idx]).subs(at)
            claim_at = sp.sympify(g.claimed[idx]).subs(at)
            if _exact_sign(true_at - claim_at, quick) in (1, -1):
                with mpmath.workdps(2 * DPS):
                    expected, got = _differing(mpmath.mpf(sp.N(true_at, 2 * DPS)), mpmath.mpf(sp.N(claim_at, 2 * DPS)))
                    if "differs by" in got:
                        got = f"{mpmath.nstr(mpmath.mpf(sp.N(claim_at, 2 * DPS)), 12)} (differs by {_short(claim_at - true_at)}, exactly)"
                where = {g.names.get(k, str(k)): _short(v) for k, v in at.items() if k in g.names}
                raise _Failed(Counterexample(label, where, expected, got))
            return
        samples = {v: sample_at(val, sp.S.One) for v, val in at.items()}
        point = _placed(samples, {})
        args = [point[v] for v in g.variables]
        with mpmath.workdps(point.dps):
            try:
                t = _num(_compile(g.variables, g.true)(*args)[idx])
                c = _num(_compile(g.variables, g.claimed)(*args)[idx])
            except (ZeroDivisionError, ValueError, OverflowError, TypeError):
                return
            if t is None:
                raise ValueError("outside the function's real domain")  # no evidence either way: not counted
            if c is None or abs(c - t) > _REL * max(1, abs(t)):
                raise _Failed(Counterexample(label, _point_text(point, g.names), _fmt(t), _fmt(c) if c is not None else "not a real number"))
            self._confirm_equal(g, _compile(g.variables, g.true), _compile(g.variables, g.claimed), args, idx, t, c, point)

    def _unproved(self, g: _Group, why: str) -> None:
        self.unproved.append(f"{g.label}: {why}")
        self.checks.append(Check(g.label, "checked", "randomized 50-digit testing", why))

    def run(self, g: _Group) -> None:
        self.gate(g)
        self.attempt(g)


# ---------------------------------------------------------------- parameters and points
def _param_sets(rule: Rule) -> list[dict[sp.Symbol, sp.Expr]]:
    """Defaults first, then each listed sample, then two random draws inside the domains."""
    numeric = [p for p in rule.params if p.symbol is not None]
    defaults = param_values(rule, {})
    sets = [defaults]
    if not numeric:
        return sets
    for p in numeric:
        for s in p.samples:
            d = dict(defaults)
            assert p.symbol is not None
            d[p.symbol] = sp.sympify(s)
            sets.append(d)
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


def _as_mp(values: dict[sp.Symbol, sp.Expr]) -> Point:
    with mpmath.workdps(DPS):
        return {s: mpmath.mpf(sp.N(v, DPS)) if not isinstance(v, mpmath.mpf) else v for s, v in values.items()}


@dataclass(frozen=True)
class _Line:
    """The breakpoints found along one input with the other inputs and the parameters fixed (exactly)."""

    var: sp.Symbol
    fixed: dict[sp.Symbol, sp.Expr]
    breaks: list[sp.Expr]
    pset: int


def _scalar_points(
    rule: Rule, inputs: Sequence[Input], pset: dict[sp.Symbol, sp.Expr], exprs: Sequence[sp.Basic], tag: Any,
    lines: list[_Line] | None = None, pset_index: int = 0,
) -> list[Point]:
    """Random points for scalar inputs, plus region and near-kink points along each input (each at the precision
    it needs); the breakpoints found along each input are added to ``lines`` when given."""
    rng = rng_for(rule.id, tag, tuple(sorted(map(str, pset.values()))))
    pvals = _as_mp(pset)
    points: list[Point] = []
    with mpmath.workdps(DPS):
        for _ in range(RANDOM_POINTS):
            samples = {inp.symbol: draw_sample(inp.domain, rng) for inp in inputs}
            points.append(_placed(samples, pvals, pset))
        for inp in inputs:
            var = inp.symbol
            assert isinstance(var, sp.Symbol)
            others = [o for o in inputs if o is not inp]
            base = {o.symbol: draw_sample(o.domain, rng) for o in others}
            fixed: dict[sp.Symbol, sp.Expr] = {s: exact_value(smp.value) for s, smp in base.items()} | dict(pset)
            found = breakpoints(exprs, var, fixed)
            for kk in rule.kinks_for(inp.name):
                loc = sp.sympify(kk.at).subs(fixed)
                if loc.is_number and loc.is_real:
                    found.append(loc)  # also an irrational kink
            breaks = distinct_sorted(found)
            if lines is not None:
                lines.append(_Line(var, fixed, breaks, pset_index))
            for smp in near(breaks, inp.domain) + region_points(breaks, inp.domain, rng):
                points.append(_placed(base | {var: smp}, pvals, pset))
    return points


def _names(rule: Rule) -> dict[sp.Symbol, str]:
    out: dict[sp.Symbol, str] = {}
    for inp in rule.inputs:
        if isinstance(inp.symbol, sp.Symbol):
            out[inp.symbol] = inp.name
    for p in rule.params:
        if p.symbol is not None:
            out[p.symbol] = p.name
    return out


# ---------------------------------------------------------------- scalar rules
def _scalar_groups(s: _Session, rule: Rule, function: sp.Basic, claims: dict[str, sp.Basic], tag: str) -> None:
    f = concrete(function, rule)
    scalars = [inp for inp in rule.inputs if inp.shape == "scalar"]
    params = [p.symbol for p in rule.params if p.symbol is not None]
    variables = [inp.symbol for inp in scalars] + params
    names = _names(rule)
    for wrt, claim in claims.items():
        var = rule.input(wrt).symbol
        assert isinstance(var, sp.Symbol)
        true = sp.diff(f, var)
        c = concrete(claim, rule)
        psets = _param_sets(rule)
        points: list[Point] = []
        lines: list[_Line] = []
        for k, pset in enumerate(psets):
            pts = _scalar_points(rule, scalars, pset, [f, c], (tag, wrt, k), lines, k)
            points += pts
            if k == 0:
                proof_points = pts
        label = f"{tag}∂/∂{wrt}"
        g = _Group(label, variables, [true], [c], [""], points, names, fd=[(f, var)], proof_points=proof_points,
                   domains={inp.symbol: inp.domain for inp in scalars})
        s.run(g)
        # declared kinks have their own, stricter check (the stated one-sided derivatives and conventions)
        declared = [kk.at for kk in rule.kinks_for(wrt)] if not tag else []
        _check_breakpoints(s, label, f, true, c, rule.input(wrt), [ln for ln in lines if ln.var == var], declared, names)
        if not tag:
            for kink in rule.kinks_for(wrt):
                _check_kink(s, rule, kink, f, true, c, var, psets, scalars)


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
    sign = _exact_sign(a - b)
    if sign is None:
        return None
    return sign == 0


def _check_breakpoints(s: _Session, label: str, f: sp.Basic, true: sp.Basic, claim: sp.Basic, inp: Input,
                       lines: list[_Line], declared: list[sp.Expr], names: dict[sp.Symbol, str]) -> None:
    """The claim exactly on every breakpoint of F and of the claim, where no sample point ever is.

    At a breakpoint b inside the domain: F's branches on either side, continued to b, against F(b) (continuity),
    and the one-sided derivatives (the branches of sympy's derivative, continued to b). Where F is continuous and
    they agree, F is differentiable at b and the claim's value there must equal the derivative; at a kink (they
    differ, both finite) it must lie in the subdifferential [min, max]; where F jumps, is not defined at b or has
    an infinite one-sided slope, F has no derivative at b and that is recorded (``Verdict.extra``), not judged.
    """
    var = inp.symbol
    assert isinstance(var, sp.Symbol)
    name = names.get(var, str(var))
    for line in lines:
        feats = distinct_sorted(list(line.breaks) + edges(inp.domain))
        kinks = [sp.sympify(at).subs(line.fixed) for at in declared]
        for b in line.breaks:
            if not in_domain(b, inp.domain) or any(_same_number(b, k) for k in kinks):
                continue
            pos = next(i for i, ft in enumerate(feats) if _same_number(ft, b))
            room = [abs(b - feats[pos - 1]) if pos > 0 else sp.S.One, abs(feats[pos + 1] - b) if pos + 1 < len(feats) else sp.S.One]
            delta = min([sp.S.One, room[0] / 2, room[1] / 2], key=lambda e: float(sp.N(e, 30)))
            left, right = b - delta, b + delta
            if not (in_domain(left, inp.domain) and in_domain(right, inp.domain)):
                continue  # an edge of the domain: a one-sided point, where no two-sided derivative is claimed
            at = line.fixed | {var: b}
            # as many digits as it takes to tell b from its neighbours (1 + 1e-70 is not printed 1.0)
            digits = 12 + sample_at(b, min(room, key=lambda e: float(sp.N(e, 30)))).dps - DPS
            where = {names.get(k, str(k)): _short(v, digits if k == var else 12) for k, v in at.items() if k in names}
            what = f"{label} at {name} = {where[name]}"
            try:
                with time_limit(s.seconds):
                    verdict = _at_breakpoint(f, true, claim, var, b, left, right, line.fixed)
            except (ProofTimeout, ArithmeticError, TypeError, ValueError, RecursionError, NotImplementedError) as exc:
                why = "ran past its time limit" if isinstance(exc, ProofTimeout) else f"sympy could not decide ({type(exc).__name__})"
                s.unproved.append(f"{what}: the value at the breakpoint {why}")
                s.checks.append(Check(what, "checked", "exact value at the breakpoint", why))
                continue
            kind, detail, values = verdict
            if kind == "differentiable":
                want, got = values
                same = _same_number(want, got) if got is not None else False
                if same is False:
                    with mpmath.workdps(2 * DPS):
                        exp_text = _fmt(mpmath.mpf(sp.N(want, 2 * DPS)))
                        got_text = _fmt(mpmath.mpf(sp.N(got, 2 * DPS))) if got is not None else "no real number"
                        if exp_text == got_text and got is not None:
                            exp_text, got_text = _differing(mpmath.mpf(sp.N(want, 2 * DPS)), mpmath.mpf(sp.N(got, 2 * DPS)))
                    raise _Failed(Counterexample(f"{label} at a breakpoint, where F is differentiable", where, exp_text, got_text))
                if same is None:
                    s.unproved.append(f"{what}: the claim's value is not proved equal to the derivative there")
                    s.checks.append(Check(what, "checked", "value at the breakpoint, equal to 400 digits", detail))
                else:
                    s.checks.append(Check(what, "proved", "exact value at the breakpoint", detail))
            elif kind == "kink":
                lo, hi, got = values
                # F has no derivative here: a claim that gives no value is not false, one outside [lo, hi] is
                if got is not None and not all(_exact_sign(e) in (0, 1) for e in (got - lo, hi - got)):
                    got_text = _short(got)
                    raise _Failed(Counterexample(f"{label} at a kink, where F is not differentiable", where,
                                                 f"a value in the subdifferential [{_short(lo)}, {_short(hi)}]", got_text))
                s.checks.append(Check(what, "proved", "exact value at the breakpoint", detail))
                s.not_differentiable.append({"claim": label, "point": where, "what": "kink", "detail": detail,
                                             "subdifferential": [_short(lo), _short(hi)],
                                             "value": _short(got) if got is not None else None})
            else:
                s.checks.append(Check(what, "proved", "exact value at the breakpoint", detail))
                s.not_differentiable.append({"claim": label, "point": where, "what": kind, "detail": detail})
    if lines:
        s.methods.add("exact values at the breakpoints")


def _at_breakpoint(f: sp.Basic, true: sp.Basic, claim: sp.Basic, var: sp.Symbol, b: sp.Expr, left: sp.Expr,
                   right: sp.Expr, fixed: dict[sp.Symbol, sp.Expr]) -> tuple[str, str, tuple[Any, ...]]:
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
            return "jump", f"F jumps here (F = {_short(f_b)}; from the {side}, {_short(value) if value is not None else kind})", ()
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
        return "differentiable", f"F is differentiable here, with derivative {_short(dl)}", (dl, got)
    lo, hi = (dl, dr) if _exact_sign(dr - dl) == 1 else (dr, dl)
    claimed = f"gives {_short(got)}, inside" if got is not None else "gives no value; F's derivative does not exist, its"
    return "kink", (f"F has a kink here (one-sided derivatives {_short(dl)} and {_short(dr)}); the claim "
                    f"{claimed} subdifferential is [{_short(lo)}, {_short(hi)}]"), (lo, hi, got)


def _check_kink(
    s: _Session, rule: Rule, kink: Kink, f: sp.Basic, true: sp.Basic, claim: sp.Basic,
    var: sp.Symbol, psets: list[dict[sp.Symbol, sp.Expr]], scalars: Sequence[Input],
) -> None:
    """One-sided derivatives, continuity, and the convention's value, exactly and at 60 digits."""
    label = f"kink at {var} = {kink.at}"
    names = _names(rule)
    others = [o for o in scalars if o.symbol != var]
    rng = rng_for(rule.id, "kink", str(kink.at))
    all_exact = True
    for pset in psets:
        for _ in range(2 if others else 1):
            fixed: dict[sp.Symbol, sp.Expr] = dict(pset)
            for o in others:
                fixed[o.symbol] = sp.Rational(mpmath.nstr(draw(o.domain, rng), 6))
            loc = sp.sympify(kink.at).subs(fixed)
            point_text = _point_text(_as_mp(fixed | {var: loc}), names)
            # _SIDE is absolute: a kink at 10^300 needs 300 more digits for loc ± _SIDE to differ from loc
            kdps = sample_at(loc, sp.S.One).dps if loc.is_number and loc != 0 else DPS
            with mpmath.workdps(kdps):
                loc_mp = mpmath.mpf(sp.N(loc, kdps))
                fvals = {}
                for side, sign_ in (("left", -1), ("right", 1)):
                    at = loc_mp + sign_ * _SIDE
                    pt = _as_mp(fixed) | {var: at}
                    got = _num(sp.lambdify(list(pt), true, modules=[_NS, "mpmath"])(*pt.values()))
                    fvals[side] = _num(sp.lambdify(list(pt), f, modules=[_NS, "mpmath"])(*pt.values()))
                    stated = concrete(getattr(kink, side), rule)
                    want = _num(sp.sympify(stated).subs(fixed).evalf(DPS))
                    if got is None or want is None or abs(got - want) > mpmath.mpf("1e-20") * max(1, abs(got)):
                        raise _Failed(Counterexample(f"{label}: {side} derivative", point_text, _fmt(got), _fmt(want)))
                    # exact: the branch active on this side, continued to the kink
                    branch, _ = resolve(true.subs(fixed), {var: at})
                    exact = sp.sympify(branch).subs(var, loc) - sp.sympify(stated).subs(fixed)
                    if s.prove and prove_zero(exact, s.seconds)[0] is None:
                        all_exact = False
                assert fvals["left"] is not None and fvals["right"] is not None
                gap = abs(fvals["left"] - fvals["right"])
                continuous = gap < mpmath.mpf("1e-20")
                if continuous == kink.jump:
                    what = "the function jumps here; mark the kink jump=True" if not continuous else "the function is continuous here; it is not a jump"
                    raise _Failed(Counterexample(f"{label}: continuity", point_text, what, f"jump={kink.jump}"))
            # the printed derivative, evaluated exactly at the kink, must be the stated convention
            value = sp.sympify(claim).subs(fixed).subs(var, loc)
            torch_value = concrete(kink.torch, rule).subs(fixed)
            if prove_zero(sp.sympify(value) - torch_value, s.seconds)[0] is None:
                with mpmath.workdps(DPS):
                    a, b = _num(sp.N(value, DPS)), _num(sp.N(torch_value, DPS))
                if a is None or b is None or abs(a - b) > _REL:
                    raise _Failed(
                        Counterexample(f"{label}: printed derivative at the kink vs PyTorch's convention", point_text, _fmt(b), _fmt(a))
                    )
                all_exact = False
            if not kink.jump:
                with mpmath.workdps(DPS):
                    ends = [_num(sp.N(concrete(e_, rule).subs(fixed), DPS)) for e_ in (kink.left, kink.right)]
                lo_v, hi_v = ends[0], ends[1]
                assert lo_v is not None and hi_v is not None
                lo_v, hi_v = min(lo_v, hi_v), max(lo_v, hi_v)
                for who, val in (("PyTorch", kink.torch), ("JAX", kink.jax)):
                    if val is None:
                        continue
                    with mpmath.workdps(DPS):
                        v = _num(sp.N(concrete(val, rule).subs(fixed), DPS))
                        assert v is not None
                        inside = lo_v - _REL <= v <= hi_v + _REL
                    if not inside:
                        raise _Failed(
                            Counterexample(f"{label}: {who}'s value lies outside the subdifferential", point_text,
                                           f"in [{_fmt(lo_v)}, {_fmt(hi_v)}]", _fmt(v))
                        )
    s.methods.add("kink conventions")
    if all_exact or not s.prove:
        s.checks.append(Check(label, "proved" if s.prove else "checked", "one-sided limits and convention, exact"))
    else:
        s.unproved.append(f"{label}: one-sided limits checked at 60 digits, not proved exactly")
        s.checks.append(Check(label, "checked", "one-sided limits at 60 digits"))


# ---------------------------------------------------------------- vector and matrix rules
def _instance_points(rule: Rule, inst: Instance, params: list[sp.Symbol], tag: Any) -> list[Point]:
    """Random entries (simplex vectors normalised, square matrices 2I + 0.3N) for each parameter set."""
    out: list[Point] = []
    for k, pset in enumerate(_param_sets(rule)):
        rng = rng_for(rule.id, tag, inst.size, k)
        pvals = _as_mp(pset)
        for _ in range(_INSTANCE_POINTS):
            pt: Point = {}
            with mpmath.workdps(DPS):
                for inp in rule.inputs:
                    if inp.shape == "vector":
                        syms = [v for v, owner in inst.variables if owner is inp]
                        if inp.simplex:
                            raw = [mpmath.mpf(rng.uniform(0.05, 1.0)) for _ in range(inst.size)]
                            total = sum(raw)
                            for sym_, val in zip(syms, raw):
                                pt[sym_] = val / total
                        else:
                            for sym_ in syms:
                                pt[sym_] = draw(inp.domain, rng)
                    elif inp.shape == "matrix":
                        # square: 2I + 0.3N, invertible with det > 0 and never symmetric unless declared so
                        mat = inst.explicit[inp.symbol]
                        if inp.simplex:  # rows of probabilities; the last entry of a row is not a variable
                            for r in range(mat.rows):
                                raw = [mpmath.mpf(rng.uniform(0.05, 1.0)) for _ in range(mat.cols)]
                                for c_ in range(mat.cols - 1):
                                    pt[mat[r, c_]] = raw[c_] / sum(raw)
                            continue
                        noise = [[0.3 * rng.gauss(0, 1) for _ in range(mat.cols)] for _ in range(mat.rows)]
                        for r in range(mat.rows):
                            for c_ in range(mat.cols):
                                if inp.symmetric and r > c_:
                                    continue
                                value = (noise[r][c_] + noise[c_][r]) / 2 if inp.symmetric else noise[r][c_]
                                diag = 2 if (r == c_ and mat.rows == mat.cols) else 0
                                pt[mat[r, c_]] = mpmath.mpf(diag + value)
                    elif not inp.class_index:
                        pt[inp.symbol] = draw(inp.domain, rng)
            out.append(pt | pvals)
    return out


def _class_values(rule: Rule, size: int) -> list[dict[sp.Symbol, int]]:
    classes = [inp for inp in rule.inputs if inp.class_index]
    if not classes:
        return [{}]
    (cls_inp,) = classes
    return [{cls_inp.symbol: c} for c in range(1, size + 1)]


def _instances(rule: Rule) -> list[Instance]:
    """Vector rules at n = 2, 3, 4; matrix rules with every dimension 2, then 3, then (when there are
    several dimensions) alternating 2, 3, ... in name order, so that non-square shapes are met."""
    if rule.shape != "matrix":
        return [instantiate(rule, size) for size in SIZES]
    out = [instantiate(rule, size) for size in MATRIX_SIZES]
    dims = dimensions(rule)
    if len(dims) > 1:  # 2, 3, 2, 3, ... in name order: every product of two different dimensions is non-square
        out.append(instantiate(rule, 2, {d: 2 + k % 2 for k, d in enumerate(dims)}))
    return out


def _size_text(rule: Rule, inst: Instance) -> str:
    if rule.shape != "matrix":
        return f"n={inst.size}"
    return ", ".join(f"{d}={inst.dims[d]}" for d in dimensions(rule))


def _scalar_of(value: sp.Basic) -> sp.Basic:
    """A 1x1 matrix (xᵀAx) as the scalar it stands for."""
    if isinstance(value, sp.MatrixBase) and value.shape == (1, 1):
        return value[0, 0]
    return value


def _vector_groups(s: _Session, rule: Rule, function: sp.Basic, claims: dict[str, sp.Basic], tag: str) -> None:
    params = [p.symbol for p in rule.params if p.symbol is not None]
    names = _names(rule)
    f_c = concrete(function, rule)
    instances = _instances(rule)
    for inst in instances:
        if rule.shape == "matrix" and inst is not instances[0]:
            _numeric_matrix_groups(s, rule, inst, f_c, {w: concrete(c, rule) for w, c in claims.items()}, tag)
            continue
        size = inst.size
        scalars = [inp.symbol for inp in rule.inputs if inp.shape == "scalar" and not inp.class_index]
        variables = [v for v, _ in inst.variables] + scalars + params
        for sym_, owner in inst.variables:
            names[sym_] = str(sym_)
        points = _instance_points(rule, inst, params, (tag, "points"))
        for cls in _class_values(rule, size):
            cls_text = "".join(f", {names.get(k_, k_)}={v}" for k_, v in cls.items())
            for wrt, claim in claims.items():
                c_c = concrete(claim, rule)
                wrt_inp = rule.input(wrt)
                if wrt_inp.shape == "scalar":
                    wrt_vars: list[sp.Expr] = [wrt_inp.symbol]
                else:
                    wrt_vars = inst.by_input[wrt]
                true: list[sp.Expr] = []
                claimed: list[sp.Expr] = []
                entry_names: list[str] = []
                fd: list[tuple[sp.Expr, sp.Symbol] | None] = []
                if rule.shape == "matrix":
                    fx = _scalar_of(inst.apply(f_c.subs(cls)))
                    gmat = inst.apply(c_c.subs(cls))
                    mat = inst.explicit[wrt_inp.symbol]
                    if not isinstance(gmat, sp.MatrixBase) or gmat.shape != mat.shape:  # e.g. aᵀ for a
                        got = f"{gmat.shape[0]}×{gmat.shape[1]}" if isinstance(gmat, sp.MatrixBase) else "a scalar"
                        raise _Failed(Counterexample(f"∂/∂{wrt} ({_size_text(rule, inst)})", {},
                                                     f"a {mat.rows}×{mat.cols} gradient (the shape of {wrt})", got))
                    for r in range(mat.rows):
                        for c_ in range(mat.cols):
                            v = mat[r, c_]
                            true.append(sp.diff(fx, v))
                            claimed.append(gmat[r, c_] if isinstance(gmat, sp.MatrixBase) else gmat)
                            entry_names.append(f"[{r + 1},{c_ + 1}]")
                            fd.append((fx, v))
                elif rule.vector_output:
                    for a in range(1, size + 1):
                        fa = inst.apply(f_c, {I_: a} | cls)
                        for b, v in enumerate(wrt_vars, start=1):
                            if not isinstance(v, sp.Symbol):
                                continue
                            true.append(sp.diff(fa, v))
                            idx = {I_: a, J_: b} if wrt_inp.shape == "vector" else {I_: a}
                            claimed.append(inst.apply(c_c, idx | cls))
                            entry_names.append(f"[{a},{b}]" if wrt_inp.shape == "vector" else f"[{a}]")
                            fd.append((fa, v))
                else:
                    fx = inst.apply(f_c, cls)
                    for a, v in enumerate(wrt_vars, start=1):
                        if not isinstance(v, sp.Symbol):
                            continue
                        true.append(sp.diff(fx, v))
                        claimed.append(inst.apply(c_c, {I_: a} | cls) if wrt_inp.shape == "vector" else inst.apply(c_c, cls))
                        entry_names.append(f"[{a}]" if wrt_inp.shape == "vector" else "")
                        fd.append((fx, v))
                label = f"{tag}∂/∂{wrt} ({_size_text(rule, inst)}{cls_text})"
                # proved at n = 2 and 3 (matrices: at the first size), checked numerically at the others
                proved_here = inst is instances[0] if rule.shape == "matrix" else (size < 4 or len(true) <= 4)
                g = _Group(label, variables, true, claimed, entry_names, points, names, fd=fd,
                           prove=proved_here, proof_limit=_VECTOR_PROOF_POINTS)
                s.run(g)


# ---------------------------------------------------------------- matrix rules at the checked sizes
# A matrix rule is proved at its first size; at the larger ones it is only checked numerically, and there an
# explicit symbolic instance is the wrong tool: a 3x3 inverse or determinant of a product gives expressions
# that take minutes to differentiate and compile. These sizes are evaluated numerically instead (matrixeval,
# mpmath at DPS digits): each claimed gradient along a random direction against mpmath's numerical derivative
# of the function along it, each derivation line against the one before.
def _at_size(expr: sp.Basic, inst: Instance) -> sp.Basic:
    """A concrete expression with the dimensions of ``inst`` (MatrixSymbol('X', n, m) -> ('X', 3, 2))."""
    sizes = {dim: v for dim, v in inst.dims.items() if expr.has(dim)}
    return expr.subs(sizes) if sizes else expr


def _matrix_env(rule: Rule, inst: Instance, point: Point) -> dict[sp.Basic, Any]:
    """The inputs of a matrix rule at ``point``: object arrays of mpmath numbers keyed by sized symbols."""
    import numpy as np

    env: dict[sp.Basic, Any] = {}
    for inp in rule.inputs:
        if inp.shape != "matrix":
            if inp.symbol in point:
                env[inp.symbol] = point[inp.symbol]
            continue
        mat = inst.explicit[inp.symbol]
        arr = np.empty(mat.shape, dtype=object)
        for r in range(mat.rows):
            for c in range(mat.cols):
                entry = mat[r, c]
                if entry in point:
                    arr[r, c] = point[entry]
        if inp.simplex:  # the last entry of a row is 1 minus the others
            with mpmath.workdps(DPS):
                for r in range(mat.rows):
                    arr[r, -1] = 1 - sum(arr[r, :-1])
        env[_at_size(inp.symbol, inst)] = arr
    env |= {prm.symbol: point[prm.symbol] for prm in rule.params if prm.symbol is not None and prm.symbol in point}
    env |= {dim: mpmath.mpf(v) for dim, v in inst.dims.items()}
    return env


def _numeric(expr: sp.Basic, env: dict[sp.Basic, Any]) -> Any:
    """``expr`` evaluated with mpmath (at the current precision); a 1x1 result as a number."""
    import numpy as np

    from cheatsheet.evaluate.matrix import evaluate_matrix

    out = evaluate_matrix(expr, env, exact=True)
    if isinstance(out, np.ndarray) and out.shape == (1, 1) and not isinstance(expr, sp.MatrixExpr):
        return out[0, 0]
    return out


def _scalar_number(v: Any) -> Any:
    import numpy as np

    if isinstance(v, np.ndarray) and v.size == 1:
        v = v.reshape(-1)[0]
    return _num(v)


_CHECKED_POINTS = 4  # per parameter set, at a size that is checked, not proved: the proof covers exactness


def _checked_points(points: list[Point]) -> list[Point]:
    """The first few of each parameter set's block of points (see _instance_points)."""
    return [pt for k, pt in enumerate(points) if k % _INSTANCE_POINTS < _CHECKED_POINTS]


def _close_numbers(want: Any, got: Any) -> bool:
    """``got`` equals ``want`` to _REL (relative, or absolute below 1); never when either is missing."""
    return want is not None and got is not None and bool(abs(got - want) <= _REL * max(1, abs(want)))


def _along(expr: sp.Basic, env: dict[sp.Basic, Any], key: sp.Basic, base: Any, direction: Any) -> Callable[[Any], Any]:
    """t ↦ ``expr`` with the input ``key`` moved to base + t·direction."""
    return lambda t: _numeric(expr, env | {key: base + t * direction})


def _fd_mismatch(fn: Callable[[Any], Any], at: Any, got: Any) -> tuple[bool, Any]:
    """Whether ``got`` differs from mpmath's numerical derivative of the scalar ``fn`` at ``at`` (beyond _FD),
    and that derivative. A mismatch is confirmed with twice the precision and the square of the step; when the
    two steps disagree no finite difference is reliable there, and the point counts as no evidence."""
    def value(t: Any) -> Any:
        return _scalar_number(fn(t))

    def off(want: Any) -> bool:
        return got is None or abs(got - want) > _FD * max(1, abs(want))

    try:
        plain = _num(mpmath.diff(value, at, h=_H))
        if plain is not None and not off(plain):
            return False, plain
        with mpmath.workdps(2 * DPS):
            precise = _num(+mpmath.diff(value, at, h=_H**2))
    except (ZeroDivisionError, ValueError, OverflowError, TypeError):
        return False, None
    if plain is None or precise is None or abs(precise - plain) > _FD * max(1, abs(precise)):
        return False, None
    return off(precise), precise


def _numeric_matrix_groups(s: _Session, rule: Rule, inst: Instance, function: sp.Basic, claims: dict[str, sp.Basic],
                           tag: str) -> None:
    """Each claimed gradient G at random points, along a random direction V per point: d/dt f(X + tV) at t = 0
    (mpmath's numerical derivative) must equal tr(Gᵀ V). A wrong entry of G changes tr(Gᵀ V) for almost every V."""
    import numpy as np

    params = [p.symbol for p in rule.params if p.symbol is not None]
    names = _names(rule) | {sym_: str(sym_) for sym_, _ in inst.variables}
    points = _checked_points(_instance_points(rule, inst, params, (tag, "points")))
    f_at = _at_size(function, inst)
    for wrt, claim in claims.items():
        key = _at_size(rule.input(wrt).symbol, inst)
        c_at = _at_size(claim, inst)
        label = f"{tag}∂/∂{wrt} ({_size_text(rule, inst)})"
        rng = rng_for(rule.id, tag, wrt, "directions", tuple(inst.dims.values()))
        for point in points:
            env = _matrix_env(rule, inst, point)
            where = _point_text(point, names)
            with mpmath.workdps(DPS):
                if _scalar_number(_numeric(f_at, env)) is None:
                    raise ValueError(f"rule {rule.id!r}: {label}: the function is not a finite real number at {where}; "
                                     "is the input domain right?")
                grad = np.asarray(_numeric(c_at, env), dtype=object)
                base = env[key]
                if grad.shape != base.shape:
                    raise _Failed(Counterexample(label, where, f"a {base.shape[0]}×{base.shape[1]} gradient",
                                                 f"{grad.shape[0]}×{grad.shape[1]}" if grad.ndim == 2 else str(grad.shape)))
                direction = np.array([[mpmath.mpf(rng.gauss(0, 1)) for _ in range(base.shape[1])]
                                      for _ in range(base.shape[0])], dtype=object)
                got = _num(sum(grad.reshape(-1) * direction.reshape(-1)))
                bad, want = _fd_mismatch(_along(f_at, env, key, base, direction), mpmath.mpf(0), got)
                if bad:
                    where |= {"direction V": str([[mpmath.nstr(v, 6) for v in row] for row in direction.tolist()])}
                    raise _Failed(Counterexample(f"{label} along V: tr(Gᵀ V)", where, _fmt(want), _fmt(got)))
            s.points += 1
            if s.keep_points:
                s.used.append(where)
        s.checks.append(Check(label, "checked", "randomized 50-digit testing", "numeric only at this size"))


def _numeric_derivation(s: _Session, rule: Rule, aug: Rule, inst: Instance, label_size: str) -> None:
    """A matrix derivation at a checked size, numerically: df along dX against d/dt f(X + t dX), then each
    line against the one before (a gradient step G through tr(Gᵀ dX)), then the printed derivative."""
    import numpy as np

    d = rule.derivation
    assert d is not None and d.direction is not None
    params = [p.symbol for p in rule.params if p.symbol is not None]
    names = _names(rule) | {sym_: str(sym_) for sym_, _ in inst.variables}
    f_at = _at_size(concrete(rule.function, rule), inst)
    steps = [(k, st, _at_size(concrete(st.expr, rule), inst)) for k, st in enumerate(d.steps, start=1)]
    final = _at_size(concrete(rule.derivatives[d.wrt], rule), inst)
    key, dkey = _at_size(rule.input(d.wrt).symbol, inst), _at_size(d.direction, inst)
    for point in _checked_points(_instance_points(aug, inst, params, ("derivation", "points"))):
        env = _matrix_env(aug, inst, point)
        where = _point_text(point, names)
        with mpmath.workdps(DPS):
            base, direction = env[key], env[dkey]
            prev: Any = None
            for k, st, expr in steps:
                label = _step_label(k, st.why) + f" ({label_size})"
                cur = _numeric(expr, env)
                if st.kind == "gradient":
                    grad = np.asarray(cur, dtype=object)
                    got = _num(sum(grad.reshape(-1) * direction.reshape(-1))) if grad.shape == direction.shape else None
                else:
                    got = _scalar_number(cur)
                if k == 1:  # the first line against the directional derivative d/dt f(X + t dX) at t = 0
                    bad, want = _fd_mismatch(_along(f_at, env, key, base, direction), mpmath.mpf(0), got)
                    if bad:
                        raise _Failed(Counterexample(label, where, _fmt(want), _fmt(got)))
                elif not _close_numbers(prev, got):
                    raise _Failed(Counterexample(label, where, _fmt(prev), _fmt(got)))
                prev = cur if st.kind == "gradient" else got
            want = np.asarray(_numeric(final, env), dtype=object)
            last = np.asarray(prev, dtype=object)
            if last.shape != want.shape or not all(
                _close_numbers(_num(b_), _num(a_)) for a_, b_ in zip(last.reshape(-1), want.reshape(-1))
            ):
                raise _Failed(Counterexample(f"derivation ends at the printed derivative ({label_size})", where,
                                             str(want.tolist()), str(last.tolist())))
        s.points += 1
    for k, st, _ in steps:
        s.checks.append(Check(_step_label(k, st.why) + f" ({label_size})", "checked", "randomized 50-digit testing",
                              "numeric only at this size"))


# ---------------------------------------------------------------- identities and stable forms
def _identity_group(rule: Rule, ident: Identity, label: str) -> list[_Group]:
    lhs, rhs = concrete(ident.lhs, rule), concrete(ident.rhs, rule)
    params = [p.symbol for p in rule.params if p.symbol is not None]
    names = _names(rule)
    if rule.shape == "scalar" or not (lhs.has(sp.Indexed) or rhs.has(sp.Indexed) or lhs.has(sp.MatrixSymbol)):
        extra = [Input(str(sym_), sym_, dom) for sym_, dom in ident.domains]
        scalars = [inp for inp in rule.inputs if inp.shape == "scalar" and not inp.class_index] + extra
        used = (lhs.free_symbols | rhs.free_symbols)
        scalars = [inp for inp in scalars if inp.symbol in used]
        for e in extra:
            names[e.symbol] = str(e.symbol)
        variables = [inp.symbol for inp in scalars] + params
        points: list[Point] = []
        for k, pset in enumerate(_param_sets(rule)):
            points += _scalar_points(rule, scalars, pset, [lhs, rhs], (label, k))
        return [_Group(label, variables, [lhs], [rhs], [""], points, names, relation=ident.relation)]
    groups = []
    for size in SIZES[:2]:
        inst = instantiate(rule, size)
        scalars = [inp.symbol for inp in rule.inputs if inp.shape == "scalar" and not inp.class_index]
        variables = [v for v, _ in inst.variables] + scalars + params
        for sym_, _ in inst.variables:
            names[sym_] = str(sym_)
        points = _instance_points(rule, inst, params, (label, "points"))
        used = lhs.free_symbols | rhs.free_symbols
        for der in lhs.atoms(sp.Derivative) | rhs.atoms(sp.Derivative):  # sympy counts the j of ∂/∂x_j as bound
            used |= {s_ for v in der.variables for s_ in v.free_symbols}
        free = [ix for ix in (I_, J_) if ix in used]
        for cls in _class_values(rule, size):
            ls, rs, en = [], [], []
            for combo in itertools.product(range(1, size + 1), repeat=len(free)):
                idx = dict(zip(free, combo)) | cls
                ls.append(_scalar_of(inst.apply(lhs, idx)))  # a 1x1 matrix (xᵀAx) is a scalar
                rs.append(_scalar_of(inst.apply(rhs, idx)))
                en.append("[" + ",".join(map(str, combo)) + "]" if combo else "")
            groups.append(_Group(f"{label} (n={size})", variables, ls, rs, en, points, names, relation=ident.relation,
                                 proof_limit=_VECTOR_PROOF_POINTS))
    return groups


def _identity_label(ident: Identity) -> str:
    rel = {"=": "=", "<=": r"\le", ">=": r"\ge"}[ident.relation]
    return f"identity {latex(ident.lhs)} {rel} {latex(ident.rhs)}"


def _stable_groups(s: _Session, rule: Rule) -> None:
    if rule.stable is not None:
        for g in _identity_group(rule, Identity(rule.function, rule.stable), "stable form"):
            s.run(g)
    for wrt, expr in rule.stable_derivatives.items():
        claim = rule.derivatives[wrt]
        for g in _identity_group(rule, Identity(claim, expr), f"stable derivative ∂/∂{wrt}"):
            s.run(g)
    if any(d.stable is not None for d in rule.where):
        plain = {"function": rule.function} | {f"∂/∂{w}": e for w, e in rule.derivatives.items()}
        for what, expr in plain.items():
            stable_expr = expand_where(expr, rule.where, stable=True)
            for g in _identity_group(rule, Identity(expand_where(expr, rule.where), stable_expr), f"stable definitions in {what}"):
                s.run(g)


# ---------------------------------------------------------------- derivations
def _step_label(k: int, why: str) -> str:
    return f"derivation step {k} ({why})"


def _derivation(s: _Session, rule: Rule) -> None:
    """Every step equals the one before; the first equals d/dx f, the last the printed derivative."""
    d = rule.derivation
    assert d is not None
    claim = rule.derivatives[d.wrt]
    if any(st.kind != "equal" for st in d.steps):
        _differential_derivation(s, rule)
        return
    var = rule.input(d.wrt).symbol
    if rule.shape == "vector" and rule.input(d.wrt).shape == "vector":
        var = var[J_] if rule.vector_output else var[I_]
    chain = [(sp.Derivative(rule.function, var), "")] + [(st.expr, st.why) for st in d.steps]
    chain.append((claim, "the printed derivative"))
    for k in range(1, len(chain)):
        label = _step_label(k, chain[k][1]) if k < len(chain) - 1 else "derivation ends at the printed derivative"
        if k == len(chain) - 1 and sp.sympify(chain[k - 1][0]) == sp.sympify(chain[k][0]):
            # the last step written as the printed derivative itself (the usual case): nothing to test
            s.checks.append(Check(label, "proved", "identical expressions"))
            continue
        for g in _identity_group(rule, Identity(chain[k - 1][0], chain[k][0]), label):
            s.run(g)


def _differential_derivation(s: _Session, rule: Rule) -> None:
    """Matrix derivations: df along dX equals the directional derivative d/dt f(X + t dX) at t = 0;
    each step equals the one before; a gradient step G satisfies tr(Gᵀ dX) = the line before."""
    d = rule.derivation
    assert d is not None and d.direction is not None
    aug = dataclasses.replace(rule, inputs=rule.inputs + (Input("direction", d.direction, shape="matrix"),),
                              derivation=None)
    params = [p.symbol for p in rule.params if p.symbol is not None]
    names = _names(rule)
    t = sp.Dummy("t")
    f_c = concrete(rule.function, rule)
    for number, inst in enumerate(_instances(aug)):
        prove = number == 0  # proved at the smallest size, checked numerically at the others
        if not prove:
            _numeric_derivation(s, rule, aug, inst, _size_text(aug, inst))
            continue
        for sym_, _ in inst.variables:
            names[sym_] = str(sym_)
        variables = [v for v, _ in inst.variables] + params
        points = _instance_points(aug, inst, params, ("derivation", "points"))
        X, dX = inst.explicit[rule.input(d.wrt).symbol], inst.explicit[d.direction]
        moved = {X[r, c]: X[r, c] + t * dX[r, c] for r in range(X.rows) for c in range(X.cols)}
        prev = sp.diff(_scalar_of(inst.apply(f_c)).xreplace(moved), t).subs(t, 0)
        for k, st in enumerate(d.steps, start=1):
            cur = _scalar_of(inst.apply(concrete(st.expr, rule)))
            if st.kind == "gradient":
                lhs, rhs = prev, (cur.T * dX).trace() if isinstance(cur, sp.MatrixBase) else cur * dX[0, 0]
            else:
                lhs, rhs = prev, cur
            _run_pair(s, _step_label(k, st.why) + f" ({_size_text(aug, inst)})", variables, lhs, rhs, points, names, prove)
            prev = cur
        final = inst.apply(concrete(rule.derivatives[d.wrt], rule))
        _run_pair(s, f"derivation ends at the printed derivative ({_size_text(aug, inst)})", variables, prev, final,
                  points, names, prove)


def _run_pair(s: _Session, label: str, variables: list[sp.Symbol], lhs: sp.Basic, rhs: sp.Basic,
              points: list[Point], names: dict[sp.Symbol, str], prove: bool = True) -> None:
    ls = list(lhs) if isinstance(lhs, sp.MatrixBase) else [lhs]
    rs = list(rhs) if isinstance(rhs, sp.MatrixBase) else [rhs]
    if len(ls) != len(rs):
        raise _Failed(Counterexample(label, {}, f"{len(ls)} entries", f"{len(rs)} entries"))
    en = [f"[{k}]" for k in range(len(ls))] if len(ls) > 1 else [""]
    s.run(_Group(label, variables, [sp.sympify(v) for v in ls], [sp.sympify(v) for v in rs], en, points, names,
                 prove=prove, proof_limit=_VECTOR_PROOF_POINTS))


# ---------------------------------------------------------------- general rules
def _general(s: _Session, rule: Rule) -> None:
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

        shown = ", ".join(f"{f_} = {latex(lam.expr)}" for f_, lam in mapping.items())
        _scalar_groups(s, rule, sub(rule.function), {w: sub(c) for w, c in rule.derivatives.items()}, f"example {k + 1} ({shown}): ")


# ---------------------------------------------------------------- entry point
def verify_rule(
    rule: Rule, *, prove: bool = True, seconds: float = PROOF_SECONDS, skip_undefined: bool = False,
    keep_points: bool = False,
) -> Verdict:
    """Verify ``rule`` and return its verdict with the evidence. Never raises for a false claim.

    ``skip_undefined`` (for expressions whose domain nobody declared, as in ``cheatsheet check``)
    skips the sample points where the reference is not a finite real number instead of raising, as
    long as enough points remain; ``verdict.extra["skipped_points"]`` counts them. ``keep_points``
    lists the points used in ``verdict.extra["points_used"]``.
    """
    start = time.perf_counter()
    s = _Session(rule, prove=prove, seconds=seconds, skip_undefined=skip_undefined, keep_points=keep_points)
    s.methods.add("randomized 50-digit identity testing")
    s.methods.add("mpmath numerical derivative")
    try:
        if rule.is_general:
            _general(s, rule)
        elif rule.shape == "scalar":
            _scalar_groups(s, rule, rule.function, rule.derivatives, "")
        else:
            _vector_groups(s, rule, rule.function, rule.derivatives, "")
        for ident in rule.identities:
            for g in _identity_group(rule, ident, _identity_label(ident)):
                s.run(g)
        if rule.identities:
            s.methods.add("identities")
        _stable_groups(s, rule)
        if rule.derivation is not None:
            _derivation(s, rule)
            s.methods.add("derivation steps")
    except _Failed as failure:
        return Verdict(
            rule_id=rule.id, status="failed", methods=tuple(sorted(s.methods)), points=s.points,
            max_residual=float(s.residual), seconds=time.perf_counter() - start,
            reason=f"false claim: {failure.cx.describe()}", counterexample=failure.cx,
            checks=tuple(s.checks) + (Check(failure.cx.claim, "failed", "randomized 50-digit testing", failure.cx.describe()),),
            content_hash=rule_hash(rule), verifier_version=VERIFIER_VERSION, extra=_extra(s),
        )
    status: Status = "proved" if not s.unproved and prove else "checked"
    reason = "" if status == "proved" else ("; ".join(s.unproved) if s.unproved else "no symbolic proof attempted")
    return Verdict(
        rule_id=rule.id, status=status, methods=tuple(sorted(s.methods)), points=s.points,
        max_residual=float(s.residual), seconds=time.perf_counter() - start, reason=reason,
        checks=tuple(s.checks), content_hash=rule_hash(rule), verifier_version=VERIFIER_VERSION, extra=_extra(s),
    )


def _real_at(fns: Sequence[Callable[..., Any] | None], args: list[Any]) -> bool:
    """True when every (compiled) function is a finite real number at ``args``."""
    for fn in fns:
        if fn is None:
            continue
        try:
            if _num(fn(*args)[0]) is None:
                return False
        except (ZeroDivisionError, ValueError, OverflowError):
            return False
    return True


def _extra(s: _Session) -> dict[str, Any]:
    """The optional evidence asked for, and the breakpoints where F has no derivative (a kink, a jump, an infinite
    slope, a point where F is not defined) other than the declared kinks; empty otherwise."""
    out: dict[str, Any] = {}
    if s.not_differentiable:
        out["not_differentiable"] = list(s.not_differentiable)
    if s.skip_undefined:
        out["skipped_points"] = s.skipped
    if s.keep_points:
        out["points_used"] = list(s.used)
    return out


def _undefined(expr: sp.Basic) -> set[Any]:
    return {a.func for a in sp.sympify(expr).atoms(AppliedUndef)}
