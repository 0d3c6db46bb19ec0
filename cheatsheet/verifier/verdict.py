"""Verdicts and their evidence: what was checked, how, on how many points, and what failed."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["Check", "Counterexample", "Status", "Verdict"]

Status = Literal["proved", "checked", "failed", "unverified"]


@dataclass(frozen=True)
class Counterexample:
    """A point where a claim is false: the inputs, the value it should have and the value claimed."""

    claim: str
    point: dict[str, str]
    expected: str
    got: str

    def describe(self) -> str:
        """One line: 'claim at x = 0.5: expected 0.235, got 0.250'."""
        at = ", ".join(f"{k} = {v}" for k, v in self.point.items())
        return f"{self.claim} at {at}: expected {self.expected}, got {self.got}"


@dataclass(frozen=True)
class Check:
    """One piece of evidence: a claim and how it was established (``proved``, ``checked``, ``failed``)."""

    claim: str
    status: Literal["proved", "checked", "failed"]
    method: str
    detail: str = ""


@dataclass(frozen=True)
class Verdict:
    """The verdict on one rule.

    ``proved``: every claim was proved symbolically (region by region for a piecewise one, every region
    sampled) and passed the numeric gate and the exact check at its breakpoints; ``checked``: every claim
    passed those but at least one symbolic proof did not go through, and the residue it left was sought
    and not found (``reason`` says which claim, why, and where it looked); ``failed``: a claim is false
    (``counterexample``); ``unverified``: the shipped record has no verdict for this version of the rule.
    ``extra["not_differentiable"]`` lists the breakpoints where the function has no derivative (a jump,
    a kink other than a declared one, an infinite slope, a point where it is not defined).
    """

    rule_id: str
    status: Status
    methods: tuple[str, ...] = ()
    points: int = 0
    max_residual: float = 0.0
    seconds: float = 0.0
    reason: str = ""
    counterexample: Counterexample | None = None
    checks: tuple[Check, ...] = ()
    content_hash: str = ""
    verifier_version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the rule may be printed (proved or checked)."""
        return self.status in ("proved", "checked")

    def summary(self) -> str:
        """One line for terminals: status, points, residual and the reason or counterexample."""
        line = f"{self.status}: {self.points} points, max residual {self.max_residual:.1e}"
        if self.counterexample is not None:
            return f"{line}; {self.counterexample.describe()}"
        if self.reason:
            return f"{line}; {self.reason}"
        return line

    def to_dict(self, *, timing: bool = True) -> dict[str, Any]:
        """A JSON-ready dict; ``timing=False`` leaves out the wall time so the output is reproducible."""
        d = asdict(self)
        if not timing:
            d.pop("seconds")
        d["checks"] = [asdict(c) for c in self.checks]
        d["methods"] = list(self.methods)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Verdict:
        """The inverse of :meth:`to_dict`."""
        cx = d.get("counterexample")
        return cls(
            rule_id=d["rule_id"],
            status=d["status"],
            methods=tuple(d.get("methods", ())),
            points=int(d.get("points", 0)),
            max_residual=float(d.get("max_residual", 0.0)),
            seconds=float(d.get("seconds", 0.0)),
            reason=d.get("reason", ""),
            counterexample=Counterexample(**cx) if cx else None,
            checks=tuple(Check(**c) for c in d.get("checks", ())),
            content_hash=d.get("content_hash", ""),
            verifier_version=d.get("verifier_version", ""),
            extra=dict(d.get("extra", {})),
        )
