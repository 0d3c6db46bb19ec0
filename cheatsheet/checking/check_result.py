"""The outcome of ``check``: :class:`CheckResult`, the verdict on one claim with its evidence, as a terminal
report (:meth:`CheckResult.report`) and as JSON (:meth:`CheckResult.to_dict`).

The verdict itself is computed by :mod:`cheatsheet.checking.claim`; this module only words it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import mpmath

from cheatsheet.verifier.verdict import Counterexample, Verdict

__all__ = ["AT_BREAKPOINT", "CheckResult"]

#: The verifier's method name for its checks exactly on the breakpoints.
AT_BREAKPOINT = "exact value at the breakpoint"


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one claim, with its evidence.

    ``holds`` is True when CLAIM is the derivative (``status`` 'proved': symbolically, and at every
    sample point; 'checked': at every sample point, with ``reason`` saying why no proof went
    through). Otherwise ``status`` is 'false' and ``counterexample`` holds the point, the true
    derivative there and the claimed value; ``derivative_text``/``derivative_latex`` give the
    correct derivative. ``points_used`` lists the sample points (60-digit values, shortened).
    """

    function: str
    claim: str
    wrt: str
    holds: bool
    status: Literal["proved", "checked", "false"]
    verdict: Verdict
    params: dict[str, str] = field(default_factory=dict)
    domains: dict[str, str] = field(default_factory=dict)
    inferred: tuple[str, ...] = ()
    derivative_text: str = ""
    derivative_latex: str = ""
    points_used: tuple[dict[str, str], ...] = ()
    skipped_points: int = 0

    def __bool__(self) -> bool:
        return self.holds

    @property
    def exit_code(self) -> int:
        """0 when the claim holds, 1 when it is false (the command's exit status)."""
        return 0 if self.holds else 1

    @property
    def counterexample(self) -> Counterexample | None:
        """Where the claim fails: the point, the true derivative and the claimed value."""
        return self.verdict.counterexample

    @property
    def points(self) -> int:
        """How many sample points were compared."""
        return self.verdict.points

    @property
    def reason(self) -> str:
        """Why a true claim is only 'checked' (no symbolic proof), or why a claim is false."""
        return self.verdict.reason

    @property
    def not_differentiable(self) -> tuple[dict[str, Any], ...]:
        """The breakpoints where F has no derivative, each a dict: ``point``, ``what`` ('jump', 'kink',
        'infinite slope' or 'undefined'), ``detail``, for a jump the ``cause`` (the function that jumps, e.g.
        'sign'), for a kink the ``subdifferential`` and the claim's ``value`` there (which lies inside it)."""
        return tuple(self.verdict.extra.get("not_differentiable", ()))

    def report(self) -> str:
        """The verdict and its evidence as lines for a terminal."""
        lines = self._true_lines() if self.holds else self._false_lines()
        lines.append("  evidence: " + self._evidence())
        if self.inferred:
            doms = ", ".join(self.domains[v] for v in self.inferred)
            lines.append(f"  domain inferred from F: {doms} (set it with --domain)")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the command's ``--format json``)."""
        cx = self.counterexample
        return {
            "function": self.function,
            "claim": self.claim,
            "wrt": self.wrt,
            "holds": self.holds,
            "status": self.status,
            "params": dict(self.params),
            "domains": dict(self.domains),
            "inferred_domains": list(self.inferred),
            "points": self.points,
            "max_residual": self.verdict.max_residual,
            "skipped_points": self.skipped_points,
            "points_used": [dict(p) for p in self.points_used],
            "methods": list(self.verdict.methods),
            "not_differentiable": [dict(nd) for nd in self.not_differentiable],
            "reason": self.reason,
            "counterexample": asdict(cx) if cx is not None else None,
            "derivative": {"text": self.derivative_text, "latex": self.derivative_latex}
            if self.derivative_text
            else None,
        }

    # ------------------------------------------------------------------ the report's parts
    def _given(self) -> str:
        return "".join(f", {k} = {v}" for k, v in self.params.items())

    def _true_lines(self) -> list[str]:
        lines = [f"TRUE: d/d{self.wrt} [{self.function}] = {self.claim}{self._given()}"]
        if self.status == "proved":
            how = [
                c.method.replace("symbolic (", "symbolically (")
                for c in self.verdict.checks
                if c.status == "proved" and c.method != AT_BREAKPOINT
            ]
            lines.append(f"  proved {'; '.join(dict.fromkeys(how)) or 'symbolically'}")
        else:
            lines.append(f"  checked numerically, not proved ({self.reason})")
        lines += [f"  {_not_differentiable_text(nd)}" for nd in self.not_differentiable]
        exact = [
            c.claim.rpartition(" at ")[2]
            for c in self.verdict.checks
            if c.method == AT_BREAKPOINT and c.detail.startswith("F is differentiable")
        ]
        if exact:
            lines.append(
                f"  exactly at the breakpoint{'s' if len(exact) > 1 else ''} {', '.join(exact)}: "
                f"F is differentiable and the claim gives its derivative"
            )
        return lines

    def _false_lines(self) -> list[str]:
        lines = [f"FALSE: d/d{self.wrt} [{self.function}] is not {self.claim}{self._given()}"]
        cx = self.counterexample
        if cx is not None:
            at = ", ".join(f"{k} = {v}" for k, v in cx.point.items())
            lines.append(f"  counterexample: at {at}, the derivative is {cx.expected} but the claim gives {cx.got}")
        if self.derivative_text:
            lines.append(f"  the derivative is: {self.derivative_text}")
            lines.append(f"  LaTeX: {self.derivative_latex}")
        return lines

    def _evidence(self) -> str:
        v = self.verdict
        if not self.holds and "below the 60-digit gate" in v.reason:
            return v.reason.removeprefix("false claim: ")
        text = self._how_found()
        if self.skipped_points:
            text += f"; {self.skipped_points} points where F is not real were skipped"
        if self.points_used:
            text += f"; {self._points_text()}"
        return text

    def _how_found(self) -> str:
        """How the verdict was reached: the points compared, or how the counterexample was found."""
        v, cx = self.verdict, self.counterexample
        if self.holds:
            return f"compared at {v.points} points with 60-digit arithmetic, largest relative difference {v.max_residual:.1e}"
        if cx is not None and "where the residue of the proof attempt shows" in cx.claim:
            return (
                f"the {v.points} sample points agreed; the proof attempt left a residue, and the verifier found "
                "where it is not zero"
            )
        if cx is not None and ("at a breakpoint" in cx.claim or "at a kink" in cx.claim):
            return f"the {v.points} sample points agreed; exactly on the breakpoint, the claim is wrong"
        if cx is not None and v.points == 0:
            return "found at the first sample point of randomized 60-digit testing"
        return f"{v.points} sample points agreed before this one"

    def _points_text(self) -> str:
        """The range of each variable over the sample points, and the first three points."""
        per: dict[str, list[float]] = {}
        for pt in self.points_used:
            for name, value in pt.items():
                per.setdefault(name, []).append(float(mpmath.mpf(value)))
        ranges = "; ".join(f"{name} from {_g(min(vals))} to {_g(max(vals))}" for name, vals in per.items())
        first = ", ".join(
            "(" + ", ".join(f"{k} = {_g(float(mpmath.mpf(x)))}" for k, x in pt.items()) + ")"
            for pt in self.points_used[:3]
        )
        return f"{ranges}; e.g. {first}"


def _g(v: float) -> str:
    return f"{v:.4g}"


def _not_differentiable_text(nd: Mapping[str, Any]) -> str:
    """One report line for a breakpoint where F has no derivative: 'except at x = 0, where sign jumps'."""
    at = ", ".join(f"{k} = {v}" for k, v in nd.get("point", {}).items())
    what = nd.get("what")
    if what == "jump":
        return f"except at {at}, where {nd.get('cause') or 'F'} jumps (F has no derivative there)"
    if what == "infinite slope":
        return f"except at {at}, where F is not differentiable (its slope is infinite)"
    if what == "undefined":
        return f"except at {at}, where F is not defined"
    lo, hi = nd.get("subdifferential", ("?", "?"))
    value = nd.get("value")
    said = (
        f"the claim gives {value}, inside the subdifferential [{lo}, {hi}]"
        if value is not None
        else (f"the claim gives no value there (the subdifferential is [{lo}, {hi}])")
    )
    return f"at {at}, where F has a kink (it is not differentiable there): {said}"
