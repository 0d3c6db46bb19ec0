"""Vector and matrix claims at explicit sizes: the rule instantiated with one symbol per entry (n = 2, 3, 4 for
vectors; every dimension 2, then 3, then mixed for matrices), each entry of the claimed gradient or Jacobian
against sympy's derivative of the instantiated function.

Vector rules are proved at n = 2 and 3 and checked numerically at n = 4; matrix rules are proved at their first
size and checked at the others numerically (:mod:`cheatsheet.verifier.numeric_matrix`), where a symbolic
instance would take minutes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import sympy as sp

from cheatsheet.evaluate.expand import Instance, concrete
from cheatsheet.notation import i as I_
from cheatsheet.notation import j as J_
from cheatsheet.rule import Input, Rule
from cheatsheet.verifier.gate import Claim, Failed, Session
from cheatsheet.verifier.numeric_matrix import numeric_matrix_claims
from cheatsheet.verifier.points import class_values, instance_points, instances, names_of, parameters, size_text
from cheatsheet.verifier.proof import VECTOR_PROOF_POINTS, run_claim
from cheatsheet.verifier.verdict import Counterexample

__all__ = ["scalar_of", "vector_claims"]


def scalar_of(value: sp.Basic) -> sp.Basic:
    """A 1x1 matrix (xᵀAx) as the scalar it stands for."""
    if isinstance(value, sp.MatrixBase) and value.shape == (1, 1):
        return value[0, 0]
    return value


@dataclass
class _Entries:
    """The entries of one claim: reference, claimed, their names, and what each is numerically derived from."""

    true: list[sp.Expr] = field(default_factory=list)
    claimed: list[sp.Expr] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    fd: list[tuple[sp.Expr, sp.Symbol] | None] = field(default_factory=list)

    def add(self, of: sp.Basic, var: sp.Symbol, claimed: sp.Basic, name: str) -> None:
        """The entry ∂``of``/∂``var``, claimed to be ``claimed``."""
        self.true.append(sp.diff(of, var))
        self.claimed.append(claimed)
        self.names.append(name)
        self.fd.append((of, var))


def vector_claims(s: Session, rule: Rule, function: sp.Basic, claims: Mapping[str, sp.Basic], tag: str) -> None:
    """Verify each claimed derivative of a vector or matrix rule at every size of :func:`instances`."""
    names = names_of(rule)
    f_c = concrete(function, rule)
    sizes = instances(rule)
    for inst in sizes:
        if rule.shape == "matrix" and inst is not sizes[0]:
            numeric_matrix_claims(s, rule, inst, f_c, {w: concrete(c, rule) for w, c in claims.items()}, tag)
            continue
        scalars = [inp.symbol for inp in rule.inputs if inp.shape == "scalar" and not inp.class_index]
        variables = [v for v, _ in inst.variables] + scalars + parameters(rule)
        for sym_, _ in inst.variables:
            names[sym_] = str(sym_)
        points = instance_points(rule, inst, (tag, "points"))
        for cls in class_values(rule, inst.size):
            cls_text = "".join(f", {names.get(k_, k_)}={v}" for k_, v in cls.items())
            for wrt, claim in claims.items():
                entries = _entries(rule, inst, f_c, concrete(claim, rule), wrt, cls)
                label = f"{tag}∂/∂{wrt} ({size_text(rule, inst)}{cls_text})"
                # proved at n = 2 and 3 (matrices: at the first size), checked numerically at the others
                proved_here = inst is sizes[0] if rule.shape == "matrix" else (inst.size < 4 or len(entries.true) <= 4)
                run_claim(
                    s,
                    Claim(
                        label,
                        variables,
                        entries.true,
                        entries.claimed,
                        entries.names,
                        points,
                        names,
                        fd=entries.fd,
                        prove=proved_here,
                        proof_limit=VECTOR_PROOF_POINTS,
                    ),
                )


def _entries(rule: Rule, inst: Instance, f_c: sp.Basic, c_c: sp.Basic, wrt: str, cls: dict[sp.Symbol, int]) -> _Entries:
    """The entries of the claim ∂/∂``wrt`` at the instance ``inst`` and class values ``cls``."""
    wrt_inp = rule.input(wrt)
    if rule.shape == "matrix":
        return _matrix_entries(rule, inst, f_c, c_c, wrt_inp, cls)
    wrt_vars = [wrt_inp.symbol] if wrt_inp.shape == "scalar" else inst.by_input[wrt]
    if rule.vector_output:
        return _jacobian_entries(inst, f_c, c_c, wrt_inp, wrt_vars, cls)
    return _gradient_entries(inst, f_c, c_c, wrt_inp, wrt_vars, cls)


def _matrix_entries(
    rule: Rule, inst: Instance, f_c: sp.Basic, c_c: sp.Basic, wrt_inp: Input, cls: dict[sp.Symbol, int]
) -> _Entries:
    """A matrix rule's gradient: one entry per entry of the input, in the input's shape."""
    fx = scalar_of(inst.apply(f_c.subs(cls)))
    gmat = inst.apply(c_c.subs(cls))
    mat = inst.explicit[wrt_inp.symbol]
    if not isinstance(gmat, sp.MatrixBase) or gmat.shape != mat.shape:  # e.g. aᵀ for a
        got = f"{gmat.shape[0]}×{gmat.shape[1]}" if isinstance(gmat, sp.MatrixBase) else "a scalar"
        raise Failed(
            Counterexample(
                f"∂/∂{wrt_inp.name} ({size_text(rule, inst)})",
                {},
                f"a {mat.rows}×{mat.cols} gradient (the shape of {wrt_inp.name})",
                got,
            )
        )
    out = _Entries()
    for r in range(mat.rows):
        for c in range(mat.cols):
            out.add(fx, mat[r, c], gmat[r, c], f"[{r + 1},{c + 1}]")
    return out


def _jacobian_entries(
    inst: Instance, f_c: sp.Basic, c_c: sp.Basic, wrt_inp: Input, wrt_vars: list[sp.Expr], cls: dict[sp.Symbol, int]
) -> _Entries:
    """A vector-valued rule's Jacobian: entry [a, b] (or [a] for a scalar input) of every output a."""
    out = _Entries()
    for a in range(1, inst.size + 1):
        fa = inst.apply(f_c, {I_: a} | cls)
        for b, v in enumerate(wrt_vars, start=1):
            if not isinstance(v, sp.Symbol):
                continue
            by_vector = wrt_inp.shape == "vector"
            idx = {I_: a, J_: b} if by_vector else {I_: a}
            out.add(fa, v, inst.apply(c_c, idx | cls), f"[{a},{b}]" if by_vector else f"[{a}]")
    return out


def _gradient_entries(
    inst: Instance, f_c: sp.Basic, c_c: sp.Basic, wrt_inp: Input, wrt_vars: list[sp.Expr], cls: dict[sp.Symbol, int]
) -> _Entries:
    """A scalar-valued rule's gradient: entry [a] of a vector input, or the one entry of a scalar input."""
    fx = inst.apply(f_c, cls)
    out = _Entries()
    for a, v in enumerate(wrt_vars, start=1):
        if not isinstance(v, sp.Symbol):
            continue
        by_vector = wrt_inp.shape == "vector"
        claimed = inst.apply(c_c, {I_: a} | cls) if by_vector else inst.apply(c_c, cls)
        out.add(fx, v, claimed, f"[{a}]" if by_vector else "")
    return out
