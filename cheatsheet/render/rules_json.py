"""The JSON export of the rule table: every rule as data (LaTeX, sympy text, conventions, verdict).

The output is reproducible: rules keyed (and so sorted) by id, lists in declaration order, sorted keys,
no wall times, ``ensure_ascii=False`` and a trailing newline, so that the same catalog and record give
the same bytes. Its structure is described by the JSON Schema in ``cheatsheet/data/rules.schema.json``
(draft 2020-12), whose ``schema_version`` the export states.

>>> from cheatsheet.render.rules_json import rule_table
>>> rule_table()["rules"]["exp"]["derivatives"][0]["latex"]
'e^{x}'
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import sympy as sp

from cheatsheet.printing.latex import latex
from cheatsheet.rule import Definition, Identity, Input, Kink, Param, Rule
from cheatsheet.verifier.verdict import Verdict

__all__ = ["SCHEMA_PATH", "SCHEMA_VERSION", "export_json", "expression", "rule_entry", "rule_table", "schema"]

#: Version of the export's structure; bump it (and the schema) when a field changes meaning or goes away.
SCHEMA_VERSION = "1.0"
#: The JSON Schema (draft 2020-12) that every export validates against.
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "data" / "rules.schema.json"


def expression(expr: Any) -> dict[str, str]:
    """A sympy object as ``{"latex", "str", "srepr"}``: the textbook LaTeX, sympy's text and its exact form."""
    e = sp.sympify(expr)
    return {"latex": latex(e), "str": str(e), "srepr": sp.srepr(e)}


def _input(inp: Input) -> dict[str, Any]:
    return {
        "name": inp.name,
        "symbol": expression(inp.symbol),
        "shape": inp.shape,
        "domain": expression(inp.domain),
        "simplex": inp.simplex,
        "class_index": inp.class_index,
        "doc": inp.doc,
    }


def _param(p: Param) -> dict[str, Any]:
    if p.is_choice:
        return {
            "name": p.name,
            "kind": "choice",
            "default": str(p.default),
            "default_float": None,
            "symbol": None,
            "domain": None,
            "choices": [str(c) for c in p.choices],
            "samples": [str(s) for s in p.samples],
            "doc": p.doc,
        }
    default = sp.sympify(p.default)
    return {
        "name": p.name,
        "kind": "number",
        "default": str(default),
        "default_float": float(default),
        "symbol": expression(p.symbol),
        "domain": expression(p.domain),
        "choices": [],
        "samples": [str(sp.sympify(s)) for s in p.samples],
        "doc": p.doc,
    }


def _definition(d: Definition) -> dict[str, Any]:
    return {
        "symbol": expression(d.symbol),
        "value": expression(d.value),
        "stable": expression(d.stable) if d.stable is not None else None,
        "text": d.text,
    }


def _kink(rule: Rule, kk: Kink) -> dict[str, Any]:
    # The interval's ends are [min, max] for every parameter value (min(α, 1) where the order depends on α).
    lo, hi = kk.subdifferential(rule)
    return {
        "wrt": kk.wrt or rule.inputs[0].name,
        "at": expression(kk.at),
        "given": [{"symbol": expression(sym), "value": expression(value)} for sym, value in kk.given],
        "left": expression(kk.left),
        "right": expression(kk.right),
        "subdifferential": [expression(lo), expression(hi)],
        "torch": expression(kk.torch),
        "jax": expression(kk.jax) if kk.jax is not None else None,
        "jump": kk.jump,
        "note": kk.note,
    }


def _identity(ident: Identity) -> dict[str, Any]:
    return {
        "lhs": expression(ident.lhs),
        "relation": ident.relation,
        "rhs": expression(ident.rhs),
        "note": ident.note,
        "domains": [{"symbol": expression(s), "domain": expression(d)} for s, d in ident.domains],
    }


def _verdict(v: Verdict) -> dict[str, Any]:
    """The verdict and its evidence, without the wall time (so that the export is reproducible)."""
    cx = v.counterexample
    return {
        "status": v.status,
        "methods": list(v.methods),
        "points": v.points,
        "max_residual": v.max_residual,
        "reason": v.reason,
        "counterexample": (
            {"claim": cx.claim, "point": dict(cx.point), "expected": cx.expected, "got": cx.got} if cx else None
        ),
        "checks": [{"claim": c.claim, "status": c.status, "method": c.method, "detail": c.detail} for c in v.checks],
        "content_hash": v.content_hash,
        "verifier_version": v.verifier_version,
    }


def rule_entry(rule: Rule, verdict: Verdict | None = None) -> dict[str, Any]:
    """One rule as a JSON-ready dict; ``verdict`` defaults to the shipped record's (``rule.verdict``)."""
    stable = rule.stable_derivatives
    return {
        "id": rule.id,
        "title": rule.title,
        "family": rule.family,
        "shape": rule.shape,
        "vector_output": rule.vector_output,
        "general": rule.is_general,
        "layout": rule.layout,
        "reduction": rule.reduction,
        "inputs": [_input(inp) for inp in rule.inputs],
        "params": [_param(p) for p in rule.params],
        "function": expression(rule.function),
        "stable": expression(rule.stable) if rule.stable is not None else None,
        "derivatives": [
            {
                "wrt": wrt,
                **expression(expr),
                "stable": expression(stable[wrt]) if wrt in stable else None,
            }
            for wrt, expr in rule.derivatives.items()
        ],
        "where": [_definition(d) for d in rule.where],
        "kinks": [_kink(rule, kk) for kk in rule.kinks],
        "identities": [_identity(ident) for ident in rule.identities],
        "examples": [
            [{"function": str(f), "lambda": expression(lam)} for f, lam in example] for example in rule.examples
        ],
        "notes": list(rule.notes),
        "references": list(rule.references),
        "torch": rule.torch,
        "torch_kwargs": {name: str(value) for name, value in rule.torch_kwargs},
        "jax": rule.jax,
        "derivation": _derivation(rule),
        "verdict": _verdict(verdict if verdict is not None else rule.verdict),
    }


def _derivation(rule: Rule) -> dict[str, Any] | None:
    d = rule.derivation
    if d is None:
        return None
    return {
        "wrt": d.wrt,
        "direction": expression(d.direction) if d.direction is not None else None,
        "steps": [{"kind": st.kind, "why": st.why, **expression(st.expr)} for st in d.steps],
    }


def rule_table(
    rules: Iterable[Rule] | None = None,
    verdicts: Iterable[Verdict] | None = None,
    *,
    entry: Callable[[Rule, Verdict | None], dict[str, Any]] = rule_entry,
) -> dict[str, Any]:
    """The whole export as a dict: package version, catalog fingerprint, families, sheet order, rules by id.

    ``rules`` defaults to the whole catalog; ``verdicts`` (matched by rule id, e.g. fresh from
    :func:`cheatsheet.verifier.runner.verify_many`) replace the shipped record's for their rules.
    ``entry`` makes each rule's entry (:func:`rule_entry`; the build passes a cached one).
    """
    import cheatsheet
    from cheatsheet.verifier.hashing import VERIFIER_VERSION, catalog_fingerprint

    selected = list(cheatsheet.rules() if rules is None else rules)
    fresh = {v.rule_id: v for v in verdicts or ()}
    return {
        "schema_version": SCHEMA_VERSION,
        "package": "cheatsheet",
        "version": cheatsheet.__version__,
        "verifier_version": VERIFIER_VERSION,
        "catalog_fingerprint": catalog_fingerprint(selected),
        "families": [{"id": fid, "title": title} for fid, title in cheatsheet.families().items()],
        "order": [r.id for r in selected],
        "rules": {r.id: entry(r, fresh.get(r.id)) for r in sorted(selected, key=lambda r: r.id)},
    }


def export_json(
    rules: Iterable[Rule] | None = None,
    verdicts: Iterable[Verdict] | None = None,
    *,
    entry: Callable[[Rule, Verdict | None], dict[str, Any]] = rule_entry,
) -> str:
    """The export's text (see :func:`rule_table`): deterministic, sorted keys, no timings, a trailing newline."""
    return json.dumps(rule_table(rules, verdicts, entry=entry), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of :func:`export_json`'s output."""
    data: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return data
