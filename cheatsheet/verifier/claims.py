"""Identities and stable forms: the claims a rule makes besides its derivative, turned into :class:`Claim` s.

An identity in a note ("tanh x = 2σ(2x) − 1", "σ′ ≤ 1/4") is checked like a derivative: the gate at sample
points, then a proof (of equality, or of the inequality). A numerically stable form of the function or of a
derivative, and the stable definitions of its ``where`` symbols, are identities with the plain forms. Scalar
identities are sampled along their scalar inputs (and any symbols the identity declares); identities over the
entries of a vector or matrix rule at n = 2 and 3, for every index they leave free.
"""

from __future__ import annotations

import itertools

import sympy as sp

from cheatsheet.evaluate.expand import concrete, expand_where, instantiate
from cheatsheet.notation import i as I_
from cheatsheet.notation import j as J_
from cheatsheet.notation import n as N_
from cheatsheet.printing.text import text
from cheatsheet.rule import Identity, Input, Rule
from cheatsheet.verifier.gate import Claim, Session
from cheatsheet.verifier.instances import scalar_of
from cheatsheet.verifier.numbers import Point
from cheatsheet.verifier.points import (
    SIZES,
    class_values,
    instance_points,
    names_of,
    param_sets,
    parameters,
    scalar_points,
)
from cheatsheet.verifier.proof import VECTOR_PROOF_POINTS, run_claim

__all__ = ["identity_claims", "identity_label", "stable_claims"]


def identity_label(ident: Identity) -> str:
    """The label of an identity's check: its two sides in Unicode text (it is read in prose: the CLI, the sheet)."""
    rel = {"=": "=", "<=": "≤", ">=": "≥"}[ident.relation]
    return f"identity {text(ident.lhs)} {rel} {text(ident.rhs)}"


def identity_claims(rule: Rule, ident: Identity, label: str) -> list[Claim]:
    """The claims that check ``ident`` on ``rule``: one over scalar inputs, or one per size and class value over
    the entries of a vector or matrix rule."""
    lhs, rhs = concrete(ident.lhs, rule), concrete(ident.rhs, rule)
    # an identity that uses the length n (amax's ties: 1/n each) is checked at explicit sizes like the entries
    sized = lhs.has(sp.Indexed, N_) or rhs.has(sp.Indexed, N_) or lhs.has(sp.MatrixSymbol)
    if rule.shape == "scalar" or not sized:
        return [_scalar_identity(rule, ident, label, lhs, rhs)]
    return _indexed_identity(rule, ident, label, lhs, rhs)


def _scalar_identity(rule: Rule, ident: Identity, label: str, lhs: sp.Basic, rhs: sp.Basic) -> Claim:
    """An identity over the scalar inputs it uses and the symbols it declares, sampled like a scalar rule."""
    names = names_of(rule)
    extra = [Input(str(sym_), sym_, dom) for sym_, dom in ident.domains]
    used = lhs.free_symbols | rhs.free_symbols
    scalars = [inp for inp in rule.inputs if inp.shape == "scalar" and not inp.class_index] + extra
    scalars = [inp for inp in scalars if inp.symbol in used]
    for e in extra:
        names[e.symbol] = str(e.symbol)
    variables = [inp.symbol for inp in scalars] + parameters(rule)
    points: list[Point] = []
    for k, pset in enumerate(param_sets(rule)):
        points += scalar_points(rule, scalars, pset, [lhs, rhs], (label, k))
    return Claim(label, variables, [lhs], [rhs], [""], points, names, relation=ident.relation)


def _indexed_identity(rule: Rule, ident: Identity, label: str, lhs: sp.Basic, rhs: sp.Basic) -> list[Claim]:
    """An identity over the entries of a vector or matrix rule at n = 2 and 3: one entry per value of each
    index (i, j) it leaves free, one claim per class value."""
    names = names_of(rule)
    used = lhs.free_symbols | rhs.free_symbols
    for der in lhs.atoms(sp.Derivative) | rhs.atoms(sp.Derivative):  # sympy counts the j of ∂/∂x_j as bound
        used |= {s_ for v in der.variables for s_ in v.free_symbols}
    free = [ix for ix in (I_, J_) if ix in used]
    claims = []
    for size in SIZES[:2]:
        inst = instantiate(rule, size)
        scalars = [inp.symbol for inp in rule.inputs if inp.shape == "scalar" and not inp.class_index]
        variables = [v for v, _ in inst.variables] + scalars + parameters(rule)
        for sym_, _ in inst.variables:
            names[sym_] = str(sym_)
        points = instance_points(rule, inst, (label, "points"))
        for cls in class_values(rule, size):
            ls, rs, en = [], [], []
            for combo in itertools.product(range(1, size + 1), repeat=len(free)):
                idx = dict(zip(free, combo, strict=True)) | cls
                ls.append(scalar_of(inst.apply(lhs, idx)))  # a 1x1 matrix (xᵀAx) is a scalar
                rs.append(scalar_of(inst.apply(rhs, idx)))
                en.append("[" + ",".join(map(str, combo)) + "]" if combo else "")
            claims.append(
                Claim(
                    f"{label} (n={size})",
                    variables,
                    ls,
                    rs,
                    en,
                    points,
                    names,
                    relation=ident.relation,
                    proof_limit=VECTOR_PROOF_POINTS,
                )
            )
    return claims


def stable_claims(s: Session, rule: Rule) -> None:
    """Verify the rule's stable forms: of the function, of each derivative, and of the ``where`` definitions."""
    if rule.stable is not None:
        for g in identity_claims(rule, Identity(rule.function, rule.stable), "stable form"):
            run_claim(s, g)
    for wrt, expr in rule.stable_derivatives.items():
        claim = rule.derivatives[wrt]
        for g in identity_claims(rule, Identity(claim, expr), f"stable derivative ∂/∂{wrt}"):
            run_claim(s, g)
    if any(d.stable is not None for d in rule.where):
        plain = {"function": rule.function} | {f"∂/∂{w}": e for w, e in rule.derivatives.items()}
        for what, expr in plain.items():
            stable_expr = expand_where(expr, rule.where, stable=True)
            for g in identity_claims(
                rule, Identity(expand_where(expr, rule.where), stable_expr), f"stable definitions in {what}"
            ):
                run_claim(s, g)
