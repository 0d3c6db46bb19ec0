"""Published wrong derivatives, stated against the catalog's rules, that the verifier must reject.

Each erratum builds its wrong claim from the rule it contradicts (so it uses the rule's own symbols);
:func:`check` runs the verifier on the rule with that claim and returns the verdict, whose
counterexample shows where the claim fails. The sheet's "Common mistakes" panel is generated from here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp
from sympy.core.parameters import evaluate

from cheatsheet.notation import sigmoid
from cheatsheet.rule import Rule
from cheatsheet.verifier.engine import verify_rule
from cheatsheet.verifier.verdict import Verdict

__all__ = ["ERRATA", "Erratum", "check"]


@dataclass(frozen=True)
class Erratum:
    """A wrong derivative as it is often printed: ``wrong(rule)`` returns it per input name."""

    rule_id: str
    text: str
    wrong: Callable[[Rule], dict[str, sp.Basic]]
    why: str


def _first(rule: Rule) -> sp.Symbol:
    sym = rule.inputs[0].symbol
    assert isinstance(sym, sp.Symbol)
    return sym


def _definition(rule: Rule, name: str) -> sp.Symbol:
    for d in rule.where:
        if str(d.symbol) == name:
            assert isinstance(d.symbol, sp.Symbol)
            return d.symbol
    raise LookupError(f"rule {rule.id!r} has no definition named {name!r}")


def _selu_wrong(rule: Rule) -> dict[str, sp.Basic]:
    x = _first(rule)
    lam, alpha = _definition(rule, "lambda"), _definition(rule, "alpha")
    with evaluate(True):
        f = rule.function
        return {rule.inputs[0].name: sp.Piecewise((lam, x > 0), (lam * (f + alpha), True))}


def _matrix(rule: Rule, build: Callable[[dict[str, sp.Basic]], sp.Basic], wrt: str) -> dict[str, sp.Basic]:
    symbols = {inp.name: inp.symbol for inp in rule.inputs}
    return {wrt: build(symbols)}


ERRATA: tuple[Erratum, ...] = (
    Erratum(
        "softsign",
        "softsign′(x) = 1 − softsign(x)²",
        lambda r: {r.inputs[0].name: 1 - r.function**2},
        "copies tanh′ = 1 − tanh², which does not carry over: softsign′ = 1/(1 + |x|)²",
    ),
    Erratum(
        "tanh",
        "tanh′(x) = −tanh(x)²",
        lambda r: {r.inputs[0].name: -(sp.tanh(_first(r)) ** 2)},
        "drops the 1 of 1 − tanh²",
    ),
    Erratum(
        "sigmoid",
        "σ′(x) = σ(x) − (1 − σ(x))",
        lambda r: {r.inputs[0].name: sigmoid(_first(r)) - (1 - sigmoid(_first(r)))},
        "a difference where the product σ(1 − σ) belongs",
    ),
    Erratum(
        "selu",
        "SELU′(x) = λ(f(x) + α) for x ≤ 0",
        _selu_wrong,
        "f already contains λ, so λ(f + α) multiplies by λ twice; the right form is f(x) + λα",
    ),
    Erratum(
        "trace_ax",
        "∂ tr(AX)/∂X = A",
        lambda r: _matrix(r, lambda s: s["A"], "X"),
        "the numerator-layout answer; in gradient (denominator) layout it is Aᵀ",
    ),
    Erratum(
        "logdet",
        "∂ ln det X/∂X = X⁻¹",
        lambda r: _matrix(r, lambda s: s["X"].inv(), "X"),
        "holds only for symmetric X; in general it is X⁻ᵀ",
    ),
)


def check(erratum: Erratum, rules: Callable[[str], Rule]) -> Verdict:
    """The verifier's verdict on the rule with the erratum's wrong derivative (expected: failed)."""
    rule = rules(erratum.rule_id)
    wrong = erratum.wrong(rule)
    derivative = tuple((w, wrong.get(w, e)) for w, e in rule.derivative)
    stable = tuple((w, e) for w, e in rule.stable_derivative if w not in wrong)
    return verify_rule(dataclasses.replace(rule, derivative=derivative, stable_derivative=stable), prove=False)
