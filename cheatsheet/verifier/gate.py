"""The numeric gate: every claim evaluated at every sample point with mpmath, against sympy's derivative and
against an independent numerical derivative, with tolerances that tell a false claim from rounding.

A claim (:class:`Claim`) holds entries of a reference expression (sympy's derivative of the rule's function,
made elementary) and of the claimed one over a list of variables, with the sample points to try. The gate
compares them entry by entry at 60 digits (more where a point needs it) to 1e-30 relative, and the claim with
``mpmath.diff`` of the function to 1e-18. A difference inside the tolerance is looked at again at twice the
precision: one that stays is real (the claim 2x(1 + 1e-31)), rounding shrinks. :class:`Session` collects the
evidence of one rule's verification (points, residual, checks, reasons) across all its claims.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import mpmath
import sympy as sp

from cheatsheet.rule import Rule
from cheatsheet.verifier.numbers import (
    DPS,
    Point,
    compile_exprs,
    differing,
    dps_of,
    exact_point,
    exact_sign,
    fmt,
    placed,
    point_text,
    real_at,
    real_number,
    short,
)
from cheatsheet.verifier.sampling import sample_at
from cheatsheet.verifier.symbolic import ProofTimeout, time_limit
from cheatsheet.verifier.verdict import Check, Counterexample

__all__ = ["EXPECTED_ERRORS", "FD", "REL", "Claim", "Failed", "H", "Session", "confirm_equal", "differs_at"]

REL = mpmath.mpf("1e-30")  # claim vs sympy's derivative, both at 60 digits
FD = mpmath.mpf("1e-18")  # claim vs mpmath.diff of the function
H = mpmath.mpf("1e-22")  # step of the numerical derivative
_MIN_DEFINED = 8  # with skip_undefined: fewest sample points at which the reference must be defined
_NOISE_DIGITS = 12  # a claim that differs from the reference by more than 10^(12 - dps) relative is looked at again
_EXACT_GATE_POINTS = 4  # per rule: gate points whose small values differ relatively, looked at exactly
_EXACT_SECONDS = 1.0  # time limit of one such exact look
_EVAL_ERRORS = (ZeroDivisionError, ValueError, OverflowError)
#: What sympy may raise while deciding a claim at a point, besides a false claim: no evidence either way.
EXPECTED_ERRORS = (ProofTimeout, ArithmeticError, TypeError, ValueError, RecursionError, NotImplementedError)


@dataclass
class Claim:
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

    def entry(self, idx: int) -> str:
        """The claim's label with entry ``idx``'s name ('∂/∂x [1,2]')."""
        return f"{self.label} {self.entry_names[idx]}".strip()


class Failed(Exception):
    """A claim is false: raised with the counterexample, caught once by :func:`~cheatsheet.verifier.engine.verify_rule`."""

    def __init__(self, cx: Counterexample) -> None:
        super().__init__(cx.describe())
        self.cx = cx


@dataclass(frozen=True)
class _Compiled:
    """A claim's expressions compiled: the reference, the claim, and per entry the function whose numerical
    derivative the entry must match (None: no such comparison) with the variable it is taken along."""

    true: Callable[..., list[Any]]
    claim: Callable[..., list[Any]]
    fd: list[tuple[Callable[..., list[Any]], sp.Symbol] | None]


def _compiled(g: Claim) -> _Compiled:
    fd = [
        None if spec is None else (compile_exprs(g.variables, [spec[0]]), spec[1])
        for spec in g.fd or [None] * len(g.true)
    ]
    return _Compiled(compile_exprs(g.variables, g.true), compile_exprs(g.variables, g.claimed), fd)


@dataclass
class Session:
    """The evidence gathered while verifying one rule: points used, largest residual, checks, unproved claims."""

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
    exact_looks: int = _EXACT_GATE_POINTS  # gate points left that may be looked at exactly (see _holds)

    def unprove(self, g: Claim, why: str) -> None:
        """Record that ``g`` passed the gate but was not proved, and why."""
        self.unproved.append(f"{g.label}: {why}")
        self.checks.append(Check(g.label, "checked", "randomized 50-digit testing", why))

    def count_point(self, text: dict[str, str]) -> None:
        """One more point passed (listed when the points are kept)."""
        self.points += 1
        if self.keep_points:
            self.used.append(text)

    def extra(self) -> dict[str, Any]:
        """The optional evidence asked for, and the breakpoints where F has no derivative (a kink, a jump, an
        infinite slope, a point where F is not defined) other than the declared kinks; empty otherwise."""
        out: dict[str, Any] = {}
        if self.not_differentiable:
            out["not_differentiable"] = list(self.not_differentiable)
        if self.skip_undefined:
            out["skipped_points"] = self.skipped
        if self.keep_points:
            out["points_used"] = list(self.used)
        return out

    # ------------------------------------------------------------------------------------------ the gate
    def gate(self, g: Claim) -> None:
        """Raise :class:`Failed` at the first sample point where the claim is false (ValueError when the
        reference itself is not a finite real number there, unless such points are to be skipped)."""
        fns = _compiled(g)
        used = 0
        for point in g.points:
            if self._passes(g, fns, point):
                used += 1
                self.count_point(point_text(point, g.names))
        if self.skip_undefined and used < min(_MIN_DEFINED, len(g.points)):
            raise ValueError(
                f"rule {self.rule.id!r}: {g.label}: the function is a finite real number at only {used} of "
                f"{len(g.points)} sample points; give the inputs' domains"
            )

    def _passes(self, g: Claim, fns: _Compiled, point: Point) -> bool:
        """Check every entry of the claim at ``point``; False when the point is skipped (undefined there)."""
        args = [point[v] for v in g.variables]
        with mpmath.workdps(dps_of(point)):
            tv = self._reference(g, fns, args, point)
            if tv is None:
                self.skipped += 1
                return False
            try:
                cv = fns.claim(*args)
            except (*_EVAL_ERRORS, TypeError):  # e.g. a complex value compared
                cv = [mpmath.nan] * len(tv)
            for idx, (t, c) in enumerate(zip(tv, cv, strict=False)):
                self._entry(g, fns, args, point, idx, t, c)
        return True

    def _reference(self, g: Claim, fns: _Compiled, args: list[Any], point: Point) -> list[Any] | None:
        """The reference's values at ``point``; None when the point is to be skipped (undefined there)."""
        try:
            tv = fns.true(*args)
        except _EVAL_ERRORS as exc:
            if self.skip_undefined:
                return None
            raise ValueError(
                f"rule {self.rule.id!r}: {g.label}: the function cannot be evaluated at "
                f"{point_text(point, g.names)} ({exc}); is the input domain right?"
            ) from exc
        fd_fns = [spec[0] if spec is not None else None for spec in fns.fd]
        if self.skip_undefined and (any(real_number(t) is None for t in tv) or not real_at(fd_fns, args)):
            return None
        return tv

    def _entry(self, g: Claim, fns: _Compiled, args: list[Any], point: Point, idx: int, t: Any, c: Any) -> None:
        """Entry ``idx`` of the claim (value ``c``) against the reference (``t``) and the numerical derivative."""
        t_, c_ = real_number(t), real_number(c)
        if t_ is None:
            raise ValueError(
                f"rule {self.rule.id!r}: {g.label}: the reference value is not a finite real "
                f"number at {point_text(point, g.names)}; is the input domain right?"
            )
        if c_ is None or not self._holds(g, fns, args, point, idx, t_, c_):
            expected = fmt(t_) if g.relation == "=" else f"{g.relation} {fmt(t_)}"
            raise Failed(
                Counterexample(claim=g.entry(idx), point=point_text(point, g.names), expected=expected, got=fmt(c))
            )
        spec = fns.fd[idx]
        if spec is not None:
            self._against_fd(g, spec[0], spec[1], args, point, idx, c_)

    def _holds(
        self, g: Claim, fns: _Compiled, args: list[Any], point: Point, idx: int, t: mpmath.mpf, c: mpmath.mpf
    ) -> bool:
        """Whether ``c`` relates to ``t`` as the claim says, within the gate's tolerance (a difference inside it
        that is not rounding raises :class:`Failed`)."""
        if g.relation != "=":
            slack = REL * max(1, abs(t))
            # the claim holds lhs as "true" and rhs as "claimed": the claim is lhs <= rhs
            return not ((t > c + slack) if g.relation == "<=" else (t < c - slack))
        res = abs(c - t) / max(1, abs(t))
        self.residual = max(self.residual, res)
        if res > REL:
            return False
        confirm_equal(g, fns.true, fns.claim, args, idx, t, c, point)
        if (
            self.exact_looks
            and abs(c - t) > REL * abs(t)
            and _stable(fns.true, fns.claim, args, idx, c - t, dps_of(point)) is not None
        ):
            # within the tolerance only because the values are below 1 (1/x claimed 2/x at x = 10^300),
            # and not rounding, which shrinks at twice the precision: exactly, at this point (a
            # cancellation such as 1 − erf(21), 0 to 199 digits, is stable too, and undecided there)
            self.exact_looks -= 1
            self._exact_at(g, idx, point)
        return True

    def _against_fd(
        self,
        g: Claim,
        fn: Callable[..., list[Any]],
        var: sp.Symbol,
        args: list[Any],
        point: Point,
        idx: int,
        c: mpmath.mpf,
    ) -> None:
        """Raise :class:`Failed` when the claim ``c`` differs from mpmath's numerical derivative of ``fn``."""
        fd_val = _fd(fn, g.variables, args, var, point)
        if fd_val is not None and _off(fd_val, c):
            # a steep function (sin(e^x) at x = 30) needs a smaller step: confirm first; when
            # the two steps disagree (sin(e^(e^x)) at x = 5), no finite difference is reliable
            # there, and the claim has already matched sympy's derivative at this point
            precise = _fd(fn, g.variables, args, var, point, precise=True)
            steady = precise is not None and not _off(precise, fd_val)
            fd_val = precise if steady else None
        if fd_val is not None and _off(fd_val, c):
            raise Failed(
                Counterexample(claim=g.entry(idx), point=point_text(point, g.names), expected=fmt(fd_val), got=fmt(c))
            )

    def _exact_at(self, g: Claim, idx: int, point: Point) -> None:
        """Raise :class:`Failed` when sympy shows that entry ``idx`` of the claim differs from the reference at
        ``point`` (exactly or with guaranteed digits); nothing when it cannot tell within its time limit."""
        try:
            with time_limit(min(self.seconds, _EXACT_SECONDS)):
                differs_at(
                    g, idx, {v: val for v, val in exact_point(point).items() if v in g.variables}, True, quick=True
                )
        except EXPECTED_ERRORS:
            pass


def _off(want: mpmath.mpf, got: mpmath.mpf) -> bool:
    """``got`` differs from the numerical derivative ``want`` beyond the gate's FD tolerance."""
    return bool(abs(want - got) / max(1, abs(want)) > FD)


def _stable(
    fn_true: Callable[..., list[Any]], fn_claim: Callable[..., list[Any]], args: list[Any], idx: int, d1: Any, dps: int
) -> tuple[mpmath.mpf, mpmath.mpf] | None:
    """Entry ``idx`` of both at twice the precision when their difference ``d1`` (at ``dps``) stays the same there
    (to 1/8): a real difference, or a cancellation beyond both precisions; None when it is rounding."""
    with mpmath.workdps(2 * dps):
        try:
            t2, c2 = real_number(fn_true(*args)[idx]), real_number(fn_claim(*args)[idx])
        except (*_EVAL_ERRORS, TypeError):
            return None
        if t2 is None or c2 is None or abs((c2 - t2) - d1) > abs(d1) / 8:
            return None
        return t2, c2


def _fd(
    fn: Callable[..., list[Any]],
    variables: list[sp.Symbol],
    args: list[Any],
    var: sp.Symbol,
    point: Point,
    precise: bool = False,
) -> mpmath.mpf | None:
    """mpmath's numerical derivative with the step 1e-22 (times the point's distance to its nearest breakpoint
    or domain edge when that is below 1, so that x ± h stays in the point's region), at the point's precision
    plus the digits that |x|/step costs (x = 10^300); ``precise``: at twice the precision, the step times 1e-22."""
    pos = variables.index(var)
    x = args[pos]
    reach = getattr(point, "reach", {}).get(var)
    scale = min(mpmath.mpf(1), reach) if reach is not None else mpmath.mpf(1)
    extra = max(0, int(mpmath.ceil(mpmath.log10(max(mpmath.mpf(1), abs(x)) / scale))))
    dps = dps_of(point) + extra

    def f(t: Any) -> Any:
        a = list(args)
        a[pos] = t
        return fn(*a)[0]

    try:
        if precise:
            with mpmath.workdps(2 * dps):
                value = mpmath.diff(f, x, h=H * H * scale)
        else:
            with mpmath.workdps(dps):
                value = mpmath.diff(f, x, h=H * scale)
        return real_number(+value)
    except _EVAL_ERRORS:
        return None


def confirm_equal(
    g: Claim,
    fn_true: Callable[..., list[Any]],
    fn_claim: Callable[..., list[Any]],
    args: list[Any],
    idx: int,
    t: Any,
    c: Any,
    point: Point,
) -> None:
    """Raise :class:`Failed` when the claim differs from the reference by less than the gate's tolerance but by
    more than rounding: a difference that stays the same at twice the precision is real (the claim 2x(1 + 1e-31),
    or exp(x) + 1e-40), while rounding noise shrinks with the precision. Differences below 10^(12 - DPS) are
    not looked at, relative to max(1, |value|) like the gate's tolerance: 1 − erf(21) is 4.7e-199 but
    evaluates to 0 at every precision below 200 digits (cancellation, not a false claim). Those are left to
    the proof and its search for a residue (:mod:`cheatsheet.verifier.proof`)."""
    dps = dps_of(point)
    d1 = c - t
    # the floor is DPS's, not the point's: a point near 10^300 has 300 more digits for its magnitude, not for
    # the cancellations of the terms it takes (at 360 digits, x − 10^300 is still known to about 60)
    if d1 == 0 or abs(d1) <= mpmath.mpf(10) ** (_NOISE_DIGITS - DPS) * max(1, abs(t)):
        return
    again = _stable(fn_true, fn_claim, args, idx, d1, dps)
    if again is None:
        return
    with mpmath.workdps(2 * dps):
        expected, got = differing(*again)
    raise Failed(Counterexample(claim=g.entry(idx), point=point_text(point, g.names), expected=expected, got=got))


def differs_at(g: Claim, idx: int, at: dict[sp.Symbol, sp.Expr], exactly: bool, quick: bool = False) -> None:
    """Raise :class:`Failed` when entry ``idx`` of the claim differs from the reference at the exact point ``at``:
    numerically at the precision the point needs (and twice that), or ``exactly`` (``quick``: see exact_sign)."""
    if exactly:
        _differs_exactly(g, idx, at, quick)
        return
    point = placed({v: sample_at(val, sp.S.One) for v, val in at.items()}, {})
    args = [point[v] for v in g.variables]
    fn_true, fn_claim = compile_exprs(g.variables, g.true), compile_exprs(g.variables, g.claimed)
    with mpmath.workdps(point.dps):
        try:
            t = real_number(fn_true(*args)[idx])
            c = real_number(fn_claim(*args)[idx])
        except (*_EVAL_ERRORS, TypeError):
            return
        if t is None:
            raise ValueError("outside the function's real domain")  # no evidence either way: not counted
        if c is None or abs(c - t) > REL * max(1, abs(t)):
            raise Failed(
                Counterexample(
                    g.entry(idx), point_text(point, g.names), fmt(t), fmt(c) if c is not None else "not a real number"
                )
            )
        confirm_equal(g, fn_true, fn_claim, args, idx, t, c, point)


def _differs_exactly(g: Claim, idx: int, at: dict[sp.Symbol, sp.Expr], quick: bool) -> None:
    """Raise :class:`Failed` when sympy decides that entry ``idx`` of the claim is not the reference at ``at``."""
    true_at = sp.sympify(g.true[idx]).subs(at)
    claim_at = sp.sympify(g.claimed[idx]).subs(at)
    if exact_sign(true_at - claim_at, quick) not in (1, -1):
        return
    with mpmath.workdps(2 * DPS):
        expected, got = differing(mpmath.mpf(sp.N(true_at, 2 * DPS)), mpmath.mpf(sp.N(claim_at, 2 * DPS)))
        if "differs by" in got:
            got = f"{mpmath.nstr(mpmath.mpf(sp.N(claim_at, 2 * DPS)), 12)} (differs by {short(claim_at - true_at)}, exactly)"
    where = {g.names.get(k, str(k)): short(v) for k, v in at.items() if k in g.names}
    raise Failed(Counterexample(g.entry(idx), where, expected, got))
