"""cheatsheet: a machine-checked derivative reference for machine learning.

>>> import cheatsheet
>>> r = cheatsheet.get("sigmoid")
>>> round(r.derivative_at(0.0), 6)
0.25

Importing is fast and verifies nothing: verdicts come from the verification record shipped with the
package (refreshed by ``cheatsheet verify``). sympy and the catalog load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "FAMILIES",
    "Rule",
    "UnknownRuleError",
    "Verdict",
    "__version__",
    "check",
    "families",
    "get",
    "rules",
    "verify",
]

if TYPE_CHECKING:
    from cheatsheet.checking.check_result import CheckResult
    from cheatsheet.rule import FAMILIES, Rule
    from cheatsheet.verifier.verdict import Verdict


class UnknownRuleError(KeyError):
    """No rule has this id; the message suggests the closest ids."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def rules(family: str | None = None) -> list[Rule]:
    """All rules in the sheet's order, or those of one ``family`` (see :func:`families`)."""
    from cheatsheet.catalog import load
    from cheatsheet.names import did_you_mean
    from cheatsheet.rule import FAMILIES

    if family is not None and type(family) is not str:
        raise TypeError(f"rules: expected a family id as text such as 'activation', got {type(family).__name__}")
    if family is not None and family not in FAMILIES:
        raise ValueError(
            f"unknown family {family!r}; families are {list(FAMILIES)}.{did_you_mean(family, list(FAMILIES))}"
        )
    return [r for r in load() if family is None or r.family == family]


def get(rule_id: str) -> Rule:
    """The rule with this id; an unknown id raises :class:`UnknownRuleError` naming close ids."""
    from cheatsheet.catalog import load
    from cheatsheet.names import close_names

    if type(rule_id) is not str:
        raise TypeError(f"get: expected a rule id as text such as 'sigmoid', got {type(rule_id).__name__}")
    for r in load():
        if r.id == rule_id:
            return r
    close = close_names(rule_id, [r.id for r in load()], n=3)
    hint = f" Did you mean {close[0]!r}?" if close else " Run `cheatsheet list` to see the ids."
    if len(close) > 1:
        hint = f" Did you mean {close[0]!r}? (or {', '.join(map(repr, close[1:]))})"
    raise UnknownRuleError(f"no rule {rule_id!r}.{hint}")


def families() -> dict[str, str]:
    """Family id -> section title, in the sheet's order."""
    from cheatsheet.rule import FAMILIES

    return dict(FAMILIES)


def verify(ids: list[str] | None = None, *, jobs: int = 1, use_cache: bool = True) -> list[Verdict]:
    """Run the verifier on the given rules (default: all) and return their verdicts."""
    from cheatsheet.verifier.runner import verify_many

    selected = rules() if not ids else [get(i) for i in ids]
    return verify_many(selected, jobs=jobs, use_cache=use_cache)


def check(f: str, claim: str, wrt: str | None = None, **params: Any) -> CheckResult:
    """Is ``claim`` the derivative of ``f`` w.r.t. ``wrt``? Text in the safe grammar; ``params`` are
    exact numbers for symbols (``a=2``). Returns a verdict with its evidence (see :mod:`cheatsheet.checking.claim`).

    >>> cheatsheet.check("sigmoid(x)", "sigmoid(x)*(1 - sigmoid(x))").holds  # doctest: +SKIP
    True
    """
    from cheatsheet.checking.claim import check as _check

    return _check(f, claim, wrt, **params)


def __getattr__(name: str) -> Any:
    if name in ("Rule", "FAMILIES"):
        from cheatsheet import rule

        return getattr(rule, name)
    if name == "Verdict":
        from cheatsheet.verifier.verdict import Verdict

        return Verdict
    raise AttributeError(f"module 'cheatsheet' has no attribute {name!r}")
