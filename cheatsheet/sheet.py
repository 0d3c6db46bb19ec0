"""The sheet as data: one card per rule, every formula as textbook LaTeX with its left-hand side,
independent of the output format (PDF, HTML, LaTeX, Markdown all render these cards).

Nothing here is typed by hand: left-hand sides come from the rule's inputs and shape, right-hand sides
from the verified expressions, kink lines from the Kink data.

Where it sits: after :mod:`cheatsheet.printing` (it prints with its LaTeX printer) and the verifier
(cards carry verdicts), before :mod:`cheatsheet.examples` (worked examples build their formulas as
:class:`Formula` objects and their "common mistakes" from :func:`card`) and before :mod:`cheatsheet.render`
(every output format renders these cards; :mod:`cheatsheet.render.panels` turns the examples into cards).
So the dependencies point one way: sheet <- examples <- render.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from cheatsheet.notation import Notation
from cheatsheet.printing.latex import latex
from cheatsheet.rule import FAMILIES, Rule
from cheatsheet.verifier.verdict import Verdict

__all__ = ["Card", "Formula", "Section", "cards", "sections"]


@dataclass(frozen=True)
class Formula:
    """One formula to typeset: ``key`` is unique on the sheet (used as the id prefix of its SVG)."""

    key: str
    tex: str
    role: str  # 'function', 'derivative', 'numerator', 'where', 'kink', 'identity', 'param', 'step'


@dataclass(frozen=True)
class Card:
    """Everything printed for one rule."""

    id: str
    title: str
    family: str
    formulas: tuple[Formula, ...]
    notes: tuple[str, ...]
    references: tuple[str, ...]
    params: tuple[tuple[str, str], ...]  # (PyTorch name, LaTeX "α = 0.01")
    status: str
    evidence: str
    torch: str | None
    layout: str
    scalar_plot: bool
    torch_conforms: bool
    step_reasons: tuple[str, ...] = ()
    kind: str = "rule"  # 'rule', 'derivation' (the steps of a rule's derivation), 'panel' (a worked example)
    panel: str = ""  # which panel (templates/panels.html.j2)
    data: Any = field(default=None, compare=False)  # the panel's data (cheatsheet.examples)
    verdict: Verdict = field(compare=False, default=None)  # type: ignore[assignment]

    def of_role(self, role: str) -> tuple[Formula, ...]:
        """The formulas of one role, in order."""
        return tuple(f for f in self.formulas if f.role == role)


@dataclass(frozen=True)
class Section:
    """A family: its id, title and cards."""

    id: str
    title: str
    cards: tuple[Card, ...]


def _name(rule: Rule) -> str:
    """The printed name of the function: its notation (σ) when it is one, ℓ for losses, else f."""
    if isinstance(rule.function, Notation) and len(rule.function.args) == 1:
        return type(rule.function).latex_name
    return r"\ell" if rule.family == "loss" else "f"


def _args(rule: Rule) -> str:
    return ", ".join(latex(inp.symbol) for inp in rule.inputs if not inp.class_index)


def _lhs_function(rule: Rule) -> str:
    name = _name(rule)
    if rule.vector_output:
        return f"{name}_{{i}}({_args(rule)})"
    return f"{name}({_args(rule)})"


def _lhs_derivative(rule: Rule, wrt: str) -> str:
    name = _name(rule)
    inp = rule.input(wrt)
    var = latex(inp.symbol)
    if rule.shape == "matrix":
        return rf"\frac{{\partial {name}}}{{\partial {var}}}"
    if rule.shape == "vector":
        top = f"{name}_{{i}}" if rule.vector_output else name
        bottom = var
        if inp.shape == "vector":
            bottom = f"{var}_{{j}}" if rule.vector_output else f"{var}_{{i}}"
        return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"
    scalars = [x for x in rule.inputs if not x.class_index]
    if len(scalars) == 1:
        return f"{name}^{{\\prime}}({var})"
    return rf"\frac{{\partial {name}}}{{\partial {var}}}"


def _general_formula(rule: Rule, wrt: str, claim: sp.Basic) -> str:
    var = latex(rule.input(wrt).symbol)
    return rf"\frac{{d}}{{d{var}}}\left[{latex(rule.function)}\right] = {latex(claim)}"


def _used_definitions(rule: Rule) -> list[int]:
    """Indices of the definitions the printed formulas use (directly or through another definition)."""
    printed = [sp.sympify(rule.function)] + [sp.sympify(e) for e in rule.derivatives.values()]
    printed += [sp.sympify(k.at) for k in rule.kinks] + [sp.sympify(k.torch) for k in rule.kinks]
    used: list[int] = []
    changed = True
    while changed:
        changed = False
        for idx, d in enumerate(rule.where):
            if idx in used:
                continue
            base = d.symbol.base if isinstance(d.symbol, sp.Indexed) else d.symbol
            if any(e.has(base) for e in printed):
                used.append(idx)
                printed.append(sp.sympify(d.value))
                changed = True
    return sorted(used)


def _definition_tex(rule: Rule, idx: int) -> str:
    d = rule.where[idx]
    return f"{latex(d.symbol)} = {latex(d.value)}"


def _kink_tex(rule: Rule, k_idx: int) -> str:
    kink = rule.kinks[k_idx]
    wrt = kink.wrt or rule.inputs[0].name
    var = latex(rule.input(wrt).symbol)
    parts = [rf"\text{{PyTorch }} {latex(kink.torch)}"]
    if kink.jax is not None:
        parts.append(rf"\text{{JAX }} {latex(kink.jax)}")
    if kink.jump:
        parts.append(r"\text{(jump)}")
    else:
        lo, hi = kink.subdifferential(rule)
        parts.append(rf"\partial = [{latex(lo)}, {latex(hi)}]")
    given = "".join(rf",\ {latex(sym)} = {latex(value)}" for sym, value in kink.given)
    return rf"{var} = {latex(kink.at)}{given}{{:}}\ " + r",\ ".join(parts)


def _identity_tex(rule: Rule, idx: int) -> str:
    ident = rule.identities[idx]
    rel = {"=": "=", "<=": r"\le", ">=": r"\ge"}[ident.relation]
    return f"{latex(ident.lhs)} {rel} {latex(ident.rhs)}"


def _param_tex(rule: Rule) -> tuple[tuple[str, str], ...]:
    out = []
    for p in rule.params:
        if p.is_choice:
            out.append((p.name, rf"\text{{'{p.default}'}}"))
        else:
            assert p.symbol is not None
            out.append((p.name, f"{latex(p.symbol)} = {latex(sp.sympify(p.default))}"))
    return tuple(out)


def _evidence(v: Verdict) -> str:
    if v.status == "proved":
        how = ", ".join(m for m in v.methods if m.startswith("symbolic") or m in ("kink conventions", "identities"))
        return f"proved ({how}); {v.points} points at 50 digits, max residual {v.max_residual:.0e}"
    if v.status == "checked":
        return f"checked numerically: {v.points} points at 50 digits, max residual {v.max_residual:.0e}; not proved: {v.reason}"
    return v.summary()


def _numerator_formulas(rule: Rule) -> list[Formula]:
    """The numerator-layout form beside the denominator one: the transpose, printed from the claim."""
    out = []
    for wrt, claim in rule.derivatives.items():
        if isinstance(sp.sympify(claim), sp.MatrixExpr) and sp.sympify(claim).shape != (1, 1):
            with sp.evaluate(True):
                numerator = sp.Transpose(sp.sympify(claim)).doit()
            var = latex(rule.input(wrt).symbol)
            lhs = _lhs_derivative(rule, wrt).replace(r"\partial " + var, r"\partial " + var + r"^{\top}")
            out.append(Formula(f"{rule.id}-n-{wrt}", f"{lhs} = {latex(numerator)}", "numerator"))
    return out


def card(rule: Rule, verdict: Verdict) -> Card:
    """The card of one rule."""
    formulas: list[Formula] = []
    rid = rule.id
    if rule.is_general:
        for wrt, claim in rule.derivatives.items():
            formulas.append(Formula(f"{rid}-d-{wrt}", _general_formula(rule, wrt, claim), "derivative"))
    else:
        rhs = rule.function
        if isinstance(rhs, Notation) and len(rhs.args) == 1:
            rhs = type(rhs).definition(*rhs.args)
        formulas.append(Formula(f"{rid}-f", f"{_lhs_function(rule)} = {latex(rhs)}", "function"))
        for wrt, claim in rule.derivatives.items():
            formulas.append(Formula(f"{rid}-d-{wrt}", f"{_lhs_derivative(rule, wrt)} = {latex(claim)}", "derivative"))
        if rule.shape == "matrix" and rule.layout:
            formulas += _numerator_formulas(rule)
    for idx in _used_definitions(rule):
        formulas.append(Formula(f"{rid}-w{idx}", _definition_tex(rule, idx), "where"))
    for idx in range(len(rule.kinks)):
        formulas.append(Formula(f"{rid}-k{idx}", _kink_tex(rule, idx), "kink"))
    for idx in range(len(rule.identities)):
        formulas.append(Formula(f"{rid}-i{idx}", _identity_tex(rule, idx), "identity"))
    params = _param_tex(rule)
    for idx, (_, tex) in enumerate(params):
        formulas.append(Formula(f"{rid}-p{idx}", tex, "param"))
    steps = _derivation_steps(rule)
    formulas += [f for f, _ in steps]
    scalar_plot = (
        rule.shape == "scalar" and not rule.is_general and len([x for x in rule.inputs if not x.class_index]) == 1
    )
    return Card(
        id=rid,
        title=rule.title,
        family=rule.family,
        formulas=tuple(formulas),
        notes=rule.notes,
        references=rule.references,
        params=params,
        status=verdict.status,
        evidence=_evidence(verdict),
        torch=rule.torch,
        layout=rule.layout,
        scalar_plot=scalar_plot,
        torch_conforms=verdict.extra.get("torch", {}).get("status") == "conforms",
        step_reasons=tuple(why for _, why in steps),
        verdict=verdict,
    )


def _derivation_steps(rule: Rule) -> list[tuple[Formula, str]]:
    """The derivation as printed lines: the first with its left-hand side (d/dx f, or df), then "= ..."."""
    d = rule.derivation
    if d is None:
        return []
    out: list[tuple[Formula, str]] = []
    differential = any(st.kind != "equal" for st in d.steps)
    name = _name(rule)
    for k, st in enumerate(d.steps):
        body = latex(st.expr)
        if st.kind == "gradient":
            tex = f"{_lhs_derivative(rule, d.wrt)} = {body}"
        elif k == 0:
            lhs = rf"d{name}" if differential else _lhs_derivative(rule, d.wrt)
            tex = f"{lhs} = {body}"
        else:
            tex = f"= {body}"
        out.append((Formula(f"{rule.id}-s{k}", tex, "step"), st.why))
    return out


def cards(rules: Sequence[Rule], verdicts: Sequence[Verdict]) -> list[Card]:
    """Cards in catalog order."""
    return [card(r, v) for r, v in zip(rules, verdicts, strict=True)]


def derivation_card(c: Card) -> Card:
    """The derivation of a rule as a card of its own (the PDF prints derivations in their own section)."""
    return dataclasses.replace(
        c,
        id=f"{c.id}-derivation",
        kind="derivation",
        formulas=tuple(f for f in c.formulas if f.role == "step"),
        notes=(),
        params=(),
    )


def sections(all_cards: Sequence[Card], extra: Sequence[Section] = (), *, derivations: bool = True) -> list[Section]:
    """Cards grouped by family in the sheet's order (empty families left out), then a "Derivations"
    section with every rule's derivation, then ``extra`` sections (worked examples, panels)."""
    out = []
    for fam, title in FAMILIES.items():
        group = tuple(c for c in all_cards if c.family == fam)
        if group:
            out.append(Section(fam, title, group))
    derived = tuple(derivation_card(c) for c in all_cards if c.step_reasons)
    if derived and derivations:
        out.append(Section("derivations", "Derivations, every step checked", derived))
    return out + list(extra)
