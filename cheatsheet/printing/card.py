"""The plain-text rule card: one rule as ``cheatsheet show`` prints it in a terminal.

Formulas (through a printer: Unicode text by default, or the LaTeX the sheet typesets), definitions,
inputs and parameters in columns, kink conventions, identities, notes, references and the verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy as sp

from cheatsheet.printing.text import text, text_set
from cheatsheet.rule import FAMILIES, Rule

__all__ = ["describe"]


def describe(rule: Rule, printer: Callable[[Any], str] | None = None) -> str:
    """A rule as plain text for a terminal; ``printer`` prints the formulas (default: :func:`text`)."""
    show_ = printer or text
    inputs = rule.inputs
    args = ", ".join(show_(inp.symbol) for inp in inputs)
    lines = [f"{rule.id}: {rule.title}", f"{FAMILIES[rule.family]} (family {rule.family!r}), {rule.shape} rule", ""]

    # The formulas, labelled the way the sheet reads them.
    if rule.is_general:
        var = show_(inputs[0].symbol)
        lines.append(f"  d/d{var} [{show_(rule.function)}] = " + show_(next(iter(rule.derivatives.values()))))
    else:
        f = "f_i" if rule.vector_output else "f"
        lines.append(f"  {f}({args}) = {show_(rule.function)}")
        for wrt, expr in rule.derivatives.items():
            inp = rule.input(wrt)
            sym = show_(inp.symbol)
            if inp.shape == "vector":
                label = f"∂{f}/∂{sym}_j" if rule.vector_output else f"∂{f}/∂{sym}_i"
            else:
                label = f"∂{f}/∂{sym}"
            tag = f"   (w.r.t. {wrt})" if len(rule.derivatives) > 1 and wrt != sym else ""
            lines.append(f"  {label} = {show_(expr)}{tag}")
    if rule.layout:
        lines.append(f"  ({rule.layout} layout: the gradient has the shape of the input)")
    for d in rule.where:
        text_ = f"   [{d.text}]" if d.text else ""
        lines.append(f"  where {show_(d.symbol)} = {show_(d.value)}{text_}")

    lines += ["", "inputs"]
    lines += _columns([[f"{inp.name}:", _input_text(inp, show_), inp.doc] for inp in inputs])
    if rule.params:
        lines += ["", "parameters (PyTorch's names and defaults)"]
        rows = []
        for p in rule.params:
            if p.is_choice:
                rows.append([f"{p.name} = {p.default!r}", "one of " + ", ".join(map(repr, p.choices)), p.doc])
            else:
                default = sp.sympify(p.default)
                num = f" ({float(default):g})" if not default.is_Integer else ""
                rows.append([f"{p.name} = {show_(default)}{num}", f"{show_(p.symbol)} ∈ {text_set(p.domain)}", p.doc])
        lines += _columns(rows)
    if rule.kinks:
        lines += ["", "kinks (conventions where the derivative jumps)"]
        for kk in rule.kinks:
            wrt = kk.wrt or inputs[0].name
            lo, hi = kk.subdifferential(rule)
            given = "".join(f", {show_(sym)} = {show_(value)}" for sym, value in kk.given)
            at = f"at {show_(rule.input(wrt).symbol)} = {show_(kk.at)}{given}"
            conv = f"PyTorch {show_(kk.torch)}" + (f", JAX {show_(kk.jax)}" if kk.jax is not None else "")
            sides = f"left {show_(kk.left)}, right {show_(kk.right)}"
            if kk.jump:
                lines.append(f"  {at}: {conv}; {sides}; the function jumps here (no derivative)")
            else:
                lines.append(f"  {at}: {conv}, subdifferential [{show_(lo)}, {show_(hi)}] ({sides})")
            if kk.note:
                lines.append(f"      {kk.note}")
    if rule.identities:
        lines += ["", "identities (checked)"]
        rel = {"=": "=", "<=": "≤", ">=": "≥"}
        for ident in rule.identities:
            note = f"   ({ident.note})" if ident.note else ""
            lines.append(f"  {show_(ident.lhs)} {rel[ident.relation]} {show_(ident.rhs)}{note}")
    if rule.notes:
        lines += ["", "notes"] + [f"  - {note}" for note in rule.notes]
    if rule.references:
        lines += ["", "references"] + [f"  - {ref}" for ref in rule.references]
    if rule.torch:
        kwargs = "".join(f", {k}={v}" for k, v in rule.torch_kwargs)
        lines += ["", f"PyTorch: {rule.torch}{' (with' + kwargs[1:] + ')' if kwargs else ''}"]

    v = rule.verdict
    lines += ["", f"verdict: {v.summary()}" if v.status != "unverified" else f"verdict: unverified: {v.reason}"]
    if v.methods:
        lines.append("  methods: " + ", ".join(v.methods))
    for c in v.checks:
        detail = f" ({c.detail})" if c.detail else ""
        lines.append(f"  {c.status:8s} {c.claim}: {c.method}{detail}")
    return "\n".join(lines)


def _columns(rows: list[list[str]]) -> list[str]:
    """Rows of cells, left-aligned in columns and indented by two spaces."""
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    return ["  " + "   ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]


def _input_text(inp: Any, show_: Callable[[Any], str]) -> str:
    sym = show_(inp.symbol)
    if inp.class_index:
        return f"{sym}, a class index in 1..n"
    if inp.shape == "matrix":
        rows, cols = (text(d) for d in inp.symbol.shape)
        entries = "" if _is_reals(inp.domain) else f", entries in {text_set(inp.domain)}"
        return f"{sym} ∈ ℝ^({rows}×{cols}){entries}"
    if inp.shape == "vector":
        if inp.simplex:
            return f"{sym}, a probability vector (entries positive, summing to 1)"
        return f"{sym} ∈ ℝⁿ" if _is_reals(inp.domain) else f"{sym}, a vector with entries in {text_set(inp.domain)}"
    return f"{sym} ∈ {text_set(inp.domain)}"


def _is_reals(domain: Any) -> bool:
    return bool(domain == sp.S.Reals)
