"""The "Common mistakes" panel: published wrong derivatives, each rejected by the verifier now.

:func:`mistakes` runs every erratum of :mod:`cheatsheet.verifier.errata` through the verifier
(:func:`cheatsheet.verifier.errata.check`) and prints the wrong formula beside the right one, why it is wrong,
and the counterexample: the verifier's point rounded to as few digits as keep the claim visibly false, with
both derivatives re-evaluated exactly at the rounded point (so that the three printed numbers agree with
each other). The panel prints only what the verifier refuted: an erratum it does not reject stops the build.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from cheatsheet.examples.numbers import Value, number, positive_first
from cheatsheet.printing.latex import latex
from cheatsheet.rule import Rule
from cheatsheet.sheet import Formula, card

if TYPE_CHECKING:
    from cheatsheet.verifier.errata import Erratum

__all__ = ["Mistake", "MistakesPanel", "mistakes"]


@dataclass(frozen=True)
class Mistake:
    """A published wrong derivative with the counterexample the verifier finds now.

    ``function``: the rule's function; ``wrong``/``correct``: the erratum's claim and the rule's derivative,
    with the same left-hand side; ``why``: the erratum's explanation; ``where``: which entry failed (for
    matrix rules, e.g. "entry (1,2) at m = 2, n = 2"); ``point``: the counterexample's inputs rounded to a few
    digits (LaTeX, and ``point_text`` in plain text), ``expected`` the true derivative and ``claimed`` the wrong
    formula's value *at the rounded point* (re-evaluated exactly through the rules, so the three numbers agree
    with each other); ``found``: the verifier's own counterexample line, unrounded.
    """

    rule_id: str
    title: str
    text: str
    function: Formula
    wrong: Formula
    correct: Formula
    why: str
    where: str
    point: Formula
    point_text: str
    expected: str
    claimed: str
    found: str


@dataclass(frozen=True)
class MistakesPanel:
    """Every erratum of :mod:`cheatsheet.verifier.errata`, each rejected by the verifier, with its counterexample."""

    mistakes: tuple[Mistake, ...]


_ENTRY = re.compile(r"\(([^)]*=[^)]*)\)\s*\[(\d+),(\d+)\]")  # "∂/∂X (m=2, n=2) [1,2]": the sizes, the entry


# ------------------------------------------------------------------------------------ the counterexample
def _point_values(rule: Rule, point: dict[str, str]) -> dict[str, Any]:
    """The counterexample's inputs (and parameters) by keyword: floats, matrices gathered from A_11, A_12 ..."""
    values: dict[str, Any] = {}
    for inp in rule.inputs:
        name = str(inp.symbol)
        if inp.shape == "matrix":
            values[inp.name] = _matrix_of(rule, point, name)
        else:
            values[inp.name] = float(point[inp.name] if inp.name in point else point[name])
    for p in rule.params:
        if p.name in point and not p.is_choice:
            values[p.name] = float(point[p.name])
    return values


def _matrix_of(rule: Rule, point: dict[str, str], name: str) -> np.ndarray:
    """The matrix ``name`` of the counterexample, gathered from its entries ``name_ij``."""
    entries: dict[tuple[int, int], float] = {}
    for k, v in point.items():
        m = re.fullmatch(rf"{re.escape(name)}_(\d)(\d)", k)
        if m:
            entries[(int(m.group(1)), int(m.group(2)))] = float(v)
    if not entries:
        raise LookupError(f"{rule.id}: the counterexample {point} has no entries of {name}")
    rows, cols = max(i for i, _ in entries), max(j for _, j in entries)
    return np.array([[entries[(i, j)] for j in range(1, cols + 1)] for i in range(1, rows + 1)])


def _round(values: dict[str, Any], digits: int) -> dict[str, Any]:
    return {
        k: np.vectorize(lambda v: float(f"{v:.{digits}g}"))(v)
        if isinstance(v, np.ndarray)
        else float(f"{v:.{digits}g}")
        for k, v in values.items()
    }


def _at(rule: Rule, values: dict[str, Any], wrt: str, entry: tuple[int, int] | None) -> float:
    """The derivative w.r.t. ``wrt`` at ``values``, exactly (mpmath), as a float (one entry of a matrix gradient)."""
    out = rule.derivative_at(wrt=wrt, exact=True, **values)
    if entry is not None:
        out = np.asarray(out, dtype=object)[entry[0] - 1, entry[1] - 1]
    return float(out)


def _rounded_counterexample(
    rule: Rule, wrong_rule: Rule, wrt: str, values: dict[str, Any], entry: tuple[int, int] | None
) -> tuple[dict[str, Any], int, float, float] | None:
    """The point rounded to as few significant digits (4 at least) as keep the claim visibly false there."""
    for digits in (4, 6, 8, 10):
        point = _round(values, digits)
        try:
            expected, claimed = _at(rule, point, wrt, entry), _at(wrong_rule, point, wrt, entry)
        except (ValueError, ZeroDivisionError, TypeError):
            continue
        if abs(expected - claimed) > 1e-3 * max(1.0, abs(expected)):
            return point, digits, expected, claimed
    return None


def _point_formula(rule: Rule, values: dict[str, Any], digits: int, key: str) -> tuple[Formula, str]:
    tex, text = [], []
    for inp in rule.inputs:
        val = Value.of(values[inp.name], digits)
        tex.append(f"{latex(inp.symbol)} = {val.tex}")
        name = str(inp.symbol)
        text.append(f"{name} = {val.text}")
    for p in rule.params:
        if p.name in values and p.symbol is not None:
            val = Value.of(values[p.name], digits)
            tex.append(f"{latex(p.symbol)} = {val.tex}")
            text.append(f"{p.name} = {val.text}")
    return Formula(f"{key}-point", r",\ ".join(tex), "panel"), ", ".join(text)


# ------------------------------------------------------------------------------------ the panel
def _wrong_rule(rule: Rule, wrong: dict[str, Any]) -> Rule:
    """``rule`` with the erratum's derivatives in place of its own (and no stable form of those)."""
    import dataclasses

    return dataclasses.replace(
        rule,
        derivative=tuple((w, wrong.get(w, c)) for w, c in rule.derivative),
        stable_derivative=tuple((w, c) for w, c in rule.stable_derivative if w not in wrong),
    )


def _mistake(e: Erratum, get: Callable[[str], Rule]) -> Mistake:
    """One erratum, checked now, with its counterexample (raises when the verifier does not reject it)."""
    from cheatsheet.verifier import errata

    rule = get(e.rule_id)
    verdict = errata.check(e, get)
    if verdict.status != "failed" or verdict.counterexample is None:  # the panel prints only what was refuted
        raise RuntimeError(f"erratum {e.rule_id!r} ({e.text}) was not rejected by the verifier: {verdict.summary()}")
    cx = verdict.counterexample
    # printed with its negative terms last (2σ(x) − 1): the same expression the verifier refuted
    wrong = {w: positive_first(c) for w, c in e.wrong(rule).items()}
    wrong_rule = _wrong_rule(rule, wrong)
    good, bad = card(rule, rule.verdict), card(wrong_rule, verdict)
    wrt = next(iter(wrong))
    key = f"mistake-{rule.id}"
    pick = {f.key.rsplit("-d-", 1)[-1]: f.tex for f in good.of_role("derivative")}
    pick_bad = {f.key.rsplit("-d-", 1)[-1]: f.tex for f in bad.of_role("derivative")}
    m = _ENTRY.search(cx.claim)
    entry = (int(m.group(2)), int(m.group(3))) if m else None
    where = f"entry ({m.group(2)},{m.group(3)}) at {m.group(1).replace('=', ' = ')}" if m else ""
    raw = _point_values(rule, cx.point)
    found = _rounded_counterexample(rule, wrong_rule, wrt, raw, entry)
    if found is None:  # never seen: print the verifier's own numbers
        point, digits, expected, claimed = raw, 12, float(cx.expected), float(cx.got)
    else:
        point, digits, expected, claimed = found
    formula, text = _point_formula(rule, point, digits, key)
    return Mistake(
        rule_id=rule.id,
        title=rule.title,
        text=e.text,
        function=Formula(f"{key}-f", good.of_role("function")[0].tex, "panel"),
        wrong=Formula(f"{key}-wrong", pick_bad[wrt], "panel"),
        correct=Formula(f"{key}-correct", pick[wrt], "panel"),
        why=e.why,
        where=where,
        point=formula,
        point_text=text,
        expected=number(expected),
        claimed=number(claimed),
        found=cx.describe(),
    )


def mistakes(rules: Callable[[str], Rule] | None = None) -> MistakesPanel:
    """Every erratum of :mod:`cheatsheet.verifier.errata`, checked now, with the counterexample of each."""
    import cheatsheet
    from cheatsheet.verifier import errata

    get = rules or cheatsheet.get
    return MistakesPanel(tuple(_mistake(e, get) for e in errata.ERRATA))
